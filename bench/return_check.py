"""The return soak's judge, faults off: Odoo against what the sandbox holds.

- duplicates: returns at Shipwire beyond one per fulfillment order (target 0);
- one per fulfillment order: each fulfillment order that shipped returned units
  has exactly one Shipwire return, the one Odoo links (target: all);
- wrong bookings: (return picking, SKU) whose done units, good and damaged, on
  the picking and its backorders differ from Shipwire's final counts (target 0);
- inventory adjustments of the returned products after the stock baseline
  (target 0);
- wrong delivered: sales order lines whose delivered quantity is not what
  Shipwire shipped less what came back good (target 0).

Reported besides: return states that differ from Shipwire's, and return
pickings left open although all their Shipwire returns are closed."""

import collections

from probes import fresh_env

CLOSED = ("completed", "cancelled")
CLOSED_PICKING = ("done", "cancel")


def _sandbox_state(sandbox):
    client = sandbox.client()
    try:
        returns = client.search_returns(expand="items")
        orders = client.search_orders(expand="items")
    finally:
        client.close()
    by_order = collections.defaultdict(list)
    for record in returns:
        location = (record.get("originalOrder") or {}).get("resourceLocation") or ""
        by_order[location.rstrip("/").rsplit("/", 1)[-1]].append(record)
    return returns, by_order, orders


def _entries(resource, name):
    embedded = ((resource.get(name) or {}).get("resource") or {}).get("items") or []
    return [entry.get("resource", entry) for entry in embedded]


def _shipped(order):
    shipped = collections.Counter()
    for item in _entries(order, "items"):
        for key in ("shipped", "quantity"):
            if isinstance(item.get(key), int):
                shipped[item["sku"]] += item[key]
                break
    return shipped


def _counts(records):
    """``{sku: [good, damaged]}`` over Shipwire's ``records``."""
    counts = collections.defaultdict(lambda: [0, 0])
    for record in records:
        for item in _entries(record, "items"):
            counts[item["sku"]][0] += item["good"]
            counts[item["sku"]][1] += item["damaged"]
    return counts


def _chain(picking):
    """The picking and its backorders, theirs too."""
    chain = found = picking
    while found:
        found = picking.search([("backorder_id", "in", found.ids)])
        chain |= found
    return chain


