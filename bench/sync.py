"""The scheduled sync resyncs open POs in a few list calls and per-batch SQL, where
refreshing order by order costs two calls per order.

Installs the addon in a throwaway database with two Shipwire accounts, each on its
own in-process sandbox: the large one serves the default warehouse and gets --orders
confirmed orders, the small one a second warehouse and --small-orders (to see how
SQL grows). About 30% of the orders hold one ONLY-LAX and one ONLY-PHL line, which
the sandbox splits into two fulfillment orders; the others hold one DIAMOND-1 line.
Odoo holds 1,000,000 units of each product in each warehouse, as the stock sync
keeps it, so deliveries are reserved when the orders are confirmed. Set-up
(sending every order, 100 at a time, latency 0) is not measured.

Then, with --latency seconds added to every request, two situations are measured:

- no change: every PO is open and nothing changed at Shipwire since the orders were
  sent. This is the pure cost of resyncing the open POs.
- 30% shipped: the sandbox completes (ships, with one tracking number) 30% of the
  fulfillment orders, so the sync must bring trackings in and validate deliveries.
- reconcile: nothing new by date, but every open PO unseen for longer than the
  account's "re-read after" hours, so the sync reads them all again by id.

In each, the naive baseline runs first: ``action_shipwire_refresh()`` on every open
order (one order at a time: GET its PO, GET its fulfillment orders), then the
transaction is rolled back and ``shipwire.sync._cron_sync()`` runs from the same
state with the sync cursor cleared, so it lists everything updated in the last 30
days = every PO (``updatedAfter``), 200 per page, and stores it 200 POs a batch.
A resync right after the 30%-shipped sync shows what is left once nothing changed.
Every measured run gets a fresh cursor, as a cron job does, after ``gc.collect()``:
Odoo looks environments up by scanning the transaction's live ones, so one run's
leftovers would slow the next.

With ``--history N``, N old, shipped orders (``history.py``: sales orders, lines,
deliveries, PO records, fulfillment orders, trackings, chatter) are written in SQL
before the measured runs, spread over the two accounts as their orders are, so
that every lookup faces tables of a realistic size. The no-change sync of the
large account is measured once more before they are written, so that one run
compares the time per 200-PO batch with and without history.

Reports wall time, HTTP requests (``sandbox.request_count``) and SQL queries
(``odoo.sql_db.sql_counter``), SQL per 200-PO batch, and the queries and seconds
spent validating deliveries. Targets, on the no-change resync of every open PO: at
least 20x fewer requests and 10x less wall time than the baseline, SQL that grows per
batch, not per order; with 30% shipped, 20x fewer requests and 10x less wall time,
and the delivery follow-up (``_shipwire_follow_up``) at 20 queries per shipped
fulfillment order at most; with ``--history``, the no-change sync's storing time
per 200-PO batch at most 1.5x the one measured before the history was written.
Prints the targets met or missed and one line ``SYNC RESULT <json>`` with every
figure of the table. Exits 1 when a target is missed or a run did not store what
the sandbox holds; skips without Odoo 18.

    python3 bench/sync.py [--orders 1000] [--small-orders 200] [--latency 0.05]
                          [--history 0] [--keep-db]
"""

import argparse
import contextlib
import gc
import json
import sys
import time
from datetime import timedelta

from fixture import create_fixture
from history import MAX_COUNT as HISTORY_MAX
from history import insert_history, recent_orders_domain
from odoo_env import odoo18_missing, throwaway_database

REQUEST_TARGET = 20
WALL_TARGET = 10
# A sync whose SQL grew per order would add at least one query per order; the
# batched store is allowed a quarter of that (50 queries per 200-PO batch).
SQL_PER_ORDER_LIMIT = 0.25
# Query counts of full batches may differ by this factor at most.
BATCH_SPREAD_LIMIT = 1.5
# Validating one shipped fulfillment order's delivery, at most.
FOLLOW_UP_QUERY_LIMIT = 20
# A no-change batch with --history takes this factor of one without, at most.
HISTORY_BATCH_LIMIT = 1.5
SEND_CHUNK = 100
ON_HAND = 1_000_000  # units of each product in each warehouse
SPLIT_SHARE = 3  # in 10: orders split over two warehouses
SHIPPED_SHARE = 3  # in 10: fulfillment orders the sandbox completes
OPEN_STATES = ("held", "needs_approval", "approved", "partially_shipped")


