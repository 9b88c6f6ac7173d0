from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import FIX_PO_ACTIVITY, GROUP_MANAGER, GROUP_USER
from ..mapper import (
    as_text,
    is_newer,
    is_older,
    last_updated,
    order_state,
    purchase_order_moves_back,
    purchase_order_state,
    shipwire_id,
)
from ..shipwire_api import ShipwireRejectedError, ShipwireTransientError
from .shipwire_backend import ensure_group
from .shipwire_message import in_odoo_words

SHIPWIRE_STATES = [
    ("failed", "Send failed"),
    ("rejected", "Rejected"),
    ("held", "On hold"),
    ("needs_approval", "Needs approval"),
    ("approved", "Approved"),
    ("partially_shipped", "Partially shipped"),
    ("shipped", "Shipped"),
    ("not_delivered", "Shipped, delivery not validated"),
    ("cancelled", "Cancelled"),
]
# States in which Shipwire holds a PO for the order.
STATES_AT_SHIPWIRE = (
    "held",
    "needs_approval",
    "approved",
    "partially_shipped",
    "shipped",
    "not_delivered",
    "cancelled",
)
# States in which Shipwire holds, or may hold (a send that failed), a PO: the order
# stays with its account.
ACCOUNT_LOCKED_STATES = (*STATES_AT_SHIPWIRE, "failed")
# States that ask a person to fix something; leaving them closes the request.
PROBLEM_STATES = ("failed", "rejected", "held", "not_delivered", "cancelled")
# States in which Shipwire may still ship the order.
LIVE_STATES = ("held", "needs_approval", "approved", "partially_shipped")


