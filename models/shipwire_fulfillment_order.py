from odoo import api, fields, models

from ..mapper import hold_values, tracking_values
from ..mapper.incoming import FULFILLMENT_STATES
from ..shipwire_api.envelope import collection_items


class ShipwireFulfillmentOrder(models.Model):
    """A warehouse order Shipwire made of a sales order's PO (one per warehouse)."""

    _name = "shipwire.fulfillment.order"
    _description = "Shipwire fulfillment order"
    _order = "sale_order_id, split_number, id"
    _check_company_auto = True

    sale_order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="sale_order_id.company_id", store=True)
    backend_id = fields.Many2one(related="sale_order_id.shipwire_backend_id")
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", check_company=True, ondelete="set null"
    )
    shipwire_id = fields.Char(string="Shipwire id", required=True, index=True)
    external_id = fields.Char(string="External id")
    order_no = fields.Char(string="Order number")
    split_number = fields.Integer(
        help="The .N suffix Shipwire added when it split the PO across warehouses."
    )
    warehouse_name = fields.Char(string="Shipwire warehouse")
    status = fields.Selection(FULFILLMENT_STATES, default="unknown", required=True)
    shipwire_status = fields.Char(help="The status exactly as Shipwire sent it.")
    shipwire_updated = fields.Datetime(
        string="Updated at Shipwire",
        help="Shipwire's last update time; older updates are ignored.",
    )
    hold_ids = fields.One2many("shipwire.hold", "fulfillment_order_id", string="Holds")
    tracking_ids = fields.One2many(
        "shipwire.tracking", "fulfillment_order_id", string="Trackings"
    )
    active_hold_count = fields.Integer(compute="_compute_active_hold_count")

    _sql_constraints = [
        (
            "shipwire_id_unique",
            "unique(sale_order_id, shipwire_id)",
            "A fulfillment order is listed once per sales order.",
        )
    ]

    @api.depends("order_no", "external_id", "warehouse_name")
    def _compute_display_name(self):
        for order in self:
            name = order.order_no or order.external_id or order.shipwire_id
            warehouse = f" ({order.warehouse_name})" if order.warehouse_name else ""
            order.display_name = f"{name}{warehouse}"

    @api.depends("hold_ids.cleared_date")
    def _compute_active_hold_count(self):
        for order in self:
            order.active_hold_count = len(
                order.hold_ids.filtered(lambda hold: not hold.cleared_date)
            )

    def _shipwire_sync_children(self, resource):
        """Store the trackings and holds embedded in an expanded order resource."""
        self.ensure_one()
        for key, field_name, values_of, identity in (
            ("trackings", "tracking_ids", tracking_values, "tracking_number"),
            ("holds", "hold_ids", hold_values, "shipwire_id"),
        ):
            embedded = (resource.get(key) or {}).get("resource")
            if not isinstance(embedded, dict):
                continue  # a link only: Shipwire did not expand it
            known = {record[identity]: record for record in self[field_name]}
            new_values = []
            for item in collection_items(embedded):
                values = values_of(item)
                if not values[identity]:
                    continue
                if values[identity] in known:
                    known[values[identity]].write(values)
                else:
                    new_values.append({**values, "fulfillment_order_id": self.id})
            self.env[self[field_name]._name].create(new_values)
