"""Webhook burst: Odoo's own HTTP server with two workers takes the signed webhooks
of two accounts from 16 concurrent senders, at least 0.6 times as fast as it
answers its bare health route; afterwards every order must agree with its
account's sandbox.

Installs the addon in a throwaway database with two companies, each with its own
warehouse mapped to an account of its own, each account on a sandbox process of
its own (a sandbox serves one set of credentials). Sends --orders confirmed
orders, half of them each, to the sandboxes (one fulfillment order each; 100
orders per send and transaction), registers each account's webhooks
(``action_register_webhooks``: a new secret and one subscription per topic) and
runs the sync job once (its cursor is then set, as on a live database). None of
that is measured. Odoo's server then runs in a child process: ``python3 -m odoo
--workers 2 --max-cron-threads 0`` on a free 127.0.0.1 port, so no scheduled job
runs during the burst.

The webhooks are registered with a recorder's URL (an HTTP server of this
benchmark that answers 200 and keeps each delivery as it came) while orders move
at both sandboxes, the accounts' moves mixed, in two rounds a second apart, so
that every change has a newer lastUpdatedDate than the one before: first some
fulfillment orders are processed, submitted or held, then some are completed with
one tracking number each (some of them processed in the first round) and a few
cancelled. Each change yields the webhooks the sandbox sends for it:
``order.processed``, ``order.submitted``, ``order.hold.added``,
``order.completed``, ``order.canceled``, ``purchaseorder.completed``,
``purchaseorder.canceled`` (the status changes), ``tracking.created``, and the
``stock.transition`` Shipwire sends with every stock movement, with the payloads
the sandbox rendered at that moment, signed by the sandbox with the account's
secret; the burst sends them to Odoo's server on the same path, both accounts'
deliveries mixed as they came. The moves are chosen so that of each account's
half of --webhooks order, PO and tracking deliveries 30% are ``tracking.created``
and 70% status changes; 5% are repeated (the same delivery again, 1 to 40 places
later) and 5% come out of order (a processed fulfillment order's
``order.processed`` is delivered after its ``order.completed``). The stock
transitions come on top.

16 sender threads POST them in that order, each delivery once, as fast as Odoo
answers; a delivery answered with anything but a 2xx, or not within Shipwire's 5
s, is delivered again later (the sandbox's retry delays, 5 attempts in all), as
Shipwire retries. Measured: wall time from the first POST to the last answer,
throughput (deliveries per second), answer time of every request (p50, p95, p99,
max), answers by status, 5xx answers, timeouts; from Odoo's log, each request's
time in its worker (SQL and the rest), its queries, and the serialization failures
Odoo retried, with the time it waited before retrying. Right before the burst and
right after it, the same 16 senders send as many GET requests to Odoo's bare
``/web/health`` route on the same server: the mean of the two rates is what the
webhooks' rate is measured against, so that a machine busy with other work slows
both alike instead of faking or hiding the figure.

Afterwards every order of the run is compared with its account's sandbox (read
over its API with holds and trackings): the Shipwire state (the soak's own rule,
``expected_state.py``), the PO status, the fulfillment orders and their
statuses, active holds and tracking numbers, and the deliveries (validated for
what shipped, cancelled for what was cancelled, open otherwise). An order that
moved at the sandbox but shows nothing of it in Odoo is lost; any other
disagreement is wrong.

Odoo answers a verified delivery once it is stored; the job it triggers applies
the stored deliveries together (run here right after the burst, as the cron
worker would, timed and reported). What is judged is what a user sees after the
webhooks plus one run of the sync job: the comparison runs once after the
webhooks are applied (webhooks alone: reported, not a target) and once after
one run of the sync job as the scheduler runs it (the job is called again while
it reports work left, up to 10 times, as ``ir.cron`` does). One run is needed by
design: a webhook that carries no more than a status (an order completed without
its shipped quantities, a hold) asks for a catch-up sync instead of calling
Shipwire inside the request.

Targets: 0 lost and 0 wrong orders after the webhooks and one sync job run, 0
answers 5xx, p99 answer time <= 2 s, and webhooks per second >= 0.6 times the
``/web/health`` requests per second of the same run. Prints the targets met or
missed and one line ``WEBHOOK RESULT <json>`` with the figures (among them
throughput, health_throughput, throughput_ratio and Odoo's worker time and
queries per request in ``server``); exits 1 when a target is missed; skips (exit
0) without Odoo 18.

    python3 bench/webhooks.py [--orders 1000] [--webhooks 2000] [--senders 16]
                              [--workers 2] [--keep-db]
"""

