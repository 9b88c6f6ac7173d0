from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..const import GROUP_USER
from .shipwire_purchase_order import (
    ACCOUNT_LOCKED_STATES,
    LIVE_STATES,
)

EMPLOYEES = "base.group_user"
WINDOW_TYPES = [
    ("ON", "On"),
    ("BEFORE", "Before"),
    ("AFTER", "After"),
    ("BETWEEN", "Between"),
]
# What links the order to its PO at Shipwire: shown here, kept on the PO record,
# written by the module only.
PROTECTED_FIELDS = {
    "shipwire_purchase_order_ids",
    "shipwire_purchase_order_id",
    "shipwire_state",
    "shipwire_po_id",
    "shipwire_po_status",
    "shipwire_external_id",
    "shipwire_last_sync",
    "shipwire_next_retry",
    "shipwire_message_ids",
    "shipwire_fulfillment_order_ids",
    "shipwire_exchange_ids",
    "shipwire_quoted_shipping_price",
    "shipwire_shipping_cost",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Shipwire's data is for employees: none of it shows to portal users.
    shipwire_backend_id = fields.Many2one(
        "shipwire.backend",
        string="Shipwire account",
        ondelete="restrict",
        compute="_compute_shipwire_backend_id",
        store=True,
        readonly=False,
        check_company=True,
        copy=False,
        groups=EMPLOYEES,
        help="Chosen from the order's warehouse.",
    )
    shipwire_purchase_order_ids = fields.One2many(
        "shipwire.purchase.order",
        "sale_order_id",
        string="Shipwire POs",
        readonly=True,
        copy=False,
        groups=EMPLOYEES,
    )
    shipwire_purchase_order_id = fields.Many2one(
        "shipwire.purchase.order",
        string="Shipwire PO",
        compute="_compute_shipwire_purchase_order_id",
        store=True,
        index="btree_not_null",
        copy=False,
        groups=EMPLOYEES,
        help="The PO at the order's Shipwire account.",
    )
    shipwire_state = fields.Selection(
        related="shipwire_purchase_order_id.state",
        store=True,
        index=True,
        tracking=True,
        string="Shipwire state",
        groups=EMPLOYEES,
    )
    shipwire_po_id = fields.Char(
        related="shipwire_purchase_order_id.shipwire_id",
        string="Shipwire PO id",
        groups=EMPLOYEES,
    )
    shipwire_po_status = fields.Char(
        related="shipwire_purchase_order_id.shipwire_status",
        string="Shipwire PO status",
        groups=EMPLOYEES,
    )
    shipwire_quoted_shipping_price = fields.Monetary(
        related="shipwire_purchase_order_id.quoted_shipping_price",
        currency_field="currency_id",
        string="Quoted delivery price",
        groups=EMPLOYEES,
    )
    shipwire_shipping_cost = fields.Char(
        related="shipwire_purchase_order_id.shipping_cost_display",
        string="Shipping cost at Shipwire",
        groups=EMPLOYEES,
    )
    shipwire_external_id = fields.Char(
        related="shipwire_purchase_order_id.external_id",
        string="Shipwire externalId",
        groups=EMPLOYEES,
    )
    shipwire_last_sync = fields.Datetime(
        related="shipwire_purchase_order_id.last_sync",
        string="Last Shipwire sync",
        groups=EMPLOYEES,
    )
    shipwire_next_retry = fields.Datetime(
        related="shipwire_purchase_order_id.next_retry",
        string="Next automatic send",
        groups=EMPLOYEES,
    )
    # Of every PO the order had, at any account: the history stays.
    shipwire_message_ids = fields.One2many(
        "shipwire.message",
        "sale_order_id",
        string="Shipwire messages",
        readonly=True,
        copy=False,
        groups=EMPLOYEES,
    )
    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "sale_order_id",
        string="Fulfillment orders",
        readonly=True,
        copy=False,
        groups=EMPLOYEES,
    )
    shipwire_exchange_ids = fields.One2many(
        "shipwire.exchange",
        "sale_order_id",
        string="Shipwire API calls",
        readonly=True,
        copy=False,
        groups=GROUP_USER,
    )
    shipwire_fulfillment_order_count = fields.Integer(
        compute="_compute_shipwire_fulfillment_order_count", groups=EMPLOYEES
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

    @api.depends("warehouse_id", "company_id")
    def _compute_shipwire_backend_id(self):
        # One search for all the orders' warehouses, not one per order: installing
        # computes this for every existing order.
        mappings = self.env["shipwire.warehouse"].search(
            [
                ("warehouse_id", "in", self.warehouse_id.ids),
                ("backend_id.active", "=", True),
            ]
        )
        backend_by_warehouse = {}
        for mapping in mappings:
            backend_by_warehouse.setdefault(
                (mapping.warehouse_id, mapping.company_id), mapping.backend_id
            )
        for order in self:
            if order._shipwire_account_locked():
                continue  # the account that holds (or may hold) the PO stays
            order.shipwire_backend_id = backend_by_warehouse.get(
                (order.warehouse_id, order.warehouse_id.company_id),
                self.env["shipwire.backend"],
            )

    @api.depends("shipwire_purchase_order_ids", "shipwire_backend_id")
    def _compute_shipwire_purchase_order_id(self):
        for order in self:
            order.shipwire_purchase_order_id = (
                order.sudo().shipwire_purchase_order_ids.filtered(
                    lambda po, order=order: po.backend_id == order.shipwire_backend_id
                )[:1]
            )

    @api.depends("shipwire_fulfillment_order_ids")
    def _compute_shipwire_fulfillment_order_count(self):
        for order in self:
            order.shipwire_fulfillment_order_count = len(
                order.shipwire_fulfillment_order_ids
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._shipwire_refuse_protected(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._shipwire_refuse_protected(vals)
        if vals.get("state") == "cancel":
            self._shipwire_check_cancel()
        locked = self.filtered(lambda order: order._shipwire_account_locked())
        where = {
            order: (order.shipwire_backend_id, order.warehouse_id) for order in locked
        }
        result = super().write(vals)
        moved = locked.filtered(
            lambda order: (
                (order.shipwire_backend_id, order.warehouse_id) != where[order]
            )
        )
        if moved:
            raise UserError(
                self.env._(
                    "%(orders)s: Shipwire holds or may hold a PO of this order, so "
                    "it stays with its Shipwire account and warehouse. Cancel it at "
                    "Shipwire first, or Refresh a failed send.",
                    orders=", ".join(moved.mapped("name")),
                )
            )
        return result

    def _shipwire_account_locked(self):
        """Whether a PO of this order is, or may be, at its account."""
        self.ensure_one()
        return any(
            po.state in ACCOUNT_LOCKED_STATES
            and po.backend_id == self.shipwire_backend_id
            for po in self.sudo().shipwire_purchase_order_ids
        )

    def _shipwire_refuse_protected(self, vals):
        protected = sorted(PROTECTED_FIELDS & vals.keys())
        if protected:
            raise AccessError(
                self.env._(
                    "%(fields)s: only the Shipwire connector sets these, from "
                    "Shipwire's answers. Use the Shipwire buttons instead.",
                    fields=", ".join(protected),
                )
            )

    def _shipwire_external_id(self, backend):
        """Stable across attempts, so a repeated send is recognised as a duplicate."""
        self.ensure_one()
        purchase_order = self.sudo().shipwire_purchase_order_ids.filtered(
            lambda po: po.backend_id == backend
        )
        return purchase_order.external_id or f"{backend.external_id_prefix}{self.id}"

    def _shipwire_purchase_orders(self):
        """The orders' PO records at their accounts, created where missing."""
        PurchaseOrder = self.env["shipwire.purchase.order"].sudo()
        missing = self.filtered(lambda order: not order.shipwire_purchase_order_id)
        PurchaseOrder.create(
            [
                {
                    "sale_order_id": order.id,
                    "backend_id": order.shipwire_backend_id.id,
                    "external_id": order._shipwire_external_id(
                        order.shipwire_backend_id
                    ),
                }
                for order in missing
            ]
        )
        return self.sudo().shipwire_purchase_order_id

    def action_confirm(self):
        result = super().action_confirm()
        self._shipwire_queue_on_confirmation()
        return result

    def _shipwire_queue_on_confirmation(self):
        """Orders of an account that sends on confirmation: the retry job sends
        them now, in the background, so the confirmation never waits for Shipwire.
        A PO that never reached Shipwire (no state: cancelled while queued, or
        stopped for a problem) is queued again."""
        queued = self.sudo().filtered(
            lambda order: (
                order.state == "sale"
                and order.shipwire_backend_id.send_on_confirmation
                and not order.shipwire_state
            )
        )
        if queued:
            purchase_orders = queued._shipwire_purchase_orders()
            purchase_orders.next_retry = fields.Datetime.now()
            purchase_orders._hand_to_retry_job()

    def action_cancel(self):
        """Refused before Odoo asks whether to e-mail the customer."""
        self._shipwire_check_cancel()
        return super().action_cancel()

    def _action_cancel(self):
        """Every way of cancelling passes here (the form's button, the list's mass
        cancel wizard), or through ``write``."""
        self._shipwire_check_cancel()
        return super()._action_cancel()

    def _shipwire_check_cancel(self):
        """Odoo's cancel does not stop Shipwire's warehouse: a live PO has to be
        cancelled at Shipwire first."""
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
