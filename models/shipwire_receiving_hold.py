from odoo import fields, models


class ShipwireReceivingHold(models.Model):
    _name = "shipwire.receiving.hold"
    _inherit = ["shipwire.inbound.hold"]
    _description = "Shipwire receiving hold"

    receiving_id = fields.Many2one(
        "shipwire.receiving", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="receiving_id.company_id", store=True)
