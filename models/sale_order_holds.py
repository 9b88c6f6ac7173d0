from odoo import fields, models


class SaleOrder(models.Model):
    """Why Shipwire holds the order, where the clerk reads the order."""

    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    shipwire_hold_ids = fields.One2many(
        "shipwire.hold",
        "sale_order_id",
        string="Shipwire holds",
        domain=[("cleared_date", "=", False)],
        readonly=True,
    )
