"""Old, shipped orders written straight into the tables, so that a benchmark's
lookups face tables of a realistic size instead of its own few rows.

    counts = insert_history(env, 200_000, [(backend, templates, weight), ...])

Each history order copies one of the benchmark's own confirmed, sent orders (its
template: every column not set here is the template's) and is what that order
would be once shipped long ago: the sales order and its lines, procurement group,
followers and chatter messages; the PO record (state shipped, PO status
completed) and its fulfillment orders (completed, delivery done), one tracking
number each; one done delivery per fulfillment order (a split order's second one
is the backorder of its first), with done moves and move lines. The orders are
spread over the accounts by weight, 10 at a time, and 3 in 10 are split
(``templates["split"]``: two lines, two fulfillment orders), the others not
(``templates["single"]``). Shipwire ids lie below the sandbox's first ids, so
that none of them is ever listed by the sandbox. Dates lie between
``HISTORY_DAYS`` days and that plus ``count`` minutes in the past:
``recent_orders_domain()`` finds the benchmark's own orders, not these.

Everything is ``INSERT ... SELECT`` over ``generate_series``, with ids taken in
blocks from each table's sequence, foreign-key triggers off for the transaction
(``session_replication_role = replica``, so it needs a superuser, as the
benchmarks' database role is) and ``ANALYZE`` afterwards. Nothing else (stock
quants, invoices, the API call log) is written.
"""

import time
from datetime import datetime, timedelta

HISTORY_DAYS = 35
SPLIT_SHARE = 3  # in 10
# The sandbox's first PO id is 665160 and its first order id 80012000.
PO_ID_START = 100_000
ORDER_ID_START = 50_000_000
MAX_COUNT = 500_000  # so that the ids stay below the sandbox's
ID_TABLES = (
    "sale_order",
    "sale_order_line",
    "procurement_group",
    "shipwire_purchase_order",
    "shipwire_fulfillment_order",
    "stock_picking",
    "stock_move",
)
TABLES = (
    "sale_order",
    "sale_order_line",
    "procurement_group",
    "shipwire_purchase_order",
    "shipwire_fulfillment_order",
    "shipwire_tracking",
    "stock_picking",
    "stock_move",
    "stock_move_line",
    "mail_followers",
    "mail_message",
)


def insert_history(env, count, accounts, log=print):
    """Insert ``count`` old shipped orders, spread over ``accounts`` =
    ``[(backend, {"split": sale.order, "single": sale.order}, weight)]``, and
    commit. Returns ``{table: rows inserted}`` and the seconds it took."""
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"history of 1 to {MAX_COUNT} orders, not {count}")
    cr = env.cr
    env.flush_all()
    started = time.perf_counter()
    cr.execute("SET LOCAL session_replication_role = replica")
    # Ids that other rows refer to are set here: two per order, one per part.
    bases = {table: _reserve_ids(cr, table, 2 * count + 2) for table in ID_TABLES}
    inserted = dict.fromkeys(TABLES, 0)
    total_weight = sum(weight for _backend, _templates, weight in accounts)
    first_block = 0
    for backend, templates, weight in accounts:
        blocks = (first_block, first_block + weight)
        first_block += weight
        for kind, template in templates.items():
            series = _Series(count, bases, blocks, total_weight, kind == "split")
            for table, rows in _insert_orders(cr, series, backend, template).items():
                inserted[table] += rows
    for table in TABLES:
        cr.execute(f'ANALYZE "{table}"')
    seconds = time.perf_counter() - started
    env.cr.commit()
    env.invalidate_all()
    log(
        f"  history: {count} shipped orders, "
        f"{sum(inserted.values())} rows in {seconds:.0f} s"
    )
    return inserted, seconds


def recent_orders_domain():
    """A sales order domain that leaves the history out."""
    since = datetime.now() - timedelta(days=HISTORY_DAYS - 1)
    return [("date_order", ">", since)]


