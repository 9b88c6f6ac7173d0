from odoo import fields, models


class ShipwireReturnLine(models.Model):
    _name = "shipwire.return.line"
    _inherit = ["shipwire.inbound.line"]
    _description = "Shipwire return item"
    _order = "return_id, sku"

    return_id = fields.Many2one(
        "shipwire.return", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True)

    _sql_constraints = [
        ("sku_unique", "unique(return_id, sku)", "A SKU is one line of a return.")
    ]
