import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections import namedtuple
from datetime import timedelta

import psycopg2

from odoo import api, fields, models, sql_db, tools
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..const import TODO_ACTIVITY
from .shipwire_inbound_sync import INBOUND_JOB

_logger = logging.getLogger(__name__)

APPLY_JOB = "sale_stock_shipwire.ir_cron_shipwire_apply_webhooks"
APPLY_BATCH_SIZE = 500
# Past this, a run stops after its batch and the scheduler runs it again.
APPLY_TIME_BUDGET = 60
CONFLICT_DELAY = timedelta(minutes=1)

# The account a webhook URL's token names, with the secrets Shipwire signs with:
# ``secrets`` is a tuple of ``(shipwire_id, secret)``.
WebhookAccount = namedtuple("WebhookAccount", "backend_id company_id name secrets")

# Odoo's ir.cron._notifydb() opens a connection to the "postgres" database for
# each wake-up (Odoo never pools those), which costs more than the rest of
# storing a delivery: each process keeps one for waking the cron workers.
_wake_up_lock = threading.Lock()
_wake_up_connections = {}  # by process id: a forked process never shares one


def wake_cron_workers(dbname):
    """What ``ir.cron._notifydb()`` does, on this process's kept connection."""
    query = SQL(
        "SELECT %s('cron_trigger', %s)", SQL.identifier(ODOO_NOTIFY_FUNCTION), dbname
    )
    with _wake_up_lock:
        pid = os.getpid()
        for attempt in (1, 2):
            connection = _wake_up_connections.get(pid)
            if connection is None or connection.closed:
                connection = psycopg2.connect(
                    **sql_db.connection_info_for("postgres")[1]
                )
                connection.autocommit = True
                _wake_up_connections[pid] = connection
            try:
                with connection.cursor() as cr:
                    cr.execute(query.code, query.params)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                # The server closed it since (a restart, an idle timeout).
                connection.close()
                if attempt == 2:
                    raise


