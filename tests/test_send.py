import base64

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..mapper.outgoing import purchase_order_payload
from .common import ShipwireCase, reads_of


@tagged("post_install", "-at_install")
class TestSend(ShipwireCase):
    def test_send_creates_po_with_fulfillment_order_and_warning(self):
        self.retailer.street = "1 Main Lane UNVERIFIED"
        order = self._order([(self.diamond, 2), (self.service, 1)])

        order.action_shipwire_send()

        self.assertEqual(order.shipwire_state, "approved")
        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertEqual(order.shipwire_po_id, str(purchase_order["id"]))
        self.assertEqual(purchase_order["externalId"], order.shipwire_external_id)
        self.assertEqual(purchase_order["purchaseOrderNo"], order.name)
        self.assertIn(
            "Could not verify shipping address", self._messages(order, "warning")
        )
        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(len(fulfillment), 1)
        self.assertEqual(fulfillment.status, "unprocessed")
        self.assertEqual(fulfillment.picking_id, order.picking_ids)
        self.assertTrue(
            any(
                "Could not verify shipping address" in body
                for body in order.message_ids.mapped("body")
            )
        )
        # The service line stays out of the PO.
        (item,) = self._sent_items()
        self.assertEqual(item["sku"], "DIAMOND-1")
        self.assertEqual(item["quantity"], 2)

    def test_b2b_data_goes_along(self):
        self.env["shipwire.retailer.product"].create(
            {
                "partner_id": self.retailer.id,
                "product_id": self.diamond.id,
                "retailer_sku": "MAX-D1",
                "retailer_description": "Ring, diamond",
            }
        )
        order = self._order(
            client_order_ref="RETAIL-PO-77",
            shipwire_shipping_window_type="BETWEEN",
            shipwire_shipping_window_start="2026-12-01",
            shipwire_shipping_window_end="2026-12-03",
            shipwire_packing_message1="Deliver to dock 4",
        )

        order.action_shipwire_send()

        (purchase_order,) = self.sandbox.purchase_orders()
        shipping_window = purchase_order["shippingWindow"]
        if "resource" in shipping_window:
            shipping_window = shipping_window["resource"]
        self.assertEqual(shipping_window["type"], "BETWEEN")
        self.assertTrue(shipping_window["maxDate"].startswith("2026-12-03"))
        (item,) = self._sent_items()
        self.assertEqual(item["retailerSku"], "MAX-D1")
        self.assertEqual(item["upc"], "0001234567891")
        self.assertEqual(item["retailerLineNo"], 1)
        self.assertEqual(item["commercialInvoiceValue"], 100.0)

    def test_customs_values_are_converted_to_the_accounts_currency(self):
        euro = self.env.ref("base.EUR")
        euro.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", euro.id)]).unlink()
        self.env["res.currency.rate"].create(
            {"currency_id": euro.id, "name": "2000-01-01", "rate": 0.5}
        )
        self.backend.currency_id = euro
        order = self._order([(self.diamond, 2)])  # 100 per unit, in dollars

        order.action_shipwire_send()

        (item,) = self._sent_items()
        self.assertEqual(item["commercialInvoiceValue"], 50.0)
        self.assertEqual(item["commercialInvoiceValueCurrency"], "EUR")

    def test_rejected_po_keeps_errors_and_leaves_the_order_alone(self):
        unknown = self._product("Mystery", "NOPE-9")
        order = self._order([(unknown, 1)])

        order.action_shipwire_send()

        self.assertEqual(order.shipwire_state, "rejected")
        self.assertFalse(order.shipwire_po_id)
        self.assertFalse(self.sandbox.purchase_orders())
        errors = self._messages(order, "error")
        self.assertTrue(any("NOPE-9" in text for text in errors), errors)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.order_line.product_uom_qty, 1)
        activity = order.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, order.user_id)
        self.assertIn("rejected", activity.summary)

    def test_held_po_is_cleared_by_update(self):
        self.backend.do_not_persist_on_warnings = False
        unknown = self._product("Mystery", "NOPE-9")
        order = self._order([(unknown, 1)])

        order.action_shipwire_send()

        self.assertEqual(order.shipwire_state, "held")
        self.assertTrue(order.shipwire_po_id)
        self.assertFalse(order.shipwire_fulfillment_order_ids)
        self.assertTrue(any("NOPE-9" in t for t in self._messages(order, "error")))
        self.assertTrue(order.activity_ids)

        unknown.default_code = "RUBY-2"
        order.action_shipwire_update()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(len(order.shipwire_fulfillment_order_ids), 1)
        self.assertFalse(self._messages(order, "error"))
        self.assertFalse(order.activity_ids)

    def test_update_of_rejected_order_sends_it_anew(self):
        unknown = self._product("Mystery", "NOPE-9")
        order = self._order([(unknown, 1)])
        order.action_shipwire_send()
        unknown.default_code = "RUBY-2"

        order.action_shipwire_update()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)

    def test_needs_approval_then_manager_approves(self):
        self.backend.auto_approve = False
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "needs_approval")
        self.assertFalse(order.shipwire_fulfillment_order_ids)

        with self.assertRaises(AccessError):
            order.action_shipwire_approve()
        order.with_user(self.manager).action_shipwire_approve()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(order.shipwire_fulfillment_order_ids), 1)

    def test_update_does_not_approve_a_po_waiting_for_a_manager(self):
        self.backend.auto_approve = False
        order = self._order()
        order.action_shipwire_send()
        # Meanwhile the account sends new POs approved.
        self.backend.auto_approve = True

        order.action_shipwire_update()

        self.assertEqual(order.shipwire_state, "needs_approval")
        self.assertFalse(order.shipwire_fulfillment_order_ids)

    def test_cancel_at_shipwire(self):
        order = self._order()
        order.action_shipwire_send()

        order.with_user(self.manager).action_shipwire_cancel()

        self.assertEqual(order.shipwire_state, "cancelled")
        self.assertEqual(order.shipwire_fulfillment_order_ids.status, "cancelled")

    def test_cancel_refused_once_shipped_is_explained(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.complete_order(
            int(order.shipwire_fulfillment_order_ids.shipwire_id),
            trackings=[{"carrier": "FEDEX", "tracking": "7700001", "url": ""}],
        )

        order.with_user(self.manager).action_shipwire_cancel()

        self.assertNotEqual(order.shipwire_state, "cancelled")
        self.assertTrue(
            any("cannot be cancelled" in t for t in self._messages(order)),
            self._messages(order),
        )

    def test_order_live_at_shipwire_is_cancelled_there_first(self):
        order = self._order()
        order.action_shipwire_send()

        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "sale")

        order.with_user(self.manager).action_shipwire_cancel()
        self.assertEqual(order.shipwire_state, "cancelled")
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")

    def test_order_whose_send_failed_is_refreshed_before_cancelling(self):
        self.sandbox.faults.inject("server_error")
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")

        with self.assertRaisesRegex(UserError, "Refresh from Shipwire"):
            order.with_context(disable_cancel_warning=True).action_cancel()

        self.sandbox.faults.clear()
        order.action_shipwire_refresh()
        self.assertFalse(order.shipwire_state, "not at Shipwire after all")
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        order.shipwire_purchase_order_id.sudo().next_retry = fields.Datetime.now()
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.assertFalse(self.sandbox.purchase_orders())

    def test_account_in_use_is_archived_not_deleted(self):
        self._order().action_shipwire_send()

        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.backend.unlink()

    def test_timeout_after_commit_gives_one_recovered_po(self):
        # Shipwire keeps the PO but answers after the button stopped waiting.
        self.backend.click_timeout = 0.5
        self.sandbox.faults.inject("timeout_commit", count=1, seconds=1.5)
        order = self._order()

        action = order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")
        self.assertIn("the retry job sends these again", action["params"]["message"])

        self._run_retry_job(order)

        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(order.shipwire_state, "approved")
        self.assertTrue(order.shipwire_po_id)
        self.assertTrue(
            any("linked, not sent twice" in t for t in self._messages(order, "info"))
        )

    def test_unreachable_shipwire_marks_send_failed_and_resend_recovers(self):
        self.backend.read_timeout = 0.5
        # The button's try and the retry job's first three go unanswered.
        self.sandbox.faults.inject("timeout_commit", count=4, seconds=1.5)
        order = self._order()

        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")

        self._run_retry_job(order)
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(order.shipwire_state, "approved")

    def test_bulk_send(self):
        orders = self._order() | self._order([(self.ruby, 3)]) | self._order()

        orders.action_shipwire_send()

        self.assertEqual(len(self.sandbox.purchase_orders()), 3)
        self.assertEqual(set(orders.mapped("shipwire_state")), {"approved"})
        self.assertEqual(len(orders.shipwire_exchange_ids), 6)

    def _mapped_method(self, code):
        """A delivery method the account maps to Shipwire's service ``code``."""
        method = self.env["delivery.carrier"].create(
            {
                "name": f"Shipwire {code}",
                "product_id": self.service.id,
                "fixed_price": 10,
            }
        )
        self.backend.service_level_ids = [
            Command.create({"carrier_id": method.id, "service_level_code": code})
        ]
        return method

    def test_a_bulk_send_reads_the_accounts_mappings_once(self):
        express = self._mapped_method("2D")
        reads = {}
        for count in (1, 3):
            orders = self.env["sale.order"]
            for _order in range(count):
                orders |= self._order(carrier_id=express.id)
            self.env.invalidate_all()
            with reads_of("shipwire_warehouse", "shipwire_service_level") as seen:
                orders.action_shipwire_send()
            self.assertEqual(set(orders.mapped("shipwire_state")), {"approved"})
            reads[count] = {table: len(queries) for table, queries in seen.items()}
        # Three orders read the warehouse and service level mappings as often
        # as one does.
        self.assertEqual(reads[3], reads[1])

    def test_mappings_changed_between_two_orders_are_sent_as_changed(self):
        express = self._mapped_method("2D")
        backend = self.backend.sudo()

        def options(method=express):
            order = self._order(carrier_id=method.id).sudo()
            sent = purchase_order_payload(order, backend)["options"]
            return sent["serviceLevelCode"], sent.get("warehouseExternalId")

        self.assertEqual(options(), ("2D", "LAX"))
        mapping = self.backend.service_level_ids.filtered(
            lambda m: m.carrier_id == express
        )
        mapping.service_level_code = "1D"
        self.backend.warehouse_ids.shipwire_warehouse_external_id = "TOR"
        self.assertEqual(options(), ("1D", "TOR"))
        # Moved to another account of the company.
        other = self.backend.copy({"name": "Other account"})
        mapping.backend_id = other
        self.backend.warehouse_ids.backend_id = other
        self.assertEqual(options(), ("GD", None))
        # Made on this account directly, not through its lists.
        economy = self.env["delivery.carrier"].create(
            {"name": "Shipwire economy", "product_id": self.service.id}
        )
        self.env["shipwire.service.level"].create(
            {
                "backend_id": self.backend.id,
                "carrier_id": economy.id,
                "service_level_code": "E-INTL",
            }
        )
        other.warehouse_ids.backend_id = self.backend
        self.assertEqual(options(economy), ("E-INTL", "TOR"))
        self.backend.service_level_ids.unlink()
        self.assertEqual(options(economy), ("GD", "TOR"))

    def test_exchange_log_holds_no_credentials(self):
        order = self._order()
        order.action_shipwire_send()
        order.action_shipwire_refresh()

        exchanges = order.sudo().shipwire_exchange_ids
        self.assertTrue(exchanges)
        basic = base64.b64encode(
            f"{self.sandbox.username}:{self.sandbox.password}".encode()
        ).decode()
        for exchange in exchanges:
            dump = " ".join(
                str(exchange[name])
                for name in ("url", "request_body", "response_body", "error")
            )
            self.assertNotIn(basic, dump)
            self.assertNotIn("Authorization", dump)


