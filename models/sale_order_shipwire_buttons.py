from collections import defaultdict

import psycopg2

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import format_datetime, mute_logger

from ..const import GROUP_MANAGER, GROUP_USER
from ..mapper import order_problems
from ..mapper.outgoing import shipwire_lines
from .shipwire_backend import ensure_group, nothing_selected, notification
from .shipwire_purchase_order import SHIPWIRE_STATES, STATES_AT_SHIPWIRE

# States in which the order's PO may still be changed with Update.
UPDATABLE_STATES = ("rejected", "held", "needs_approval", "approved")


class SaleOrderShipwireButtons(models.Model):
    """What the order's Shipwire buttons do, and the checks before each call."""

    # Kept apart from sale_order.py by feature.
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    # -- buttons -------------------------------------------------------------------

    def _shipwire_as_module(self):
        """After the caller's group was checked: the module does the rest, with
        the button's short patience (the account's click timeout, one try)."""
        self.check_access("read")
        return self.sudo().with_context(shipwire_click=True)

    def action_shipwire_send(self):
        """Send the orders to Shipwire, each exactly once; the calls run in parallel."""
        ensure_group(self.env, GROUP_USER)
        return self._shipwire_as_module()._shipwire_send_checked()

    def action_shipwire_update(self):
        """Correct the PO at Shipwire with the order as it is now."""
        ensure_group(self.env, GROUP_USER)
        orders = self._shipwire_as_module()
        unanswered = orders._shipwire_update_checked()
        return orders._shipwire_outcome(self.env._("Update at Shipwire"), unanswered)

    def action_shipwire_approve(self):
        ensure_group(self.env, GROUP_MANAGER)
        orders = self._shipwire_as_module()
        # Locked first, so that of two managers approving at once, the second
        # finds the PO approved.
        orders._shipwire_lock()
        not_waiting = orders.filtered(
            lambda order: (
                order.shipwire_purchase_order_id
                and order.shipwire_purchase_order_id.state != "needs_approval"
            )
        )
        if not_waiting:
            raise UserError(
                self.env._(
                    "%(orders)s: Shipwire does not wait for their approval. Unselect "
                    "them, then approve again.",
                    orders=", ".join(not_waiting.mapped("name")),
                )
            )
        unanswered = orders._shipwire_on_existing_pos(
            lambda pos: pos._po_action("approve", "approve_purchase_order")
        )
        return orders._shipwire_outcome(self.env._("Approve at Shipwire"), unanswered)

    def action_shipwire_cancel(self):
        ensure_group(self.env, GROUP_MANAGER)
        orders = self._shipwire_as_module()
        unanswered = orders._shipwire_on_existing_pos(
            lambda pos: pos._po_action("cancel", "cancel_purchase_order")
        )
        return orders._shipwire_outcome(self.env._("Cancel at Shipwire"), unanswered)

    def action_shipwire_clear_holds(self):
        ensure_group(self.env, GROUP_MANAGER)
        orders = self._shipwire_as_module()
        unanswered = orders._shipwire_on_existing_pos(lambda pos: pos._clear_holds())
        return orders._shipwire_outcome(
            self.env._("Clear holds at Shipwire"), unanswered
        )

    def action_shipwire_refresh(self):
        ensure_group(self.env, GROUP_USER)
        orders = self._shipwire_as_module()
        unanswered = orders._shipwire_on_existing_pos(lambda pos: pos._refresh())
        return orders._shipwire_outcome(self.env._("Refresh from Shipwire"), unanswered)

    def action_shipwire_resolve_delivery(self):
        """Shipped at Shipwire, delivery not validated: a person settles it."""
        self.ensure_one()
        ensure_group(self.env, GROUP_USER)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve the delivery"),
            "res_model": "shipwire.delivery.resolution",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_sale_order_id": self.id},
        }

    def _shipwire_outcome(self, title, unanswered):
        """Each order's Shipwire state after a button, one order a line; for the
        POs Shipwire left ``unanswered``, that the outcome is not known yet."""
        if not self:
            return nothing_selected(self.env, title)
        states = dict(SHIPWIRE_STATES)
        if unanswered or any(
            order.shipwire_state in ("failed", "rejected") for order in self
        ):
            kind = "danger"
        elif any(order.shipwire_state == "held" for order in self):
            kind = "warning"
        else:
            kind = "success"
        lines = []
        for order in self:
            line = f"{order.name}: {states.get(order.shipwire_state, '-')}"
            if order.shipwire_purchase_order_id in unanswered:
                seconds = f"{order.shipwire_backend_id.click_timeout:g}"
                if order.shipwire_state == "failed":
                    line += self.env._(
                        " (Shipwire did not answer within %(seconds)s s or failed; "
                        "the retry job sends it again)",
                        seconds=seconds,
                    )
                else:
                    line += self.env._(
                        " (Shipwire did not answer within %(seconds)s s or failed: "
                        "the next sync reads what it did; press again if nothing "
                        "changes)",
                        seconds=seconds,
                    )
            lines.append(line)
        return notification(kind, "\n".join(lines), title=title, reload=True)

    def _shipwire_on_existing_pos(self, call):
        """``call(POs)`` for the orders' POs, a company at a time; returns the POs
        Shipwire left unanswered."""
        unanswered = self.env["shipwire.purchase.order"]
        for purchase_orders in self._shipwire_existing_pos():
            unanswered |= call(purchase_orders)
        return unanswered

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
        self.shipwire_purchase_order_id._hand_to_retry_job()
        return self._shipwire_send_notification(linked.sale_order_id)

    def _shipwire_send_notification(self, linked):
        """What became of each sent order, named, for the web client to show."""
        _ = self.env._
        if not self:
            return nothing_selected(self.env, _("Send to Shipwire"))
        failed = self.filtered(lambda order: order.shipwire_state == "failed")
        # Formatted out of the translated call: the term extractor cannot read it.
        waited = f"{max(failed.shipwire_backend_id.mapped('click_timeout') or [0]):g}"
        titles = {
            "sent": _("Sent"),
            "linked": _("Already at Shipwire, linked"),
            "held": _("Sent, on hold at Shipwire"),
            "rejected": _("Rejected by Shipwire (see the order's messages)"),
            "failed": _(
                "Shipwire did not answer within %(seconds)s s or failed; the retry "
                "job sends these again",
                seconds=waited,
            ),
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
        unanswered = self.env["shipwire.purchase.order"]
        for purchase_orders in self._shipwire_in_companies(
            lambda orders: orders._shipwire_purchase_orders()
        ):
            unanswered |= purchase_orders._update()
        return unanswered

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
                if order.shipwire_state in UPDATABLE_STATES:
                    text = self.env._(
                        "%(order)s is already at Shipwire (PO %(po)s): use Update "
                        "to change it.",
                        order=order.name,
                        po=order.shipwire_po_id or "-",
                    )
                else:
                    text = self.env._(
                        "%(order)s is already at Shipwire (PO %(po)s, %(state)s): "
                        "it is not sent again.",
                        order=order.name,
                        po=order.shipwire_po_id or "-",
                        state=dict(
                            order._fields["shipwire_state"]._description_selection(
                                self.env
                            )
                        )[order.shipwire_state],
                    )
                problems[order] = [text]
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