class Counters:
    """Wall time, requests and SQL queries of what runs inside ``measure()``."""

    def __init__(self, sandboxes):
        self.sandboxes = sandboxes

    def _requests(self):
        return sum(sandbox.request_count for sandbox in self.sandboxes)

    @contextlib.contextmanager
    def measure(self, label):
        import odoo.sql_db

        result = {"label": label}
        requests, queries = self._requests(), odoo.sql_db.sql_counter
        started = time.perf_counter()
        yield result
        result["seconds"] = time.perf_counter() - started
        result["requests"] = self._requests() - requests
        result["queries"] = odoo.sql_db.sql_counter - queries


@contextlib.contextmanager
def query_probe(model_class, method_name, calls):
    """Append ``(records or last argument size, queries, seconds)`` to ``calls`` for
    each call of ``model_class.method_name`` (the registry class, so every caller
    goes through it); outer calls only."""
    import odoo.sql_db

    had_own = method_name in vars(model_class)
    original = getattr(model_class, method_name)
    depth = [0]

    def probe(self, *args, **kwargs):
        if depth[0]:
            return original(self, *args, **kwargs)
        depth[0] += 1
        queries, started = odoo.sql_db.sql_counter, time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            size = len(args[-1]) if args and hasattr(args[-1], "__len__") else len(self)
            calls.append(
                (
                    size,
                    odoo.sql_db.sql_counter - queries,
                    time.perf_counter() - started,
                )
            )

    setattr(model_class, method_name, probe)
    try:
        yield calls
    finally:
        if had_own:
            setattr(model_class, method_name, original)
        else:
            delattr(model_class, method_name)


# -- set-up ------------------------------------------------------------------------


def set_up(env, sandbox_large, sandbox_small, options, log):
    """Two accounts, products and a retailer; sends the orders. Returns
    ``{"large": backend, "small": backend}``."""
    from odoo import Command

    # The benchmarks' account (default warehouse, LAX), DIAMOND-1, RUBY-2 and
    # retailer; this benchmark adds splitting and the one-warehouse SKUs.
    fixture = create_fixture(
        env,
        sandbox_large.url,
        sandbox_large.username,
        sandbox_large.password,
        name="Bench large",
        can_split=True,
    )
    large, retailer = fixture.backend, fixture.retailer
    products = {product.default_code: product for product in fixture.products}
    for name, sku in (("Lamp", "ONLY-LAX"), ("Vase", "ONLY-PHL")):
        products[sku] = env["product.product"].create(
            {
                "name": name,
                "default_code": sku,
                "type": "consu",
                "is_storable": True,
                "list_price": 100,
            }
        )
    small_warehouse = env["stock.warehouse"].create(
        {"name": "Bench small", "code": "BSML"}
    )
    small = env["shipwire.backend"].create(
        {
            "name": "Bench small",
            "environment": "custom",
            "custom_url": sandbox_small.url,
            "username": sandbox_small.username,
            "password": sandbox_small.password,
            "can_split": True,
            "warehouse_ids": [
                Command.create(
                    {
                        "warehouse_id": small_warehouse.id,
                        "shipwire_warehouse_external_id": "LAX",
                    }
                )
            ],
        }
    )
    # Odoo holds what Shipwire's warehouses report, as the stock sync makes it:
    # deliveries are reserved when confirmed, and validating one moves stock
    # Odoo has.
    for product in products.values():
        for warehouse in large.warehouse_ids.warehouse_id | small_warehouse:
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, ON_HAND
            )
    env.cr.commit()

    def lines(index):
        if index % 10 < SPLIT_SHARE:
            skus = [("ONLY-LAX", 1), ("ONLY-PHL", 2)]
        else:
            skus = [("DIAMOND-1", 2)]
        return [
            Command.create({"product_id": products[sku].id, "product_uom_qty": qty})
            for sku, qty in skus
        ]

    for backend, count in ((large, options.orders), (small, options.small_orders)):
        warehouse = backend.warehouse_ids.warehouse_id
        sent = 0
        started = time.perf_counter()
        while sent < count:
            chunk = min(SEND_CHUNK, count - sent)
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": retailer.id,
                        "warehouse_id": warehouse.id,
                        "order_line": lines(sent + offset),
                    }
                    for offset in range(chunk)
                ]
            )
            orders.action_confirm()
            orders.action_shipwire_send()
            env.cr.commit()
            sent += chunk
        log(
            f"  sent {count} orders to {backend.name} in "
            f"{time.perf_counter() - started:.0f} s"
        )
    return {"large": large, "small": small}


