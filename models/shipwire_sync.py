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

from ..mapper import is_older, last_updated, shipwire_id
from ..shipwire_api import ShipwireError, strip_split_suffix
from ..shipwire_api.envelope import collection_items
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
# Send attempts a sync run looks at; sends left over wait for the next run.
LOST_SEND_BATCH_SIZE = 1000
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
    def _recover_lost_sends(self, backend):
        """Find at Shipwire, by their externalIds, the POs of sends whose
        transaction was undone after the call (``shipwire.send.attempt``), and link
        them to their orders. Sends still running are left for the next run."""
        attempts = self.env["shipwire.send.attempt"].search(
            [("backend_ref", "=", backend.id)], limit=LOST_SEND_BATCH_SIZE
        )
        if not attempts:
            return
        try:
            with self.env.cr.savepoint() as savepoint:
                # A send holds its orders' rows until it ends.
                self.env.cr.execute(
                    "SELECT id FROM sale_order WHERE id IN %s "
                    "FOR KEY SHARE SKIP LOCKED",
                    [tuple(set(attempts.mapped("sale_order_ref")))],
                )
                finished = {row[0] for row in self.env.cr.fetchall()}
                # Only a look: the rows are left free for the next sends.
                savepoint.rollback()
        except CONCURRENT_WRITES:
            return  # a send ended meanwhile: the next run looks
        # Those of deleted orders go too.
        existing = set(
            self.env["sale.order"]
            .browse(attempts.mapped("sale_order_ref"))
            .exists()
            .ids
        )
        attempts.filtered(lambda a: a.sale_order_ref not in existing).unlink()
        attempts = attempts.filtered(lambda a: a.sale_order_ref in finished)
        linked = {
            (po.sale_order_id.id, po.external_id)
            for po in self.env["shipwire.purchase.order"].search(
                [
                    ("backend_id", "=", backend.id),
                    ("sale_order_id", "in", attempts.mapped("sale_order_ref")),
                    ("shipwire_id", "!=", False),
                ]
            )
        }
        lost = attempts.filtered(
            lambda a: (a.sale_order_ref, a.external_id) not in linked
        )
        if lost:
            external_ids = sorted(set(lost.mapped("external_id")))
            remote = self._read_remote(backend, {"external_ids": external_ids}, None)
            if remote is None:
                return  # Shipwire could not be read: asked again next run
            if remote:
                try:
                    self._store_batch(backend, remote)
                except CONCURRENT_WRITES:
                    self._retry_soon(backend)
                    return
        attempts.unlink()
        self._commit_progress()

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

    @api.model
    def _match_one_by_one(self, backend, remote):
        """``_match`` entry by entry: one that cannot be matched is logged and left
        out, the others are stored."""
        matched = {}
        for key, entry in remote.items():
            try:
                with self.env.cr.savepoint():
                    matched.update(self._match(backend, {key: entry}))
            except CONCURRENT_WRITES:
                raise
            except Exception:  # noqa: BLE001
                _logger.exception("Shipwire PO %s could not be matched", key)
        return matched

    @api.model
    def _match(self, backend, remote):
        """``{shipwire.purchase.order: (PO, orders)}`` for the remote entries the
        account knows, and for those of sends whose record was lost (adopted)."""
        matched, unmatched = self._match_known(backend, remote)
        for purchase_order, entry in self._adopt(backend, unmatched).items():
            matched[purchase_order] = _merged(matched.get(purchase_order), entry)
        return matched

    @api.model
    def _match_known(self, backend, remote):
        """``({shipwire.purchase.order: (PO, orders)}, {key: entry left})``: the
        remote entries matched to the account's PO records, by PO id first, then
        by externalId or order number without split suffix."""
        PurchaseOrder = self.env["shipwire.purchase.order"]
        by_po_id = {
            purchase_order.shipwire_id: purchase_order
            for purchase_order in PurchaseOrder.search(
                [("backend_id", "=", backend.id), ("shipwire_id", "in", list(remote))]
            )
        }
        references = {
            key: _references(key, entry)
            for key, entry in remote.items()
            if key not in by_po_id
        }
        by_reference = {}
        wanted = list(set().union(*references.values()))
        if wanted:
            for purchase_order in PurchaseOrder.search(
                [
                    ("backend_id", "=", backend.id),
                    "|",
                    ("external_id", "in", wanted),
                    ("sale_order_name", "in", wanted),
                ]
            ):
                by_reference[purchase_order.external_id] = purchase_order
                by_reference[purchase_order.sale_order_name] = purchase_order
        matched = {}
        unmatched = {}
        for key, entry in remote.items():
            purchase_order = by_po_id.get(key) or next(
                (by_reference[ref] for ref in references[key] if ref in by_reference),
                None,
            )
            if purchase_order is not None:
                matched[purchase_order] = _merged(matched.get(purchase_order), entry)
            else:
                unmatched[key] = entry
        return matched, unmatched

    @api.model
    def _adopt(self, backend, remote):
        """PO records for the remote entries a send of this database noted
        (``shipwire.send.attempt``, same account and externalId) while its order
        has no PO record at the account: the send reached Shipwire, but the
        transaction that would have recorded it was undone. An externalId alone
        proves nothing: another database may give the same ones."""
        external_ids = {key: _external_ids(entry) for key, entry in remote.items()}
        wanted = set().union(*external_ids.values())
        if not wanted:
            return {}
        attempts = self.env["shipwire.send.attempt"].search(
            [("backend_ref", "=", backend.id), ("external_id", "in", list(wanted))]
        )
        if not attempts:
            return {}
        PurchaseOrder = self.env["shipwire.purchase.order"]
        orders = self.env["sale.order"].search(
            [
                ("id", "in", attempts.mapped("sale_order_ref")),
                ("company_id", "=", backend.company_id.id),
            ]
        )
        orders -= PurchaseOrder.search(
            [("backend_id", "=", backend.id), ("sale_order_id", "in", orders.ids)]
        ).sale_order_id
        noted = {
            attempt.external_id: orders.browse(attempt.sale_order_ref)
            for attempt in attempts
            if attempt.sale_order_ref in orders.ids
        }
        adopted, taken = {}, set()
        for key, names in external_ids.items():
            external_id = next((name for name in sorted(names) if name in noted), None)
            if external_id is None or external_id in taken:
                continue
            taken.add(external_id)
            purchase_order = PurchaseOrder.create(
                {
                    "sale_order_id": noted[external_id].id,
                    "backend_id": backend.id,
                    "external_id": external_id,
                }
            )
            purchase_order._note_adopted()
            adopted[purchase_order] = remote[key]
        return adopted

    # -- webhooks ------------------------------------------------------------------

    @api.model
    def _apply_webhooks(self, backend, events):
        """Apply verified deliveries (``shipwire.webhook.event``) of one account
        together, in the order they came: stock first, then the POs and
        fulfillment orders they carry, stored as one batch, then trackings.

        Deliveries may repeat or come out of order: storing is idempotent and an
        update older than what is stored changes nothing. An order we cannot place
        triggers a catch-up sync instead of a call from here."""
        remote, trackings, stock = _webhook_resources(events)
        for body in stock:
            self.env["shipwire.stock.sync"]._handle_stock_webhook(backend, body)
        matched = self._match(backend, remote) if remote else {}
        if matched:
            self.env["shipwire.purchase.order"]._store_remote(matched, replayable=True)
        if len(matched) < len(remote):
            self.env.ref(SYNC_JOB)._trigger()
        for resource in trackings:
            self._handle_tracking_webhook(backend, resource)

    @api.model
    def _webhook_purchase_orders(self, backend, events):
        """The account's POs that deliveries name, through a PO or order they
        carry or the fulfillment order of a tracking."""
        remote, trackings, _stock = _webhook_resources(events)
        purchase_orders = self.env["shipwire.purchase.order"].union(
            *(self._match_known(backend, remote)[0] if remote else ())
        )
        order_ids = {
            shipwire_id(item["orderId"])
            for resource in trackings
            for item in _tracking_items(resource)
        }
        if order_ids:
            purchase_orders |= (
                self.env["shipwire.fulfillment.order"]
                .search(
                    [
                        ("shipwire_id", "in", list(order_ids)),
                        ("purchase_order_id.backend_id", "=", backend.id),
                    ]
                )
                .purchase_order_id
            )
        return purchase_orders

    @api.model
    def _handle_tracking_webhook(self, backend, trackings):
        items = _tracking_items(trackings)
        order_ids = {shipwire_id(item["orderId"]) for item in items}
        fulfillment_orders = self.env["shipwire.fulfillment.order"].search(
            [
                ("shipwire_id", "in", list(order_ids)),
                ("purchase_order_id.backend_id", "=", backend.id),
            ]
        )
        if len(fulfillment_orders) < len(order_ids):
            self.env.ref(SYNC_JOB)._trigger()
        fulfillment_orders._shipwire_sync_children(
            [
                (
                    fulfillment_order,
                    {
                        "trackings": {
                            "resource": {
                                "items": [
                                    item
                                    for item in items
                                    if shipwire_id(item["orderId"])
                                    == fulfillment_order.shipwire_id
                                ]
                            }
                        }
                    },
                )
                for fulfillment_order in fulfillment_orders
            ]
        )
        fulfillment_orders._shipwire_update_tracking_reference()


