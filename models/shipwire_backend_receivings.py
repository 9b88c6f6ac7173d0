from odoo import fields, models


class ShipwireBackendReceivings(models.Model):
    """How the account books what Shipwire's warehouses receive."""

    # Kept apart from shipwire_backend.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    receiving_damaged = fields.Selection(
        [
            ("location", "Book to the damaged location"),
            ("short", "Leave short"),
        ],
        string="Damaged units received",
        default="location",
        required=True,
        help="Book to the damaged location: the receipt takes them (and the vendor "
        "bill counts them) into a location of their own, outside the warehouse's "
        "stock. Leave short: the receipt closes without them, so that the vendor "
        "bill does not charge them.",
    )
    receiving_sync_cursor = fields.Datetime(
        readonly=True,
        help="Receivings Shipwire changed after this were not read yet.",
    )

    def _shipwire_damaged_location(self, warehouse):
        """The location of ``warehouse``'s damaged units, made on first need:
        internal (the company owns them), outside the warehouse's stock."""
        Location = self.env["stock.location"].sudo()
        name = self.env._("%(warehouse)s damaged at Shipwire", warehouse=warehouse.code)
        location = Location.search(
            [
                ("shipwire_damaged_warehouse_id", "=", warehouse.id),
                ("company_id", "=", warehouse.company_id.id),
            ],
            limit=1,
        )
        return location or Location.create(
            {
                "name": name,
                "usage": "internal",
                "location_id": warehouse.view_location_id.location_id.id,
                "company_id": warehouse.company_id.id,
                "shipwire_damaged_warehouse_id": warehouse.id,
            }
        )
