from odoo import fields, models


class ShipwireReceiving(models.Model):
    """The receiving Shipwire expects for an incoming receipt: goods a vendor
    sends to Shipwire's warehouse."""

    _name = "shipwire.receiving"
    _inherit = ["shipwire.inbound"]
    _description = "Shipwire receiving"

    picking_id = fields.Many2one(
        "stock.picking",
        string="Receipt",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        readonly=True,
        help="The receipt announced; its backorders belong to the same receiving.",
    )
    picking_ids = fields.One2many(
        "stock.picking", "shipwire_receiving_id", string="Receipts", readonly=True
    )
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Vendor")
    order_no = fields.Char(string="Order number", readonly=True)
    line_ids = fields.One2many(
        "shipwire.receiving.line", "receiving_id", string="Items", readonly=True
    )
    hold_ids = fields.One2many(
        "shipwire.receiving.hold", "receiving_id", string="Holds", readonly=True
    )
    exchange_ids = fields.One2many(
        "shipwire.exchange", "receiving_id", string="API calls", readonly=True
    )

    _sql_constraints = [
        (
            "picking_unique",
            "unique(picking_id)",
            "A receipt is announced to Shipwire once.",
        ),
        (
            "external_id_unique",
            "unique(backend_id, external_id)",
            "An externalId names one receiving per account.",
        ),
    ]