def set_up_problems(env, backend, sandbox, count):
    orders = _orders(env, backend)
    problems = []
    if len(orders) != count:
        problems.append(f"{backend.name}: {len(orders)} orders, not {count}")
    not_approved = orders.filtered(lambda o: o.shipwire_state != "approved")
    if not_approved:
        problems.append(
            f"{backend.name}: {len(not_approved)} orders not approved after the send, "
            f"e.g. {not_approved[0].name} is {not_approved[0].shipwire_state}"
        )
    fulfillment_orders = orders.shipwire_fulfillment_order_ids
    if len(fulfillment_orders) != len(sandbox.orders()):
        problems.append(
            f"{backend.name}: {len(fulfillment_orders)} fulfillment orders in Odoo, "
            f"{len(sandbox.orders())} at the sandbox"
        )
    return problems


def _orders(env, backend):
    """The orders this run sent (not the ``--history`` ones)."""
    return env["sale.order"].search(
        [("shipwire_backend_id", "=", backend.id), *recent_orders_domain()],
        order="id",
    )


def ship_share(sandbox):
    """Complete 30% of the sandbox's fulfillment orders with one tracking number
    each; returns ``{fulfillment order id: tracking number}``."""
    shipped = {}
    for index, order in enumerate(sorted(sandbox.orders(), key=lambda o: o["id"])):
        if index % 10 < SHIPPED_SHARE:
            number = f"BENCH{order['id']}"
            sandbox.complete_order(
                order["id"], trackings=[{"carrier": "FEDEX", "tracking": number}]
            )
            shipped[str(order["id"])] = number
    return shipped


# -- measured runs -------------------------------------------------------------------


def only_active(env, backend):
    """Leave ``backend`` the only active account, so ``_cron_sync`` syncs it alone,
    and clear its cursor: the sync then lists every PO of the last 30 days."""
    everyone = env["shipwire.backend"].with_context(active_test=False).search([])
    (everyone - backend).filtered("active").write({"active": False})
    backend.write(
        {
            "active": True,
            "sync_cursor": False,
            "sync_window_start": False,
            "sync_resume_key": False,
        }
    )
    env.cr.commit()


def run_sync(env, counters, label, backend, classes):
    """``_cron_sync()`` as the scheduler runs it: again while a run stopped early
    (time budget). Measures every run together; records per-batch figures."""
    batches, follow_ups = [], []
    with (
        query_probe(classes["sync"], "_store_batch", batches),
        query_probe(classes["fulfillment"], "_shipwire_follow_up", follow_ups),
        counters.measure(label) as result,
    ):
        runs = 0
        while True:
            env["shipwire.sync"]._cron_sync()
            env.cr.commit()
            runs += 1
            if not backend.sync_resume_key or runs >= 50:
                break
    result.update(
        orders=len(_orders(env, backend)),
        runs=runs,
        batches=batches,
        follow_up_queries=sum(queries for _n, queries, _s in follow_ups),
        follow_up_records=sum(size for size, _q, _s in follow_ups),
        follow_up_seconds=sum(seconds for _n, _q, seconds in follow_ups),
        store_seconds=sum(seconds for _n, _q, seconds in batches),
        stored=sum(size for size, _q, _s in batches),
    )
    return result


