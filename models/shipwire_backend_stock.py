from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import GROUP_MANAGER
from .shipwire_backend import ensure_group


class ShipwireBackend(models.Model):
    """An account's stock sync: its progress, its outcome and its levels."""

    _inherit = "shipwire.backend"

    stock_level_ids = fields.One2many(
        "shipwire.stock.level", "backend_id", string="Stock levels", readonly=True
    )
    stock_level_count = fields.Integer(compute="_compute_stock_level_counts")
    unmatched_sku_count = fields.Integer(
        string="Unmatched SKUs", compute="_compute_stock_level_counts"
    )
    stock_synced_at = fields.Datetime(
        string="Stock read at",
        copy=False,
        readonly=True,
        help="When the last complete read of Shipwire's stock began.",
    )
    stock_read_offset = fields.Integer(
        copy=False, readonly=True, help="Where an unfinished stock read goes on."
    )
    stock_read_started = fields.Datetime(copy=False, readonly=True)
    stock_sync_error = fields.Text(copy=False, readonly=True)
    stock_sync_error_date = fields.Datetime(
        string="Last stock sync failure", copy=False, readonly=True
    )

    @api.depends("stock_level_ids.status")
    def _compute_stock_level_counts(self):
        counts = defaultdict(int)
        for backend, status, count in self.env["shipwire.stock.level"]._read_group(
            [("backend_id", "in", self.ids)], ["backend_id", "status"], ["__count"]
        ):
            counts[backend, None] += count
            counts[backend, status] += count
        for backend in self:
            backend.stock_level_count = counts[backend, None]
            backend.unmatched_sku_count = counts[backend, "unmatched"]

    def _shipwire_warehouses_by_stock_item(self):
        """A function giving the Odoo warehouses a stock item's warehouse is mapped
        to: by Shipwire id, else external id, else region for a mapping that
        names only a region."""
        self.ensure_one()
        mapped = self.warehouse_ids.warehouse_id
        ids_by_key = defaultdict(list)
        for mapping in self.warehouse_ids:
            if mapping.shipwire_warehouse_id:
                key = ("id", mapping.shipwire_warehouse_id)
            elif mapping.shipwire_warehouse_external_id:
                key = ("external", mapping.shipwire_warehouse_external_id)
            elif mapping.shipwire_region:
                key = ("region", mapping.shipwire_region)
            else:
                continue
            ids_by_key[key].append(mapping.warehouse_id.id)

        def warehouses(values):
            ids = (
                ids_by_key.get(("id", values["shipwire_warehouse_id"]))
                or ids_by_key.get(("external", values["warehouse_external_id"]))
                or ids_by_key.get(("region", values["warehouse_region"]))
                or []
            )
            return mapped.browse(ids).with_prefetch(mapped._prefetch_ids)

        return warehouses

    def _shipwire_skus_not_in_catalogue(self, skus):
        """The SKUs known to be missing from this account's catalogue: after a
        complete stock read listed none of them and no product was sent with
        them. Before any complete read nothing is known to be missing."""
        self.ensure_one()
        if not self.stock_synced_at or not skus:
            return set()
        domain = [("backend_id", "=", self.id), ("sku", "in", list(skus))]
        known = set(self.env["shipwire.stock.level"].search(domain).mapped("sku"))
        known |= set(
            self.env["shipwire.product"]
            .search(domain + [("shipwire_id", "!=", False)])
            .mapped("sku")
        )
        return set(skus) - known

    def action_sync_stock(self):
        """Read all of Shipwire's stock now (Shipwire Manager)."""
        self.ensure_one()
        ensure_group(self.env, GROUP_MANAGER)
        self.check_access("read")
        backend = self.sudo().with_company(self.company_id)
        progress = backend.env["shipwire.stock.sync"]._sync_stock(backend, full=True)
        if progress is None:
            raise UserError(
                self.env._(
                    "The stock of %(account)s is being synced right now; try again "
                    "in a minute.",
                    account=self.name,
                )
            )
        if progress[1]:
            # The scheduled job reads the rest from where this stopped.
            self.env.ref("sale_stock_shipwire.ir_cron_shipwire_stock_sync")._trigger()
        return backend.action_open_stock_levels()

    def action_open_stock_levels(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_stock_level_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        if self.env.context.get("unmatched_only"):
            action["context"] = {"search_default_unmatched": 1}
        return action
