from odoo import api, fields, models


class ShipwireHold(models.Model):
    """A hold Shipwire put on a fulfillment order."""

    _name = "shipwire.hold"
    _inherit = ["shipwire.order.document"]
    _description = "Shipwire hold"
    _order = "applied_date desc, id desc"

    fulfillment_order_id = fields.Many2one(
        "shipwire.fulfillment.order", required=True, ondelete="cascade", index=True
    )
    purchase_order_id = fields.Many2one(
        related="fulfillment_order_id.purchase_order_id", store=True, index=True
    )
    sale_order_id = fields.Many2one(
        related="fulfillment_order_id.sale_order_id", store=True, index=True
    )
    company_id = fields.Many2one(related="fulfillment_order_id.company_id", store=True)
    shipwire_id = fields.Char(string="Shipwire id")
    hold_type = fields.Char(string="Type")
    description = fields.Char()
    applied_date = fields.Datetime(string="Applied")
    cleared_date = fields.Datetime(string="Cleared")

    @api.depends("hold_type", "description")
    def _compute_display_name(self):
        for hold in self:
            hold.display_name = (
                ": ".join(part for part in (hold.hold_type, hold.description) if part)
                or hold.shipwire_id
            )
