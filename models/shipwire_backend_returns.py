from odoo import fields, models


class ShipwireBackendReturns(models.Model):
    """How the account asks Shipwire for customer returns."""

    # Kept apart from shipwire_backend.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    return_send_on_confirmation = fields.Boolean(
        string="Send returns on confirmation",
        help="A return of a delivery Shipwire shipped goes to Shipwire once it is "
        "confirmed, in the background, as if Send return to Shipwire was pressed.",
    )
    return_email_customer = fields.Boolean(
        string="Shipwire e-mails the customer",
        help="Shipwire sends the customer its return instructions.",
    )
    return_prepaid_label = fields.Boolean(
        string="Prepaid return label",
        help="Shipwire makes a prepaid label for the customer's parcel; Labels "
        "attaches it to the return.",
    )
    return_sync_cursor = fields.Datetime(
        readonly=True,
        help="Returns Shipwire changed after this were not read yet.",
    )
