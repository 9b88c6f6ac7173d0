from odoo import api, fields, models


class ShipwireReceivingHold(models.Model):
    """A hold Shipwire put on a receiving."""

    _name = "shipwire.receiving.hold"
    _description = "Shipwire receiving hold"
    _order = "applied_date desc, id desc"

    receiving_id = fields.Many2one(
        "shipwire.receiving", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="receiving_id.company_id", store=True)
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
