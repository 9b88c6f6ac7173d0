"""The link between a sales order and its Shipwire PO is a record only the module
writes: every way a user might change it is refused, and nothing reaches Shipwire."""

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import ShipwireCase

# A PO id that would walk the client's URL to another resource.
TRAVERSAL = "1/../../secret"


@tagged("post_install", "-at_install")
class TestPurchaseOrderRecord(ShipwireCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="po_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.own_salesman = new_test_user(
            cls.env, login="po_own", groups="sales_team.group_sale_salesman"
        )
        cls.administrator = cls.env.ref("base.user_admin")

    def _sent(self, **values):
        order = self._order(**values)
        order.action_shipwire_send()
        return order

    def _every_writer(self):
        return {
            "salesman": self.salesman,
            "Shipwire User": self.clerk,
            "Shipwire Manager": self.manager,
            "administrator": self.administrator,
        }

    def _assert_refused(self, records, values):
        requests_before = self.sandbox.request_count
        for role, user in self._every_writer().items():
            with self.subTest(role=role, values=values):
                with self.assertRaises(AccessError):
                    records.with_user(user).write(values)
        self.assertEqual(self.sandbox.request_count, requests_before)

    def test_nobody_points_an_order_at_another_po_through_the_order(self):
        victim = self._sent()
        attacker = self._sent()
        snapshot = attacker.read(["shipwire_po_id", "shipwire_state"])

        for values in (
            {"shipwire_po_id": TRAVERSAL},
            {"shipwire_po_id": victim.shipwire_po_id},
            {"shipwire_purchase_order_id": victim.shipwire_purchase_order_id.id},
            {"shipwire_state": False},
            {"shipwire_state": "failed", "shipwire_next_retry": fields.Datetime.now()},
            {"shipwire_external_id": victim.shipwire_external_id},
        ):
            self._assert_refused(attacker, values)
        self.assertEqual(attacker.read(["shipwire_po_id", "shipwire_state"]), snapshot)

        # Refresh still reads the order's own PO, and nothing else.
        Exchange = self.env["shipwire.exchange"]
        last_call = Exchange.search([], limit=1).id
        attacker.action_shipwire_refresh()
        urls = Exchange.search([("id", ">", last_call)]).mapped("url")
        self.assertTrue(urls)
        self.assertFalse([url for url in urls if "secret" in url], urls)
        self.assertIn(f"/purchaseOrders/{snapshot[0]['shipwire_po_id']}", urls[-1])
        self.assertEqual(attacker.shipwire_po_id, snapshot[0]["shipwire_po_id"])

    def test_nobody_writes_the_po_record_itself(self):
        order = self._sent()
        purchase_order = order.shipwire_purchase_order_id
        for values in (
            {"shipwire_id": TRAVERSAL},
            {"state": False},
            {"state": "failed", "next_retry": fields.Datetime.now()},
        ):
            self._assert_refused(purchase_order, values)
        for role, user in self._every_writer().items():
            with self.subTest(role=role):
                with self.assertRaises(AccessError):
                    self.env["shipwire.purchase.order"].with_user(user).create(
                        {
                            "sale_order_id": self._order().id,
                            "backend_id": self.backend.id,
                            "external_id": "ODOO-STOLEN",
                            "shipwire_id": order.shipwire_po_id,
                        }
                    )
                with self.assertRaises(AccessError):
                    purchase_order.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    purchase_order.fulfillment_order_ids.with_user(user).unlink()
        self.assertEqual(order.shipwire_state, "approved")

    def test_the_retry_job_sends_nothing_a_user_marked_failed(self):
        order = self._order()
        self._assert_refused(
            order,
            {"shipwire_state": "failed", "shipwire_next_retry": fields.Datetime.now()},
        )
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.assertFalse(self.sandbox.purchase_orders())

    def test_the_api_log_is_for_shipwire_users_only(self):
        order = self._sent()
        exchanges = self.env["shipwire.exchange"].search(
            [("sale_order_id", "=", order.id)]
        )
        self.assertTrue(exchanges)
        for user in (self.salesman, self.own_salesman):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                exchanges.with_user(user).read(["request_body"])
        self.assertTrue(exchanges.with_user(self.clerk).read(["request_body"]))

    def test_another_salesmans_delivery_shows_the_banner_without_the_po(self):
        other = self._sent()
        picking = other.picking_ids.with_user(self.own_salesman)

        self.assertEqual(
            picking.read(["shipwire_ships", "shipwire_live"])[0],
            {"id": picking.id, "shipwire_ships": True, "shipwire_live": True},
        )
        with self.assertRaises(AccessError):
            picking.read(["shipwire_purchase_order_id"])
        arch = picking.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Shipwire's warehouse ships this delivery", arch)
        self.assertNotIn("shipwire_purchase_order_id", arch)

    def test_a_salesman_of_his_own_orders_reads_their_po_only(self):
        own = self._sent(user_id=self.own_salesman.id)
        other = self._sent()
        PurchaseOrder = self.env["shipwire.purchase.order"].with_user(self.own_salesman)

        self.assertEqual(
            PurchaseOrder.search([]).sale_order_id, own.with_user(self.own_salesman)
        )
        own_po = own.shipwire_purchase_order_id.with_user(self.own_salesman)
        self.assertEqual(own_po.state, "approved")
        self.assertTrue(own_po.fulfillment_order_ids.read(["status"]))
        self.assertEqual(
            self.env["shipwire.fulfillment.order"]
            .with_user(self.own_salesman)
            .search([])
            .sale_order_id,
            own,
        )
        with self.assertRaises(AccessError):
            other.shipwire_purchase_order_id.with_user(self.own_salesman).read(
                ["state"]
            )
        # His own order's B2B inputs stay his to edit, not another's.
        attributes = self.env["shipwire.extended.attribute"].with_user(
            self.own_salesman
        )
        attributes.create({"sale_order_id": own.id, "name": "Dept", "value": "7"})
        with self.assertRaises(AccessError):
            attributes.create({"sale_order_id": other.id, "name": "Dept", "value": "7"})

    def test_the_po_form_buttons_check_the_same_groups(self):
        order = self._sent()
        purchase_order = order.shipwire_purchase_order_id
        with self.assertRaises(AccessError):
            purchase_order.with_user(self.salesman).action_refresh()
        with self.assertRaises(AccessError):
            purchase_order.with_user(self.clerk).action_cancel()
        requests_before = self.sandbox.request_count

        purchase_order.with_user(self.clerk).action_refresh()
        self.assertGreater(self.sandbox.request_count, requests_before)
        purchase_order.with_user(self.manager).action_cancel()

        self.assertEqual(order.shipwire_state, "cancelled")

    def test_the_account_stays_while_the_po_is_at_shipwire(self):
        order = self._sent()
        other_account = self.backend.copy({"name": "Other", "warehouse_ids": []})
        with self.assertRaises(UserError) as refusal:
            order.with_user(self.salesman).shipwire_backend_id = other_account
        self.assertIn("stays with its Shipwire account", str(refusal.exception))
        self.assertEqual(order.shipwire_backend_id, self.backend)

    def test_choosing_accounts_costs_the_same_for_many_orders(self):
        """Installing computes every existing order's account: one search for all
        of them, not one per order."""

        def queries(count):
            orders = self.env["sale.order"].browse(
                [self._order(confirm=False).id for _ in range(count)]
            )
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            orders._compute_shipwire_backend_id()
            self.assertEqual(orders.shipwire_backend_id, self.backend)
            return self.cr.sql_log_count - before

        few = queries(10)
        self.assertTrue(few)
        self.assertEqual(queries(40), few)