def run_baseline(env, counters, label, backend, classes):
    """Refresh every open order, one by one, as a connector without the list sync
    would; then roll back so the sync starts from the same state."""
    orders = _orders(env, backend).filtered(lambda o: o.shipwire_state in OPEN_STATES)
    follow_ups = []
    with (
        query_probe(classes["fulfillment"], "_shipwire_follow_up", follow_ups),
        counters.measure(label) as result,
    ):
        orders.action_shipwire_refresh()
        env.flush_all()
    result.update(
        orders=len(orders),
        follow_up_queries=sum(queries for _n, queries, _s in follow_ups),
        follow_up_records=sum(size for size, _q, _s in follow_ups),
        follow_up_seconds=sum(seconds for _n, _q, seconds in follow_ups),
    )
    return result


def state_problems(env, backend, shipped, when):
    """What the Odoo side lacks of the sandbox's shipments after ``when``."""
    orders = _orders(env, backend)
    fulfillment_orders = orders.shipwire_fulfillment_order_ids
    done = fulfillment_orders.filtered(lambda fo: fo.shipwire_id in shipped)
    problems = []
    if len(done) != len(shipped):
        problems.append(f"{when}: {len(done)} of {len(shipped)} shipped FOs in Odoo")
    for label, bad in (
        ("not completed", done.filtered(lambda fo: fo.status != "completed")),
        ("delivery not validated", done.filtered(lambda fo: not fo.delivery_done)),
        ("picking not done", done.filtered(lambda fo: fo.picking_id.state != "done")),
        (
            "tracking missing",
            done.filtered(
                lambda fo: (
                    shipped[fo.shipwire_id]
                    not in fo.tracking_ids.mapped("tracking_number")
                )
            ),
        ),
        (
            "changed though not shipped",
            (fulfillment_orders - done).filtered(
                lambda fo: fo.status != "unprocessed" or fo.delivery_done
            ),
        ),
    ):
        if bad:
            problems.append(
                f"{when}: {len(bad)} FOs {label}, e.g. {bad[0].shipwire_id}"
            )
    expected_shipped = orders.filtered(
        lambda o: (
            set(o.shipwire_fulfillment_order_ids.mapped("shipwire_id")) <= set(shipped)
        )
    )
    wrong = expected_shipped.filtered(lambda o: o.shipwire_state != "shipped")
    if wrong:
        problems.append(f"{when}: {len(wrong)} fully shipped orders not 'shipped'")
    return problems


def state_summary(env, backend):
    orders = _orders(env, backend)
    counts = {}
    for order in orders:
        counts[order.shipwire_state] = counts.get(order.shipwire_state, 0) + 1
    return ", ".join(f"{count} {state}" for state, count in sorted(counts.items()))


# -- report ----------------------------------------------------------------------------


def _row(result):
    per_order = result["queries"] / result["orders"] if result["orders"] else 0
    return (
        f"{result['label']:<34}{result['orders']:>7}{result['seconds']:>10.2f}"
        f"{result['requests']:>9}{result['queries']:>9}{per_order:>8.2f}"
    )


def batch_line(result):
    batches = result["batches"]
    sizes = ", ".join(f"{size}:{queries}" for size, queries, _s in batches)
    outside = result["queries"] - sum(queries for _n, queries, _s in batches)
    return (
        f"  {result['label']}: {len(batches)} batch(es) POs:queries [{sizes}]; "
        f"{outside} queries outside batches; {result['runs']} cron run(s); "
        f"listing + commits {result['seconds'] - result['store_seconds']:.2f} s, "
        f"storing {result['store_seconds']:.2f} s"
    )


def full_batch_queries(result):
    return [
        queries for size, queries, _s in result["batches"] if size == max_batch(result)
    ]


def max_batch(result):
    return max((size for size, _q, _s in result["batches"]), default=0)


