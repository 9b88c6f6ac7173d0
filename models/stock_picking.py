import json

from odoo import api, fields, models

from .shipwire_message import DELIVERY_CODE


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "picking_id",
        string="Shipwire fulfillment orders",
        readonly=True,
    )

    @api.depends("shipwire_fulfillment_order_ids.tracking_ids.url")
    def _compute_carrier_tracking_url(self):
        """Shipwire's tracking links: one link, or Odoo's list of ``[number, link]``
        pairs for several."""
        result = super()._compute_carrier_tracking_url()
        for picking in self:
            trackings = (
                picking.sudo()
                .shipwire_fulfillment_order_ids.filtered("delivery_done")
                .tracking_ids.filtered("url")
            )
            if len(trackings) == 1:
                picking.carrier_tracking_url = trackings.url
            elif trackings:
                picking.carrier_tracking_url = json.dumps(
                    [[tracking.tracking_number, tracking.url] for tracking in trackings]
                )
        return result

    def _action_done(self):
        """A delivery Shipwire shipped, validated by hand after all: the PO's
        problem is solved."""
        result = super()._action_done()
        unapplied = self.sudo().shipwire_fulfillment_order_ids.filtered(
            "delivery_problem"
        )
        if unapplied:
            unapplied.delivery_problem = False
            purchase_orders = unapplied.purchase_order_id
            purchase_orders.message_ids.filtered(
                lambda m: m.code == DELIVERY_CODE and not m.resolved
            ).resolved = True
            purchase_orders._update_state()
        return result
