from odoo import api, fields, models


class ProductProduct(models.Model):
    """What Shipwire's warehouses report of a product, per warehouse."""

    _inherit = "product.product"

    shipwire_stock_level_ids = fields.One2many(
        "shipwire.stock.level",
        "product_id",
        string="Shipwire stock",
        readonly=True,
    )
    shipwire_stock_level_count = fields.Integer(
        compute="_compute_shipwire_stock_level_count"
    )

    @api.depends("shipwire_stock_level_ids")
    def _compute_shipwire_stock_level_count(self):
        counts = dict(
            self.env["shipwire.stock.level"]._read_group(
                [("product_id", "in", self.ids)], ["product_id"], ["__count"]
            )
        )
        for product in self:
            product.shipwire_stock_level_count = counts.get(product, 0)

    def action_open_shipwire_stock(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_stock_level_action"
        )
        action["domain"] = [("product_id", "in", self.ids)]
        return action