def per_batch(result, key="store_seconds"):
    """Seconds per batch of a sync run: storing only, or wall time."""
    return result[key] / max(1, len(result["batches"]))


def figures(result):
    """What SYNC RESULT says of one run: every figure of its table row."""
    keys = (
        "label",
        "orders",
        "seconds",
        "requests",
        "queries",
        "runs",
        "stored",
        "store_seconds",
        "follow_up_queries",
        "follow_up_records",
        "follow_up_seconds",
    )
    out = {key: result[key] for key in keys if key in result}
    out["queries_per_order"] = result["queries"] / max(1, result["orders"])
    if "batches" in result:
        out["batches"] = [
            [size, queries, round(seconds, 4)]
            for size, queries, seconds in result["batches"]
        ]
    return {
        key: round(value, 4) if isinstance(value, float) else value
        for key, value in out.items()
    }


def report(results, problems, shipped_count, fo_count, options, history=None):
    base_b, sync_b = results["baseline_b"], results["sync_b"]
    base_a, sync_a = results["baseline_a"], results["sync_a"]
    small_b, small_a = results["small_b"], results["small_a"]
    resync = results["resync"]
    before = results.get("before_history")

    print()
    print(
        f"{options.orders} POs ({fo_count} fulfillment orders), latency "
        f"{options.latency * 1000:.0f} ms per request; small account "
        f"{options.small_orders} POs"
        + (f"; {options.history} old shipped orders of history" if history else "")
    )
    print(f"{'run':<34}{'orders':>7}{'wall s':>10}{'HTTP':>9}{'SQL':>9}{'SQL/ord':>8}")
    print("no change (every PO open, nothing new at Shipwire)")
    for result in filter(None, (before, base_b, sync_b, small_b)):
        print(_row(result))
    print(f"30% shipped ({shipped_count} FOs completed with a tracking number)")
    for result in (base_a, sync_a, small_a, resync, results["reconcile"]):
        print(_row(result))
    print()
    print("SQL per batch (batch size: queries, commits excluded):")
    for result in filter(None, (before, sync_b, small_b, sync_a, small_a, resync)):
        print(batch_line(result))
    for result in (base_a, sync_a, small_a):
        records = result["follow_up_records"]
        if records:
            print(
                f"  {result['label']}: delivery follow-up of {records} changed FOs: "
                f"{result['follow_up_queries']} queries "
                f"({result['follow_up_queries'] / records:.0f} per FO); the rest "
                f"{result['queries'] - result['follow_up_queries']}"
            )

    checks = []

    def check(name, text, value, met):
        checks.append({"name": name, "text": text, "value": value, "met": met})

    def ratio(baseline, sync, key):
        return baseline[key] / sync[key] if sync[key] else float("inf")

    def ratio_text(name, baseline, sync, key, target=None):
        digits = 2 if key == "seconds" else 0
        text = (
            f"{name}: {baseline[key]:.{digits}f} / {sync[key]:.{digits}f} = "
            f"{ratio(baseline, sync, key):.1f}x"
        )
        return text + (f" (target >= {target}x)" if target else "")

    def ratio_check(name, title, baseline, sync, key, target):
        value = ratio(baseline, sync, key)
        check(
            name,
            ratio_text(title, baseline, sync, key, target),
            round(value, 2),
            value >= target,
        )

    # The requirement's figure: every open PO resynced, nothing new at Shipwire.
    ratio_check(
        "no_change_requests_ratio",
        "HTTP requests, no-change resync",
        base_b,
        sync_b,
        "requests",
        REQUEST_TARGET,
    )
    ratio_check(
        "no_change_wall_ratio",
        "wall time, no-change resync",
        base_b,
        sync_b,
        "seconds",
        WALL_TARGET,
    )
    ratio_check(
        "shipped_requests_ratio",
        "HTTP requests, 30% shipped",
        base_a,
        sync_a,
        "requests",
        REQUEST_TARGET,
    )
    ratio_check(
        "shipped_wall_ratio",
        "wall time, 30% shipped",
        base_a,
        sync_a,
        "seconds",
        WALL_TARGET,
    )
    per_fo = sync_a["follow_up_queries"] / max(1, shipped_count)
    check(
        "shipped_follow_up_queries_per_fo",
        f"delivery follow-up, 30% shipped sync: {sync_a['follow_up_queries']} "
        f"queries / {shipped_count} shipped FOs = {per_fo:.1f} per shipped FO "
        f"(target <= {FOLLOW_UP_QUERY_LIMIT})",
        round(per_fo, 2),
        per_fo <= FOLLOW_UP_QUERY_LIMIT,
    )
    reconcile = results["reconcile"]
    ratio_check(
        "reconcile_requests_ratio",
        "HTTP requests, reconcile of every open PO (against the no-change baseline)",
        base_b,
        reconcile,
        "requests",
        REQUEST_TARGET,
    )
    # Per-order growth of SQL in the no-change resync, between the two accounts.
    extra_orders = sync_b["orders"] - small_b["orders"]
    slope = (sync_b["queries"] - small_b["queries"]) / extra_orders
    check(
        "no_change_sql_per_extra_order",
        f"SQL growth, no-change resync: ({sync_b['queries']} - "
        f"{small_b['queries']}) / {extra_orders} orders = {slope:.3f} queries per "
        f"extra order, {slope * 200:.0f} per 200-PO batch "
        f"(target <= {SQL_PER_ORDER_LIMIT})",
        round(slope, 4),
        slope <= SQL_PER_ORDER_LIMIT,
    )
    full = full_batch_queries(sync_b)
    spread = max(full) / max(1, min(full)) if full else 1.0
    check(
        "no_change_batch_spread",
        f"SQL per full batch, no-change resync: {min(full, default=0)}.."
        f"{max(full, default=0)} (spread {spread:.2f}, target <= "
        f"{BATCH_SPREAD_LIMIT})",
        round(spread, 3),
        spread <= BATCH_SPREAD_LIMIT,
    )
    if before:
        growth = per_batch(sync_b) / max(1e-9, per_batch(before))
        check(
            "history_batch_ratio",
            f"storing time per 200-PO batch, no-change sync with "
            f"{options.history} orders of history / before: "
            f"{per_batch(sync_b):.3f} / {per_batch(before):.3f} s = {growth:.2f}x "
            f"(target <= {HISTORY_BATCH_LIMIT}x; wall time per batch "
            f"{per_batch(sync_b, 'seconds'):.3f} / "
            f"{per_batch(before, 'seconds'):.3f} s)",
            round(growth, 3),
            growth <= HISTORY_BATCH_LIMIT,
        )

    print()
    print("30% shipped, not targets (one delivery validated per shipped FO):")
    without = {
        name: {"seconds": result["seconds"] - result["follow_up_seconds"]}
        for name, result in (("baseline", base_a), ("sync", sync_a))
    }
    print(
        "  "
        + ratio_text(
            "wall time without delivery follow-up",
            without["baseline"],
            without["sync"],
            "seconds",
        )
        + f" (follow-up: baseline {base_a['follow_up_seconds']:.1f} s, sync "
        f"{sync_a['follow_up_seconds']:.1f} s)"
    )
    rest_large = sync_a["queries"] - sync_a["follow_up_queries"]
    rest_small = small_a["queries"] - small_a["follow_up_queries"]
    print(
        f"  SQL without the delivery follow-up: ({rest_large} - {rest_small}) / "
        f"{extra_orders} = {(rest_large - rest_small) / extra_orders:.3f} queries "
        "per extra order (chatter tracking of changed orders and pickings)"
    )
    print()
    for item in checks:
        print(f"{'met   ' if item['met'] else 'MISSED'} {item['text']}")
    if problems:
        print("problems:")
        for problem in problems[:20]:
            print(f"  {problem}")
    ok = all(item["met"] for item in checks) and not problems
    print(f"targets: {'all met' if ok else 'NOT all met'}")
    summary = {
        "orders": options.orders,
        "small_orders": options.small_orders,
        "fulfillment_orders": fo_count,
        "shipped_fulfillment_orders": shipped_count,
        "latency": options.latency,
        "history": options.history,
        "history_rows": sum(history[0].values()) if history else 0,
        "history_seconds": round(history[1], 1) if history else 0,
        "runs": {key: figures(result) for key, result in results.items()},
        "targets": {
            item["name"]: {"value": item["value"], "met": item["met"]}
            for item in checks
        },
        "problems": problems,
        "ok": ok,
    }
    print("SYNC RESULT " + json.dumps(summary, sort_keys=True), flush=True)
    return 0 if ok else 1


