"""Opening the Shipwire overview costs the same number of SQL queries whatever the
length of the order history.

Runs twice, each time in a throwaway database of its own: the accounts and sent
orders of ``sync.py``'s set-up (two accounts, each on its own sandbox), a few
confirmed orders not sent yet, then ``history.py``'s old shipped orders written
in SQL: 1,000 the first time, 200,000 the second. A Shipwire User (Sales: all
documents, Inventory: user) then opens the overview as the web client does: the
kanban's ``get_views``, then its ``web_search_read`` with the fields the view
shows this user, the counters among them. The ``web_search_read`` runs twice,
the record cache emptied between; the second, with Odoo's caches of rules and
views warm, is the one compared.

Prints the queries (``cr.sql_log_count``) and seconds of each, then one line
``OVERVIEW RESULT <json>``. Exits 1 when the counts differ; skips without Odoo 18.

    python3 bench/overview.py [--small 1000] [--large 200000] [--keep-db]
"""

import argparse
import json
import subprocess
import sys
import time
import types

from harness import SandboxProcess, odoo18_missing, throwaway_database
from history import MAX_COUNT as HISTORY_MAX
from history import insert_history
from sync import history_account, set_up

ORDERS = 20  # sent orders of the first account, the history's templates among them
SMALL_ORDERS = 4  # of the second account: three split, one not
TO_SEND = 3  # confirmed orders of the first account never sent
# How a run tells the benchmark what it measured.
RUN = "OVERVIEW RUN "
VIEW = "sale_stock_shipwire.shipwire_backend_view_kanban_overview"
CLERK_GROUPS = (
    "sales_team.group_sale_salesman_all_leads",
    "stock.group_stock_user",
    "sale_stock_shipwire.group_shipwire_user",
)


def specification(env, view):
    """What the web client asks ``web_search_read`` for: the fields of the view's
    arch as this user gets it (fields of groups the user lacks are removed), with
    the display name of many2one fields."""
    from lxml import etree

    views = env["shipwire.backend"].get_views([(view.id, "kanban")])
    arch = etree.fromstring(views["views"]["kanban"]["arch"])
    fields = env["shipwire.backend"]._fields
    spec = {}
    for node in arch.iter("field"):
        name = node.get("name")
        if fields[name].type == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


def open_overview(env, clerk):
    """``[(queries, seconds)]`` of ``get_views`` then two ``web_search_read`` of
    the overview as ``clerk``, and the counters read."""
    import odoo

    cr = env.cr
    user_env = odoo.api.Environment(
        cr,
        clerk.id,
        {"lang": "en_US", "tz": "UTC", "allowed_company_ids": clerk.company_ids.ids},
    )
    Backend = user_env["shipwire.backend"].with_context(bin_size=True)
    view = env.ref(VIEW)
    measured = []
    cr.sql_log_count = 0
    started = time.perf_counter()
    spec = specification(user_env, view)
    measured.append((cr.sql_log_count, time.perf_counter() - started))
    for _run in range(2):
        user_env.invalidate_all()
        cr.sql_log_count = 0
        started = time.perf_counter()
        result = Backend.web_search_read(
            [], spec, offset=0, limit=40, order="", count_limit=10001
        )
        measured.append((cr.sql_log_count, time.perf_counter() - started))
    counters = {
        record["name"]: {
            name: value for name, value in record.items() if "count" in name
        }
        for record in result["records"]
    }
    return measured, counters


def run_once(history, keep_db, log):
    """Set up a database with ``history`` old orders and open the overview."""
    with (
        throwaway_database(keep=keep_db, log=log) as registry,
        SandboxProcess() as large,
        SandboxProcess() as small,
        registry.cursor() as cr,
    ):
        import odoo
        from odoo import Command

        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        options = types.SimpleNamespace(orders=ORDERS, small_orders=SMALL_ORDERS)
        backends = set_up(env, large, small, options, log)
        warehouse = backends["large"].warehouse_ids.warehouse_id
        product = env["product.product"].search([("default_code", "=", "DIAMOND-1")])
        retailer = env["res.partner"].search([("name", "=", "Max Retail")], limit=1)
        env["sale.order"].create(
            [
                {
                    "partner_id": retailer.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
                for _ in range(TO_SEND)
            ]
        ).action_confirm()
        clerk = env["res.users"].create(
            {
                "name": "Overview clerk",
                "login": "overview_clerk",
                "groups_id": [
                    Command.set([env.ref(group).id for group in CLERK_GROUPS])
                ],
            }
        )
        env.cr.commit()
        insert_history(
            env,
            history,
            [
                history_account(env, backends["large"].id, ORDERS),
                history_account(env, backends["small"].id, SMALL_ORDERS),
            ],
            log=log,
        )
        env.cr.execute("SELECT count(*) FROM shipwire_purchase_order")
        log(f"  {env.cr.fetchone()[0]} PO records in the database")
        measured, counters = open_overview(env, clerk)
        (views, _), (cold, cold_seconds), (warm, warm_seconds) = measured
        log(
            f"  overview with {history} orders of history: get_views {views} "
            f"queries; web_search_read {cold} queries ({cold_seconds:.3f} s) cold, "
            f"{warm} queries ({warm_seconds:.3f} s) warm"
        )
        log(f"  counters: {json.dumps(counters, sort_keys=True)}")
        return {"warm": warm, "seconds": round(warm_seconds, 3), "cold": cold}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the databases"
    )
    parser.add_argument("--history", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if not 1 <= options.small < options.large <= HISTORY_MAX:
        parser.error(f"1 <= --small < --large <= {HISTORY_MAX}")
    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    def log(message):
        print(message, flush=True)

    if options.history:
        print(RUN + json.dumps(run_once(options.history, options.keep_db, log)))
        return 0
    results = {}
    for history in (options.small, options.large):
        log(f"== {history} orders of history")
        results[history] = measure_apart(history, options.keep_db)
    small, large = results[options.small], results[options.large]
    same = small["warm"] == large["warm"] and small["cold"] == large["cold"]
    result = {
        f"queries_{options.small}": small["warm"],
        f"queries_{options.large}": large["warm"],
        "same": same,
        f"seconds_{options.small}": small["seconds"],
        f"seconds_{options.large}": large["seconds"],
    }
    print(f"OVERVIEW RESULT {json.dumps(result)}", flush=True)
    return 0 if same else 1


def measure_apart(history, keep_db):
    """``run_once`` in a process of its own: Odoo's configuration is set up once
    a process, for one database."""
    command = [sys.executable, __file__, "--history", str(history)]
    if keep_db:
        command.append("--keep-db")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    result = None
    for line in process.stdout:
        if line.startswith(RUN):
            result = json.loads(line[len(RUN) :])
        else:
            print(line, end="", flush=True)
    if process.wait() or result is None:
        raise RuntimeError(f"the run with {history} orders of history failed")
    return result


if __name__ == "__main__":
    sys.exit(main())
