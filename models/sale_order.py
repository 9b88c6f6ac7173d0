import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg2
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..const import FIX_PO_ACTIVITY, GROUP_MANAGER, GROUP_USER, TODO_ACTIVITY
from ..mapper import (
    is_older,
    last_updated,
    order_problems,
    order_state,
    purchase_order_payload,
    purchase_order_update_payload,
)
from ..shipwire_api import ShipwireRejectedError, ShipwireTransientError, snapshot
from .shipwire_backend import ensure_group

_logger = logging.getLogger(__name__)

SHIPWIRE_STATES = [
    ("failed", "Send failed"),
    ("rejected", "Rejected"),
    ("held", "On hold"),
    ("needs_approval", "Needs approval"),
    ("approved", "Approved"),
    ("partially_shipped", "Partially shipped"),
    ("shipped", "Shipped"),
    ("cancelled", "Cancelled"),
]
# States in which Shipwire holds a PO for the order.
STATES_AT_SHIPWIRE = (
    "held",
    "needs_approval",
    "approved",
    "partially_shipped",
    "shipped",
    "cancelled",
)
# States that ask a person to fix something; leaving them closes the request.
PROBLEM_STATES = ("failed", "rejected", "held", "cancelled")
# States in which Shipwire may still ship the order.
LIVE_STATES = ("held", "needs_approval", "approved", "partially_shipped")
WINDOW_TYPES = [
    ("ON", "On"),
    ("BEFORE", "Before"),
    ("AFTER", "After"),
    ("BETWEEN", "Between"),
]
ACTIVITY_SUMMARY_PREFIX = "Shipwire: "
# The code of a message saying Shipwire could not be reached or gave no readable
# answer: anything read from Shipwire afterwards supersedes it.
CONNECTION_CODE = "connection"
RETRY_FIRST_DELAY = timedelta(minutes=5)
RETRY_MAX_DELAY = timedelta(hours=6)
RETRY_MAX_DOUBLINGS = 7  # 5 min doubled 7 times passes 6 h
RETRY_BATCH_SIZE = 50
MAX_PARALLEL_CALLS = 8


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shipwire_backend_id = fields.Many2one(
        "shipwire.backend",
        string="Shipwire account",
        ondelete="restrict",
        compute="_compute_shipwire_backend_id",
        store=True,
        readonly=False,
        check_company=True,
        copy=False,
        help="Chosen from the order's warehouse.",
    )
    shipwire_state = fields.Selection(
        SHIPWIRE_STATES, copy=False, index=True, tracking=True, readonly=True
    )
    shipwire_po_id = fields.Char(string="Shipwire PO id", copy=False, readonly=True)
    shipwire_po_status = fields.Char(
        string="Shipwire PO status",
        copy=False,
        readonly=True,
        help="The PO status exactly as Shipwire reported it.",
    )
    shipwire_po_updated = fields.Datetime(
        string="PO updated at Shipwire", copy=False, readonly=True
    )
    shipwire_external_id = fields.Char(
        string="Shipwire externalId", copy=False, readonly=True
    )
    shipwire_retry_count = fields.Integer(copy=False, readonly=True)
    shipwire_next_retry = fields.Datetime(
        string="Next automatic send",
        copy=False,
        readonly=True,
        help="When Shipwire could not be reached, the order is sent again then.",
    )
    shipwire_last_sync = fields.Datetime(
        string="Last Shipwire sync", copy=False, readonly=True
    )
    shipwire_message_ids = fields.One2many(
        "shipwire.message", "sale_order_id", string="Shipwire messages", readonly=True
    )
    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "sale_order_id",
        string="Fulfillment orders",
        readonly=True,
    )
    shipwire_fulfillment_order_count = fields.Integer(
        compute="_compute_shipwire_fulfillment_order_count"
    )
    shipwire_exchange_ids = fields.One2many(
        "shipwire.exchange", "sale_order_id", string="Shipwire API calls", readonly=True
    )
    shipwire_shipping_window_type = fields.Selection(
        WINDOW_TYPES, string="Shipping window"
    )
    shipwire_shipping_window_start = fields.Date(string="Ship from")
    shipwire_shipping_window_end = fields.Date(string="Ship until")
    shipwire_delivery_window_type = fields.Selection(
        WINDOW_TYPES, string="Delivery window"
    )
    shipwire_delivery_window_start = fields.Date(string="Deliver from")
    shipwire_delivery_window_end = fields.Date(string="Deliver until")
    shipwire_packing_message1 = fields.Text(string="Packing list message 1")
    shipwire_packing_message2 = fields.Text(string="Packing list message 2")
    shipwire_packing_message3 = fields.Text(string="Packing list message 3")
    shipwire_extended_attribute_ids = fields.One2many(
        "shipwire.extended.attribute", "sale_order_id", string="Extended attributes"
    )

    _sql_constraints = [
        (
            "shipwire_external_id_unique",
            "unique(shipwire_external_id)",
            "Each order has its own Shipwire externalId.",
        )
    ]

    @api.depends("warehouse_id", "company_id")
    def _compute_shipwire_backend_id(self):
        for order in self:
            if order.shipwire_po_id:
                continue  # the account that holds the PO stays
            order.shipwire_backend_id = self.env["shipwire.backend"]._for_warehouse(
                order.warehouse_id
            )

    @api.depends("shipwire_fulfillment_order_ids")
    def _compute_shipwire_fulfillment_order_count(self):
        for order in self:
            order.shipwire_fulfillment_order_count = len(
                order.shipwire_fulfillment_order_ids
            )

    def _shipwire_external_id(self, backend):
        """Stable across attempts, so a repeated send is recognised as a duplicate."""
        self.ensure_one()
        return self.shipwire_external_id or f"{backend.external_id_prefix}{self.id}"

    # -- buttons -------------------------------------------------------------------

    def action_shipwire_send(self):
        """Send the orders to Shipwire, each exactly once; the calls run in parallel."""
        ensure_group(self.env, GROUP_USER)
        self._shipwire_lock()
        problems = []
        for order in self:
            problems += order._shipwire_send_problems()
        if problems:
            raise UserError("\n".join(problems))
        self._shipwire_send()
        return True

    def action_shipwire_update(self):
        """Correct the PO at Shipwire with the order as it is now."""
        ensure_group(self.env, GROUP_USER)
        self._shipwire_lock()
        problems = []
        for order in self:
            problems += order_problems(order, order.shipwire_backend_id)
        if problems:
            raise UserError("\n".join(problems))
        for order in self:
            if not order.shipwire_po_id:
                # Shipwire kept nothing of a rejected PO: send it anew.
                order._shipwire_send()
                continue
            payload = purchase_order_update_payload(order, order.shipwire_backend_id)
            order._shipwire_run(
                "update",
                lambda client, order=order, payload=payload: snapshot.update(
                    client, order.shipwire_po_id, payload
                ),
            )
        return True

    def action_shipwire_approve(self):
        ensure_group(self.env, GROUP_MANAGER)
        return self._shipwire_po_action("approve", "approve_purchase_order")

    def action_shipwire_cancel(self):
        ensure_group(self.env, GROUP_MANAGER)
        return self._shipwire_po_action("cancel", "cancel_purchase_order")

    def action_cancel(self):
        """Cancelling in Odoo does not stop Shipwire's warehouse: a live PO has to
        be cancelled at Shipwire first."""
        reasons = []
        for order in self:
            if order.shipwire_state == "failed":
                reasons.append(
                    self.env._(
                        "%(order)s: its last send may have reached Shipwire. Press "
                        "Refresh from Shipwire to find out.",
                        order=order.name,
                    )
                )
            elif order.shipwire_state in LIVE_STATES:
                reasons.append(
                    self.env._(
                        "%(order)s: Shipwire's warehouse would still ship PO %(po)s. "
                        "A Shipwire Manager presses Cancel at Shipwire first.",
                        order=order.name,
                        po=order.shipwire_po_id,
                    )
                )
        if reasons:
            raise UserError("\n".join([self.env._("Not cancelled:"), *reasons]))
        return super().action_cancel()

    def action_shipwire_refresh(self):
        ensure_group(self.env, GROUP_USER)
        for order in self.filtered("shipwire_backend_id"):
            order._shipwire_run(
                "refresh",
                lambda client, order=order: snapshot.fetch(
                    client,
                    order.shipwire_po_id,
                    order._shipwire_external_id(order.shipwire_backend_id),
                ),
            )
        return True

    def action_shipwire_open_fulfillment_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_fulfillment_order_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_shipwire_open_exchanges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_exchange_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        return action

    # -- sending ---------------------------------------------------------------------

    @api.model
    def _cron_retry_failed_sends(self):
        """Send again, with backoff, the orders Shipwire could not be reached for.
        A repeated send is safe: Shipwire's duplicate answer links the PO."""
        due = self.search(
            [
                ("shipwire_state", "=", "failed"),
                ("shipwire_next_retry", "<=", fields.Datetime.now()),
            ],
            limit=RETRY_BATCH_SIZE,
            order="shipwire_next_retry",
        )
        # Orders someone is sending right now are left to them.
        self.env.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(due.ids) or (0,)],
        )
        ready = self.browse(row[0] for row in self.env.cr.fetchall())
        ready.invalidate_recordset()
        sendable = self.browse()
        for order in ready:
            problems = order._shipwire_send_problems()
            if problems:
                # Needs a person: stop retrying and say why.
                order._shipwire_add_messages(problems)
                order.shipwire_next_retry = False
            else:
                sendable |= order
        sendable._shipwire_send()
        remaining = 0
        if len(due) == RETRY_BATCH_SIZE:
            remaining = self.search_count(
                [
                    ("shipwire_state", "=", "failed"),
                    ("shipwire_next_retry", "<=", fields.Datetime.now()),
                ]
            )
        self.env["ir.cron"]._notify_progress(done=len(ready), remaining=remaining)

    def _shipwire_lock(self):
        """Lock the orders' rows, failing fast when another send holds them."""
        if not self:
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM sale_order WHERE id IN %s FOR UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "%(orders)s: being sent to Shipwire by someone else right now. "
                    "Wait a moment, then refresh the page.",
                    orders=", ".join(self.mapped("name")),
                )
            ) from None
        self.invalidate_recordset()

    def _shipwire_send_problems(self):
        self.ensure_one()
        if self.shipwire_state in STATES_AT_SHIPWIRE or (
            self.shipwire_state == "rejected" and self.shipwire_po_id
        ):
            return [
                self.env._(
                    "%(order)s is already at Shipwire (PO %(po)s): use Update to "
                    "change it.",
                    order=self.name,
                    po=self.shipwire_po_id or "-",
                )
            ]
        return order_problems(self, self.shipwire_backend_id)

    def _shipwire_send(self):
        """Create the POs of already checked and locked orders."""
        jobs = []
        for order in self:
            backend = order.shipwire_backend_id
            order.shipwire_external_id = order._shipwire_external_id(backend)
            exchanges = []
            jobs.append(
                (
                    order,
                    exchanges,
                    backend._make_client(exchanges.append),
                    purchase_order_payload(order, backend),
                )
            )

        def create(job):
            _order, _exchanges, client, payload = job
            try:
                return snapshot.create(client, payload)
            finally:
                client.close()

        # HTTP only in the workers: the ORM stays in this thread.
        with ThreadPoolExecutor(min(MAX_PARALLEL_CALLS, len(jobs) or 1)) as pool:
            outcomes = list(pool.map(snapshot.capture(create), jobs))
        for (order, exchanges, _client, _payload), outcome in zip(
            jobs, outcomes, strict=True
        ):
            order._shipwire_record_exchanges("create", exchanges)
            order._shipwire_apply("create", outcome)

    def _shipwire_po_action(self, operation, client_method):
        for order in self:
            if not order.shipwire_po_id:
                raise UserError(
                    self.env._("%(order)s has no PO at Shipwire yet.", order=order.name)
                )
            order._shipwire_run(
                operation,
                lambda client, order=order: snapshot.act_then_fetch(
                    client, client_method, order.shipwire_po_id
                ),
            )
        return True

    def _shipwire_run(self, operation, call):
        """Run ``call(client)`` for this order and apply what it returns or raises."""
        self.ensure_one()
        exchanges = []
        client = self.shipwire_backend_id._make_client(exchanges.append)
        try:
            outcome = snapshot.capture(call)(client)
        finally:
            client.close()
        self._shipwire_record_exchanges(operation, exchanges)
        self._shipwire_apply(operation, outcome)

    def _shipwire_record_exchanges(self, operation, exchanges):
        self.env["shipwire.exchange"]._record(self.shipwire_backend_id, exchanges, self)

    # -- applying Shipwire's answers -----------------------------------------------

    def _shipwire_apply(self, operation, outcome):
        """Store an ``Outcome`` on the order: state, PO, messages, chatter, activity."""
        self.ensure_one()
        error = outcome.error
        if error is None:
            self._shipwire_apply_snapshot(operation, outcome.value)
        elif isinstance(error, ShipwireTransientError) and operation == "create":
            self._shipwire_replace_messages([error], "error")
            doublings = min(self.shipwire_retry_count, RETRY_MAX_DOUBLINGS)
            delay = min(RETRY_FIRST_DELAY * 2**doublings, RETRY_MAX_DELAY)
            self.write(
                {
                    "shipwire_state": "failed",
                    "shipwire_retry_count": self.shipwire_retry_count + 1,
                    "shipwire_next_retry": fields.Datetime.now() + delay,
                }
            )
            self._shipwire_post(
                operation, self.env._("Shipwire could not be reached"), [error]
            )
        elif isinstance(error, ShipwireRejectedError) and operation == "create":
            self.shipwire_state = "rejected"
            self._shipwire_replace_messages(error.errors, "error", error.warnings)
            self._shipwire_post(
                operation,
                self.env._("Shipwire rejected the PO"),
                error.errors,
                error.warnings,
            )
            self._shipwire_schedule_activity(
                self.env._("PO rejected"), error.errors, FIX_PO_ACTIVITY
            )
        else:
            # The PO itself is unchanged: keep its state, show what went wrong.
            transient = isinstance(error, ShipwireTransientError)
            reasons = error.errors if error.errors and not transient else [error]
            self._shipwire_add_messages(reasons)
            self._shipwire_post(
                operation,
                self.env._("Shipwire refused the %(operation)s", operation=operation),
                reasons,
            )
        self.shipwire_last_sync = fields.Datetime.now()

    def _shipwire_apply_snapshot(self, operation, current):
        result = current.result
        if result is None:
            if self.shipwire_state == "failed":
                # Not at Shipwire after all: back to "not sent", for a person to
                # send or cancel.
                self.write({"shipwire_state": False, "shipwire_next_retry": False})
            self._shipwire_add_messages(
                [
                    self.env._(
                        "Shipwire has no PO for this order: send it again, or cancel "
                        "the order."
                    )
                ]
            )
            return
        if operation != "refresh" or result.errors or result.warnings:
            self._shipwire_replace_messages(result.errors, "error", result.warnings)
        if result.recovered:
            self._shipwire_note_recovered()
        self._shipwire_store_remote(
            {self: (result.purchase_order, current.fulfillment_orders)}
        )
        state = self.shipwire_state
        if operation != "refresh":
            title = self.env._(
                "Shipwire %(operation)s: PO %(po)s is %(state)s",
                operation=operation,
                po=self.shipwire_po_id,
                state=dict(SHIPWIRE_STATES)[state].lower(),
            )
            self._shipwire_post(operation, title, result.errors, result.warnings)
        if state == "held" and result.errors:
            self._shipwire_schedule_activity(
                self.env._("PO on hold"), result.errors, FIX_PO_ACTIVITY
            )

    @api.model
    def _shipwire_store_remote(self, remote_by_order):
        """Store what Shipwire holds: ``{order: (PO resource or None, [fulfillment
        order resources] or None)}``. Works on batches: writes are merged by the ORM
        and records are created in one go per model."""
        now = fields.Datetime.now()
        resources_by_order = {}
        for order, (purchase_order, fulfillment_orders) in remote_by_order.items():
            values = {"shipwire_last_sync": now}
            if purchase_order:
                order._shipwire_resolve_connection_messages()
                updated = last_updated(purchase_order)
                if not is_older(updated, order.shipwire_po_updated):
                    values.update(
                        shipwire_retry_count=0,
                        shipwire_next_retry=False,
                        shipwire_po_id=str(
                            purchase_order.get("id") or order.shipwire_po_id
                        ),
                        shipwire_po_status=purchase_order.get("status") or "",
                        shipwire_po_updated=updated or order.shipwire_po_updated,
                    )
            order.write(values)
            if fulfillment_orders:
                resources_by_order[order] = fulfillment_orders
        changed = self.env["shipwire.fulfillment.order"]._shipwire_upsert(
            resources_by_order
        )
        changed._shipwire_follow_up()
        for order in self.union(*remote_by_order):
            state = order._shipwire_state_from_remote()
            if state != order.shipwire_state:
                order.shipwire_state = state
                if state not in PROBLEM_STATES:
                    order._shipwire_close_activities()

    def _shipwire_state_from_remote(self):
        if not (self.shipwire_po_id or self.shipwire_fulfillment_order_ids):
            return self.shipwire_state
        return order_state(
            self.shipwire_po_status,
            self.shipwire_fulfillment_order_ids.mapped("status"),
        )

    def _shipwire_open_delivery(self):
        """The delivery Shipwire ships next: the first outgoing one still open."""
        return self.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]

    def _shipwire_replace_messages(self, errors, severity, warnings=()):
        """The answer supersedes earlier messages: resolve them, add the new ones."""
        self.shipwire_message_ids.filtered(lambda m: not m.resolved).resolved = True
        self._shipwire_add_messages(errors, severity)
        self._shipwire_add_messages(warnings, "warning")

    def _shipwire_add_messages(self, messages, severity="error"):
        self.env["shipwire.message"].create(
            [self._shipwire_message_values(message, severity) for message in messages]
        )

    def _shipwire_message_values(self, message, severity):
        if isinstance(message, ShipwireTransientError):
            # Its text names what failed; the details of a 5xx answer go with it.
            return {
                "sale_order_id": self.id,
                "severity": "error",
                "code": CONNECTION_CODE,
                "text": str(message),
            }
        message_type = getattr(message, "type", None)
        return {
            "sale_order_id": self.id,
            "severity": message_type
            if message_type in ("error", "warning", "info")
            else severity,
            "code": getattr(message, "code", "") or "",
            "field_name": getattr(message, "field", "") or "",
            "text": getattr(message, "message", None) or str(message),
        }

    def _shipwire_resolve_connection_messages(self):
        """Shipwire answered after all: its PO was read. A send that seemed to fail
        had in fact reached it."""
        stale = self.shipwire_message_ids.filtered(
            lambda m: not m.resolved and m.code == CONNECTION_CODE
        )
        if not stale:
            return
        stale.resolved = True
        if self.shipwire_state == "failed":
            self._shipwire_note_recovered()

    def _shipwire_note_recovered(self):
        self._shipwire_add_messages(
            [
                self.env._(
                    "Shipwire already had this PO from an earlier attempt; it was "
                    "linked, not sent twice."
                )
            ],
            severity="info",
        )

    def _shipwire_post(self, operation, title, errors=(), warnings=()):
        items = Markup("").join(
            Markup("<li>%s</li>") % escape(str(message))
            for message in list(errors) + list(warnings)
        )
        body = Markup("<p>%s</p>") % title
        if items:
            body += Markup("<ul>%s</ul>") % items
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _shipwire_schedule_activity(self, title, errors, activity_type=TODO_ACTIVITY):
        """One open activity per problem: the same one is not scheduled twice."""
        summary = f"{ACTIVITY_SUMMARY_PREFIX}{title}"
        if summary in self.activity_ids.mapped("summary"):
            return
        note = Markup("<ul>%s</ul>") % Markup("").join(
            Markup("<li>%s</li>") % escape(str(error)) for error in errors
        )
        self.activity_schedule(
            activity_type,
            summary=summary,
            note=note,
            user_id=(self.user_id or self.env.user).id,
        )

    def _shipwire_close_activities(self):
        """Shipwire accepted the PO: what asked to fix it is done."""
        fix_po = self.env.ref(FIX_PO_ACTIVITY)
        self.activity_ids.filtered(
            lambda a: a.activity_type_id == fix_po
        ).action_feedback(feedback=self.env._("Shipwire accepted the PO."))