class Judge:
    """Adds up, picking by picking, how Odoo differs from the sandbox."""

    def __init__(self, backend, by_order, orders):
        self.backend = backend
        self.by_order = by_order
        self.orders_by_po = collections.defaultdict(list)
        for order in orders:
            self.orders_by_po[str(order["purchaseOrderId"])].append(order)
        self.figures = collections.Counter()
        self.wrong_states = collections.Counter()
        self.problems = []

    def problem(self, text):
        if len(self.problems) < 15:
            self.problems.append(text)

    def picking(self, picking, asked):
        """``asked``: ``{sku: units}`` the return picking asked back."""
        sale = picking.return_id.sale_id
        remote_orders = self.orders_by_po[sale.shipwire_purchase_order_id.shipwire_id]
        mine = self._linked(picking, remote_orders, asked)
        self._states(picking, mine)
        counts = _counts(mine)
        self._bookings(picking, counts)
        closed = all(
            str(r.get("status")).replace("canceled", "cancelled") in CLOSED
            for r in mine
        )
        chain = _chain(picking)
        if mine and closed and chain.filtered(lambda p: p.state not in CLOSED_PICKING):
            self.figures["open_pickings_of_closed_returns"] += 1
            self.problem(f"{picking.name}: open, its Shipwire returns are closed")
        shipped = collections.Counter()
        for order in remote_orders:
            shipped.update(_shipped(order))
        for line in sale.order_line:
            sku = line.product_id.default_code
            good = counts[sku][0] if sku in counts else 0
            if line.qty_delivered != shipped[sku] - good:
                self.figures["wrong_delivered"] += 1
                self.problem(
                    f"{sale.name} {sku}: delivered {line.qty_delivered}, Shipwire "
                    f"shipped {shipped[sku]} and got {good} back good"
                )

    def _linked(self, picking, remote_orders, asked):
        """Shipwire's returns of the fulfillment orders that shipped what the
        picking asks back; counts those with exactly the one Odoo links."""
        records = picking.shipwire_return_ids
        mine = []
        for order in remote_orders:
            if not set(_shipped(order)) & set(asked):
                continue
            self.figures["concerned"] += 1
            found = self.by_order.get(str(order["id"]), [])
            mine += found
            linked = records.filtered(
                lambda r, order=order: (
                    r.fulfillment_order_id.shipwire_id == str(order["id"])
                )
            )
            if len(found) == 1 and linked.shipwire_id == str(found[0]["id"]):
                self.figures["one_each"] += 1
            else:
                self.problem(
                    f"{picking.name} FO {order['id']}: {len(found)} returns at "
                    f"Shipwire, Odoo links {linked.mapped('shipwire_id')}"
                )
        return mine

    def _states(self, picking, mine):
        by_id = {str(r["id"]): r for r in mine}
        for record in picking.shipwire_return_ids:
            remote = by_id.get(record.shipwire_id, {})
            status = str(remote.get("status", "missing")).replace(
                "canceled", "cancelled"
            )
            if record.state != status:
                self.wrong_states[f"{record.state} for {status}"] += 1

    def _bookings(self, picking, counts):
        damaged_location = self.backend._shipwire_damaged_location(
            picking.picking_type_id.warehouse_id
        )
        booked = collections.defaultdict(lambda: [0, 0])
        for line in _chain(picking).move_line_ids:
            if line.state == "done":
                column = int(line.location_dest_id == damaged_location)
                booked[line.product_id.default_code][column] += line.quantity
        for sku in set(booked) | set(counts):
            if list(booked[sku]) != list(counts[sku]):
                self.figures["wrong_bookings"] += 1
                self.problem(
                    f"{picking.name} {sku}: booked good/damaged {booked[sku]}, "
                    f"Shipwire {counts[sku]}"
                )


def soak_figures(registry, sandbox, account, returned, baseline_move):
    """``returned``: ``{return picking id: {sku: units asked back}}``."""
    returns, by_order, orders = _sandbox_state(sandbox)
    duplicates = sum(len(found) - 1 for found in by_order.values() if found)
    with fresh_env(registry) as env:
        judge = Judge(
            env["shipwire.backend"].browse(account.backend.id), by_order, orders
        )
        for picking in env["stock.picking"].browse(list(returned)):
            judge.picking(picking, returned[picking.id])
        env.cr.execute(
            "SELECT COUNT(*) FROM stock_move WHERE is_inventory AND id > %s "
            "AND product_id IN %s",
            [baseline_move, tuple(account.products.ids)],
        )
        adjustments = env.cr.fetchone()[0]
    figures = judge.figures
    concerned, one_each = figures["concerned"], figures["one_each"]
    return {
        "sandbox_returns": len(returns),
        "return_pickings": len(returned),
        "fulfillment_orders_concerned": concerned,
        "one_return_each": one_each,
        "duplicates": duplicates,
        "wrong_bookings": figures["wrong_bookings"],
        "wrong_delivered": figures["wrong_delivered"],
        "inventory_adjustments": adjustments,
        "wrong_states": dict(judge.wrong_states),
        "open_pickings_of_closed_returns": figures["open_pickings_of_closed_returns"],
        "problems": judge.problems,
        "targets": {
            name: {"value": value, "met": met}
            for name, value, met in (
                ("duplicates", duplicates, duplicates == 0),
                ("one_return_each", f"{one_each}/{concerned}", one_each == concerned),
                (
                    "wrong_bookings",
                    figures["wrong_bookings"],
                    not figures["wrong_bookings"],
                ),
                ("inventory_adjustments", adjustments, adjustments == 0),
                (
                    "wrong_delivered",
                    figures["wrong_delivered"],
                    not figures["wrong_delivered"],
                ),
            )
        },
    }
