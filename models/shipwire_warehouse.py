from odoo import api, fields, models


class ShipwireWarehouse(models.Model):
    """Which Shipwire warehouse ships the goods of an Odoo warehouse."""

    _name = "shipwire.warehouse"
    _description = "Shipwire warehouse mapping"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "shipwire.backend", required=True, ondelete="cascade", string="Account"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, check_company=True, ondelete="cascade"
    )
    shipwire_warehouse_id = fields.Char(
        string="Shipwire warehouse id", help="Sent as options.warehouseId."
    )
    shipwire_warehouse_external_id = fields.Char(
        string="Shipwire warehouse external id",
        help="Sent as options.warehouseExternalId.",
    )
    shipwire_region = fields.Char(
        string="Shipwire region",
        help="Sent as options.warehouseRegion, e.g. LAX, when no warehouse is given.",
    )

    _sql_constraints = [
        (
            "warehouse_unique",
            "unique(warehouse_id)",
            "An Odoo warehouse can be served by one Shipwire account only.",
        )
    ]

    @api.depends("warehouse_id", "shipwire_warehouse_external_id", "shipwire_region")
    def _compute_display_name(self):
        for mapping in self:
            target = (
                mapping.shipwire_warehouse_external_id
                or mapping.shipwire_warehouse_id
                or mapping.shipwire_region
                or self.env._("any")
            )
            mapping.display_name = f"{mapping.warehouse_id.name} → {target}"
