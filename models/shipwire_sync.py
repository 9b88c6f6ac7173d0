import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta, timezone

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import split_every

from ..mapper import shipwire_id
from ..shipwire_api import ShipwireError, strip_split_suffix
from ..shipwire_api.snapshot import ORDER_EXPANSIONS
from .shipwire_backend_attention import OUTAGE_ERRORS
from .shipwire_purchase_order import LIVE_STATES

_logger = logging.getLogger(__name__)

SYNC_JOB = "sale_stock_shipwire.ir_cron_shipwire_sync"
# Another transaction changed the same records, or created the same fulfillment
# order or tracking number first (two syncs, a sync and a webhook): not a fault of
# the records. The batch is undone and read again a minute later.
CONCURRENT_WRITES = (
    *PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    psycopg2.errors.UniqueViolation,
)
# A sync that met a concurrent update runs again this much later.
SYNC_CONFLICT_DELAY = timedelta(minutes=1)
# Look back a little before the last sync, in case of clock skew.
SYNC_OVERLAP = timedelta(minutes=5)
FIRST_SYNC_LOOKBACK = timedelta(days=30)
SYNC_BATCH_SIZE = 200
# Past this, a sync run stops after its batch and the scheduler runs it again.
SYNC_TIME_BUDGET = 60


