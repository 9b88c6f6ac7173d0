from odoo import fields, models


class ShipwireReceivingLine(models.Model):
    _name = "shipwire.receiving.line"
    _inherit = ["shipwire.inbound.line"]
    _description = "Shipwire receiving item"
    _order = "receiving_id, sku"

    receiving_id = fields.Many2one(
        "shipwire.receiving", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="receiving_id.company_id", store=True)

    _sql_constraints = [
        ("sku_unique", "unique(receiving_id, sku)", "A SKU is one line of a receiving.")
    ]
