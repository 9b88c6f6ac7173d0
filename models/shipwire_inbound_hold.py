from odoo import api, fields, models


class ShipwireInboundHold(models.AbstractModel):
    """A hold Shipwire put on goods it expects. Inheriting models add the link
    to their record."""

    _name = "shipwire.inbound.hold"
    _description = "Shipwire inbound hold"
    _order = "applied_date desc, id desc"

    shipwire_id = fields.Char(string="Shipwire id")
    hold_type = fields.Char(string="Type")
    description = fields.Char()
    applied_date = fields.Datetime(string="Applied")
    cleared_date = fields.Datetime(string="Cleared")

    @api.depends("hold_type", "description")
    def _compute_display_name(self):
        for hold in self:
            hold.display_name = " - ".join(
                part for part in (hold.hold_type, hold.description) if part
            )
