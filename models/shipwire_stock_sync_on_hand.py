from collections import defaultdict

from odoo import models

from .shipwire_inbound import OPEN_STATES
from .shipwire_inbound_sync import INBOUND_MODELS


class ShipwireStockSyncOnHand(models.AbstractModel):
    """Odoo's on-hand quantities set to what the synced stock levels hold."""

    _inherit = "shipwire.stock.sync"  # pylint: disable=consider-merging-classes-inherited

    def _deltas(self, targets):
        """``{(product, stock location): units}`` to add to Odoo's on-hand (its
        sublocations included) to reach ``targets``."""
        if not targets:
            return {}
        products = self.env["product.product"].union(*(p for p, _l in targets))
        roots = self.env["stock.location"].union(*(loc for _p, loc in targets))
        current = defaultdict(float)
        for product, location, quantity in self.env["stock.quant"]._read_group(
            [
                ("product_id", "in", products.ids),
                ("location_id", "child_of", roots.ids),
            ],
            ["product_id", "location_id"],
            ["quantity:sum"],
        ):
            root = next(
                root
                for root in roots
                if location.parent_path.startswith(root.parent_path)
            )
            current[product, root] += quantity
        return {
            key: target - current[key]
            for key, target in targets.items()
            if target != current[key]
        }

    def _book_arrivals(self, backend, deltas):
        """Units counted at Shipwire's dock after the receivings and returns were
        read show in its stock, not yet on their transfer: the open ones still
        expecting units of a product whose count differs are read again, and
        book what arrived, before any adjustment. Returns whether one was read."""
        products = self.env["product.product"].union(*(p for p, _l in deltas))
        read = False
        for model in INBOUND_MODELS:
            records = self.env[model].search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "in", OPEN_STATES),
                    ("shipwire_id", "!=", False),
                    ("line_ids.product_id", "in", products.ids),
                    ("line_ids.pending", ">", 0),
                ]
            )
            # Read together: a transfer is booked once with all they count.
            records._refresh()
            read = read or bool(records)
        return read

    def _targets(self, backend, levels):
        """``{(product, stock location): on hand}`` for the products and Odoo
        warehouses of ``levels``: the sum over every synced level of the account,
        as several Shipwire warehouses may stock one Odoo warehouse."""
        synced = levels.filtered(lambda level: level.status == "synced")
        if not synced:
            return {}
        targets = {}
        for product, warehouse, on_hand in self.env["shipwire.stock.level"]._read_group(
            [
                ("backend_id", "=", backend.id),
                ("status", "=", "synced"),
                ("product_id", "in", synced.product_id.ids),
                ("warehouse_id", "in", synced.warehouse_id.ids),
            ],
            ["product_id", "warehouse_id"],
            ["on_hand:sum"],
        ):
            targets[product, warehouse.lot_stock_id] = on_hand
        for (product, warehouse), units in self._explained_units(backend).items():
            key = product, warehouse.lot_stock_id
            if key in targets:
                targets[key] += units
        return targets

    def _explained_units(self, backend):
        """``{(product, Odoo warehouse): units}`` by which Odoo's on-hand rightly
        differs from Shipwire's for now, each to be booked by its own document:
        units Shipwire received that their receipt or return has not booked yet
        (fewer in Odoo), units Shipwire shipped whose delivery is not validated
        (more)."""
        units = defaultdict(int)
        for model in INBOUND_MODELS:
            inbound = self.env[model].search(
                [("backend_id", "=", backend.id), ("line_ids.unbooked_good", ">", 0)]
            )
            for key, unbooked in inbound._unbooked_good().items():
                units[key] -= unbooked
        unapplied = self.env["shipwire.fulfillment.order"].search(
            [("backend_id", "=", backend.id), ("delivery_problem", "!=", False)]
        )
        products = self._products_by_sku(
            backend,
            {
                sku
                for fulfillment_order in unapplied
                for sku in (fulfillment_order.shipped_quantities or {})
            },
        )
        for fulfillment_order in unapplied:
            warehouse = fulfillment_order.purchase_order_id.warehouse_id
            for sku, shipped in (fulfillment_order.shipped_quantities or {}).items():
                product = products.get(sku)
                if product and len(product) == 1 and isinstance(shipped, int):
                    units[product, warehouse] += shipped
        return units

    def _set_on_hand(self, backend, levels):
        """Make the on-hand quantity of each product and Odoo warehouse of
        ``levels`` (its sublocations included) what Shipwire holds, through
        inventory adjustments, then let waiting deliveries reserve."""
        deltas = self._deltas(self._targets(backend, levels))
        if deltas and self._book_arrivals(backend, deltas):
            deltas = self._deltas(self._targets(backend, levels))
        if not deltas:
            return
        Quant = self.env["stock.quant"]
        roots = self.env["stock.location"].union(*(loc for _p, loc in deltas))
        changed_products = self.env["product.product"].union(*(p for p, _l in deltas))
        quants = {
            (quant.product_id, quant.location_id): quant
            for quant in Quant.search(
                [
                    ("product_id", "in", changed_products.ids),
                    ("location_id", "in", roots.ids),
                    ("lot_id", "=", False),
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                ]
            )
        }
        missing = [key for key in deltas if key not in quants]
        for quant in Quant.create(
            [
                {"product_id": product.id, "location_id": location.id}
                for product, location in missing
            ]
        ):
            quants[quant.product_id, quant.location_id] = quant
        adjusted = Quant
        for key, delta in deltas.items():
            quant = quants[key]
            quant.inventory_quantity = quant.quantity + delta
            adjusted |= quant
        adjusted.with_context(
            inventory_name=self.env._(
                "Shipwire stock of %(account)s", account=backend.name
            )
        )._apply_inventory()
        adjusted.inventory_quantity_set = False
        self.env["stock.move"].search(
            [
                ("product_id", "in", changed_products.ids),
                ("location_id", "child_of", roots.ids),
                ("state", "in", ("confirmed", "partially_available")),
                ("picking_code", "=", "outgoing"),
            ]
        )._action_assign()
