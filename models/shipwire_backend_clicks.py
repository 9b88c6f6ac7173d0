from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ShipwireBackendClicks(models.Model):
    """How the account's orders are sent when a person is waiting, or nobody is."""

    # Kept apart from shipwire_backend_stock.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    click_timeout = fields.Float(
        string="Button timeout (s)",
        default=20,
        help="A button waits this long for Shipwire, with one try; then the "
        "background jobs take over with their longer timeout and retries.",
    )
    send_on_confirmation = fields.Boolean(
        help="Confirming a sales order of this account's warehouses sends it to "
        "Shipwire in the background; the confirmation never waits for Shipwire.",
    )

    @api.constrains("click_timeout")
    def _check_click_timeout(self):
        for backend in self:
            if backend.click_timeout <= 0:
                raise ValidationError(
                    self.env._(
                        "%(account)s: the button timeout must be more than 0 seconds.",
                        account=backend.name,
                    )
                )
