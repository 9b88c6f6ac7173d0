from odoo import api, fields, models

from ..mapper.message_words import (
    ACCOUNT,
    DELIVERY_PARTNER,
    INVOICE_PARTNER,
    LINE_PRODUCT,
    ORDER,
    WAREHOUSE_MAPPING,
    message_field,
)
from ..mapper.outgoing import shipwire_lines
from ..shipwire_api import ShipwireTransientError

# The code of a message saying Shipwire could not be reached or gave no readable
# answer: anything read from Shipwire afterwards supersedes it.
CONNECTION_CODE = "connection"
# The code of a message saying a shipment could not be applied to a delivery.
DELIVERY_CODE = "delivery"


class ShipwireMessage(models.Model):
    """An error, warning or note Shipwire gave about a PO."""

    _name = "shipwire.message"
    _inherit = ["shipwire.order.document"]
    _description = "Shipwire message"
    _order = "date desc, id desc"

    purchase_order_id = fields.Many2one(
        "shipwire.purchase.order",
        string="Shipwire PO",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sale_order_id = fields.Many2one(
        related="purchase_order_id.sale_order_id", store=True, index=True
    )
    company_id = fields.Many2one(related="purchase_order_id.company_id", store=True)
    severity = fields.Selection(
        [("error", "Error"), ("warning", "Warning"), ("info", "Info")],
        required=True,
        default="info",
    )
    code = fields.Char()
    field_name = fields.Char(string="Shipwire field")
    label = fields.Char(
        string="Field in Odoo",
        help="The Odoo field that feeds the part of the PO Shipwire names.",
    )
    record_ref = fields.Reference(
        [
            ("res.partner", "Contact"),
            ("product.product", "Product"),
            ("sale.order", "Sales Order"),
            ("shipwire.warehouse", "Shipwire warehouse"),
            ("shipwire.backend", "Shipwire account"),
        ],
        string="Fix on",
        help="The record where the value Shipwire objects to is set.",
    )
    text = fields.Text(required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    resolved = fields.Boolean(
        help="Set once a later answer from Shipwire superseded this message."
    )

    @api.model
    def _create_from_shipwire(self, purchase_order, messages, severity):
        """Store Shipwire's messages (or our own sentences) about ``purchase_order``."""
        vals_list = []
        for message in messages:
            values = _values(message, severity)
            vals_list.append(
                {
                    "purchase_order_id": purchase_order.id,
                    **values,
                    **_odoo_words(purchase_order, values.get("field_name")),
                }
            )
        return self.create(vals_list)

    def action_open_record(self):
        """Open the record where the value Shipwire objects to is set."""
        self.ensure_one()
        record = self.record_ref
        if not record:
            return False
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
            "target": "current",
        }


def in_odoo_words(message):
    """A message from Shipwire as a sentence for the chatter: the Odoo field first
    when its path is known, Shipwire's own path kept beside it."""
    path = getattr(message, "field", "") or ""
    field = message_field(path)
    if field is None or field.label == path.strip():
        return str(message)
    text = getattr(message, "message", None) or str(message)
    return f"{field.label}: {text} (Shipwire: {path})"


def _odoo_words(purchase_order, path):
    field = message_field(path)
    if field is None:
        return {}
    record = _target_record(purchase_order, field)
    return {
        "label": field.label,
        "record_ref": f"{record._name},{record.id}" if record else False,
    }


def _target_record(purchase_order, field):
    order = purchase_order.sale_order_id
    backend = purchase_order.backend_id
    if field.target == DELIVERY_PARTNER:
        return order.partner_shipping_id
    if field.target == INVOICE_PARTNER:
        return order.partner_invoice_id
    if field.target == LINE_PRODUCT:
        lines = shipwire_lines(order)
        return lines[field.line].product_id if field.line < len(lines) else order
    if field.target == ORDER:
        return order
    if field.target == WAREHOUSE_MAPPING:
        return backend._warehouse_mapping(order.warehouse_id) or backend
    if field.target == ACCOUNT:
        return backend
    return None


def _values(message, severity):
    if isinstance(message, ShipwireTransientError):
        # Its text names what failed; the details of a 5xx answer go with it.
        return {"severity": "error", "code": CONNECTION_CODE, "text": str(message)}
    message_type = getattr(message, "type", None)
    return {
        "severity": message_type
        if message_type in ("error", "warning", "info")
        else severity,
        "code": getattr(message, "code", "") or "",
        "field_name": getattr(message, "field", "") or "",
        "text": getattr(message, "message", None) or str(message),
    }
