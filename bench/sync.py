"""The scheduled sync resyncs open POs in a few list calls and per-batch SQL, where
refreshing order by order costs two calls per order.

Installs the addon in a throwaway database with two Shipwire accounts, each on its
own sandbox process: the large one serves the default warehouse and gets --orders
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

Reports wall time, HTTP requests (the sandboxes' counts) and SQL queries
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
import sys
import time
from datetime import timedelta

from fixture import create_fixture
from harness import SandboxProcess, odoo18_missing, throwaway_database
from history import MAX_COUNT as HISTORY_MAX
from history import insert_history, recent_orders_domain
from probes import fresh_env, query_probe
from sync_report import report

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
        return sum(sandbox.request_count() for sandbox in self.sandboxes)

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
    at_sandbox = len(sandbox.orders())
    if len(fulfillment_orders) != at_sandbox:
        problems.append(
            f"{backend.name}: {len(fulfillment_orders)} fulfillment orders in Odoo, "
            f"{at_sandbox} at the sandbox"
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
            sandbox.complete(
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


# -- main ------------------------------------------------------------------------------


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
            sandbox.set_latency(seconds)

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

    with (
        throwaway_database(keep=options.keep_db, log=log) as registry,
        SandboxProcess() as large,
        SandboxProcess() as small,
    ):
        return run(registry, [large, small], options, log)


if __name__ == "__main__":
    sys.exit(main())
