"""Webhook burst: Odoo's own HTTP server with two workers takes 2,000 signed webhooks
from 16 concurrent senders; afterwards every order must agree with the sandbox.

Installs the addon in a throwaway database, starts the sandbox in a process of its
own and sends --orders confirmed orders to it (one fulfillment order each; 100
orders per send and transaction), runs the sync job once (its cursor is then set,
as on a live database) and registers the account's webhooks
(``action_register_webhooks``: a new secret and one subscription per topic). None
of that is measured. Odoo's server then runs in a child process: ``python3 -m
odoo --workers 2 --max-cron-threads 0`` on a free 127.0.0.1 port, so no scheduled
job runs during the burst.

The webhooks are registered with a recorder's URL (an HTTP server of this
benchmark that answers 200 and keeps each delivery as it came) while orders move
at the sandbox, in two rounds a second apart, so that every change has a newer
lastUpdatedDate than the one before:
first some fulfillment orders are processed, submitted or held, then some are
completed with one tracking number each (some of them processed in the first
round) and a few cancelled. Each change yields the webhooks the sandbox sends for
it: ``order.processed``, ``order.submitted``, ``order.hold.added``,
``order.completed``, ``order.canceled``, ``purchaseorder.completed``,
``purchaseorder.canceled`` (the status changes) and ``tracking.created``, with the
payloads the sandbox rendered at that moment, signed by the sandbox with the
account's secret; the burst sends them to Odoo's server on the same path. The
counts are chosen so that of --webhooks deliveries 30% are ``tracking.created``
and 70% status changes; 5% are repeated (the same delivery
again, 1 to 40 places later) and 5% come out of order (a processed fulfillment
order's ``order.processed`` is delivered after its ``order.completed``). The
account also subscribes to ``stock.transition``, which the same moves set off:
those deliveries belong to the stock sync and are left out (counted in the
report), unless --stock-webhooks sends them too, on top of the mix.

16 sender threads POST them in that order, each delivery once, as fast as Odoo
answers; a delivery answered with anything but a 2xx, or not within Shipwire's 5
s, is delivered again later (the sandbox's retry delays, 5 attempts in all), as
Shipwire retries. Measured: wall time from the first POST to the last answer,
throughput (deliveries per second), answer time of every request (p50, p95, p99,
max), answers by status, 5xx answers, timeouts; from Odoo's log, each request's
time in its worker (SQL and the rest) and the serialization failures Odoo retried,
with the time it waited before retrying.

Afterwards every order of the run is compared with the sandbox (read over its API
with holds and trackings): the Shipwire state (the soak's own rule,
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
it reports work left, up to 10 times, as
``ir.cron`` does). One run is needed by design: a webhook that carries no more
than a status (an order completed without its shipped quantities, a hold) asks
for a catch-up sync instead of calling Shipwire inside the request.

Targets: 0 lost and 0 wrong orders after the webhooks and one sync job run, 0
answers 5xx, p99 answer time <= 2 s, and >= 50 webhooks/s (on a 2-core machine).
Prints the targets met or missed and one line ``WEBHOOK RESULT <json>`` with the
figures; exits 1 when a target is missed; skips (exit 0) without Odoo 18.

    python3 bench/webhooks.py [--orders 1000] [--webhooks 2000] [--senders 16]
                              [--workers 2] [--stock-webhooks] [--keep-db]
"""

import argparse
import collections
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from fixture import confirmed_orders, create_fixture
from harness import (
    OdooServer,
    SandboxProcess,
    log,
    odoo18_missing,
    throwaway_database,
)
from webhook_burst import Burst, percentile, server_figures, warm_up
from webhook_check import compare, run_apply_job, run_sync_job, sync_triggers
from webhook_deliveries import (
    ORDER_TOPIC_KINDS,
    Recorder,
    move_orders,
    place_deliveries,
    plan,
    recorded_deliveries,
    topic_kind,
    wait_delivered,
)

SANDBOX_USER = "webhooks"
SANDBOX_PASSWORD = "webhooks-password"
SEND_CHUNK = 100
SEED = 13
P99_TARGET = 2.0
THROUGHPUT_TARGET = 50


# -- set-up ------------------------------------------------------------------------


def set_up(env, sandbox, count, base_url):
    """The fixture's account, ``count`` orders sent to the sandbox, a sync run
    (its cursor set) and the webhooks registered for ``base_url``. Returns the
    account's id and the orders' ids."""
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    fixture = create_fixture(env, sandbox.url, SANDBOX_USER, SANDBOX_PASSWORD)
    orders = confirmed_orders(env, fixture, count)
    started = time.perf_counter()
    for start in range(0, len(orders), SEND_CHUNK):
        orders[start : start + SEND_CHUNK].action_shipwire_send()
        env.cr.commit()
    log(f"  sent {len(orders)} orders in {time.perf_counter() - started:.0f} s")
    env["shipwire.sync"]._cron_sync()
    env.cr.commit()
    backend = fixture.backend
    admin = env.ref("base.user_admin")
    answer = backend.with_user(admin).action_register_webhooks()
    env.cr.commit()
    if answer["params"]["type"] != "success":
        raise RuntimeError(f"webhooks not registered: {answer['params']['message']}")
    not_approved = orders.filtered(lambda order: order.shipwire_state != "approved")
    if not_approved:
        raise RuntimeError(f"{len(not_approved)} orders not approved after the send")
    if len(orders.shipwire_fulfillment_order_ids) != len(sandbox.orders()):
        raise RuntimeError("Odoo and the sandbox differ in fulfillment orders")
    return backend.id, orders.ids


