from odoo import api, fields, models

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
    field_name = fields.Char(string="Field")
    text = fields.Text(required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    resolved = fields.Boolean(
        help="Set once a later answer from Shipwire superseded this message."
    )

    @api.model
    def _create_from_shipwire(self, purchase_order, messages, severity):
        """Store Shipwire's messages (or our own sentences) about ``purchase_order``."""
        return self.create(
            [
                {"purchase_order_id": purchase_order.id, **_values(message, severity)}
                for message in messages
            ]
        )


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