@tagged("post_install", "-at_install")
class TestSendRefusals(ShipwireCase):
    """Bad input is refused before any request, with the order, field and fix."""

    def _assert_refused(self, order, *fragments):
        with self.assertRaises(UserError) as caught:
            order.action_shipwire_send()
        for fragment in (order.name,) + fragments:
            self.assertIn(fragment, str(caught.exception))
        self.assertFalse(self.sandbox.purchase_orders())
        self.assertEqual(self.sandbox.request_count, self.requests_before)

    def setUp(self):
        super().setUp()
        self.requests_before = self.sandbox.request_count

    def test_unconfirmed_order(self):
        self._assert_refused(self._order(confirm=False), "confirm the order")

    def test_missing_address_fields(self):
        for field_name, label in (
            ("street", "Street"),
            ("city", "City"),
            ("zip", "ZIP"),
            ("country_id", "Country"),
        ):
            with self.subTest(field=field_name):
                partner = self.retailer.copy({field_name: False})
                self._assert_refused(self._order(partner=partner), label)

    def test_product_without_internal_reference(self):
        product = self._product("Nameless", False)
        self._assert_refused(self._order([(product, 1)]), "Internal Reference")

    def test_fractional_quantity(self):
        self._assert_refused(self._order([(self.diamond, 1.5)]), "whole units")

    def test_warehouse_without_account(self):
        self.backend.warehouse_ids.unlink()
        order = self._order()
        self._assert_refused(order, "no Shipwire account serves warehouse")

    def test_account_without_credentials(self):
        self.backend.password = False
        self._assert_refused(self._order(), "no API user or password")

    def test_order_already_sent(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.reset()
        self.requests_before = self.sandbox.request_count
        self._assert_refused(order, "use Update")

    def test_order_already_shipped_is_not_told_to_use_update(self):
        order = self._order()
        order.action_shipwire_send()
        order.shipwire_purchase_order_id.sudo().state = "shipped"
        self.sandbox.reset()
        self.requests_before = self.sandbox.request_count
        self._assert_refused(order, "Shipped", "not sent again")
        with self.assertRaises(UserError) as caught:
            order.action_shipwire_send()
        self.assertNotIn("Update", str(caught.exception))


@tagged("post_install", "-at_install")
class TestAccess(ShipwireCase):
    def test_sales_user_cannot_read_credentials(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Plain salesman",
                "login": "plain_salesman",
                "groups_id": [
                    (6, 0, [self.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        backend = self.backend.with_user(salesman)
        self.assertEqual(backend.name, "Sandbox")
        with self.assertRaises(AccessError):
            backend.read(["password"])
        with self.assertRaises(AccessError):
            self.backend.with_user(self.clerk).read(["username"])

    def test_plain_sales_user_cannot_send(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Plain salesman",
                "login": "plain_salesman2",
                "groups_id": [
                    (6, 0, [self.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        order = self._order().with_user(salesman)
        with self.assertRaises(AccessError):
            order.action_shipwire_send()

    def test_other_company_account_is_never_used(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other_company.id)], limit=1
        )
        other_backend = self.env["shipwire.backend"].create(
            {
                "name": "Other account",
                "company_id": other_company.id,
                "environment": "custom",
                "custom_url": self.sandbox.url,
                "username": "x",
                "password": "y",
                "warehouse_ids": [(0, 0, {"warehouse_id": other_warehouse.id})],
            }
        )
        self.backend.warehouse_ids.unlink()
        order = self._order()

        self.assertFalse(order.shipwire_backend_id)
        with self.assertRaises(UserError):
            order.sudo().shipwire_backend_id = other_backend
        self._assert_nothing_sent(order)

    def _assert_nothing_sent(self, order):
        with self.assertRaises(UserError):
            order.action_shipwire_send()
        self.assertFalse(self.sandbox.purchase_orders())

    def test_a_rejected_po_put_on_hold_closes_the_rejection_not_the_hold(self):
        unknown = self._product("Mystery", "NOPE-9")
        order = self._order([(unknown, 1)])
        order.action_shipwire_send()
        (rejection,) = order.activity_ids
        self.backend.do_not_persist_on_warnings = False

        order.action_shipwire_update()

        self.assertEqual(order.shipwire_state, "held")
        self.assertFalse(rejection.exists(), "the rejection's activity is done")
        self.assertTrue(order.activity_ids)
        self.assertTrue(all("hold" in a.summary for a in order.activity_ids))
        self.assertIn(
            "Settled: the PO is now On hold",
            order.message_ids.filtered(
                lambda m: "rejected" in (m.body or "") and "Settled" in m.body
            ).body,
        )

    def test_a_refresh_shipwire_did_not_answer_leaves_the_last_sync_alone(self):
        order = self._order()
        order.action_shipwire_send()
        purchase_order = order.shipwire_purchase_order_id
        last_sync = purchase_order.last_sync
        self.sandbox.faults.inject("server_error")

        order.with_user(self.clerk).action_shipwire_refresh()

        self.assertEqual(purchase_order.last_sync, last_sync)
        self.assertIn("did not answer the refresh", order.message_ids[0].body)

    def test_the_clerk_is_not_offered_test_connection(self):
        for user, offered in ((self.clerk, False), (self.manager, True)):
            with self.subTest(user=user.login):
                arch = (
                    self.env["shipwire.backend"]
                    .with_user(user)
                    .get_views([(False, "form")])["views"]["form"]["arch"]
                )
                self.assertEqual('name="action_test_connection"' in arch, offered)
