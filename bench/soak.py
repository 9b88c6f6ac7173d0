"""Fault soak: confirmed orders of two accounts in two companies sent through every
path users have while the sandboxes fail 20% of the requests, with the accounts'
webhooks coming in, then the scheduled jobs until nothing moves; afterwards Odoo
and the sandboxes must agree on every order.

Installs the addon in a throwaway database with two companies, each with its own
warehouse mapped to an account of its own. A sandbox serves one set of
credentials, so each account has its own sandbox process, on a free 127.0.0.1
port, with a fault mix over all five kinds at rate 0.2 (latency = a read timeout
longer than the client's, timeout_commit = handled and committed but answered too
late, server_error = 500/503, reset = connection reset, malformed = handled and
committed but truncated JSON). Faults last FAULT_SECONDS, longer than the
accounts' read timeout READ_TIMEOUT. Odoo's server runs with SERVER_WORKERS HTTP
workers and no cron thread; both accounts' webhooks are registered with it (faults
off meanwhile), so the sandboxes deliver every event (PO approved, orders shipped,
trackings, stock transitions) while the run goes on. Half of --orders confirmed
orders are in each company, alternating, so that every bulk action holds orders
of both. They are sent by a clerk (Shipwire User, both companies selected), as
the web client calls the buttons: a single order's Send to Shipwire
(``action_shipwire_send()``) and the sales order list's action
(``sale_order_action_shipwire_send`` run with active_model, active_ids and
active_id, as Odoo's web client runs a server action):

- run "single": one Odoo worker process. A third of the orders are single clicks
  (one transaction per order), a third goes through the list's action (50 orders
  per action and transaction), and the last third is left to the retry job: their
  bulk send meets sandboxes failing every request (HTTP 507, which the client does
  not retry itself), so they end "Send failed", and the retry job sends them once
  the 20% mix is back.
- run "concurrent": two Odoo worker processes on the same database and sandboxes
  both go through every order, in the same direction but with opposite
  single/bulk phases (chunks of 50), so that they collide; both then run the jobs
  at once.

A click the addon refuses (another send holds the order, or it is already at
Shipwire) or that hits a database conflict is rolled back and counted; like a user
following the message ("wait a moment, then refresh the page"), the worker waits,
refreshes and sends again what is still not sent (at most USER_ATTEMPTS times).

Then each worker runs "scheduled jobs" rounds with the faults still on: the retry
job (after moving every failed order's next retry to now: time travel; repeated
while orders are due, as the cron scheduler does for a job that reports remaining
work), the job that applies the stored webhooks (the deliveries' trigger has no
cron thread to run on: the workers are its cron; its batches hold both accounts'
deliveries) and the sync of both accounts (repeated while it reports a backlog),
each committed. Midway (at the start of rounds 2 and 3 of the first worker, which
does not stop before) each sandbox ships 15% of its open fulfillment orders, so
the sync and the webhooks have real work and final states include "shipped". A
worker stops after a round in which the sync succeeded for both accounts, no
order changed (state, PO id, PO status, fulfillment orders), no webhook waits and
no order is failed or unsent; rounds run while the other worker is still sending,
or while process faults are pending, do not count against the cap of MAX_ROUNDS.
If a run does not converge with faults on, the faults are turned off for final
rounds, and the report says so.

Process faults, in both runs, once each (see ``ProcessFaults``): the parent
SIGKILLs a worker in the middle of a send (the sandbox kept the PO, Odoo had not
committed: the sandboxes hold their answers to PO creates, a timeout_commit fault,
and the worker is killed while it waits), then one in the middle of a sync batch,
and then ends a worker's PostgreSQL session in a sync batch (pg_terminate_backend;
the sessions are found in pg_stat_activity by application_name, "odoo-<pid>"). A
killed worker is replaced at once by a fresh process for its share, as a crashed
Odoo worker is: like the users coming back, it sends what is still not sent, then
runs the jobs. A worker whose connection was dropped rolls back and connects again.

Crashes in the bulk action path (``BULK_CRASHES``): at a worker's n-th list
action that went through, after Shipwire answered and kept the POs and before
Odoo committed, the transaction is rolled back, or the worker SIGKILLs itself
and is replaced. Odoo then has no PO record of those orders while Shipwire holds
their POs; nobody sends them again: the jobs have to find and link them.

The final check runs with faults off, once the sandboxes delivered what they
queued and the webhook job applied it, and reads every PO and fulfillment order
(with its holds) from each account's sandbox. Report: POs at the sandboxes against
orders sent (missing, extra: a PO at the wrong account is both), duplicates
(externalIds with more than one PO), orders left failed or unsent, orders whose
Odoo record disagrees with the sandbox (the expected state is the soak's own rule
over the sandbox's statuses and holds: ``expected_state``). Each run ends with one
line ``SOAK RESULT <json>``: orders, missing, extra, duplicates, left_failed,
disagreeing, requests (API requests the sandboxes answered), faulted,
killed_workers, dropped_connections, kept_unlinked_at_kill, process_faults_missed,
bulk_crashes, lost_at_crash (orders of the crashed bulk actions whose PO Shipwire
holds),
linked_repeats (repeated sends answered "duplicate" and linked), adopted (of the
POs lost at a crash, those linked to their order at the end), accounts,
webhooks_delivered, webhook_mixed_batches (webhook job batches holding both
accounts' deliveries), wall_seconds. Target: every loss figure 0 and every
process fault done; exits 1 otherwise. Skips (exit 0) without Odoo 18.

    python3 bench/soak.py [--orders 1000] [--runs single|concurrent|both]
                          [--max-rounds 30] [--keep-db]
"""

