from odoo import fields, models


class ShipwireExtendedAttribute(models.Model):
    """A header-level extended attribute sent with a sales order's PO."""

    _name = "shipwire.extended.attribute"
    _inherit = ["shipwire.order.document"]
    _description = "Shipwire extended attribute"
    _order = "sequence, id"
    _check_company_auto = True

    sale_order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="sale_order_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, help="e.g. StoreNumber")
    value = fields.Char(required=True)
    value_type = fields.Selection(
        [("string", "Text"), ("int", "Integer"), ("decimal", "Decimal")],
        string="Type",
        default="string",
        required=True,
    )

    def write(self, vals):
        result = super().write(vals)
        if "sale_order_id" in vals:
            # Odoo checked the orders the attributes were on; now the new ones.
            self.check_access("write")
        return result
