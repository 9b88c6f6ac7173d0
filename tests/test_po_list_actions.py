import re

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tools.safe_eval import safe_eval

from .common import ShipwireWorldCase

SEND_ACTION = "sale_stock_shipwire.sale_order_action_shipwire_send"


class TestPurchaseOrderListActions(ShipwireWorldCase):
    """The buttons of the PO list for the POs selected, pressed as the web client
    presses them, by each role."""

    def _sent_everywhere(self):
        orders = (
            self._order_at(self.warehouse)
            | self._order_at(self.warehouse_a2)
            | self._order_at(self.warehouse_b)
        )
        self._run_list_action(SEND_ACTION, orders, self.users["user"])
        return orders

    def _assert_notifies(self, result, kind, *lines):
        self.assertEqual(result["tag"], "display_notification")
        params = result["params"]
        self.assertEqual(params["type"], kind)
        self.assertEqual(params["next"]["tag"], "soft_reload")
        for line in lines:
            self.assertIn(line, params["message"].splitlines())

    def _list_buttons(self, user):
        """The buttons the PO list offers ``user`` for selected POs."""
        arch = (
            self.env["shipwire.purchase.order"]
            .with_user(user)
            .get_views([(False, "list")])["views"]["list"]["arch"]
        )
        return etree.fromstring(arch).xpath("//header/button/@name")

    def test_the_clerk_refreshes_and_sends_again_from_the_list(self):
        self.sandbox_b.faults.inject("server_error", method="POST")
        orders = self._sent_everywhere()
        unreached = orders.filtered(lambda order: order.company_id == self.company_b)
        self.assertEqual(unreached.shipwire_state, "failed")
        self.sandbox_b.faults.clear()

        result = self._press_list_button(
            "action_send", unreached.shipwire_purchase_order_id, self.users["user"]
        )

        self._assert_notifies(result, "success", f"Sent (1): {unreached.name}")
        self.assertEqual(unreached.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox_b.purchase_orders()), 1)

        shipped = orders[0]
        self.sandbox.complete_order(
            int(shipped.shipwire_fulfillment_order_ids.shipwire_id)
        )
        result = self._press_list_button(
            "action_refresh", orders.shipwire_purchase_order_id, self.users["user"]
        )

        self._assert_notifies(
            result,
            "success",
            f"{shipped.name}: Shipped",
            *(f"{order.name}: Approved" for order in orders[1:]),
        )
        self.assertEqual(shipped.shipwire_state, "shipped")

    def test_send_again_leaves_a_po_shipwire_holds_alone(self):
        orders = self._sent_everywhere()

        with self.assertRaisesRegex(UserError, "already at Shipwire"):
            self._press_list_button(
                "action_send", orders.shipwire_purchase_order_id, self.users["user"]
            )

        for sandbox in (self.sandbox, self.sandbox_a2, self.sandbox_b):
            self.assertEqual(len(sandbox.purchase_orders()), 1)

    def test_only_managers_approve_from_the_list(self):
        (self.backend | self.backend_b).auto_approve = False
        orders = self._order_at(self.warehouse) | self._order_at(self.warehouse_b)
        self._run_list_action(SEND_ACTION, orders, self.users["user"])
        purchase_orders = orders.shipwire_purchase_order_id
        self.assertEqual(set(purchase_orders.mapped("state")), {"needs_approval"})
        clerk, manager = self.users["user"], self.users["manager"]

        self.assertEqual(self._list_buttons(clerk), ["action_refresh", "action_send"])
        with self.assertRaisesRegex(AccessError, "Shipwire Manager may do this"):
            self._press_list_button("action_approve", purchase_orders, clerk)
        self.assertEqual(set(purchase_orders.mapped("state")), {"needs_approval"})
        self.assertIn("action_approve", self._list_buttons(manager))

        result = self._press_list_button("action_approve", purchase_orders, manager)

        self._assert_notifies(
            result, "success", *(f"{order.name}: Approved" for order in orders)
        )
        self.assertEqual(result["params"]["title"], "Approve at Shipwire")
        self.assertEqual(set(purchase_orders.mapped("state")), {"approved"})

    def test_approve_refuses_a_selection_with_pos_already_approved(self):
        self.backend.auto_approve = False
        orders = self._order_at(self.warehouse) | self._order_at(self.warehouse_a2)
        self._run_list_action(SEND_ACTION, orders, self.users["user"])
        waiting, approved = orders.shipwire_purchase_order_id
        requests = self.sandbox.request_count, self.sandbox_a2.request_count

        with self.assertRaisesRegex(UserError, orders[1].name):
            self._press_list_button(
                "action_approve", waiting | approved, self.users["manager"]
            )

        self.assertEqual(waiting.state, "needs_approval")
        self.assertEqual(
            (self.sandbox.request_count, self.sandbox_a2.request_count), requests
        )

    def test_pos_of_another_company_are_refused(self):
        (self.backend | self.backend_b).auto_approve = False
        orders = self._order_at(self.warehouse) | self._order_at(self.warehouse_b)
        self._run_list_action(SEND_ACTION, orders, self.users["user"])
        purchase_orders = orders.shipwire_purchase_order_id
        requests = self.sandbox_b.request_count

        for method, role in (
            ("action_refresh", "user_of_a"),
            ("action_send", "user_of_a"),
            ("action_approve", "manager_of_a"),
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                self._press_list_button(method, purchase_orders, self.users[role])

        self.assertEqual(self.sandbox_b.request_count, requests)
        self.assertEqual(set(purchase_orders.mapped("state")), {"needs_approval"})
        result = self._press_list_button(
            "action_approve", purchase_orders[0], self.users["manager_of_a"]
        )
        self._assert_notifies(result, "success", f"{orders[0].name}: Approved")

    def test_a_po_its_order_left_behind_is_off_the_overview_and_its_buttons(self):
        clerk = self.users["user"]
        mystery = self._product("Mystery", "NOT-AT-SHIPWIRE")
        order = self._order_at(self.warehouse, [(mystery, 1)])
        order.with_user(clerk).action_shipwire_send()
        self.assertEqual(order.shipwire_state, "rejected")
        left_behind = order.shipwire_purchase_order_id
        order.with_user(clerk).write({"warehouse_id": self.warehouse_a2.id})
        order.order_line.product_id = self.diamond
        order.with_user(clerk).action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")

        backend = self.backend.with_user(clerk).with_context(
            allowed_company_ids=clerk.company_ids.ids
        )
        self.assertEqual(backend.rejected_count, 0)
        # The list the counter opens agrees: its Rejected filter leaves it out.
        action = backend.with_context(overview_list="rejected").action_overview_open()
        self.assertEqual(action["context"]["search_default_rejected"], 1)
        PurchaseOrder = self.env["shipwire.purchase.order"].with_user(clerk)
        arch = etree.fromstring(
            PurchaseOrder.get_views([(False, "search")])["views"]["search"]["arch"]
        )
        rejected = safe_eval(arch.xpath("//filter[@name='rejected']")[0].get("domain"))
        self.assertIn(left_behind, PurchaseOrder.search([("state", "=", "rejected")]))
        self.assertNotIn(left_behind, PurchaseOrder.search(rejected))

        calls = self.env["shipwire.exchange"].search_count([])
        for button in ("action_refresh", "action_send", "action_update"):
            with self.assertRaisesRegex(
                UserError,
                re.escape(
                    f"{left_behind.display_name}: {order.name} is now with Shipwire "
                    f"account {self.backend_a2.name}."
                ),
            ):
                self._press_list_button(button, left_behind, clerk)
        with self.assertRaisesRegex(UserError, "no longer their order's PO"):
            self._press_list_button(
                "action_approve", left_behind, self.users["manager"]
            )
        self.assertEqual(self.env["shipwire.exchange"].search_count([]), calls)
        self.assertEqual(left_behind.state, "rejected")
