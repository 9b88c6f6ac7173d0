from collections import defaultdict

from odoo import api, fields, models

from ..mapper.stock import ON_HAND_COUNTERS, stock_item_values

LEVEL_FIELDS = (
    "shipwire_product_id",
    "warehouse_external_id",
    "warehouse_region",
    "warehouse_id",
    "is_bundle",
    "is_alias",
    "product_id",
    "status",
    "note",
    *ON_HAND_COUNTERS,
    "pending",
    "backordered",
    "damaged",
    "on_hand",
)


class ShipwireStockSyncLevels(models.AbstractModel):
    """One page of Shipwire's stock stored as stock levels: matched to products and
    warehouses, and told why a level does not set Odoo's quantity."""

    _inherit = "shipwire.stock.sync"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _store_page(self, backend, items):
        """Store one page of stock items and set the on-hand quantities it gives.
        The queries grow with the pages and the levels and quantities that
        changed, not with the SKUs."""
        now = fields.Datetime.now()
        parsed = {}
        for item in items:
            values, unusable = stock_item_values(item)
            if values is not None:
                # Listed twice: the last word counts.
                parsed[values["sku"], values["shipwire_warehouse_id"]] = (
                    values,
                    unusable,
                )
        if not parsed:
            return
        skus = {sku for sku, _warehouse in parsed}
        products = self._products_by_sku(backend, skus)
        Level = self.env["shipwire.stock.level"]
        known = {
            (level.sku, level.shipwire_warehouse_id): level
            for level in Level.search(
                [("backend_id", "=", backend.id), ("sku", "in", list(skus))]
            )
        }
        warehouses = backend._shipwire_warehouses_by_stock_item()
        new_values, seen = [], Level.browse()
        for key, (values, unusable) in parsed.items():
            matched = products.get(values["sku"], self.env["product.product"])
            warehouse = warehouses(values)
            status, note = self._level_status(values, unusable, warehouse, matched)
            values.update(
                product_id=matched.id if len(matched) == 1 else False,
                warehouse_id=len(warehouse) == 1 and warehouse.id,
                status=status,
                note=note,
            )
            level = known.get(key)
            if level is None:
                new_values.append({**values, "backend_id": backend.id})
                continue
            seen |= level
            changed = {
                name: values[name]
                for name in LEVEL_FIELDS
                if (level._fields[name].convert_to_write(level[name], level) or False)
                != (values[name] or False)
            }
            if changed:
                level.write(changed)
        stored = seen | Level.create(new_values)
        stored.last_sync = now
        self._set_on_hand(backend, stored)

    def _products_by_sku(self, backend, skus):
        found = self.env["product.product"].search(
            [
                ("default_code", "in", list(skus)),
                ("company_id", "in", [False, backend.company_id.id]),
            ]
        )
        ids_by_sku = defaultdict(list)
        for product in found:
            ids_by_sku[product.default_code].append(product.id)
        # Read together with the whole page's products, not one SKU at a time.
        return {
            sku: found.browse(ids).with_prefetch(found._prefetch_ids)
            for sku, ids in ids_by_sku.items()
        }

    def _level_status(self, values, unusable, warehouse, products):
        """``(status, note)``: whether this level sets Odoo's on-hand, and why not."""
        _ = self.env._
        if unusable:
            listed = ", ".join(f"{name}={value!r}" for name, value in unusable.items())
            if set(unusable) & set(ON_HAND_COUNTERS):
                return "bad_counters", _(
                    "Shipwire sent counters missing or below zero (%(counters)s): "
                    "Odoo's quantity was left as it was.",
                    counters=listed,
                )
        if len(warehouse) > 1:
            return "unmapped", _(
                "Mapped to several Odoo warehouses (%(warehouses)s): map it to one.",
                warehouses=", ".join(warehouse.mapped("name")),
            )
        if not warehouse:
            return "unmapped", False
        if values["is_bundle"]:
            return "bundle", _("A bundle is stocked through its parts.")
        if values["is_alias"]:
            return "alias", _("An alias is stocked through the SKU it stands for.")
        if not products:
            return "unmatched", _(
                "No product has the Internal Reference %(sku)s.", sku=values["sku"]
            )
        if len(products) > 1:
            return "ambiguous", _(
                "%(products)s share the Internal Reference %(sku)s; give each its own.",
                products=", ".join(products.mapped("display_name")),
                sku=values["sku"],
            )
        if not products.is_storable:
            return "not_storable", _(
                "%(product)s does not track inventory: tick Track Inventory to "
                "have its quantity synced.",
                product=products.display_name,
            )
        if products.tracking != "none":
            return "tracked", _(
                "%(product)s is tracked by lots or serial numbers, which Shipwire "
                "does not report: count it by hand.",
                product=products.display_name,
            )
        if unusable:
            return "synced", _(
                "Shipwire sent counters missing or below zero (%(counters)s).",
                counters=listed,
            )
        return "synced", False