def _webhook_resources(events):
    """What deliveries carry, in the order they came: ``(remote, trackings,
    stock)``, ``remote`` being ``{key: (PO resource or None, [order resources] or
    None)}`` as the sync groups them, ``trackings`` the tracking resources and
    ``stock`` the bodies of stock topics."""
    remote, trackings, stock = {}, [], []
    for position, event in enumerate(events):
        kind = webhook_kind(event.topic)
        body = event.body if isinstance(event.body, dict) else {}
        if kind == "stock":
            # Stock topics carry their fields flat, not a resource.
            stock.append(body)
            continue
        resource = body.get("resource")
        if not isinstance(resource, dict):
            continue
        if kind == "tracking":
            trackings.append(resource)
            continue
        id_field = "purchaseOrderId" if kind == "order" else "id"
        # One without a PO id is placed by its references, on its own.
        key = shipwire_id(resource.get(id_field)) or f"?{position}"
        purchase_order, orders = remote.get(key, (None, None))
        if kind == "order":
            remote[key] = (purchase_order, [*(orders or ()), resource])
        elif purchase_order is None or not is_older(
            last_updated(resource), last_updated(purchase_order)
        ):
            remote[key] = (resource, orders)
    return remote, trackings, stock


def _tracking_items(trackings):
    """The trackings of a tracking webhook's resource (one or a collection) that
    name their order."""
    return [
        item
        for item in collection_items(trackings) or [trackings]
        if isinstance(item, dict) and shipwire_id(item.get("orderId"))
    ]