class ShipwirePurchaseOrder(models.Model):
    """The link between a sales order and its PO at one Shipwire account, with
    everything Shipwire answered about it. Only the module writes it: no group has
    write access, the buttons check the user's group and then write as superuser."""

    _name = "shipwire.purchase.order"
    _inherit = [
        "shipwire.order.document",
        "shipwire.purchase.order.calls",
        "shipwire.purchase.order.messages",
    ]
    _description = "Shipwire purchase order"
    _order = "id desc"
    _check_company_auto = True

    sale_order_id = fields.Many2one(
        "sale.order",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        readonly=True,
    )
    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        related="sale_order_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="sale_order_id.partner_id", string="Customer")
    user_id = fields.Many2one(related="sale_order_id.user_id", string="Salesperson")
    warehouse_id = fields.Many2one(related="sale_order_id.warehouse_id", store=True)
    # Shipwire may name a PO by its order number only: the sync and the webhooks
    # look it up here, by index, rather than among every sales order.
    sale_order_name = fields.Char(
        related="sale_order_id.name", store=True, index=True, string="Order number"
    )
    external_id = fields.Char(
        string="Shipwire externalId", required=True, readonly=True
    )
    shipwire_id = fields.Char(string="Shipwire PO id", index=True, readonly=True)
    shipwire_status = fields.Char(
        string="Shipwire PO status",
        readonly=True,
        help="The PO status exactly as Shipwire reported it.",
    )
    state = fields.Selection(SHIPWIRE_STATES, index=True, readonly=True)
    shipwire_updated = fields.Datetime(string="PO updated at Shipwire", readonly=True)
    last_sync = fields.Datetime(string="Last Shipwire sync", readonly=True)
    retry_count = fields.Integer(readonly=True)
    next_retry = fields.Datetime(
        string="Next automatic send",
        index=True,
        readonly=True,
        help="When Shipwire could not be reached, the order is sent again then.",
    )
    message_ids = fields.One2many(
        "shipwire.message", "purchase_order_id", string="Messages", readonly=True
    )
    open_problem_count = fields.Integer(
        string="Open problems", compute="_compute_open_problem_count"
    )
    fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "purchase_order_id",
        string="Fulfillment orders",
        readonly=True,
    )
    exchange_ids = fields.One2many(
        "shipwire.exchange", "purchase_order_id", string="API calls", readonly=True
    )
    active_hold_ids = fields.One2many(
        "shipwire.hold",
        "purchase_order_id",
        string="Holds",
        domain=[("cleared_date", "=", False)],
        readonly=True,
    )

    _sql_constraints = [
        (
            "external_id_unique",
            "unique(backend_id, external_id)",
            "Each PO has its own externalId at a Shipwire account.",
        ),
        (
            "sale_order_unique",
            "unique(sale_order_id, backend_id)",
            "A sales order has one Shipwire PO record per account.",
        ),
    ]

    @api.depends("shipwire_id", "external_id", "sale_order_id")
    def _compute_display_name(self):
        for purchase_order in self:
            reference = purchase_order.shipwire_id or purchase_order.external_id
            purchase_order.display_name = (
                f"{purchase_order.sale_order_id.sudo().name} ({reference})"
            )

    @api.depends(
        "message_ids.resolved",
        "message_ids.severity",
        "fulfillment_order_ids.hold_ids.cleared_date",
    )
    def _compute_open_problem_count(self):
        for purchase_order in self:
            purchase_order.open_problem_count = len(
                purchase_order.message_ids.filtered(
                    lambda m: not m.resolved and m.severity == "error"
                )
            ) + len(purchase_order.active_hold_ids)

    # -- buttons of the PO form: the sales order's, with the same checks ----------

    def action_send(self):
        ensure_group(self.env, GROUP_USER)
        return self._orders_as_module().action_shipwire_send()

    def action_update(self):
        ensure_group(self.env, GROUP_USER)
        return self._orders_as_module().action_shipwire_update()

    def action_refresh(self):
        ensure_group(self.env, GROUP_USER)
        return self._orders_as_module().action_shipwire_refresh()

    def action_approve(self):
        ensure_group(self.env, GROUP_MANAGER)
        orders = self._orders_as_module()
        # From a list, POs that do not wait for approval may be selected too.
        not_waiting = self.sudo().filtered(lambda po: po.state != "needs_approval")
        if not_waiting:
            raise UserError(
                self.env._(
                    "%(orders)s: Shipwire does not wait for their approval. Unselect "
                    "them, then approve again.",
                    orders=", ".join(not_waiting.sale_order_id.mapped("name")),
                )
            )
        return orders.action_shipwire_approve()

    def action_cancel(self):
        ensure_group(self.env, GROUP_MANAGER)
        return self._orders_as_module().action_shipwire_cancel()

    def action_clear_holds(self):
        ensure_group(self.env, GROUP_MANAGER)
        return self._orders_as_module().action_shipwire_clear_holds()

    def action_open_sale_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }

    # -- applying Shipwire's answers -----------------------------------------------

    def _apply(self, operation, outcome):
        """Store an ``Outcome``: state, PO, messages, chatter, activity."""
        self.ensure_one()
        error = outcome.error
        if error is None:
            self._apply_snapshot(operation, outcome.value)
        elif isinstance(error, ShipwireTransientError) and operation == "create":
            self._replace_messages([error], "error")
            self.state = "failed"
            if not self.next_retry or self.next_retry <= fields.Datetime.now():
                self._schedule_retry()
            self._post(operation, self.env._("Shipwire could not be reached"), [error])
            if self.retry_count >= self.backend_id.send_failure_activity_after:
                self._schedule_activity(
                    self.env._("PO could not be sent"), [error], FIX_PO_ACTIVITY
                )
        elif isinstance(error, ShipwireRejectedError) and operation == "create":
            self.state = "rejected"
            self._replace_messages(error.errors, "error", error.warnings)
            errors = [in_odoo_words(message) for message in error.errors]
            self._post(
                operation,
                self.env._("Shipwire rejected the PO"),
                errors,
                [in_odoo_words(message) for message in error.warnings],
            )
            self._schedule_activity(self.env._("PO rejected"), errors, FIX_PO_ACTIVITY)
        else:
            # The PO itself is unchanged: keep its state, show what went wrong.
            transient = isinstance(error, ShipwireTransientError)
            reasons = error.errors if error.errors and not transient else [error]
            self._add_messages(reasons)
            if transient:
                title = self.env._(
                    "Shipwire did not answer the %(operation)s", operation=operation
                )
            else:
                title = self.env._(
                    "Shipwire refused the %(operation)s", operation=operation
                )
            self._post(operation, title, reasons)
        if not isinstance(error, ShipwireTransientError):
            # Shipwire answered: this is what it holds now.
            self.last_sync = fields.Datetime.now()

    def _apply_snapshot(self, operation, current):
        result = current.result
        if result is None:
            if self.state == "failed":
                # Not at Shipwire after all: back to "not sent", for a person to
                # send or cancel.
                self.write({"state": False, "next_retry": False})
            self._add_messages(
                [
                    self.env._(
                        "Shipwire has no PO for this order: send it again, or cancel "
                        "the order."
                    )
                ]
            )
            return
        if operation != "refresh" or result.errors or result.warnings:
            self._replace_messages(result.errors, "error", result.warnings)
        if result.recovered:
            self._note_recovered()
        self._store_remote({self: (result.purchase_order, current.fulfillment_orders)})
        if operation != "refresh":
            title = self.env._(
                "Shipwire %(operation)s: PO %(po)s is %(state)s",
                operation=operation,
                po=self.shipwire_id,
                state=dict(SHIPWIRE_STATES)[self.state].lower(),
            )
            self._post(operation, title, result.errors, result.warnings)
        if self.state == "held" and result.errors:
            self._schedule_activity(
                self.env._("PO on hold"),
                [in_odoo_words(message) for message in result.errors],
                FIX_PO_ACTIVITY,
            )

    @api.model
    def _store_remote(self, remote_by_purchase_order, replayable=False):
        """Store what Shipwire holds: ``{PO record: (PO resource or None, [fulfillment
        order resources] or None)}``. Works on batches: writes are merged by the ORM
        and records are created in one go per model. ``replayable`` resources came
        in a webhook, which anybody who captured one can send again: without a
        newer stamp they may move an order forward, never back."""
        now = fields.Datetime.now()
        # What asked a person to act before this news: the problems it settles.
        earlier_activities = self.union(*remote_by_purchase_order)._fix_activities()
        resources_by_purchase_order = {}
        for purchase_order, (
            resource,
            fulfillment_orders,
        ) in remote_by_purchase_order.items():
            values = {"last_sync": now}
            if resource:
                purchase_order._resolve_connection_messages()
                updated = last_updated(resource)
                if purchase_order._takes_update(
                    updated, resource.get("status"), replayable
                ):
                    values.update(
                        retry_count=0,
                        next_retry=False,
                        shipwire_id=shipwire_id(resource.get("id"))
                        or purchase_order.shipwire_id,
                        shipwire_status=as_text(resource.get("status")),
                        shipwire_updated=updated or purchase_order.shipwire_updated,
                    )
            purchase_order.write(values)
            if fulfillment_orders:
                resources_by_purchase_order[purchase_order] = fulfillment_orders
        changed = self.env["shipwire.fulfillment.order"]._shipwire_upsert(
            resources_by_purchase_order, replayable
        )
        changed._shipwire_follow_up()
        self.union(*remote_by_purchase_order)._update_state(earlier_activities)

    def _takes_update(self, updated, status, replayable):
        """An older update changes nothing; a replayable one that is not newer may
        move the PO forward, never back."""
        if is_older(updated, self.shipwire_updated):
            return False
        return (
            not replayable
            or is_newer(updated, self.shipwire_updated)
            or not purchase_order_moves_back(self.shipwire_status, status)
        )

    def _update_state(self, earlier_activities=None):
        """Follow Shipwire's statuses: one write per state reached, whatever the
        number of POs. A PO that leaves a problem closes the activities that asked
        to fix it (``earlier_activities``: by default all of them), not those its
        new problem just opened."""
        by_state = defaultdict(self.browse)
        settled = self.browse()
        for purchase_order in self:
            state = purchase_order._state_from_remote()
            if state != purchase_order.state:
                by_state[state] |= purchase_order
                if not purchase_order.state or purchase_order.state in PROBLEM_STATES:
                    settled |= purchase_order
        for state, purchase_orders in by_state.items():
            purchase_orders.state = state
            purchase_orders._note_milestones(state)
        for purchase_order in settled:
            purchase_order._close_activities(earlier_activities)

    def _state_from_remote(self):
        if not (self.shipwire_id or self.fulfillment_order_ids):
            return self.state
        unknown = self.fulfillment_order_ids.filtered(
            lambda fo: fo.status == "unknown"
        ).mapped("shipwire_status")
        if self.shipwire_status and not purchase_order_state(self.shipwire_status):
            unknown.append(self.shipwire_status)
        if unknown:
            self._note_unknown_status(unknown)
        state = order_state(
            self.shipwire_status, self.fulfillment_order_ids.mapped("shipwire_status")
        ) or purchase_order_state(self.shipwire_status)
        if state is None:
            return self.state
        if state in ("shipped", "partially_shipped") and any(
            self.fulfillment_order_ids.mapped("delivery_problem")
        ):
            return "not_delivered"
        return state
