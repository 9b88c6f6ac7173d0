from odoo import fields, models


class ShipwireTracking(models.Model):
    """One tracking number of a shipped fulfillment order."""

    _name = "shipwire.tracking"
    _inherit = ["shipwire.order.document"]
    _description = "Shipwire tracking number"
    _order = "id"
    _rec_name = "tracking_number"

    fulfillment_order_id = fields.Many2one(
        "shipwire.fulfillment.order", required=True, ondelete="cascade", index=True
    )
    sale_order_id = fields.Many2one(
        related="fulfillment_order_id.sale_order_id", store=True, index=True
    )
    company_id = fields.Many2one(related="fulfillment_order_id.company_id", store=True)
    shipwire_id = fields.Char(string="Shipwire id")
    carrier = fields.Char()
    tracking_number = fields.Char(required=True)
    url = fields.Char(string="Tracking URL")
    shipped_date = fields.Datetime(string="Shipped")
    tracked_date = fields.Datetime(string="Tracked")
    delivered_date = fields.Datetime(string="Delivered")

    _sql_constraints = [
        (
            "number_unique",
            "unique(fulfillment_order_id, tracking_number)",
            "A tracking number is listed once per fulfillment order.",
        )
    ]
