from odoo import fields, models


class ShipwireBackendSending(models.Model):
    """When the account's orders are sent without anyone pressing a button."""

    # Kept apart from shipwire_backend_stock.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    send_on_confirmation = fields.Boolean(
        help="Confirming a sales order of this account's warehouses sends it to "
        "Shipwire in the background; the confirmation never waits for Shipwire.",
    )
