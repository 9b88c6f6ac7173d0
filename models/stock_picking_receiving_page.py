from odoo import fields, models


class StockPickingReceivingPage(models.Model):
    """What the receipt's Shipwire page shows of its receiving."""

    # Kept apart from stock_picking.py by feature.
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    shipwire_receiving_shipwire_id = fields.Char(
        related="shipwire_receiving_id.shipwire_id", string="Shipwire receiving id"
    )
    shipwire_receiving_external_id = fields.Char(
        related="shipwire_receiving_id.external_id", string="Shipwire externalId"
    )
    shipwire_receiving_is_changed = fields.Boolean(
        related="shipwire_receiving_id.is_changed"
    )
    shipwire_receiving_message = fields.Text(
        related="shipwire_receiving_id.message", string="Shipwire's messages"
    )
    shipwire_receiving_line_ids = fields.One2many(
        related="shipwire_receiving_id.line_ids", string="Shipwire counts"
    )
    shipwire_receiving_hold_ids = fields.One2many(
        related="shipwire_receiving_id.hold_ids", string="Shipwire holds"
    )
