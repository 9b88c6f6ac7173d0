from odoo import fields, models


class SaleOrderHolds(models.Model):
    """Why Shipwire holds the order, where the clerk reads the order."""

    _inherit = "sale.order"

    shipwire_hold_ids = fields.One2many(
        "shipwire.hold",
        "sale_order_id",
        string="Shipwire holds",
        domain=[("cleared_date", "=", False)],
        readonly=True,
    )
