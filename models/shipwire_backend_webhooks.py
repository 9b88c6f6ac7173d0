import contextlib
import secrets

from odoo import api, fields, models

from ..const import GROUP_ADMIN, WEBHOOK_ROUTE
from ..shipwire_api import ShipwireError, ShipwireNotFoundError
from .shipwire_backend import ensure_group

WEBHOOK_TOPICS = (
    "order.processed",
    "order.submitted",
    "order.completed",
    "order.canceled",
    "order.hold.added",
    "order.hold.cleared",
    "tracking.created",
    "tracking.updated",
    "tracking.delivered",
    "purchaseorder.needs-approval",
    "purchaseorder.approved",
    "purchaseorder.partially-completed",
    "purchaseorder.completed",
    "purchaseorder.canceled",
    "stock.transition",
    "return.created",
    "return.updated",
    "return.canceled",
    "return.completed",
    "return.hold.added",
    "return.hold.cleared",
    "return.tracking.created",
    "return.tracking.updated",
    "return.tracking.delivered",
)
# What the webhook route keeps of an account (see _webhook_accounts).
WEBHOOK_ACCOUNT_FIELDS = {"webhook_token", "active", "company_id", "name"}


class ShipwireBackendWebhooks(models.Model):
    """Shipwire's webhooks of an account: where they are sent, the secrets that
    sign them, and their registration."""

    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    webhook_token = fields.Char(
        copy=False,
        groups=GROUP_ADMIN,
        exportable=False,
        default=lambda self: secrets.token_urlsafe(24),
        help="Part of the webhook URL: only Shipwire knows it.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url", groups=GROUP_ADMIN)
    webhook_secret_ids = fields.One2many(
        "shipwire.webhook.secret", "backend_id", groups=GROUP_ADMIN
    )

    @api.model_create_multi
    def create(self, vals_list):
        backends = super().create(vals_list)
        self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return backends

    def write(self, vals):
        result = super().write(vals)
        if WEBHOOK_ACCOUNT_FIELDS & vals.keys():
            self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["shipwire.webhook.event"]._clear_webhook_accounts()
        return result

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for backend in self:
            backend.webhook_url = f"{base_url}{WEBHOOK_ROUTE}/{backend.webhook_token}"

    def action_register_webhooks(self):
        """Subscribe this Odoo to Shipwire's events, signed with a new secret."""
        self.ensure_one()
        ensure_group(self.env, GROUP_ADMIN)
        self.check_access("read")
        backend = self.sudo()
        exchanges = []
        client = self.with_context(shipwire_click=True)._make_client(exchanges.append)
        try:
            secret = client.create_secret()
            # Kept at once: Shipwire may sign with it even if a later step fails.
            new_secret = (
                self.env["shipwire.webhook.secret"]
                .sudo()
                .create(
                    {
                        "backend_id": self.id,
                        "shipwire_id": str(secret["id"]),
                        "secret": secret["secret"],
                    }
                )
            )
            for subscription in client.list_webhooks():
                if subscription.get("url") == backend.webhook_url:
                    client.delete_webhook(subscription["id"])
            for topic in WEBHOOK_TOPICS:
                client.create_webhook(topic, backend.webhook_url)
            # Only the new secret signs from now on: the older ones this account
            # made go, at Shipwire and here.
            superseded = backend.webhook_secret_ids - new_secret
            for shipwire_id in set(superseded.mapped("shipwire_id")) - {
                new_secret.shipwire_id
            }:
                with contextlib.suppress(ShipwireNotFoundError):
                    client.delete_secret(shipwire_id)
            superseded.unlink()
        except ShipwireError as error:
            kind = "danger"
            message = self.env._(
                "Shipwire refused the webhooks: %(error)s. Press Register webhooks "
                "again once this is fixed.",
                error=error,
            )
        else:
            kind = "success"
            message = self.env._(
                "Shipwire now sends %(count)s kinds of events to this Odoo.",
                count=len(WEBHOOK_TOPICS),
            )
            backend.message_post(body=message)
        finally:
            client.close()
        # The new secret, stored first, is masked in the logged calls.
        return self._log_and_notify(exchanges, kind, message)
