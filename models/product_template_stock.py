from odoo import api, fields, models


class ProductTemplate(models.Model):
    """What Shipwire's warehouses report of a product's variants."""

    _inherit = "product.template"

    shipwire_stock_level_count = fields.Integer(
        compute="_compute_shipwire_stock_level_count"
    )

    @api.depends("product_variant_ids.shipwire_stock_level_ids")
    def _compute_shipwire_stock_level_count(self):
        for template in self:
            template.shipwire_stock_level_count = sum(
                template.product_variant_ids.mapped("shipwire_stock_level_count")
            )

    def action_open_shipwire_stock(self):
        return self.product_variant_ids.action_open_shipwire_stock()
