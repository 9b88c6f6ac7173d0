from odoo import api, fields, models

from ..const import GROUP_ADMIN


class ShipwireWebhookSecret(models.Model):
    """A secret Shipwire signs its webhook deliveries with."""

    _name = "shipwire.webhook.secret"
    _description = "Shipwire webhook secret"

    backend_id = fields.Many2one(
        "shipwire.backend", required=True, ondelete="cascade", string="Account"
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    shipwire_id = fields.Char(string="Shipwire id", required=True)
    secret = fields.Char(required=True, groups=GROUP_ADMIN, exportable=False)

    # The webhook route keeps each account's secrets (see _webhook_accounts).
    @api.model_create_multi
    def create(self, vals_list):
        secrets = super().create(vals_list)
        self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return secrets

    def write(self, vals):
        result = super().write(vals)
        self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return result
