from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "picking_id",
        string="Shipwire fulfillment orders",
        readonly=True,
    )

    def _action_done(self):
        """A delivery Shipwire shipped, validated by hand after all: the PO's
        problem is solved."""
        result = super()._action_done()
        unapplied = self.sudo().shipwire_fulfillment_order_ids.filtered(
            "delivery_problem"
        )
        if unapplied:
            unapplied.delivery_problem = False
            unapplied.purchase_order_id._update_state()
        return result
