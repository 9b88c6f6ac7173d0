from odoo import api, fields, models


class ShipwireRetailerProduct(models.Model):
    """How a retailer (customer) names one of our products on its POs."""

    _name = "shipwire.retailer.product"
    _description = "Retailer SKU and description"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Retailer",
        required=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
    )
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="product_id.company_id", store=True)
    retailer_sku = fields.Char(string="Retailer SKU")
    retailer_description = fields.Char()

    _sql_constraints = [
        (
            "partner_product_unique",
            "unique(partner_id, product_id)",
            "A product has one retailer SKU per retailer.",
        )
    ]

    @api.depends("partner_id", "product_id", "retailer_sku")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (
                f"{line.partner_id.name} / {line.retailer_sku or line.product_id.name}"
            )