def webhook_kind(topic):
    """What a webhook topic is about (``order``, ``tracking``, ``purchaseorder``,
    ``stock``), or None for one the module does not apply."""
    kind = topic.removeprefix("v1.").split(".", 1)[0]
    return kind if kind in ("order", "tracking", "purchaseorder", "stock") else None


def _merged(entry, other):
    """Two remote entries found to be about one PO, as one: the newer PO resource
    and the fulfillment orders of both."""
    if entry is None:
        return other
    purchase_order = entry[0]
    if other[0] is not None and (
        purchase_order is None
        or not is_older(last_updated(other[0]), last_updated(purchase_order))
    ):
        purchase_order = other[0]
    orders = [*(entry[1] or ()), *(other[1] or ())]
    return purchase_order, orders or None


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


def _external_ids(entry):
    """The externalIds a remote entry carries, split suffixes removed."""
    return {
        strip_split_suffix(_scalar(resource.get(name)))
        for resource in filter(None, [entry[0], *(entry[1] or ())])
        for name in ("externalId", "purchaseOrderExternalId")
        if _scalar(resource.get(name))
    }


def _references(key, entry):
    """Every name a remote PO entry may know its sales order by: its externalId,
    or, only when it carries none, its order number (split suffixes removed).
    Order numbers alone could match another database's orders on one account."""
    found = {key}
    for resource in filter(None, [entry[0], *(entry[1] or ())]):
        names = [
            _scalar(resource.get(name))
            for name in ("externalId", "purchaseOrderExternalId")
            if _scalar(resource.get(name))
        ] or [
            _scalar(resource.get(name))
            for name in ("purchaseOrderNo", "orderNo")
            if _scalar(resource.get(name))
        ]
        found.update(strip_split_suffix(name) for name in names)
    return found