# -- main ------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_env(registry):
    """A new cursor and environment, as the scheduler gives each job run; garbage
    from earlier runs is collected first so that every run starts alike."""
    import odoo

    gc.collect()
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def run(registry, sandboxes, options, log):
    large_sandbox, small_sandbox = sandboxes
    counters = Counters(sandboxes)
    classes = {
        "sync": registry["shipwire.sync"],
        "fulfillment": registry["shipwire.fulfillment.order"],
    }
    with fresh_env(registry) as env:
        log("set-up (latency 0, not measured) ...")
        backends = set_up(env, large_sandbox, small_sandbox, options, log)
        large_id, small_id = backends["large"].id, backends["small"].id
        problems = set_up_problems(
            env, backends["large"], large_sandbox, options.orders
        )
        problems += set_up_problems(
            env, backends["small"], small_sandbox, options.small_orders
        )
        if problems:
            for problem in problems:
                print(problem)
            return 1
        fo_count = len(large_sandbox.orders())
        log(f"  {options.orders} POs -> {fo_count} fulfillment orders at the sandbox")
        # Warm-up at latency 0 (first-call costs would otherwise count against the
        # baseline, which runs first): a sync of both accounts and a few refreshes.
        env["shipwire.sync"]._cron_sync()
        _orders(env, backends["large"])[:3].action_shipwire_refresh()
        env.cr.commit()

    def synced(label, backend_id):
        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(backend_id)
            only_active(env, backend)
        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(backend_id)
            return run_sync(env, counters, label, backend, classes)

    def reconciled(backend_id):
        """A sync that finds nothing new by date, but every open PO due to be read
        again: the cost of the reconcile pass alone."""
        from odoo import fields

        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(backend_id)
            only_active(env, backend)
            # Nothing new by date: the listing comes back empty.
            backend.sync_cursor = fields.Datetime.now() + timedelta(hours=1)
            env.cr.execute(
                "UPDATE shipwire_purchase_order SET last_sync = last_sync - "
                "make_interval(hours => %s + 1) WHERE backend_id = %s",
                [backend.reconcile_after_hours, backend_id],
            )
            env.cr.commit()
        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(backend_id)
            open_count = len(
                _orders(env, backend).filtered(
                    lambda order: order.shipwire_state in OPEN_STATES
                )
            )
            result = run_sync(
                env, counters, "sync + reconcile of open POs", backend, classes
            )
            result["open"] = open_count
            return result

    def baseline(shipped=None):
        with fresh_env(registry) as env:
            only_active(env, env["shipwire.backend"].browse(large_id))
        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(large_id)
            result = run_baseline(
                env, counters, "baseline: refresh each order", backend, classes
            )
            if shipped is not None:
                problems.extend(state_problems(env, backend, shipped, "baseline"))
            env.cr.rollback()
        return result

    def set_latency(seconds):
        for sandbox in sandboxes:
            sandbox.settings.latency = seconds

    results = {}
    history = None
    if options.history:
        set_latency(options.latency)
        log("no change, before the history is written: sync ...")
        results["before_history"] = synced("sync, before history", large_id)
        set_latency(0)
        log(f"writing {options.history} old shipped orders in SQL ...")
        with fresh_env(registry) as env:
            history = insert_history(
                env,
                options.history,
                [
                    history_account(env, large_id, options.orders),
                    history_account(env, small_id, options.small_orders),
                ],
                log,
            )

    set_latency(options.latency)
    log("no change: small account sync ...")
    results["small_b"] = synced("sync (small)", small_id)
    log("no change: baseline ...")
    results["baseline_b"] = baseline()
    log("no change: sync ...")
    results["sync_b"] = synced("sync", large_id)

    log("shipping 30% of the fulfillment orders at the sandboxes ...")
    set_latency(0)
    shipped = ship_share(large_sandbox)
    shipped_small = ship_share(small_sandbox)
    set_latency(options.latency)

    log("30% shipped: small account sync ...")
    results["small_a"] = synced("sync (small)", small_id)
    with fresh_env(registry) as env:
        small = env["shipwire.backend"].browse(small_id)
        problems += state_problems(env, small, shipped_small, "small sync")
    log("30% shipped: baseline ...")
    results["baseline_a"] = baseline(shipped)
    log("30% shipped: sync ...")
    results["sync_a"] = synced("sync", large_id)
    with fresh_env(registry) as env:
        large = env["shipwire.backend"].browse(large_id)
        problems += state_problems(env, large, shipped, "sync")
        log(f"  after the sync: {state_summary(env, large)}")
    log("resync right after, nothing changed since ...")
    results["resync"] = synced("resync after shipping", large_id)
    with fresh_env(registry) as env:
        large = env["shipwire.backend"].browse(large_id)
        problems += state_problems(env, large, shipped, "resync")
    log("reconcile: every open PO unseen for longer than the account allows ...")
    results["reconcile"] = reconciled(large_id)
    with fresh_env(registry) as env:
        large = env["shipwire.backend"].browse(large_id)
        problems += state_problems(env, large, shipped, "reconcile")

    for key in ("baseline_b", "baseline_a"):
        expected = 2 * results[key]["orders"]
        if results[key]["requests"] != expected:
            problems.append(
                f"{key}: {results[key]['requests']} requests, not 2 per order "
                f"({expected})"
            )
    if results["reconcile"]["stored"] < results["reconcile"]["open"]:
        problems.append(
            f"reconcile: read {results['reconcile']['stored']} of "
            f"{results['reconcile']['open']} open POs"
        )
    synced_keys = ("before_history", "sync_b", "sync_a", "resync", "small_b", "small_a")
    for key in filter(results.__contains__, synced_keys):
        if results[key]["stored"] < results[key]["orders"]:
            problems.append(
                f"{key}: stored {results[key]['stored']} POs of "
                f"{results[key]['orders']}"
            )
    return report(results, problems, len(shipped), fo_count, options, history)


