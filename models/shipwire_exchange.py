import re
from datetime import timedelta

from odoo import api, fields, models

from ..const import WEBHOOK_ROUTE

# A webhook address names its account's token: Shipwire lists every address
# subscribed at its account, other databases' and other companies' included.
# JSON may write each "/" as "\/".
WEBHOOK_TOKEN = re.compile(
    "({})".format(r"\\?/".join(map(re.escape, [*WEBHOOK_ROUTE.split("/"), ""])))
    + r"""[^/\\?#\s"'<>]+"""
)
# Calls and failed webhook deliveries deleted per run of the purge job.
PURGE_BATCH_SIZE = 10000


class ShipwireExchange(models.Model):
    """One call to Shipwire, kept for troubleshooting. Never holds credentials."""

    _name = "shipwire.exchange"
    _description = "Shipwire API call"
    _order = "id desc"

    backend_id = fields.Many2one(
        "shipwire.backend", string="Account", ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    purchase_order_id = fields.Many2one(
        "shipwire.purchase.order",
        string="Shipwire PO",
        ondelete="set null",
        index=True,
    )
    sale_order_id = fields.Many2one(
        related="purchase_order_id.sale_order_id", store=True, index=True
    )
    receiving_id = fields.Many2one(
        "shipwire.receiving",
        string="Shipwire receiving",
        ondelete="set null",
        index="btree_not_null",
    )
    return_id = fields.Many2one(
        "shipwire.return",
        string="Shipwire return",
        ondelete="set null",
        index="btree_not_null",
    )
    # The daily purge looks calls up by account and age.
    create_date = fields.Datetime(string="Created on", readonly=True, index=True)
    operation = fields.Char(required=True)
    method = fields.Char(required=True)
    url = fields.Char(string="URL", required=True)
    request_body = fields.Text()
    response_body = fields.Text()
    status_code = fields.Integer(string="HTTP status")
    duration = fields.Float(string="Duration (s)", digits=(16, 3))
    error = fields.Text()

    @api.depends("operation", "method", "status_code")
    def _compute_display_name(self):
        for exchange in self:
            status = exchange.status_code or exchange.error or "-"
            exchange.display_name = f"{exchange.operation} {exchange.method} {status}"

    @api.model
    def _record(self, backend, exchanges, purchase_order=None):
        """Store ``shipwire_api.Exchange`` objects collected during calls.

        The account's password, webhook token and signing secrets are masked
        wherever they appear, and so is the token of any webhook address."""
        hidden = [
            value
            for value in (
                backend.sudo().password,
                backend.sudo().webhook_token,
                *backend.sudo().webhook_secret_ids.mapped("secret"),
            )
            if value
        ]

        def mask(text):
            for value in hidden:
                text = (text or "").replace(value, "********")
            return WEBHOOK_TOKEN.sub(r"\1********", text) if text else text

        return self.sudo().create(
            [
                {
                    "backend_id": backend.id,
                    "purchase_order_id": purchase_order.id if purchase_order else False,
                    "operation": exchange.operation,
                    "method": exchange.method,
                    "url": mask(exchange.url),
                    "request_body": mask(exchange.request_body),
                    "response_body": mask(exchange.response_body),
                    "status_code": exchange.status,
                    "duration": exchange.duration,
                    "error": mask(exchange.error),
                }
                for exchange in exchanges
            ]
        )

    @api.model
    def _cron_purge(self):
        """Drop calls, and webhook deliveries that could not be applied, older
        than each account's retention, and shipping quotes past their lifetime,
        a bounded batch per run: the scheduler runs it again while some are
        left. Waiting deliveries stay for their job."""
        done = remaining = 0
        Event = self.env["shipwire.webhook.event"]
        Quote = self.env["shipwire.rate.quote"]
        for backend in (
            self.env["shipwire.backend"].with_context(active_test=False).search([])
        ):
            now = fields.Datetime.now()
            limit = now - timedelta(days=backend.exchange_retention_days)
            old_ones = [("backend_id", "=", backend.id), ("create_date", "<", limit)]
            expired = now - timedelta(minutes=backend.rate_cache_minutes)
            for model, domain in (
                (self, old_ones),
                (Event, [*old_ones, ("state", "=", "failed")]),
                (
                    Quote,
                    [("backend_id", "=", backend.id), ("fetched_at", "<", expired)],
                ),
            ):
                if done < PURGE_BATCH_SIZE:
                    old = model.search(domain, limit=PURGE_BATCH_SIZE - done)
                    done += len(old)
                    old.unlink()
                remaining += model.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
