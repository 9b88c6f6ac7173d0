from odoo import api, fields, models

# Why a level did or did not set Odoo's on-hand quantity.
LEVEL_STATUSES = [
    ("synced", "On hand in Odoo"),
    ("unmapped", "Warehouse not mapped"),
    ("unmatched", "No Odoo product"),
    ("ambiguous", "Several Odoo products"),
    ("bundle", "Bundle, not stocked"),
    ("alias", "Alias, not stocked"),
    ("not_storable", "Product does not track inventory"),
    ("tracked", "Product tracked by lots or serials"),
    ("bad_counters", "Counters unusable"),
]


class ShipwireStockLevel(models.Model):
    """What Shipwire last reported of one SKU in one of its warehouses, and what
    the stock sync did with it. Only the module writes it."""

    _name = "shipwire.stock.level"
    _description = "Shipwire stock level"
    _order = "backend_id, sku, shipwire_warehouse_id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    sku = fields.Char(string="SKU", required=True, readonly=True)
    product_id = fields.Many2one(
        "product.product", index="btree_not_null", readonly=True
    )
    shipwire_product_id = fields.Char(
        string="Shipwire product id", index=True, readonly=True
    )
    shipwire_warehouse_id = fields.Char(
        string="Shipwire warehouse id", required=True, readonly=True
    )
    warehouse_external_id = fields.Char(
        string="Shipwire warehouse external id", readonly=True
    )
    warehouse_region = fields.Char(string="Shipwire region", readonly=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Odoo warehouse", readonly=True
    )
    is_bundle = fields.Boolean(string="Bundle", readonly=True)
    is_alias = fields.Boolean(string="Alias", readonly=True)
    good = fields.Integer(readonly=True, help="Free to allocate to new orders.")
    reserved = fields.Integer(readonly=True, help="Allocated to orders not shipped.")
    shipping = fields.Integer(readonly=True, help="Being packed and shipped.")
    pending = fields.Integer(readonly=True, help="On the way to the warehouse.")
    backordered = fields.Integer(
        readonly=True, help="Ordered but not in stock at the warehouse."
    )
    damaged = fields.Integer(readonly=True)
    on_hand = fields.Integer(
        string="On hand",
        readonly=True,
        help="What the warehouse holds for orders: good, reserved and shipping. "
        "Odoo's on-hand quantity in the mapped warehouse is set to it.",
    )
    status = fields.Selection(LEVEL_STATUSES, required=True, readonly=True)
    note = fields.Char(readonly=True)
    last_sync = fields.Datetime(string="Read at", readonly=True)
    refresh_requested = fields.Boolean(
        readonly=True, help="Shipwire said it moved: the next run reads it again."
    )

    _sql_constraints = [
        (
            "level_unique",
            "unique(backend_id, sku, shipwire_warehouse_id)",
            "Shipwire lists a SKU once per warehouse.",
        )
    ]

    @api.depends("sku", "warehouse_region", "warehouse_external_id")
    def _compute_display_name(self):
        for level in self:
            warehouse = (
                level.warehouse_external_id
                or level.warehouse_region
                or level.shipwire_warehouse_id
            )
            level.display_name = f"{level.sku} @ {warehouse}"