def _reserve_ids(cr, table, span):
    """A block of ``span`` ids of ``table`` nobody else will be given."""
    sequence = f"{table}_id_seq"
    cr.execute("SELECT nextval(%s)", [sequence])
    base = cr.fetchone()[0]
    cr.execute("SELECT setval(%s, %s)", [sequence, base + span])
    return base


class _Series:
    """The ``generate_series`` of one account's orders of one kind, with the ids
    every table gives them: ``g`` numbers the order, ``k`` its parts."""

    def __init__(self, count, bases, blocks, total_weight, split):
        self.count = count
        self.bases = bases
        self.parts = 2 if split else 1
        kind = "<" if split else ">="
        block = f"mod(g / 10, {total_weight})"
        self.where = (
            f"{block} >= {blocks[0]} AND {block} < {blocks[1]} "
            f"AND mod(g, 10) {kind} {SPLIT_SHARE}"
        )

    def sql(self):
        """``g`` and the ids of the order, its PO, group and the date."""
        bases = self.bases
        return (
            f"SELECT g, {bases['sale_order']} + g AS so_id, "
            f"{bases['shipwire_purchase_order']} + g AS po_id, "
            f"{bases['procurement_group']} + g AS group_id, "
            f"now() at time zone 'UTC' - interval '{HISTORY_DAYS} days' "
            f"- ({self.count} - g) * interval '1 minute' AS day "
            f"FROM generate_series(1, {self.count}) g WHERE {self.where}"
        )

    def part_id(self, table):
        return f"({self.bases[table]} + 2 * s.g + t.k)"


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = current_schema() "
        "ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def _clone(cr, table, template_sql, series, overrides, params=()):
    """Insert one copy of every template row per order of ``series``; a column
    takes its expression from ``overrides`` (over ``t``, the template row, and
    ``s``, the series; None: the column's default) or the template's value.
    ``params`` fill the ``%s`` of the overrides, then of ``template_sql``."""
    unknown = set(overrides) - set(_columns(cr, table))
    if unknown:
        raise KeyError(f"{table} has no column {', '.join(sorted(unknown))}")
    columns = [
        column
        for column in _columns(cr, table)
        if column not in overrides or overrides[column] is not None
    ]
    names = ", ".join(f'"{column}"' for column in columns)
    values = ", ".join(overrides.get(column, f't."{column}"') for column in columns)
    cr.execute(
        f'INSERT INTO "{table}" ({names}) SELECT {values} '
        f"FROM ({template_sql}) t CROSS JOIN ({series.sql()}) s",
        params,
    )
    return cr.rowcount


def _template_rows(template):
    """The template order's parts, checked: one line, delivery move and
    fulfillment order each, in the same order (a split order: two)."""
    purchase_order = template.shipwire_purchase_order_id
    fulfillment_orders = purchase_order.fulfillment_order_ids.sorted(
        lambda fo: (fo.split_number, fo.id)
    )
    pickings = template.picking_ids
    moves = pickings.move_ids.sorted(lambda move: move.sale_line_id.id)
    lines = template.order_line.sorted("id")
    if not (
        purchase_order.shipwire_id
        and len(pickings) == 1
        and len(lines) == len(moves) == len(fulfillment_orders)
        and moves.sale_line_id == lines
    ):
        raise ValueError(
            f"{template.name} cannot be a history template: it needs a PO at "
            "Shipwire, one delivery, and one move and fulfillment order per line"
        )
    # What each part shipped, as fulfillment orders store it.
    shipped = [
        f'{{"{move.product_id.default_code}": {int(move.product_uom_qty)}}}'
        for move in moves
    ]
    return purchase_order, fulfillment_orders, pickings, moves, lines, shipped


def _picking_name(column):
    """A history delivery's name: the template's warehouse code, OUT/H and the
    part's number."""
    return (
        f"split_part(t.{column}, '/', 1) || '/OUT/H' || "
        "lpad((2 * s.g + t.k)::text, 8, '0')"
    )


