from concurrent.futures import ThreadPoolExecutor

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..mapper import purchase_order_payload, purchase_order_update_payload
from ..shipwire_api import snapshot

RETRY_BATCH_SIZE = 50
MAX_PARALLEL_CALLS = 8


class ShipwirePurchaseOrderCalls(models.AbstractModel):
    """The calls to Shipwire of ``shipwire.purchase.order``: send, update, approve,
    cancel, refresh and the retry job. Each call is logged and its answer applied.
    Callers have checked the user's rights and run as superuser."""

    _name = "shipwire.purchase.order.calls"
    _description = "Calls to Shipwire for a PO"

    def _send(self):
        """Create the POs of already checked and locked orders, in parallel."""
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
                )
            )

        def create(job):
            _purchase_order, _exchanges, client, payload = job
            try:
                return snapshot.create(client, payload)
            finally:
                client.close()

        # HTTP only in the workers: the ORM stays in this thread.
        with ThreadPoolExecutor(min(MAX_PARALLEL_CALLS, len(jobs) or 1)) as pool:
            outcomes = list(pool.map(snapshot.capture(create), jobs))
        for (purchase_order, exchanges, _client, _payload), outcome in zip(
            jobs, outcomes, strict=True
        ):
            purchase_order._record_exchanges(exchanges)
            purchase_order._apply("create", outcome)

    def _update(self):
        """Correct the POs at Shipwire with their orders as they are now."""
        for purchase_order in self:
            if not purchase_order.shipwire_id:
                # Shipwire kept nothing of a rejected PO: send it anew.
                purchase_order._send()
                continue
            payload = purchase_order_update_payload(
                purchase_order.sale_order_id, purchase_order.backend_id
            )
            purchase_order._run(
                "update",
                lambda client, po=purchase_order, payload=payload: snapshot.update(
                    client, po.shipwire_id, payload
                ),
            )

    def _refresh(self):
        for purchase_order in self:
            purchase_order._run(
                "refresh",
                lambda client, po=purchase_order: snapshot.fetch(
                    client, po.shipwire_id, po.external_id
                ),
            )
        return True

    def _po_action(self, operation, client_method):
        """Approve or cancel at Shipwire, then read the PO as it now is."""
        for purchase_order in self:
            if not purchase_order.shipwire_id:
                raise UserError(
                    self.env._(
                        "%(order)s has no PO at Shipwire yet.",
                        order=purchase_order.sale_order_id.name,
                    )
                )
            purchase_order._run(
                operation,
                lambda client, po=purchase_order: snapshot.act_then_fetch(
                    client, client_method, po.shipwire_id
                ),
            )
        return True

    def _run(self, operation, call):
        """Run ``call(client)`` for this PO and apply what it returns or raises."""
        self.ensure_one()
        exchanges = []
        client = self.backend_id._make_client(exchanges.append)
        try:
            outcome = snapshot.capture(call)(client)
        finally:
            client.close()
        self._record_exchanges(exchanges)
        self._apply(operation, outcome)

    def _record_exchanges(self, exchanges):
        self.env["shipwire.exchange"]._record(self.backend_id, exchanges, self)

    @api.model
    def _cron_retry_failed_sends(self):
        """Send again, with backoff, the POs Shipwire could not be reached for.
        A repeated send is safe: Shipwire's duplicate answer links the PO."""
        due_domain = [
            ("state", "=", "failed"),
            ("next_retry", "<=", fields.Datetime.now()),
        ]
        due = self.search(due_domain, limit=RETRY_BATCH_SIZE, order="next_retry")
        # Orders someone is sending right now are left to them.
        self.env.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(due.sale_order_id.ids) or (0,)],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        ready = due.filtered(lambda po: po.sale_order_id.id in locked)
        ready.invalidate_recordset()
        for company in ready.company_id:
            ready.filtered(
                lambda po, company=company: po.company_id == company
            ).with_company(company)._retry()
        remaining = 0
        if len(due) == RETRY_BATCH_SIZE:
            remaining = self.search_count(due_domain)
        self.env["ir.cron"]._notify_progress(done=len(ready), remaining=remaining)

    def _retry(self):
        sendable = self.browse()
        for purchase_order in self:
            problems = purchase_order.sale_order_id._shipwire_send_problems()
            if problems:
                # Needs a person: stop retrying and say why.
                purchase_order._add_messages(problems)
                purchase_order.next_retry = False
            else:
                sendable |= purchase_order
        sendable._send()