@tagged("post_install", "-at_install")
class TestPurchaseOrderRecordOverRpc(HttpCase, ShipwireCase):
    """The same attack as a salesman would make it: plain JSON-RPC."""

    def test_json_rpc_write_of_the_po_link_is_refused(self):
        order = self._order()
        order.action_shipwire_send()
        new_test_user(
            self.env,
            login="rpc_salesman",
            password="rpc_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        self.authenticate("rpc_salesman", "rpc_salesman")
        requests_before = self.sandbox.request_count

        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/sale.order/write",
                {
                    "model": "sale.order",
                    "method": "write",
                    "args": [[order.id], {"shipwire_po_id": TRAVERSAL}],
                    "kwargs": {},
                },
            )

        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertNotEqual(order.shipwire_po_id, TRAVERSAL)


@tagged("post_install", "-at_install")
class TestPurchaseOrderRecordEdges(ShipwireCase):
    """What an outside review tried against the PO record, refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="edge_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.other_account = cls.env["shipwire.backend"].create(
            {"name": "Second account", "environment": "custom", "custom_url": "x"}
        )

    def _as_salesman(self, order):
        return order.with_user(self.salesman)

    def test_the_account_of_an_order_at_shipwire_cannot_be_changed_in_any_spelling(
        self,
    ):
        order = self._order()
        order.action_shipwire_send()
        backend_id = self.backend.id
        for value in (False, float(backend_id), self.other_account.id, True):
            with self.subTest(value=value), self.assertRaises(UserError):
                self._as_salesman(order).write({"shipwire_backend_id": value})
        self.assertEqual(order.shipwire_backend_id, self.backend)
        self.assertEqual(order.shipwire_state, "approved")

    def test_a_failed_send_keeps_its_account_and_warehouse(self):
        self.sandbox.faults.inject("server_error")
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")
        self.other_account.warehouse_ids = [
            Command.create(
                {
                    "warehouse_id": self.env["stock.warehouse"]
                    .create({"name": "Second", "code": "SEC"})
                    .id
                }
            )
        ]
        for values in (
            {"shipwire_backend_id": self.other_account.id},
            {"warehouse_id": self.other_account.warehouse_ids.warehouse_id.id},
        ):
            with self.subTest(values=values), self.assertRaises(UserError):
                self._as_salesman(order).write(values)
        self.assertEqual(order.shipwire_backend_id, self.backend)

    def test_writing_the_cancelled_state_meets_the_guard(self):
        order = self._order()
        order.action_shipwire_send()
        manager = order.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            manager.write({"state": "cancel"})
        self.assertEqual(order.state, "sale")

    def test_an_extended_attribute_cannot_be_moved_onto_anothers_order(self):
        own = new_test_user(
            self.env, login="edge_own", groups="sales_team.group_sale_salesman"
        )
        mine = self._order(user_id=own.id)
        theirs = self._order()
        attribute = (
            self.env["shipwire.extended.attribute"]
            .with_user(own)
            .create({"sale_order_id": mine.id, "name": "Dept", "value": "7"})
        )
        with self.assertRaises(AccessError):
            attribute.write({"sale_order_id": theirs.id})
        self.assertEqual(attribute.sale_order_id, mine)

    def test_portal_customers_see_no_shipwire_data_on_their_orders(self):
        order = self._order()
        order.action_shipwire_send()
        portal = new_test_user(
            self.env, login="edge_portal", groups="base.group_portal"
        )
        order.sudo().message_subscribe(partner_ids=portal.partner_id.ids)
        order.sudo().partner_id = portal.partner_id
        as_portal = order.with_user(portal)
        self.assertEqual(as_portal.read(["name"])[0]["name"], order.name)
        for field_name in ("shipwire_state", "shipwire_po_id", "shipwire_backend_id"):
            with self.subTest(field=field_name), self.assertRaises(AccessError):
                as_portal.read([field_name])

    def test_orders_are_searched_by_their_shipwire_messages_and_shipments(self):
        order = self._order()
        order.action_shipwire_send()
        not_sent = self._order()
        SaleOrder = self.env["sale.order"].with_user(self.clerk)
        both = [("id", "in", (order | not_sent).ids)]
        self.assertEqual(
            SaleOrder.search(
                [*both, ("shipwire_fulfillment_order_ids.status", "=", "unprocessed")]
            ),
            order,
        )
        self.assertFalse(
            SaleOrder.search([*both, ("shipwire_message_ids.severity", "=", "error")])
        )
