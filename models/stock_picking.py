from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "picking_id",
        string="Shipwire fulfillment orders",
        readonly=True,
    )
