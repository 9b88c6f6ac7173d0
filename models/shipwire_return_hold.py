from odoo import fields, models


class ShipwireReturnHold(models.Model):
    _name = "shipwire.return.hold"
    _inherit = ["shipwire.inbound.hold"]
    _description = "Shipwire return hold"

    return_id = fields.Many2one(
        "shipwire.return", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True)