import argparse
import collections
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from fixture import confirmed_orders, create_fixture, second_company_fixture
from harness import (
    OdooServer,
    SandboxProcess,
    log,
    odoo18_missing,
    throwaway_database,
)
from webhook_burst import Burst, bare_requests, warm_up
from webhook_check import compare, run_apply_job, run_sync_job, sync_triggers
from webhook_deliveries import (
    TOPIC_KINDS,
    Recorder,
    move_orders,
    place_deliveries,
    plan,
    recorded_deliveries,
    wait_delivered,
)
from webhook_report import report

# One sandbox process per account (a sandbox serves one set of credentials).
ACCOUNTS = (("webhooks", "webhooks-password"), ("webhooks-b", "webhooks-b-password"))
SEND_CHUNK = 100
SEED = 13
HEALTH_PATH = "/web/health"


def halves(total):
    """``total`` shared by the two accounts."""
    return total - total // 2, total // 2


# -- set-up ------------------------------------------------------------------------


def set_up(env, sandboxes, count, base_url):
    """Two accounts in two companies, ``count`` orders (half of them each) sent to
    their sandboxes, a sync run (its cursor set) and each account's webhooks
    registered for ``base_url``. Returns ``[(account id, order ids)]``."""
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    (user_a, password_a), (user_b, password_b) = ACCOUNTS
    first = create_fixture(env, sandboxes[0].url, user_a, password_a)
    second = second_company_fixture(env, first, sandboxes[1].url, user_b, password_b)
    admin = env.ref("base.user_admin")
    accounts = []
    for fixture, sandbox, share in zip(
        (first, second), sandboxes, halves(count), strict=True
    ):
        orders = confirmed_orders(env, fixture, share)
        started = time.perf_counter()
        for start in range(0, len(orders), SEND_CHUNK):
            orders[start : start + SEND_CHUNK].action_shipwire_send()
            env.cr.commit()
        backend = fixture.backend
        log(
            f"  sent {len(orders)} orders of {backend.name} in "
            f"{time.perf_counter() - started:.0f} s"
        )
        answer = (
            backend.with_user(admin)
            .with_company(backend.company_id)
            .action_register_webhooks()
        )
        env.cr.commit()
        if answer["params"]["type"] != "success":
            raise RuntimeError(f"webhooks: {answer['params']['message']}")
        not_approved = orders.filtered(lambda order: order.shipwire_state != "approved")
        if not_approved:
            raise RuntimeError(f"{len(not_approved)} orders not approved")
        if len(orders.shipwire_fulfillment_order_ids) != len(sandbox.orders()):
            raise RuntimeError("Odoo and the sandbox differ in fulfillment orders")
        accounts.append((backend.id, orders.ids))
    env["shipwire.sync"]._cron_sync()
    env.cr.commit()
    return accounts


# -- main ------------------------------------------------------------------------------


def record_deliveries(registry, sandboxes, options, rng):
    """Set up, move orders at the sandboxes and catch the webhooks they send.
    Returns the accounts (id, order ids, token, secrets), the fulfillment orders
    as they were, the roles of the moved ones, the repeats to place and the
    recorder."""
    import odoo

    with Recorder() as recorder:
        log("set-up (not measured) ...")
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            # The accounts' webhooks point at the recorder while orders move.
            accounts = [
                (
                    backend_id,
                    order_ids,
                    backend.webhook_token,
                    [(s.shipwire_id, s.secret) for s in backend.webhook_secret_ids],
                )
                for backend_id, order_ids in set_up(
                    env, sandboxes, options.orders, recorder.url
                )
                for backend in [env["shipwire.backend"].sudo().browse(backend_id)]
            ]
        fulfillment_orders = [sandbox.orders() for sandbox in sandboxes]
        plans, repeats = [], 0
        for share, found in zip(
            halves(options.webhooks), fulfillment_orders, strict=True
        ):
            counts, account_repeats = plan(share, len(found))
            plans.append(counts)
            repeats += account_repeats
        log(f"  moves at the sandboxes: {plans}")
        roles = move_orders(sandboxes, plans, rng)
        wait_delivered(sandboxes)
    return accounts, fulfillment_orders, roles, repeats, recorder


def health_burst(server, count, senders):
    """The same senders against Odoo's bare health route: requests per second."""
    burst = Burst(
        server.url, bare_requests(count, HEALTH_PATH), senders, [0.0], 1, "GET"
    )
    wall = burst.run()
    return {
        "rate": round(count / wall, 1) if wall else 0.0,
        "answers": dict(collections.Counter(status for _s, status in burst.answers)),
    }


