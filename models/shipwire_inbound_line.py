from odoo import api, fields, models


class ShipwireInboundLine(models.AbstractModel):
    """One SKU Shipwire expects: its counters and what Odoo booked of them.
    Inheriting models add the link to their record."""

    _name = "shipwire.inbound.line"
    _description = "Shipwire inbound item"
    _order = "sku"

    sku = fields.Char(string="SKU", required=True, readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    expected = fields.Integer(readonly=True, help="Announced to Shipwire.")
    pending = fields.Integer(readonly=True, help="Not received at Shipwire yet.")
    good = fields.Integer(readonly=True, help="Received, ready to ship.")
    in_review = fields.Integer(
        string="In review", readonly=True, help="Received, being checked."
    )
    damaged = fields.Integer(readonly=True, help="Received, unusable.")
    booked_good = fields.Integer(
        string="Booked to stock", readonly=True, help="Validated on the transfer."
    )
    booked_damaged = fields.Integer(
        string="Booked as damaged",
        readonly=True,
        help="Validated on the transfer into the warehouse's damaged location.",
    )
    unbooked_good = fields.Integer(
        compute="_compute_unbooked_good",
        store=True,
        help="Good at Shipwire, not booked in Odoo yet: the stock sync leaves "
        "these units to the transfer.",
    )

    @api.depends("good", "booked_good")
    def _compute_unbooked_good(self):
        for line in self:
            line.unbooked_good = max(line.good - line.booked_good, 0)