class ShipwireSync(models.AbstractModel):
    """Brings what changed at Shipwire into Odoo: the scheduled sync, page by page
    and batch by batch, and the verified webhooks."""

    _name = "shipwire.sync"
    _description = "Shipwire sync"

    @api.model
    def _cron_sync(self):
        """Bring every account's POs up to date. One failing account never stops
        the others, and the job itself does not fail because of Shipwire."""
        done = remaining = 0
        for backend in self.env["shipwire.backend"].search([]):
            # No savepoint around an account: its run commits batch by batch, and
            # each batch is stored in a savepoint of its own. What fails outside
            # them (reading Shipwire's pages) has written nothing yet.
            try:
                progress = self.with_company(backend.company_id)._sync(backend)
            except CONCURRENT_WRITES:
                raise
            except Exception as error:  # noqa: BLE001 - the next accounts go on
                _logger.exception("Shipwire sync of %s failed", backend.name)
                backend.write(
                    {
                        "last_sync_error": str(error),
                        "last_sync_error_date": fields.Datetime.now(),
                    }
                )
                continue
            done += progress[0]
            remaining += progress[1]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _sync(self, backend):
        """Read what changed at Shipwire since the account's cursor and store it,
        batch by batch. Returns ``(done, remaining)`` POs."""
        started = fields.Datetime.now()
        self._recover_lost_sends(backend)
        window_start = backend.sync_window_start or started
        since = (backend.sync_cursor or started - FIRST_SYNC_LOOKBACK) - SYNC_OVERLAP
        updated_after = {"updated_after": since.replace(tzinfo=timezone.utc)}
        remote = self._read_remote(backend, updated_after, updated_after)
        if remote is None:
            self._commit_progress()
            return 0, 0
        keys = sorted(remote, key=lambda key: (len(key), key))
        if backend.sync_resume_key:
            resume = (len(backend.sync_resume_key), backend.sync_resume_key)
            keys = [key for key in keys if (len(key), key) > resume]
        clock = time.monotonic()
        done = 0
        for batch in split_every(SYNC_BATCH_SIZE, keys):
            try:
                self._store_batch(backend, {key: remote[key] for key in batch})
            except CONCURRENT_WRITES:
                # Another transaction changed these orders meanwhile (a webhook, a
                # refresh): not a fault of the records. The batch was undone and the
                # cursor stays put, so the next run reads it again. Odoo counts a
                # run that did nothing as finished: the trigger brings it on.
                self._retry_soon(backend)
                return done, len(keys) - done
            done += len(batch)
            if done < len(keys) and time.monotonic() - clock > SYNC_TIME_BUDGET:
                backend.write(
                    {"sync_resume_key": batch[-1], "sync_window_start": window_start}
                )
                self._commit_progress()
                return done, len(keys) - done
            self._commit_progress()
        backend.write(
            {
                "sync_cursor": window_start,
                "sync_window_start": False,
                "sync_resume_key": False,
                "last_sync_date": fields.Datetime.now(),
                "last_sync_error": False,
            }
        )
        self._commit_progress()
        reconciled, stale = self._reconcile(
            backend, SYNC_TIME_BUDGET - (time.monotonic() - clock)
        )
        return done + reconciled, stale

    @api.model
    def _reconcile(self, backend, budget):
        """Read again, in list calls by id, the open POs the sync has not seen
        change for a while: Shipwire may change a status without a new
        lastUpdatedDate, which a sync by date never sees. Returns ``(done,
        remaining)`` POs; the rest waits for the next run."""
        clock = time.monotonic()
        PurchaseOrder = self.env["shipwire.purchase.order"]
        domain = [
            ("backend_id", "=", backend.id),
            ("state", "in", LIVE_STATES),
            ("shipwire_id", "!=", False),
            (
                "last_sync",
                "<",
                fields.Datetime.now() - timedelta(hours=backend.reconcile_after_hours),
            ),
        ]
        done = 0
        while time.monotonic() - clock < budget:
            stale = PurchaseOrder.search(
                domain, limit=SYNC_BATCH_SIZE, order="last_sync"
            )
            if not stale:
                break
            ids = stale.mapped("shipwire_id")
            # Read or not, each waits its time again: no PO holds up the others.
            stale.last_sync = fields.Datetime.now()
            self._commit_progress()
            remote = self._read_remote(
                backend, {"ids": ids}, {"purchase_order_ids": ids}
            )
            if remote is None:
                break
            try:
                self._store_batch(backend, remote)
            except CONCURRENT_WRITES:
                self._retry_soon(backend)
                break
            self._commit_progress()
            done += len(stale)
        return done, PurchaseOrder.search_count(domain)

    @api.model
    def _read_remote(self, backend, purchase_order_filters, order_filters):
        """The POs and fulfillment orders Shipwire lists with these filters,
        grouped by PO, the calls logged; ``None`` when Shipwire could not be read
        (the account shows why). Without ``order_filters``, the fulfillment orders
        of the POs found."""
        exchanges = []
        try:
            client = backend._make_client(exchanges.append)
            try:
                purchase_orders = client.search_purchase_orders(
                    **purchase_order_filters
                )
                if order_filters is None:
                    found = [
                        shipwire_id(po.get("id"))
                        for po in purchase_orders
                        if isinstance(po, dict) and shipwire_id(po.get("id"))
                    ]
                    order_filters = {"purchase_order_ids": found}
                orders = (
                    client.search_orders(expand=ORDER_EXPANSIONS, **order_filters)
                    if any(order_filters.values())
                    else []
                )
            finally:
                client.close()
        except (ShipwireError, UserError) as error:
            backend.write(
                {
                    "last_sync_error": str(error),
                    "last_sync_error_date": fields.Datetime.now(),
                }
            )
            if isinstance(error, (*OUTAGE_ERRORS, UserError)):
                backend._shipwire_outage(error)
            return None
        finally:
            self.env["shipwire.exchange"]._record(backend, exchanges)
        backend._shipwire_outage_over()
        return _group_by_purchase_order(purchase_orders, orders)

    def _retry_soon(self, backend):
        """A batch met a concurrent update and was undone; the cursor stays put,
        so a run a minute later reads it again. Odoo counts a run that did nothing
        as finished: the trigger brings the next one on."""
        _logger.info("Shipwire sync of %s met a concurrent update", backend.name)
        self.env.ref(SYNC_JOB)._trigger(fields.Datetime.now() + SYNC_CONFLICT_DELAY)

    def _commit_progress(self):
        # Each batch is kept even if a later one fails; tests run in one transaction.
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _store_batch(self, backend, remote):
        """Store one batch; a record that fails is logged on it, the rest go on."""
        PurchaseOrder = self.env["shipwire.purchase.order"]
        matched = {}
        try:
            with self.env.cr.savepoint():
                matched = self._match(backend, remote)
                PurchaseOrder._store_remote(matched)
            return
        except CONCURRENT_WRITES:
            raise
        except Exception:  # noqa: BLE001 - any record may fail; retried one by one
            _logger.info("Shipwire sync batch failed; storing its orders one by one")
        if not matched:
            matched = self._match_one_by_one(backend, remote)
        for purchase_order, entry in matched.items():
            try:
                with self.env.cr.savepoint():
                    PurchaseOrder._store_remote({purchase_order: entry})
            except CONCURRENT_WRITES:
                raise
            except Exception as error:  # noqa: BLE001
                _logger.exception(
                    "Shipwire sync of %s failed", purchase_order.sale_order_id.name
                )
                failure = self.env._("Sync failed: %(error)s", error=error)
                purchase_order._add_messages([failure])
                # The next runs only read what changes: a person has to look.
                purchase_order._schedule_activity(self.env._("sync failed"), [failure])


def _group_by_purchase_order(purchase_orders, orders):
    """``{key: (PO resource or None, [order resources])}``, keyed by PO id, or by
    the order's externalId without split suffix when it names no PO. A record
    without a usable key is logged and left out: the others go on."""
    remote = defaultdict(lambda: [None, []])
    for purchase_order in purchase_orders:
        key = isinstance(purchase_order, dict) and shipwire_id(purchase_order.get("id"))
        if key:
            remote[key][0] = purchase_order
        else:
            _logger.warning("Shipwire listed a PO without id: %.200r", purchase_order)
    for order in orders:
        key = isinstance(order, dict) and (
            shipwire_id(order.get("purchaseOrderId"))
            or strip_split_suffix(
                _scalar(order.get("purchaseOrderExternalId"))
                or _scalar(order.get("externalId"))
            )
        )
        if key:
            remote[key][1].append(order)
        else:
            _logger.warning("Shipwire listed an order without PO: %.200r", order)
    return remote


def _scalar(value):
    """An id or reference as text; anything else (lists, objects) as empty."""
    return str(value) if isinstance(value, (str, int)) and value != "" else ""