def run(registry, sandboxes, options, workdir):
    import odoo

    server = OdooServer(workdir, registry.db_name, options.workers, request_log=True)
    rng = random.Random(SEED)
    accounts, fulfillment_orders, roles, repeats, recorder = record_deliveries(
        registry, sandboxes, options, rng
    )
    tokens = [token for _id, _orders, token, _secrets in accounts]
    recorded, left_out = recorded_deliveries(recorder.received, TOPIC_KINDS, tokens)
    if left_out:
        log(f"  left out: {dict(left_out)}")
    moved = [
        {
            str(order["purchaseOrderId"])
            for order in found
            if (account, order["id"]) in roles
        }
        for account, found in enumerate(fulfillment_orders)
    ]
    deliveries = place_deliveries(recorded, roles, repeats, rng)
    by_topic = collections.Counter(delivery.topic for delivery in deliveries)
    log(
        f"  {len(deliveries)} deliveries: "
        + ", ".join(f"{count} {topic}" for topic, count in sorted(by_topic.items()))
    )

    log(f"starting Odoo's server with {options.workers} workers on {server.url} ...")
    server.start()
    try:
        webhook_url = f"{server.url}/shipwire/webhook/{tokens[0]}"
        server.wait_ready(webhook_url)
        answers = warm_up(webhook_url, accounts[0][3])
        log(f"  warm-up answers: {dict(answers)}")
        settings = sandboxes[0].control("GET", "/settings")
        burst = Burst(
            server.url,
            deliveries,
            options.senders,
            settings["webhook_retry_delays"],
            settings["webhook_max_attempts"],
        )
        health = []
        load = [os.getloadavg()[0]]
        log(f"{HEALTH_PATH}: {len(deliveries)} requests from {options.senders} senders")
        health.append(health_burst(server, len(deliveries), options.senders))
        log(f"burst: {len(deliveries)} webhooks from {options.senders} senders ...")
        wall = burst.run()
        log(f"{HEALTH_PATH} again ...")
        health.append(health_burst(server, len(deliveries), options.senders))
        load.append(os.getloadavg()[0])
    finally:
        server.stop()
    server_log = server.log_text()

    log("applying the stored deliveries, as the triggered job does ...")
    applied = run_apply_job(registry)
    log(f"  {applied}")
    log("comparing every order with the sandboxes: webhooks alone ...")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        triggers = sync_triggers(env)
        after_webhooks = compare_accounts(env, sandboxes, accounts, moved)
    log("one run of the sync job, then comparing again ...")
    cron = run_sync_job(registry, [backend_id for backend_id, *_rest in accounts])
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        after_cron = compare_accounts(env, sandboxes, accounts, moved)
    return report(
        options,
        {
            "deliveries": deliveries,
            "burst": burst,
            "wall": wall,
            "health": health,
            "server_log": server_log,
            "triggers": triggers,
            "after_webhooks": after_webhooks,
            "after_cron": after_cron,
            "cron": cron,
            "applied": applied,
            "load": load,
            "left_out": left_out,
            "accounts": len(accounts),
        },
    )


def compare_accounts(env, sandboxes, accounts, moved):
    """``compare`` for each account, added up."""
    total = {
        "lost": [],
        "wrong": [],
        "by_kind": collections.Counter(),
        "states": collections.Counter(),
    }
    for sandbox, (_id, order_ids, _token, _secrets), own_moved in zip(
        sandboxes, accounts, moved, strict=True
    ):
        result = compare(env, sandbox, order_ids, own_moved)
        for key, value in total.items():
            value += result[key]
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if min(options.orders, options.webhooks, options.senders, options.workers) < 2:
        parser.error("every count must be at least 2")
    try:
        for webhooks, orders in zip(
            halves(options.webhooks), halves(options.orders), strict=True
        ):
            plan(webhooks, orders)
    except ValueError as error:
        parser.error(str(error))

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    with (
        tempfile.TemporaryDirectory(prefix="shipwire_webhooks_") as work,
        throwaway_database(
            prefix="shipwire_webhooks", keep=options.keep_db, log=log
        ) as registry,
        SandboxProcess(*ACCOUNTS[0]) as first,
        SandboxProcess(*ACCOUNTS[1]) as second,
    ):
        return run(registry, [first, second], options, Path(work))


if __name__ == "__main__":
    sys.exit(main())
