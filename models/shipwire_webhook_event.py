import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

APPLY_JOB = "sale_stock_shipwire.ir_cron_shipwire_apply_webhooks"
APPLY_BATCH_SIZE = 500
# Past this, a run stops after its batch and the scheduler runs it again.
APPLY_TIME_BUDGET = 60
CONFLICT_DELAY = timedelta(minutes=1)


class ShipwireWebhookEvent(models.Model):
    """A verified webhook delivery waiting to be applied. Answering Shipwire only
    takes storing it; a job applies the deliveries of a burst together, so that
    they neither wait on each other's locks nor validate deliveries one by one.
    Applied ones are removed; one that cannot be applied stays, with why."""

    _name = "shipwire.webhook.event"
    _description = "Shipwire webhook delivery"
    _order = "id"

    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    topic = fields.Char(required=True, readonly=True)
    body = fields.Json(readonly=True)
    state = fields.Selection(
        [("pending", "Waiting"), ("failed", "Not applied")],
        default="pending",
        required=True,
        index=True,
        readonly=True,
    )
    error = fields.Text(readonly=True)

    @api.model
    def _cron_apply(self):
        """Apply waiting deliveries, oldest first, a batch per account at a time."""
        done = 0
        clock = time.monotonic()
        Sync = self.env["shipwire.sync"]
        while time.monotonic() - clock < APPLY_TIME_BUDGET:
            events = self._lock_pending()
            if not events:
                break
            unhindered = True
            # Grouped first: applying an account's deliveries removes them.
            for backend, own in events.grouped("backend_id").items():
                unhindered &= self._apply(backend, own)
            done += len(events)
            Sync._commit_progress()
            if not unhindered:
                # Those left waiting come first again: a minute later.
                self.env.ref(APPLY_JOB)._trigger(fields.Datetime.now() + CONFLICT_DELAY)
                break
        remaining = self.search_count([("state", "=", "pending")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _lock_pending(self):
        """The oldest waiting deliveries no other run is applying."""
        self.flush_model()
        self.env.cr.execute(
            """
            SELECT id FROM shipwire_webhook_event
             WHERE state = 'pending'
             ORDER BY id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            [APPLY_BATCH_SIZE],
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _apply(self, backend, events):
        """Apply ``events`` of ``backend`` together; when that fails, one by one,
        so that one delivery never holds back the others. Returns False when
        some met another transaction's changes: they wait for a later run."""
        Sync = self.env["shipwire.sync"].with_company(backend.company_id)
        try:
            with self.env.cr.savepoint():
                Sync._apply_webhooks(backend, events)
        except Exception:  # noqa: BLE001 - the one that breaks is found below
            _logger.info("Shipwire webhooks of %s applied one by one", backend.name)
        else:
            events.unlink()
            return True
        unhindered = True
        for event in events:
            try:
                with self.env.cr.savepoint():
                    Sync._apply_webhooks(backend, event)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                unhindered = False
            except Exception as error:  # noqa: BLE001 - kept with its reason
                _logger.warning("Shipwire webhook %s not applied", event.id)
                event.write({"state": "failed", "error": str(error)})
                # Nothing is lost: the sync reads what changed at Shipwire.
                self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger()
            else:
                event.unlink()
        return unhindered