class ShipwireWebhookEvent(models.Model):
    """A verified webhook delivery waiting to be applied. Answering Shipwire only
    takes storing it; a job applies the deliveries of a burst together, so that
    they neither wait on each other's locks nor validate deliveries one by one.
    Applied ones are removed; one that cannot be applied stays, with why, until
    the account's retention of API calls has passed."""

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
    digest = fields.Char(
        readonly=True,
        help="Account, topic and body hashed: a delivery Shipwire sends again is "
        "not stored twice while the first waits or failed.",
    )
    state = fields.Selection(
        [("pending", "Waiting"), ("failed", "Not applied")],
        default="pending",
        required=True,
        index=True,
        readonly=True,
    )
    error = fields.Text(readonly=True)

    _sql_constraints = [
        (
            "digest_unique",
            "unique(digest)",
            "A webhook delivery is stored once while it waits or failed.",
        )
    ]

    @api.model
    def _account_for_token(self, token):
        """The active account whose webhook URL carries ``token``, with its
        signing secrets: a ``WebhookAccount`` or None."""
        return self._webhook_accounts().get(token) if token else None

    @api.model
    @tools.ormcache()
    def _webhook_accounts(self):
        """Every active account's ``WebhookAccount`` by its webhook token, read in
        one query and kept by each worker until an account or secret changes
        (see ``_clear_webhook_accounts``)."""
        self.env["shipwire.backend"].flush_model()
        self.env["shipwire.webhook.secret"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT backend.webhook_token, backend.id, backend.company_id,
                       backend.name,
                       array_agg(ARRAY[secret.shipwire_id, secret.secret]
                                 ORDER BY secret.id)
                           FILTER (WHERE secret.id IS NOT NULL)
                  FROM shipwire_backend backend
                  LEFT JOIN shipwire_webhook_secret secret
                         ON secret.backend_id = backend.id
                 WHERE backend.webhook_token IS NOT NULL AND backend.active
                 GROUP BY backend.id
                 ORDER BY backend.id DESC
                """
            )
        )
        # Ordered so that the oldest account keeps a token two accounts share.
        return tools.frozendict(
            (
                token,
                WebhookAccount(
                    backend_id,
                    company_id,
                    name,
                    tuple(tuple(pair) for pair in secrets or ()),
                ),
            )
            for token, backend_id, company_id, name, secrets in self.env.cr.fetchall()
        )

    @api.model
    def _clear_webhook_accounts(self):
        """To call when an account's token, name, company, archiving or secrets
        change: every worker reads the accounts again."""
        self.env.registry.clear_cache()

    @api.model
    def _store(self, account, topic, body):
        """Keep a verified delivery and bring on the job that applies it, in one
        statement. The same delivery (account, topic and body) already waiting or
        failed is not stored again, whichever worker stores it first. ``body``
        must be storable as it is (no NUL, no lone surrogate, finite numbers)."""
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(
            f"{account.backend_id}\n{topic}\n{text}".encode()
        ).hexdigest()
        # The trigger ir.cron._trigger() would write, in the same statement. One
        # per delivery stored: a run ends by deleting the triggers older than its
        # start, so a delivery stored during a run that shared an earlier trigger
        # could wait for the job's next interval. The same delivery stored at
        # this moment by another worker fails to serialize (Odoo's transactions
        # are repeatable read): Odoo retries the request, which then finds it
        # stored, so the failure is not logged as a bad query.
        self.env.cr.execute(
            SQL(
                """
                WITH stored AS (
                    INSERT INTO shipwire_webhook_event
                           (backend_id, company_id, topic, body, digest, state,
                            create_uid, create_date, write_uid, write_date)
                    VALUES (%(backend)s, %(company)s, %(topic)s, %(body)s::jsonb,
                            %(digest)s, 'pending', %(uid)s, now() AT TIME ZONE 'UTC',
                            %(uid)s, now() AT TIME ZONE 'UTC')
                    ON CONFLICT (digest) DO NOTHING
                    RETURNING id
                )
                INSERT INTO ir_cron_trigger
                       (cron_id, call_at, create_uid, create_date, write_uid,
                        write_date)
                SELECT cron.id, %(call_at)s, %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM stored
                  JOIN ir_cron cron ON cron.id = %(cron)s AND cron.active
                """,
                backend=account.backend_id,
                company=account.company_id,
                topic=topic,
                body=text,
                digest=digest,
                uid=self.env.uid,
                call_at=fields.Datetime.now(),
                cron=self.env["ir.model.data"]._xmlid_to_res_id(
                    APPLY_JOB, raise_if_not_found=True
                ),
            ),
            log_exceptions=False,
        )
        if self.env.cr.rowcount:
            # Wakes the cron workers once committed, as _trigger() does.
            self.env.cr.postcommit.add(
                functools.partial(wake_cron_workers, self.env.cr.dbname)
            )

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
            # Grouped first: applying an account's deliveries deletes them.
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
                event.with_env(Sync.env)._show_failure(backend)
                # Nothing is lost: the sync reads what changed at Shipwire.
                self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger()
                if event._is_return():
                    self.env.ref(INBOUND_JOB)._trigger()
            else:
                event.unlink()
        return unhindered

    def _is_return(self):
        return self.topic.removeprefix("v1.").startswith("return.")

    def _show_failure(self, backend):
        """Tell the orders, or the return pickings, this failed delivery names,
        with an activity. Telling them never stops the job: the delivery stays
        listed either way."""
        self.ensure_one()
        text = self.env._(
            "Shipwire's %(topic)s webhook could not be applied: %(error)s. The sync "
            "reads the change from Shipwire instead; the delivery is listed under "
            "Shipwire > Webhook deliveries.",
            topic=self.topic,
            error=self.error,
        )
        try:
            with self.env.cr.savepoint():
                named = self.env["shipwire.sync"]._webhook_purchase_orders(
                    backend, self
                )
                for purchase_order in named:
                    purchase_order._add_messages([text], severity="warning")
                    purchase_order._schedule_activity(
                        self.env._("webhook not applied"), [text]
                    )
                if self._is_return():
                    returns = self.env["shipwire.return"]._webhook_returns(
                        backend, self
                    )
                    for picking in returns.picking_id:
                        backend._shipwire_schedule_activity(
                            picking,
                            TODO_ACTIVITY,
                            self.env._("webhook not applied"),
                            [text],
                        )
        except Exception:  # noqa: BLE001 - the delivery itself shows the failure
            _logger.exception("Shipwire webhook %s: its orders were not told", self.id)
