from odoo import fields, models


class ShipwireProduct(models.Model):
    """A product of Odoo's in an account's Shipwire catalogue. Only the module
    writes it."""

    _name = "shipwire.product"
    _description = "Shipwire catalogue product"
    _order = "backend_id, sku"
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
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    sku = fields.Char(string="SKU", required=True, readonly=True)
    shipwire_id = fields.Char(string="Shipwire product id", readonly=True)
    last_sent = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "product_unique",
            "unique(backend_id, product_id)",
            "A product is in an account's catalogue once.",
        )
    ]
