from odoo import api, fields, models


class ShipwireBackendSending(models.Model):
    """How patient the account's calls are: a person waiting on a button gets one
    short try, the background jobs the read timeout and its retries."""

    # Kept apart from shipwire_backend_stock.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    click_timeout = fields.Float(
        string="Button timeout (s)",
        default=20,
        help="A button (on a sales order, Test connection, Register webhooks) "
        "waits this long for Shipwire, with one try. An order whose send gets no "
        "answer in time shows Send failed and the retry job sends it with the "
        "read timeout and its retries.",
    )
    send_on_confirmation = fields.Boolean(
        string="Send on confirmation",
        help="Confirming a sales order of this account's warehouses sends it to "
        "Shipwire in the background; the confirmation never waits for Shipwire.",
    )

    @api.constrains("click_timeout")
    def _check_click_timeout(self):
        self._check_timeout("click_timeout")

    def _patience(self):
        """The client's timeout and retries: short and single for a click (the
        ``shipwire_click`` context), the account's own for everything else."""
        self.ensure_one()
        if self.env.context.get("shipwire_click"):
            return {
                "read_timeout": min(self.click_timeout, self.read_timeout),
                "retries": 0,
            }
        return {"read_timeout": self.read_timeout}
