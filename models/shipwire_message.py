from odoo import fields, models


class ShipwireMessage(models.Model):
    """An error, warning or note Shipwire gave about a sales order's PO."""

    _name = "shipwire.message"
    _description = "Shipwire message"
    _order = "date desc, id desc"

    sale_order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="sale_order_id.company_id", store=True)
    severity = fields.Selection(
        [("error", "Error"), ("warning", "Warning"), ("info", "Info")],
        required=True,
        default="info",
    )
    code = fields.Char()
    field_name = fields.Char(string="Field")
    text = fields.Text(required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    resolved = fields.Boolean(
        help="Set once a later answer from Shipwire superseded this message."
    )