def history_account(env, backend_id, weight):
    """``(backend, templates, weight)`` for ``insert_history``: the history
    copies the account's first split order and its first other one."""
    backend = env["shipwire.backend"].browse(backend_id)
    orders = _orders(env, backend)
    templates = {
        "split": orders.filtered(lambda order: len(order.order_line) == 2)[:1],
        "single": orders.filtered(lambda order: len(order.order_line) == 1)[:1],
    }
    return backend, templates, weight


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument(
        "--small-orders",
        type=int,
        default=200,
        help="orders of the second account, to compare SQL growth (default 200)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every request"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="old shipped orders written in SQL before measuring (default 0)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if options.latency < 0 or not 1 <= options.small_orders < options.orders:
        parser.error(
            "--latency must not be negative and --small-orders between 1 and "
            "--orders - 1"
        )
    if not 0 <= options.history <= HISTORY_MAX:
        parser.error(f"--history between 0 and {HISTORY_MAX}")

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    def log(message):
        print(message, flush=True)

    with throwaway_database(keep=options.keep_db, log=log) as registry:
        from odoo.addons.sale_stock_shipwire.shipwire_api.sandbox import Sandbox

        sandboxes = [Sandbox().start(), Sandbox().start()]
        try:
            return run(registry, sandboxes, options, log)
        finally:
            for sandbox in sandboxes:
                sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
