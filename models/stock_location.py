from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    shipwire_damaged_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Damaged at Shipwire for",
        readonly=True,
        index="btree_not_null",
        help="Takes the units Shipwire's warehouse received damaged.",
    )
