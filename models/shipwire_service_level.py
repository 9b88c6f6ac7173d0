from odoo import fields, models


class ShipwireServiceLevel(models.Model):
    """The Shipwire service level an order's delivery method asks for."""

    _name = "shipwire.service.level"
    _description = "Shipwire service level mapping"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "shipwire.backend", required=True, ondelete="cascade", string="Account"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    carrier_id = fields.Many2one(
        "delivery.carrier",
        string="Delivery method",
        required=True,
        check_company=True,
        ondelete="cascade",
    )
    service_level_code = fields.Char(
        required=True, help="Shipwire serviceLevelCode: GD, 2D, 1D, E-INTL, INTL..."
    )

    _sql_constraints = [
        (
            "carrier_unique",
            "unique(backend_id, carrier_id)",
            "A delivery method is mapped once per Shipwire account.",
        )
    ]