# -- main ------------------------------------------------------------------------------


def run(registry, sandbox, options, workdir):
    import odoo

    server = OdooServer(workdir, registry.db_name, options.workers, request_log=True)
    rng = random.Random(SEED)
    with Recorder() as recorder:
        log("set-up (not measured) ...")
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            # The account's webhooks point at the recorder while orders move.
            backend_id, order_ids = set_up(env, sandbox, options.orders, recorder.url)
            backend = env["shipwire.backend"].browse(backend_id)
            token = backend.sudo().webhook_token
            secrets = backend._webhook_secrets()
        fulfillment_orders = sandbox.orders()
        counts, repeats = plan(options.webhooks, len(fulfillment_orders))
        log(f"  moves at the sandbox: {counts}")
        roles = move_orders(sandbox, counts, rng)
        wait_delivered([sandbox])
    # The account also subscribes to stock topics, which the moves set off too:
    # they belong to the stock sync, not to this benchmark's mix, unless asked.
    kinds = ORDER_TOPIC_KINDS + (("stock",) if options.stock_webhooks else ())
    recorded, left_out = recorded_deliveries(recorder.received, kinds)
    if left_out:
        log(f"  left out: {dict(left_out)}")
    moved = {
        str(order["purchaseOrderId"])
        for order in fulfillment_orders
        if order["id"] in roles
    }
    deliveries = place_deliveries(recorded, roles, repeats, rng)
    by_topic = collections.Counter(delivery.topic for delivery in deliveries)
    log(
        f"  {len(deliveries)} deliveries: "
        + ", ".join(f"{count} {topic}" for topic, count in sorted(by_topic.items()))
    )

    log(f"starting Odoo's server with {options.workers} workers on {server.url} ...")
    server.start()
    try:
        webhook_url = f"{server.url}/shipwire/webhook/{token}"
        server.wait_ready(webhook_url)
        answers = warm_up(webhook_url, secrets)
        log(f"  warm-up answers: {dict(answers)}")
        log(f"burst: {len(deliveries)} webhooks from {options.senders} senders ...")
        settings = sandbox.control("GET", "/settings")
        burst = Burst(
            server.url,
            deliveries,
            options.senders,
            settings["webhook_retry_delays"],
            settings["webhook_max_attempts"],
        )
        load_before = os.getloadavg()[0]
        wall = burst.run()
        load_after = os.getloadavg()[0]
    finally:
        server.stop()
    server_log = server.log_text()

    log("applying the stored deliveries, as the triggered job does ...")
    applied = run_apply_job(registry)
    log(f"  {applied}")
    log("comparing every order with the sandbox: webhooks alone ...")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        triggers = sync_triggers(env)
        after_webhooks = compare(env, sandbox, order_ids, moved)
    log("one run of the sync job, then comparing again ...")
    cron = run_sync_job(registry, backend_id)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        after_cron = compare(env, sandbox, order_ids, moved)
    return report(
        options,
        deliveries,
        burst,
        wall,
        server_log,
        triggers,
        after_webhooks,
        after_cron,
        cron,
        applied,
        (load_before, load_after),
        left_out,
    )


def comparison_figures(result):
    return {
        "lost": len(result["lost"]),
        "wrong": len(result["wrong"]),
        "by_kind": dict(result["by_kind"]),
        "states": dict(result["states"]),
    }