def _insert_orders(cr, series, backend, template):
    purchase_order, fulfillment_orders, picking, moves, lines, shipped = _template_rows(
        template
    )
    if len(lines) != series.parts:
        raise ValueError(f"{template.name} has {len(lines)} lines, not {series.parts}")
    name = "'SH' || lpad(s.g::text, 7, '0')"
    stamps = {"create_date": "s.day", "write_date": "s.day"}
    part_number = f"({ORDER_ID_START} + 2 * s.g + t.k)"
    tracking_number = f"'HIST' || {part_number}"
    move_ids = tuple(moves.ids)
    fulfillment_order_ids = tuple(fulfillment_orders.ids)
    counts = {}
    counts["sale_order"] = _clone(
        cr,
        "sale_order",
        "SELECT * FROM sale_order WHERE id = %s",
        series,
        {
            **stamps,
            "id": "s.so_id",
            "name": name,
            "date_order": "s.day",
            "effective_date": "s.day",
            "state": "'sale'",
            "delivery_status": "'full'",
            "access_token": "NULL",
            "procurement_group_id": "s.group_id",
            "shipwire_purchase_order_id": "s.po_id",
            "shipwire_state": "'shipped'",
        },
        [template.id],
    )
    counts["sale_order_line"] = _clone(
        cr,
        "sale_order_line",
        "SELECT *, row_number() OVER (ORDER BY id) - 1 AS k "
        "FROM sale_order_line WHERE order_id = %s",
        series,
        {
            **stamps,
            "id": series.part_id("sale_order_line"),
            "order_id": "s.so_id",
            "qty_delivered": "t.product_uom_qty",
        },
        [template.id],
    )
    counts["procurement_group"] = _clone(
        cr,
        "procurement_group",
        "SELECT * FROM procurement_group WHERE id = %s",
        series,
        {**stamps, "id": "s.group_id", "name": name, "sale_id": "s.so_id"},
        [template.procurement_group_id.id],
    )
    counts["shipwire_purchase_order"] = _clone(
        cr,
        "shipwire_purchase_order",
        "SELECT * FROM shipwire_purchase_order WHERE id = %s",
        series,
        {
            **stamps,
            "id": "s.po_id",
            "sale_order_id": "s.so_id",
            "sale_order_name": name,
            "backend_id": str(backend.id),
            "external_id": "%s || s.so_id",
            "shipwire_id": f"({PO_ID_START} + s.g)::text",
            "shipwire_status": "'completed'",
            "state": "'shipped'",
            "shipwire_updated": "s.day",
            "last_sync": "s.day",
            "next_retry": "NULL",
            "retry_count": "0",
        },
        [backend.external_id_prefix, purchase_order.id],
    )
    # The template's delivery, once per part: a split order's second delivery is
    # the backorder of its first.
    counts["stock_picking"] = _clone(
        cr,
        "stock_picking",
        "SELECT p.*, k FROM stock_picking p "
        f"CROSS JOIN generate_series(0, {series.parts - 1}) k WHERE p.id = %s",
        series,
        {
            **stamps,
            "id": series.part_id("stock_picking"),
            "name": _picking_name("name"),
            "origin": name,
            "sale_id": "s.so_id",
            "group_id": "s.group_id",
            "backorder_id": (
                f"CASE WHEN t.k > 0 THEN {series.bases['stock_picking']} + 2 * s.g END"
            ),
            "state": "'done'",
            "scheduled_date": "s.day",
            "date": "s.day",
            "date_done": "s.day",
            "date_deadline": "NULL",
            "printed": "true",
            "carrier_tracking_ref": tracking_number,
        },
        [picking.id],
    )
    counts["stock_move"] = _clone(
        cr,
        "stock_move",
        "SELECT *, row_number() OVER (ORDER BY sale_line_id) - 1 AS k "
        "FROM stock_move WHERE id IN %s",
        series,
        {
            **stamps,
            "id": series.part_id("stock_move"),
            "picking_id": series.part_id("stock_picking"),
            "sale_line_id": series.part_id("sale_order_line"),
            "group_id": "s.group_id",
            "origin": name,
            "reference": _picking_name("reference"),
            "state": "'done'",
            "quantity": "t.product_uom_qty",
            "picked": "true",
            "date": "s.day",
            "reservation_date": "NULL",
        },
        [move_ids],
    )
    # No template: the benchmark's moves are not reserved. Built from the moves.
    counts["stock_move_line"] = _clone(
        cr,
        "stock_move_line",
        "SELECT *, row_number() OVER (ORDER BY sale_line_id) - 1 AS k "
        "FROM stock_move WHERE id IN %s",
        series,
        dict.fromkeys(_columns(cr, "stock_move_line"), "NULL")
        | {
            **stamps,
            "id": None,
            "picking_id": series.part_id("stock_picking"),
            "move_id": series.part_id("stock_move"),
            "company_id": "t.company_id",
            "product_id": "t.product_id",
            "product_uom_id": "t.product_uom",
            "location_id": "t.location_id",
            "location_dest_id": "t.location_dest_id",
            "create_uid": "t.create_uid",
            "write_uid": "t.write_uid",
            "state": "'done'",
            "reference": _picking_name("reference"),
            "quantity": "t.product_uom_qty",
            "quantity_product_uom": "t.product_qty",
            "picked": "true",
            "date": "s.day",
        },
        [move_ids],
    )
    counts["shipwire_fulfillment_order"] = _clone(
        cr,
        "shipwire_fulfillment_order",
        "SELECT *, row_number() OVER (ORDER BY split_number, id) - 1 AS k "
        "FROM shipwire_fulfillment_order WHERE id IN %s",
        series,
        {
            **stamps,
            "id": series.part_id("shipwire_fulfillment_order"),
            "purchase_order_id": "s.po_id",
            "sale_order_id": "s.so_id",
            "picking_id": series.part_id("stock_picking"),
            "shipwire_id": f"{part_number}::text",
            "external_id": "%s || s.so_id",
            "order_no": f"{name} || '.' || (t.k + 1)",
            "status": "'completed'",
            "shipwire_status": "'completed'",
            "carrier_code": "'FEDEX'",
            "shipped_quantities": (
                "(CASE t.k "
                + " ".join(f"WHEN {k} THEN '{json}'" for k, json in enumerate(shipped))
                + " END)::jsonb"
            ),
            "delivery_problem": "NULL",
            "delivery_done": "true",
            "cancel_handled": "false",
            "shipwire_updated": "s.day",
            "completed_date": "s.day",
        },
        [backend.external_id_prefix, fulfillment_order_ids],
    )
    counts["shipwire_tracking"] = _clone(
        cr,
        "shipwire_tracking",
        "SELECT *, row_number() OVER (ORDER BY split_number, id) - 1 AS k "
        "FROM shipwire_fulfillment_order WHERE id IN %s",
        series,
        {
            **stamps,
            "id": None,
            "fulfillment_order_id": series.part_id("shipwire_fulfillment_order"),
            "sale_order_id": "s.so_id",
            "company_id": "t.company_id",
            "create_uid": "t.create_uid",
            "write_uid": "t.write_uid",
            "shipwire_id": f"{part_number}::text",
            "carrier": "'FEDEX'",
            "tracking_number": tracking_number,
            "url": f"'https://tracking.example.com/' || {tracking_number}",
            "shipped_date": "s.day",
            "tracked_date": "s.day",
            "delivered_date": "s.day + interval '2 days'",
        },
        [fulfillment_order_ids],
    )
    counts["mail_message"] = _clone(
        cr,
        "mail_message",
        "SELECT * FROM mail_message WHERE model = 'sale.order' AND res_id = %s",
        series,
        {
            **stamps,
            "id": None,
            "res_id": "s.so_id",
            "parent_id": "NULL",
            "record_name": name,
            "message_id": "NULL",
            "date": "s.day",
        },
        [template.id],
    )
    counts["mail_followers"] = _clone(
        cr,
        "mail_followers",
        "SELECT * FROM mail_followers WHERE res_model = 'sale.order' AND res_id = %s",
        series,
        {"id": None, "res_id": "s.so_id"},
        [template.id],
    )
    return counts
