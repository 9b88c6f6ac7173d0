"""Fault soak: confirmed orders sent through every path users have while the sandbox
fails 20% of the requests, then the scheduled jobs until nothing moves; afterwards
Odoo and the sandbox must agree on every order.

Installs the addon in a throwaway database, starts the sandbox as a separate process
on a free 127.0.0.1 port with a fault mix over all five kinds at rate 0.2 (latency
= a read timeout longer than the client's, timeout_commit = handled and committed
but answered too late, server_error = 500/503, reset = connection reset,
malformed = handled and committed but truncated JSON). Faults last FAULT_SECONDS,
longer than the account's read timeout READ_TIMEOUT. Then --orders confirmed orders
are sent:

- run "single": one Odoo worker process. A third of the orders are single clicks
  (one ``action_shipwire_send()`` and one transaction per order), a third goes
  through the bulk action (50 orders per action and transaction), and the last third
  is left to the retry job: their bulk send meets a sandbox failing every request
  (HTTP 507, which the client does not retry itself), so they end "Send failed",
  and the retry job sends them once the 20% mix is back.
- run "concurrent": two Odoo worker processes on the same database and sandbox both
  go through every order, in the same direction but with opposite single/bulk
  phases (chunks of 50), so that they collide; both then run the jobs at once.

A click the addon refuses (another send holds the order, or it is already at
Shipwire) or that hits a database conflict is rolled back and counted; like a user
following the message ("wait a moment, then refresh the page"), the worker waits,
refreshes and sends again what is still not sent (at most USER_ATTEMPTS times).

Then each worker runs "scheduled jobs" rounds with the faults still on: the retry
job (after moving every failed order's next retry to now: time travel; repeated
while orders are due, as the cron scheduler does for a job that reports remaining
work) and the sync (repeated while it reports a backlog), each committed. Midway (at
the start of rounds 2 and 3 of the first worker, which does not stop before) the
sandbox ships 15% of the open fulfillment orders, so the sync has real work and
final states include "shipped". A worker stops after a round in which the sync
succeeded, no order changed (state, PO id, PO status, fulfillment orders) and no
order is failed or unsent; rounds run while the other worker is still sending, or
while process faults are pending, do not count against the cap of MAX_ROUNDS. If a
run does not converge with faults on, the faults are turned off for final rounds,
and the report says so.

Process faults, in both runs, once each (see ``ProcessFaults``): the parent
SIGKILLs a worker in the middle of a send (the sandbox kept the PO, Odoo had not
committed: the sandbox holds its answers to PO creates, a timeout_commit fault, and
the worker is killed while it waits), then one in the middle of a sync batch, and
then ends a worker's PostgreSQL session in a sync batch (pg_terminate_backend; the
sessions are found in pg_stat_activity by application_name, "odoo-<pid>"). A killed
worker is replaced at once by a fresh process for its share, as a crashed Odoo worker
is: like the users coming back, it sends what is still not sent, then runs the jobs.
A worker whose connection was dropped rolls back and connects again.

The final check runs with faults off and reads every PO and fulfillment order (with
its holds) from the sandbox. Report: POs at the sandbox against orders sent
(missing, extra), duplicates (externalIds with more than one PO), orders left failed
or unsent, orders whose Odoo record disagrees with the sandbox (the expected state
is the soak's own rule over the sandbox's statuses and holds: ``expected_state``).
Each run ends with one line ``SOAK RESULT <json>``: orders, missing, extra,
duplicates, left_failed, disagreeing, requests (API requests the sandbox answered),
faulted, killed_workers, dropped_connections, kept_unlinked_at_kill,
process_faults_missed, linked_repeats (repeated sends answered "duplicate" and
linked), wall_seconds. Target: every loss figure 0 and every process fault done;
exits 1 otherwise. Skips (exit 0) without Odoo 18.

    python3 bench/soak.py [--orders 1000] [--runs single|concurrent|both]
                          [--max-rounds 30] [--keep-db]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixture import confirmed_orders, create_fixture
from harness import (
    SandboxProcess,
    WorkerProcess,
    Workers,
    log,
    odoo18_missing,
    throwaway_database,
    write_config,
)
from soak_check import final_check
from soak_driver import Driver
from soak_faults import Database, ProcessFaults
from soak_report import report
from soak_settings import (
    FAULT_KINDS,
    FAULT_RATE,
    FAULT_SECONDS,
    FINAL_ROUNDS,
    MAX_ROUNDS,
    PER_KIND_RATE,
    READ_TIMEOUT,
    SANDBOX_PASSWORD,
    SANDBOX_USER,
    SEEDS,
    WORKER_TIMEOUT,
)

DRIVER = Path(__file__).resolve().parent / "soak_driver.py"


# -- set-up (parent) ---------------------------------------------------------------


def set_up(env, sandbox_url, count):
    """The benchmarks' fixture (account with read timeout READ_TIMEOUT) and ``count``
    confirmed orders, committed. Returns the orders' ids and the externalId
    prefix."""
    fixture = create_fixture(
        env, sandbox_url, SANDBOX_USER, SANDBOX_PASSWORD, read_timeout=READ_TIMEOUT
    )
    orders = confirmed_orders(env, fixture, count)
    missing_backend = env["sale.order"].search_count(
        [("id", "in", orders.ids), ("shipwire_backend_id", "!=", fixture.backend.id)]
    )
    if missing_backend:
        raise RuntimeError(f"{missing_backend} orders have no Shipwire account")
    return orders.ids, fixture.backend.external_id_prefix


def worker_command(
    index, kind, workers, registry, sandbox, config, workdir, max_rounds, resumed
):
    return [
        sys.executable,
        str(DRIVER),
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
        "--sandbox-url",
        sandbox.url,
        "--ids-file",
        str(workdir / "ids.json"),
        "--workdir",
        str(workdir),
        "--max-rounds",
        str(max_rounds),
    ] + (["--resumed"] if resumed else [])


def run(kind, options):
    import odoo

    started = time.perf_counter()
    worker_count = 1 if kind == "single" else 2
    workdir = Path(tempfile.mkdtemp(prefix=f"shipwire_soak_{kind}_"))
    sandbox = SandboxProcess(
        SANDBOX_USER,
        SANDBOX_PASSWORD,
        fault_rate=PER_KIND_RATE * len(FAULT_KINDS),  # spread evenly over the kinds
        fault_seconds=FAULT_SECONDS,
        seed=SEEDS[kind],
        log_path=workdir / "sandbox.log",
    ).start()
    log(
        f"== run {kind}: {options.orders} orders, {worker_count} Odoo worker "
        f"process{'es' if worker_count > 1 else ''}, sandbox {sandbox.url} "
        f"(faults {FAULT_RATE:.0%} over {', '.join(FAULT_KINDS)}; "
        f"{FAULT_SECONDS} s against a {READ_TIMEOUT} s read timeout) =="
    )
    try:
        with throwaway_database(
            prefix="shipwire_soak", keep=options.keep_db
        ) as registry:
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                ids, prefix = set_up(env, sandbox.url, options.orders)
            setup_seconds = time.perf_counter() - started
            log(f"set-up: {len(ids)} confirmed orders in {setup_seconds:.0f} s")
            fired_at_start = sandbox.fired()
            (workdir / "ids.json").write_text(json.dumps(ids))
            config = write_config(workdir)
            database = Database(registry.db_name)
            sending_started = time.perf_counter()
            workers = Workers(
                lambda index, resumed: WorkerProcess(
                    index,
                    worker_command(
                        index,
                        kind,
                        worker_count,
                        registry,
                        sandbox,
                        config,
                        workdir,
                        options.max_rounds,
                        resumed,
                    ),
                    workdir / f"worker-{index}.log",
                )
            )
            process_faults = ProcessFaults(
                workers, database, sandbox, ids, prefix, workdir
            )
            try:
                workers.start(worker_count)
                process_faults.start()
                deadline = sending_started + WORKER_TIMEOUT
                while workers.any_running() and time.perf_counter() < deadline:
                    time.sleep(0.5)
            finally:
                process_faults.stop()
                workers.stop()
                database.close()
            results = workers.outcomes()
            workers_seconds = time.perf_counter() - sending_started
            converged_with_faults = all(
                result.get("converged") for result in workers.last_outcomes()
            )

            final_rounds = None
            if not converged_with_faults:
                log("not converged with faults on: faults off for final rounds")
                sandbox.faults_off()
                driver = Driver(registry, sandbox, ids, index=9)
                driver.prefix = "[final]"
                try:
                    converged = driver.jobs_loop(max_rounds=FINAL_ROUNDS)
                    final_rounds = (driver.counts["rounds"], converged, driver.counts)
                finally:
                    driver.close()

            fired = sandbox.fired() - fired_at_start
            sandbox.faults_off()
            stats = sandbox.stats()
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                check = final_check(env, sandbox, ids, prefix)
            wall = time.perf_counter() - started
            return report(
                kind,
                options,
                check,
                results,
                fired,
                stats,
                sandbox.calls,
                converged_with_faults,
                final_rounds,
                {
                    "wall": wall,
                    "setup": setup_seconds,
                    "workers": workers_seconds,
                },
                workdir,
                process_faults,
            )
    finally:
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
