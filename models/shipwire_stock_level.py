from odoo import fields, models


class ShipwireStockLevel(models.Model):
    """What Shipwire last reported of one SKU in one of its warehouses. Only the
    module writes it."""

    _name = "shipwire.stock.level"
    _description = "Shipwire stock level"
    _order = "backend_id, sku, shipwire_warehouse_id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sku = fields.Char(string="SKU", required=True, readonly=True)
    product_id = fields.Many2one(
        "product.product", index="btree_not_null", readonly=True
    )
    shipwire_product_id = fields.Char(string="Shipwire product id", readonly=True)
    shipwire_warehouse_id = fields.Char(
        string="Shipwire warehouse id", required=True, readonly=True
    )
