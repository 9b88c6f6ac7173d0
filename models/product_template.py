from odoo import api, fields, models

DIMENSION_HELP = (
    "Of the product as Shipwire's warehouse stores it, in the unit shown next to "
    "it; sent to Shipwire in inches."
)


class ProductTemplate(models.Model):
    # Kept apart from product_template_stock.py by feature.
    _inherit = "product.template"  # pylint: disable=consider-merging-classes-inherited

    shipwire_length = fields.Float(string="Length", help=DIMENSION_HELP)
    shipwire_width = fields.Float(string="Width", help=DIMENSION_HELP)
    shipwire_height = fields.Float(string="Height", help=DIMENSION_HELP)
    shipwire_length_uom_name = fields.Char(
        string="Length unit of measure label", compute="_compute_shipwire_length_uom"
    )
    # The variants' records in Shipwire catalogues.
    shipwire_product_ids = fields.One2many(
        "shipwire.product",
        compute="_compute_shipwire_product_ids",
        string="Shipwire catalogue",
        groups="base.group_user",
    )

    @api.depends("type")
    def _compute_shipwire_length_uom(self):
        self.shipwire_length_uom_name = (
            self._get_length_uom_name_from_ir_config_parameter()
        )

    @api.depends("product_variant_ids.shipwire_product_ids")
    def _compute_shipwire_product_ids(self):
        for template in self:
            template.shipwire_product_ids = (
                template.product_variant_ids.shipwire_product_ids
            )

    def action_shipwire_send_products(self):
        """Send the templates' variants to Shipwire's catalogue. An archived
        template's variants go too, to be refused as archived."""
        variants = self.env["product.product"]
        for template in self:
            variants |= (
                template.product_variant_ids
                or template.with_context(active_test=False).product_variant_ids
            )
        return variants.action_shipwire_send_products()
