import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..const import FIX_PO_ACTIVITY
from ..mapper import (
    purchase_order_payload,
    purchase_order_state,
    purchase_order_update_payload,
)
from ..shipwire_api import ShipwireTransientError, snapshot
from .shipwire_message import CONNECTION_CODE

_logger = logging.getLogger(__name__)

MAX_PARALLEL_CALLS = 8
# Past this, the retry job stops after its round and the scheduler runs it again.
RETRY_TIME_BUDGET = 60
RETRY_FIRST_DELAY = timedelta(minutes=5)
RETRY_MAX_DELAY = timedelta(hours=6)
RETRY_MAX_DOUBLINGS = 7  # 5 min doubled 7 times passes 6 h


class ShipwirePurchaseOrderCalls(models.AbstractModel):
    """The calls to Shipwire of ``shipwire.purchase.order``: send, update, approve,
    cancel, refresh and the retry job. Each call is logged and its answer applied.
    Callers have checked the user's rights and run as superuser."""

    _name = "shipwire.purchase.order.calls"
    _description = "Calls to Shipwire for a PO"

    def _send(self):
        """Create the POs of already checked and locked orders, in parallel.
        Returns those Shipwire already had (linked, not created twice)."""
        Attempt = self.env["shipwire.send.attempt"]
        maybe_sent = Attempt._maybe_sent(self)
        Attempt._note(self)
        jobs = []
        for purchase_order in self:
            order, backend = purchase_order.sale_order_id, purchase_order.backend_id
            exchanges = []
            jobs.append(
                (
                    purchase_order,
                    exchanges,
                    backend._make_client(exchanges.append),
                    purchase_order_payload(order, backend),
                    # Never a second PO: found by its externalId, it is linked.
                    snapshot.find_or_create
                    if purchase_order in maybe_sent
                    else snapshot.create,
                )
            )

        def create(job):
            _purchase_order, _exchanges, client, payload, call = job
            try:
                return call(client, payload)
            finally:
                client.close()

        # HTTP only in the workers: the ORM stays in this thread.
        with ThreadPoolExecutor(min(MAX_PARALLEL_CALLS, len(jobs) or 1)) as pool:
            outcomes = list(pool.map(snapshot.capture(create), jobs))
        linked = self.browse()
        for (purchase_order, exchanges, *_rest), outcome in zip(
            jobs, outcomes, strict=True
        ):
            purchase_order._record_exchanges(exchanges)
            try:
                with self.env.cr.savepoint():
                    purchase_order._apply("create", outcome)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # noqa: BLE001 - keep the other orders' answers
                _logger.exception(
                    "Shipwire's answer for %s could not be stored",
                    purchase_order.sale_order_id.name,
                )
                purchase_order._apply_unreadable(error)
            else:
                if outcome.error is None and outcome.value.result.recovered:
                    linked |= purchase_order
        return linked

    def _update(self):
        """Correct the POs at Shipwire with their orders as they are now. Returns
        those Shipwire left unanswered, as the calls below do."""
        unanswered = self.browse()
        for purchase_order in self:
            if not purchase_order.shipwire_id:
                # Shipwire kept nothing of a rejected PO: send it anew.
                purchase_order._send()
                if purchase_order.state == "failed":
                    unanswered |= purchase_order
                continue
            payload = purchase_order_update_payload(
                purchase_order.sale_order_id, purchase_order.backend_id
            )
            if purchase_order._run(
                "update",
                lambda client, po=purchase_order, payload=payload: snapshot.update(
                    client, po.shipwire_id, payload
                ),
            ):
                unanswered |= purchase_order
        return unanswered

    def _refresh(self):
        return self.filtered(
            lambda po: po._run(
                "refresh",
                lambda client: snapshot.fetch(client, po.shipwire_id, po.external_id),
            )
        )

    def _po_action(self, operation, client_method):
        """Approve or cancel at Shipwire, then read the PO as it now is."""
        unanswered = self.browse()
        for purchase_order in self:
            if not purchase_order.shipwire_id:
                raise UserError(
                    self.env._(
                        "%(order)s has no PO at Shipwire yet.",
                        order=purchase_order.sale_order_id.name,
                    )
                )
            if purchase_order._run(
                operation,
                lambda client, po=purchase_order: snapshot.act_then_fetch(
                    client, client_method, po.shipwire_id
                ),
            ):
                unanswered |= purchase_order
        return unanswered

    def _clear_holds(self):
        """Clear at Shipwire the holds of the PO and of its held fulfillment
        orders, then read the PO as it now is."""
        unanswered = self.browse()
        for purchase_order in self:
            held = purchase_order.fulfillment_order_ids.filtered("active_hold_count")
            po_held = purchase_order_state(purchase_order.shipwire_status) == "held"

            def clear(client, po=purchase_order, held=held, po_held=po_held):
                if po_held:
                    client.clear_purchase_order_hold(po.shipwire_id)
                for fulfillment_order in held:
                    client.clear_order_holds(fulfillment_order.shipwire_id)
                return snapshot.fetch(client, po.shipwire_id, None)

            if purchase_order._run("clear holds", clear):
                unanswered |= purchase_order
        return unanswered

    def _run(self, operation, call):
        """Run ``call(client)`` for this PO and apply what it returns or raises.
        Returns whether Shipwire left it unanswered (no answer in time, an outage):
        what the call did there is then unknown."""
        self.ensure_one()
        exchanges = []
        client = self.backend_id._make_client(exchanges.append)
        try:
            outcome = snapshot.capture(call)(client)
        finally:
            client.close()
        self._record_exchanges(exchanges)
        self._apply(operation, outcome)
        return isinstance(outcome.error, ShipwireTransientError)

    def _record_exchanges(self, exchanges):
        self.env["shipwire.exchange"]._record(self.backend_id, exchanges, self)

    def _schedule_retry(self):
        """The retry job sends these again later: 5 minutes, doubling, 6 h at most."""
        now = fields.Datetime.now()
        for purchase_order in self:
            doublings = min(purchase_order.retry_count, RETRY_MAX_DOUBLINGS)
            delay = min(RETRY_FIRST_DELAY * 2**doublings, RETRY_MAX_DELAY)
            purchase_order.write(
                {
                    "retry_count": purchase_order.retry_count + 1,
                    "next_retry": now + delay,
                }
            )

    def _hand_to_retry_job(self):
        """Wake the retry job when the first of these failed sends is due."""
        due = self.filtered(lambda po: po.state in (False, "failed") and po.next_retry)
        if due:
            self.env.ref("sale_stock_shipwire.ir_cron_shipwire_retry_sends")._trigger(
                at=min(due.mapped("next_retry"))
            )

    def _apply_unreadable(self, error):
        """Shipwire answered a send, but storing its answer failed: the PO may exist
        at Shipwire, so the retry job reads it again (and links it)."""
        self.state = "failed"
        self._schedule_retry()
        # Resolved, as an outage is, once Shipwire's PO is read.
        self.env["shipwire.message"].create(
            {
                "purchase_order_id": self.id,
                "severity": "error",
                "code": CONNECTION_CODE,
                "text": self.env._(
                    "Shipwire's answer could not be stored (%(error)s). The PO is "
                    "read again automatically; it is not sent twice.",
                    error=error,
                ),
            }
        )

    @api.model
    def _cron_retry_failed_sends(self):
        """Send again, with backoff, the POs Shipwire could not be reached for, a
        round of parallel calls at a time, each round committed. A repeated send is
        safe: Shipwire's duplicate answer links the PO."""
        Sync = self.env["shipwire.sync"]
        clock = time.monotonic()
        done = 0
        while due := self._lock_due_round():
            # Backed off before the call: a run killed during the call still waits
            # before the next try.
            due._schedule_retry()
            Sync._commit_progress()
            # The commit let the rows go: whoever took them meanwhile keeps them.
            due = due._lock_sale_orders().filtered(
                lambda po: po.state in (False, "failed")
            )
            due = due._stop_retrying_stale()
            for in_company in due.sale_order_id._shipwire_in_companies(
                lambda orders: orders.shipwire_purchase_order_id
            ):
                in_company._retry()
            Sync._commit_progress()
            done += len(due)
            if time.monotonic() - clock > RETRY_TIME_BUDGET:
                break
        remaining = self.search_count(
            [
                ("state", "in", (False, "failed")),
                ("next_retry", "<=", fields.Datetime.now()),
            ]
        )
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _lock_due_round(self):
        """The next due POs, at most one round of parallel calls, with their sales
        orders locked; orders someone is sending right now are left to them."""
        self.flush_model(["state", "next_retry", "sale_order_id"])
        self.env.cr.execute(
            """
            SELECT po.id FROM shipwire_purchase_order po
              JOIN sale_order so ON so.id = po.sale_order_id
             WHERE (po.state = 'failed' OR po.state IS NULL)
               AND po.next_retry <= %s
             ORDER BY po.next_retry, po.id
             LIMIT %s
               FOR UPDATE OF so SKIP LOCKED
            """,
            [fields.Datetime.now(), MAX_PARALLEL_CALLS],
        )
        due = self.browse(row[0] for row in self.env.cr.fetchall())
        due.invalidate_recordset()
        return due

    def _lock_sale_orders(self):
        """The POs whose sales orders could be locked now."""
        self.env.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(self.sale_order_id.ids) or (0,)],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_recordset()
        return self.filtered(lambda po: po.sale_order_id.id in locked)

    def _stop_retrying_stale(self):
        """Due POs their orders no longer use stop retrying: the order is not
        confirmed (confirming it again queues it anew), or it moved to another
        account while queued, where it is queued again or shows in To send.
        Returns the others, each its order's current PO."""
        stale = self.filtered(
            lambda po: (
                po.sale_order_id.state != "sale"
                or po.sale_order_id.shipwire_purchase_order_id != po
            )
        )
        stale.next_retry = False
        stale.sale_order_id._shipwire_queue_on_confirmation()
        return self - stale

    def _retry(self):
        sendable = self.browse()
        problems_by_order = self.sale_order_id._shipwire_send_problems()
        for purchase_order in self:
            problems = problems_by_order[purchase_order.sale_order_id]
            if problems:
                # Needs a person: stop retrying and say why. The order shows in
                # To send until someone sends it.
                purchase_order._add_messages(problems)
                purchase_order.next_retry = False
                purchase_order._schedule_activity(
                    self.env._("PO not sent automatically"),
                    problems,
                    FIX_PO_ACTIVITY,
                )
            else:
                sendable |= purchase_order
        sendable._send()