def report(
    options,
    deliveries,
    burst,
    wall,
    server_log,
    triggers,
    after_webhooks,
    after_cron,
    cron,
    applied,
    load,
    left_out,
):
    times = [seconds for seconds, _status in burst.answers]
    statuses = collections.Counter(
        str(status) if status is not None else "no answer"
        for _seconds, status in burst.answers
    )
    answers_5xx = sum(
        count for status, count in statuses.items() if status.startswith("5")
    )
    throughput = len(deliveries) / wall if wall else 0.0
    p50, p95, p99 = (percentile(times, share) for share in (0.5, 0.95, 0.99))
    server = server_figures(server_log)
    retried = server["serialization_retries"]
    gave_up = server_log.count("maximum number of tries reached")
    tracking = sum(1 for d in deliveries if topic_kind(d.topic) == "tracking")
    stock = sum(1 for d in deliveries if topic_kind(d.topic) == "stock")
    figures = {
        "orders": options.orders,
        "webhooks": len(deliveries),
        "tracking_created": tracking,
        "status_changes": len(deliveries) - tracking - stock,
        "stock_transitions": stock,
        "left_out": dict(left_out),
        "repeated": sum(1 for d in deliveries if d.repeat),
        "out_of_order": sum(1 for d in deliveries if d.late and not d.repeat),
        "senders": options.senders,
        "workers": options.workers,
        "load_average": [round(value, 2) for value in load],
        "requests": len(burst.answers),
        "redeliveries": len(burst.answers) - len(deliveries),
        "failed_deliveries": len(burst.failed),
        "wall_seconds": round(wall, 2),
        "throughput": round(throughput, 1),
        "p50": round(p50, 3),
        "p95": round(p95, 3),
        "p99": round(p99, 3),
        "max": round(max(times, default=0.0), 3),
        "answers": dict(statuses),
        "answers_5xx": answers_5xx,
        "client_errors": dict(burst.errors),
        "server": server,
        "serialization_gave_up": gave_up,
        "sync_triggers": triggers,
        "after_webhooks": comparison_figures(after_webhooks),
        "sync_job": cron,
        "apply_job": applied,
        "after_sync_job": comparison_figures(after_cron),
    }

    print()
    print(
        f"{figures['webhooks']} webhooks ({tracking} tracking.created, "
        f"{figures['status_changes']} status changes"
        + (f", {stock} stock transitions" if stock else "")
        + f"; {figures['repeated']} repeated, "
        f"{figures['out_of_order']} out of order) for {options.orders} orders, "
        f"{options.senders} senders, Odoo with {options.workers} workers; load "
        f"average {load[0]:.2f} before the burst, {load[1]:.2f} after"
    )
    print(
        f"  wall {wall:.2f} s, {throughput:.1f} webhooks/s; answer time p50 "
        f"{p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {figures['max'] * 1000:.0f} ms"
    )
    print(
        f"  {len(burst.answers)} requests ({figures['redeliveries']} redeliveries); "
        f"answers {dict(sorted(statuses.items()))}; client errors "
        f"{dict(burst.errors) or 'none'}; {len(burst.failed)} deliveries never "
        "answered 2xx"
    )
    print(
        f"  in Odoo's workers ({server['requests']} requests logged): p50 "
        f"{server['worker_p50'] * 1000:.0f} ms, p95 {server['worker_p95'] * 1000:.0f}"
        f" ms, p99 {server['worker_p99'] * 1000:.0f} ms; {server['worker_seconds']} s"
        f" in all, {server['sql_seconds']} s of it in SQL; "
        f"{server['queries_per_request']} queries per request"
    )
    for line in server["first_problems"]:
        print(f"  Odoo logged: {line}")
    print(
        f"  Odoo retried {retried} requests after a serialization failure, waiting "
        f"{server['retry_wait_seconds']} s in all before the retries ({gave_up} gave "
        f"up); {triggers} catch-up syncs asked for"
    )
    for title, result in (
        ("after the webhooks alone (not a target)", after_webhooks),
        ("after one run of the sync job", after_cron),
    ):
        print(
            f"  {title}: {len(result['lost'])} lost, {len(result['wrong'])} wrong "
            f"orders; states {dict(sorted(result['states'].items()))}"
        )
        if result["by_kind"]:
            print(f"    disagreements: {dict(result['by_kind'].most_common())}")
        for text in (result["lost"] + result["wrong"])[:5]:
            print(f"    e.g. {text}")
    print(
        f"  apply job: {applied['calls']} call(s), {applied['seconds']} s, "
        f"{applied['queries']} queries, {applied['failed']} deliveries not applied"
    )
    print(
        f"  sync job: {cron['calls']} call(s), {cron['seconds']} s, "
        f"{cron['queries']} queries" + (", work left" if cron["work_left"] else "")
    )

    bad = len(after_cron["lost"]) + len(after_cron["wrong"])
    checks = [
        (
            f"lost or wrong orders after the webhooks and one sync job run: "
            f"{len(after_cron['lost'])} lost, {len(after_cron['wrong'])} wrong "
            "(target 0)",
            bad == 0,
        ),
        (f"answers 5xx: {answers_5xx} (target 0)", answers_5xx == 0),
        (f"p99 answer time: {p99:.2f} s (target <= {P99_TARGET} s)", p99 <= P99_TARGET),
        (
            f"throughput: {throughput:.1f} webhooks/s (target >= {THROUGHPUT_TARGET})",
            throughput >= THROUGHPUT_TARGET,
        ),
    ]
    print()
    for text, met in checks:
        print(f"{'met   ' if met else 'MISSED'} {text}")
    ok = all(met for _text, met in checks)
    print(f"targets: {'all met' if ok else 'NOT all met'}")
    figures["ok"] = ok
    print("WEBHOOK RESULT " + json.dumps(figures, sort_keys=True), flush=True)
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--stock-webhooks",
        action="store_true",
        help="also send the stock.transition webhooks the moves set off",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if min(options.orders, options.webhooks, options.senders, options.workers) < 1:
        parser.error("every count must be at least 1")
    try:
        plan(options.webhooks, options.orders)
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
        SandboxProcess(SANDBOX_USER, SANDBOX_PASSWORD) as sandbox,
    ):
        return run(registry, sandbox, options, Path(work))


if __name__ == "__main__":
    sys.exit(main())