import argparse
import collections
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixture import confirmed_orders, create_fixture, second_company_fixture
from harness import (
    OdooServer,
    SandboxProcess,
    WorkerProcess,
    Workers,
    log,
    odoo18_missing,
    throwaway_database,
    write_config,
)
from soak_check import final_check
from soak_driver import run_accounts
from soak_faults import Database, ProcessFaults
from soak_report import report
from soak_sandbox import faults_mix
from soak_settings import (
    ACCOUNTS,
    BULK_CRASHES,
    CLERK_GROUPS,
    CLERK_LOGIN,
    DELIVERY_WAIT,
    FAULT_KINDS,
    FAULT_RATE,
    FAULT_SECONDS,
    FINAL_ROUNDS,
    MAX_ROUNDS,
    PER_KIND_RATE,
    READ_TIMEOUT,
    SEEDS,
    SERVER_WORKERS,
    WORKER_TIMEOUT,
)
from soak_worker import Worker

WORKER = Path(__file__).resolve().parent / "soak_worker.py"


# -- set-up (parent) ---------------------------------------------------------------


def set_up(env, sandboxes, count, server_url):
    """Two accounts in two companies (read timeout READ_TIMEOUT), a clerk (Shipwire
    User) working in both, ``count`` confirmed orders, half in each company, and
    each account's webhooks registered with Odoo's server at ``server_url``
    (faults off meanwhile). Returns the run's set-up for the workers: the
    orders' ids, alternating between the companies, the clerk, the companies and
    the accounts."""
    from odoo import Command

    env["ir.config_parameter"].set_param("web.base.url", server_url)
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    (user_a, password_a, prefix_a), (user_b, password_b, prefix_b) = ACCOUNTS
    first = create_fixture(
        env,
        sandboxes[0].url,
        user_a,
        password_a,
        read_timeout=READ_TIMEOUT,
        external_id_prefix=prefix_a,
    )
    second = second_company_fixture(
        env,
        first,
        sandboxes[1].url,
        user_b,
        password_b,
        read_timeout=READ_TIMEOUT,
        external_id_prefix=prefix_b,
    )
    fixtures = (first, second)
    companies = [fixture.backend.company_id.id for fixture in fixtures]
    clerk = env["res.users"].create(
        {
            "name": "Soak clerk",
            "login": CLERK_LOGIN,
            "company_id": companies[0],
            "company_ids": [Command.set(companies)],
            "groups_id": [Command.set([env.ref(group).id for group in CLERK_GROUPS])],
        }
    )
    shares = (count - count // 2, count // 2)
    orders = [
        confirmed_orders(env, fixture, share)
        for fixture, share in zip(fixtures, shares, strict=True)
    ]
    admin = env.ref("base.user_admin")
    accounts = []
    for fixture, sandbox, own, (user, password, prefix) in zip(
        fixtures, sandboxes, orders, ACCOUNTS, strict=True
    ):
        backend = fixture.backend
        elsewhere = own.filtered(
            lambda order, backend=backend: order.shipwire_backend_id != backend
        )
        if elsewhere:
            raise RuntimeError(f"{len(elsewhere)} orders are not {backend.name}'s")
        sandbox.faults_off()
        answer = (
            backend.with_user(admin)
            .with_company(backend.company_id)
            .action_register_webhooks()
        )
        env.cr.commit()
        faults_mix(sandbox)
        if answer["params"]["type"] != "success":
            raise RuntimeError(f"webhooks: {answer['params']['message']}")
        accounts.append(
            {
                "url": sandbox.url,
                "user": user,
                "password": password,
                "prefix": prefix,
                "ids": own.ids,
                "backend_id": backend.id,
            }
        )
    ids = [
        order_id
        for pair in itertools.zip_longest(*(own.ids for own in orders))
        for order_id in pair
        if order_id
    ]
    return {"ids": ids, "clerk": clerk.id, "companies": companies, "accounts": accounts}


def start_sandboxes(kind, workdir):
    """One sandbox process per account, faults on, each with its own seed."""
    sandboxes = []
    try:
        for number, (user, password, _prefix) in enumerate(ACCOUNTS):
            sandboxes.append(
                SandboxProcess(
                    user,
                    password,
                    fault_rate=PER_KIND_RATE * len(FAULT_KINDS),  # evenly spread
                    fault_seconds=FAULT_SECONDS,
                    seed=SEEDS[kind] + 10 * number,
                    log_path=workdir / f"sandbox-{number}.log",
                ).start()
            )
    except Exception:
        for sandbox in sandboxes:
            sandbox.stop()
        raise
    return sandboxes


def worker_command(
    index, kind, workers, registry, config, workdir, max_rounds, resumed
):
    return [
        sys.executable,
        str(WORKER),
        "--worker",
        str(index),
        "--workers",
        str(workers),
        "--role",
        kind,
        "--db",
        registry.db_name,
        "--config",
        str(config),
        "--setup-file",
        str(workdir / "setup.json"),
        "--workdir",
        str(workdir),
        "--max-rounds",
        str(max_rounds),
    ] + (["--resumed"] if resumed else [])


# -- one run (parent) ----------------------------------------------------------------


def run_workers(kind, worker_count, registry, setup, accounts, workdir, options):
    """The worker processes until they are done, with the process faults; a
    worker that crashed is replaced. Returns (Workers, ProcessFaults)."""
    config = write_config(workdir)
    database = Database(registry.db_name)
    workers = Workers(
        lambda index, resumed: WorkerProcess(
            index,
            worker_command(
                index,
                kind,
                worker_count,
                registry,
                config,
                workdir,
                options.max_rounds,
                resumed,
            ),
            workdir / f"worker-{index}.log",
        )
    )
    process_faults = ProcessFaults(
        workers, database, accounts, setup["ids"], workdir, BULK_CRASHES[kind]
    )
    deadline = time.perf_counter() + WORKER_TIMEOUT
    try:
        workers.start(worker_count)
        process_faults.start()
        while workers.any_running() and time.perf_counter() < deadline:
            process_faults.replace_crashed()
            time.sleep(0.5)
    finally:
        process_faults.stop()
        workers.stop()
        database.close()
    return workers, process_faults


def final_rounds(registry, setup, sandboxes):
    """Scheduled jobs rounds with faults off, for a run that did not converge
    with them on. Returns (rounds, converged, counts)."""
    log("not converged with faults on: faults off for final rounds")
    for sandbox in sandboxes:
        sandbox.faults_off()
    worker = Worker(registry, setup, sandboxes, index=9)
    worker.prefix = "[final]"
    try:
        converged = worker.jobs_loop(max_rounds=FINAL_ROUNDS)
        return worker.counts["rounds"], converged, worker.counts
    finally:
        worker.close()


def last_webhooks(registry, setup, sandboxes):
    """Once the sandboxes delivered what they queued, the webhook job applies
    what came after the workers' last round. Returns the sandboxes' count of
    deliveries still queued."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while time.monotonic() < deadline:
        queued = sum(s.stats()["pendingWebhookDeliveries"] for s in sandboxes)
        if not queued:
            break
        time.sleep(0.5)
    worker = Worker(registry, setup, sandboxes, index=9)
    worker.prefix = "[final]"
    try:
        worker.apply_job()
    finally:
        worker.close()
    return queued


def sandbox_figures(sandboxes, fired_at_start):
    """What the sandboxes counted: faults fired since the start, requests (with
    this process's control requests) and webhook deliveries."""
    fired = collections.Counter()
    stats = collections.Counter()
    for sandbox, at_start in zip(sandboxes, fired_at_start, strict=True):
        fired += sandbox.fired() - at_start
        sandbox.faults_off()
        found = sandbox.stats()
        stats.update(
            requests=found["requests"],
            webhooks_delivered=found["webhookDeliveries"],
            webhooks_failed=found["failedWebhookDeliveries"],
        )
    return fired, stats, sum(sandbox.calls for sandbox in sandboxes)


def run(kind, options):
    import odoo

    started = time.perf_counter()
    worker_count = 1 if kind == "single" else 2
    workdir = Path(tempfile.mkdtemp(prefix=f"shipwire_soak_{kind}_"))
    sandboxes = start_sandboxes(kind, workdir)
    log(
        f"== run {kind}: {options.orders} orders, {len(ACCOUNTS)} accounts in "
        f"{len(ACCOUNTS)} companies, {worker_count} Odoo worker "
        f"process{'es' if worker_count > 1 else ''}, sandboxes "
        f"{', '.join(sandbox.url for sandbox in sandboxes)} "
        f"(faults {FAULT_RATE:.0%} over {', '.join(FAULT_KINDS)}; "
        f"{FAULT_SECONDS} s against a {READ_TIMEOUT} s read timeout) =="
    )
    server = None
    try:
        with throwaway_database(
            prefix="shipwire_soak", keep=options.keep_db
        ) as registry:
            server = OdooServer(workdir, registry.db_name, SERVER_WORKERS).start()
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                setup = set_up(env, sandboxes, options.orders, server.url)
            server.wait_ready(f"{server.url}/web/health")
            setup_seconds = time.perf_counter() - started
            log(
                f"set-up: {len(setup['ids'])} confirmed orders in {setup_seconds:.0f}"
                f" s; Odoo's server on {server.url} takes the webhooks"
            )
            fired_at_start = [sandbox.fired() for sandbox in sandboxes]
            (workdir / "setup.json").write_text(json.dumps(setup))
            accounts = run_accounts(setup, sandboxes)
            sending_started = time.perf_counter()
            workers, process_faults = run_workers(
                kind, worker_count, registry, setup, accounts, workdir, options
            )
            results = workers.outcomes()
            workers_seconds = time.perf_counter() - sending_started
            converged_with_faults = all(
                result.get("converged") for result in workers.last_outcomes()
            )
            rounds = None
            if not converged_with_faults:
                rounds = final_rounds(registry, setup, sandboxes)
            fired, stats, control_calls = sandbox_figures(sandboxes, fired_at_start)
            stats["webhooks_queued"] = last_webhooks(registry, setup, sandboxes)
            server.stop()
            abandoned = {
                order_id
                for crash in process_faults.crashes()
                for order_id in crash["ids"]
            }
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                check = final_check(env, accounts, abandoned)
            wall = time.perf_counter() - started
            return report(
                kind,
                options,
                check,
                results,
                fired,
                stats,
                control_calls,
                converged_with_faults,
                rounds,
                {
                    "wall": wall,
                    "setup": setup_seconds,
                    "workers": workers_seconds,
                },
                workdir,
                process_faults,
                len(accounts),
            )
    finally:
        if server:
            server.stop()
        for sandbox in sandboxes:
            sandbox.stop()
        if options.keep_db:
            log(f"kept logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument(
        "--runs", choices=("single", "concurrent", "both"), default="both"
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the databases and logs"
    )
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=MAX_ROUNDS,
        help="cap of scheduled jobs rounds with faults on (default %(default)s)",
    )
    options = parser.parse_args(argv)
    if options.orders < 6:
        parser.error("--orders must be at least 6")

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    if options.runs != "both":
        return run(options.runs, options)
    # Each run in its own process: its own Odoo configuration and registry.
    codes = []
    for kind in ("single", "concurrent"):
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--orders",
            str(options.orders),
            "--runs",
            kind,
            "--max-rounds",
            str(options.max_rounds),
        ] + (["--keep-db"] if options.keep_db else [])
        codes.append(subprocess.run(command, check=False).returncode)
    log(
        "both runs: "
        + ", ".join(
            f"{kind} {'met' if code == 0 else 'missed'}"
            for kind, code in zip(("single", "concurrent"), codes, strict=True)
        )
    )
    return 0 if not any(codes) else 1


if __name__ == "__main__":
    sys.exit(main())
