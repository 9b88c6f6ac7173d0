from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_datetime, mute_logger

from ..const import GROUP_MANAGER, GROUP_USER
from ..mapper import order_problems
from ..mapper.outgoing import shipwire_lines
from .shipwire_backend import ensure_group, notification
from .shipwire_purchase_order import (
    ACCOUNT_LOCKED_STATES,
    LIVE_STATES,
    STATES_AT_SHIPWIRE,
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

    # -- buttons -------------------------------------------------------------------

    def _shipwire_as_module(self):
        """After the caller's group was checked: the module does the rest."""
        self.check_access("read")
        return self.sudo()

    def action_shipwire_send(self):
        """Send the orders to Shipwire, each exactly once; the calls run in parallel."""
        ensure_group(self.env, GROUP_USER)
        return self._shipwire_as_module()._shipwire_send_checked()

    def action_shipwire_update(self):
        """Correct the PO at Shipwire with the order as it is now."""
        ensure_group(self.env, GROUP_USER)
        return self._shipwire_as_module()._shipwire_update_checked()

    def action_shipwire_approve(self):
        ensure_group(self.env, GROUP_MANAGER)
        for purchase_orders in self._shipwire_as_module()._shipwire_existing_pos():
            purchase_orders._po_action("approve", "approve_purchase_order")
        return True

    def action_shipwire_cancel(self):
        ensure_group(self.env, GROUP_MANAGER)
        for purchase_orders in self._shipwire_as_module()._shipwire_existing_pos():
            purchase_orders._po_action("cancel", "cancel_purchase_order")
        return True

    def action_shipwire_clear_holds(self):
        ensure_group(self.env, GROUP_MANAGER)
        for purchase_orders in self._shipwire_as_module()._shipwire_existing_pos():
            purchase_orders._clear_holds()
        return True

    def action_shipwire_refresh(self):
        ensure_group(self.env, GROUP_USER)
        for purchase_orders in self._shipwire_as_module()._shipwire_existing_pos():
            purchase_orders._refresh()
        return True

    def _shipwire_existing_pos(self):
        not_sent = self.filtered(lambda order: not order.shipwire_purchase_order_id)
        if not_sent:
            raise UserError(
                self.env._(
                    "%(orders)s: not sent to Shipwire yet.",
                    orders=", ".join(not_sent.mapped("name")),
                )
            )
        return self._shipwire_in_companies(
            lambda orders: orders.shipwire_purchase_order_id
        )

    def _shipwire_in_companies(self, records_of):
        """``[records_of(orders)]`` for each company's orders, in that company."""
        by_company = defaultdict(lambda: self.browse())
        for order in self:
            by_company[order.company_id] |= order
        return [
            records_of(orders.with_company(company))
            for company, orders in by_company.items()
        ]

    def _shipwire_send_checked(self):
        self._shipwire_lock()
        problems = [
            problem
            for found in self._shipwire_send_problems().values()
            for problem in found
        ]
        if problems:
            if len(self) > 1:
                problems.insert(
                    0,
                    self.env._(
                        "None of the %(count)s selected orders was sent. Fix or "
                        "unselect these, then send again:",
                        count=len(self),
                    ),
                )
            raise UserError("\n".join(problems))
        linked = self.env["shipwire.purchase.order"]
        for purchase_orders in self._shipwire_in_companies(
            lambda orders: orders._shipwire_purchase_orders()
        ):
            linked |= purchase_orders._send()
        return self._shipwire_send_notification(linked.sale_order_id)

    def _shipwire_send_notification(self, linked):
        """What became of each sent order, named, for the web client to show."""
        _ = self.env._
        titles = {
            "sent": _("Sent"),
            "linked": _("Already at Shipwire, linked"),
            "held": _("Sent, on hold at Shipwire"),
            "rejected": _("Rejected by Shipwire (see the order's messages)"),
            "failed": _("Shipwire could not be reached (sent again automatically)"),
        }
        outcomes = defaultdict(list)
        for order in self:
            state = order.shipwire_state
            if state in ("held", "rejected", "failed"):
                outcomes[state].append(order.name)
            else:
                outcomes["linked" if order in linked else "sent"].append(order.name)
        if outcomes.keys() & {"rejected", "failed"}:
            kind = "danger"
        elif "held" in outcomes:
            kind = "warning"
        else:
            kind = "success"
        return notification(
            kind,
            "\n".join(
                f"{title} ({len(outcomes[key])}): {', '.join(outcomes[key])}"
                for key, title in titles.items()
                if outcomes[key]
            ),
            title=_("Send to Shipwire"),
            reload=True,
        )

    def _shipwire_update_checked(self):
        self._shipwire_lock()
        problems = []
        for order in self:
            problems += order_problems(order, order.shipwire_backend_id)
        if problems:
            raise UserError("\n".join(problems))
        for purchase_orders in self._shipwire_in_companies(
            lambda orders: orders._shipwire_purchase_orders()
        ):
            purchase_orders._update()
        return True

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

    def action_shipwire_open_purchase_order(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_stock_shipwire.shipwire_purchase_order_action"
        )
        action.update(
            res_id=self.shipwire_purchase_order_id.id, views=[(False, "form")]
        )
        return action

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

    # -- helpers of the calls --------------------------------------------------------

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
        self.shipwire_purchase_order_ids.invalidate_recordset()

    def _shipwire_send_problems(self):
        """``{order: every reason it cannot be sent}``; the catalogue is looked
        up once per account, not per order."""
        missing = self._shipwire_skus_not_in_catalogue()
        problems = {}
        for order in self:
            if order.shipwire_state in STATES_AT_SHIPWIRE or (
                order.shipwire_state == "rejected" and order.shipwire_po_id
            ):
                problems[order] = [
                    self.env._(
                        "%(order)s is already at Shipwire (PO %(po)s): use Update "
                        "to change it.",
                        order=order.name,
                        po=order.shipwire_po_id or "-",
                    )
                ]
            else:
                problems[order] = order_problems(
                    order, order.shipwire_backend_id
                ) + order._shipwire_catalogue_problems(missing)
        return problems

    def _shipwire_skus_not_in_catalogue(self):
        """``{account: SKUs of these orders its catalogue is known to lack}``."""
        skus_by_backend = defaultdict(set)
        for order in self:
            skus = shipwire_lines(order).product_id.mapped("default_code")
            skus_by_backend[order.shipwire_backend_id].update(filter(None, skus))
        return {
            backend: backend._shipwire_skus_not_in_catalogue(skus)
            for backend, skus in skus_by_backend.items()
            if backend
        }

    def _shipwire_catalogue_problems(self, missing):
        """Lines whose SKU the account's catalogue is known to lack (``missing``,
        by account): Shipwire would hold the PO for an unrecognized SKU."""
        backend = self.shipwire_backend_id
        lacking = missing.get(backend, set())
        return [
            self.env._(
                "%(order)s: %(product)s (SKU %(sku)s) is not in the catalogue of "
                "Shipwire account %(account)s as of its stock sync of %(date)s; use "
                "Send to Shipwire on the product first.",
                order=self.name,
                product=product.display_name,
                sku=product.default_code,
                account=backend.name,
                date=format_datetime(self.env, backend.stock_synced_at),
            )
            for product in shipwire_lines(self).product_id
            if product.default_code in lacking
        ]

    def _shipwire_open_delivery(self):
        """The delivery Shipwire ships next: the first outgoing one still open."""
        return self.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )[:1]
