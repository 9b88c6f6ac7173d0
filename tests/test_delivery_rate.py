from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from ..mapper.outgoing import address
from ..mapper.rate import rate_payload
from ..models.shipwire_rate_quote import FAILED_QUOTE_SECONDS
from .common import ShipwireCase, reads_of


class TestDeliveryRate(ShipwireCase):
    """A salesperson adds shipping to a quotation with the choose-delivery wizard
    and sees Shipwire's price and delivery window, or why there is none."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Quotes are kept in transactions of their own: here, on the test's.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        shipping = cls.env["product.product"].create(
            {"name": "Shipwire shipping", "type": "service", "taxes_id": False}
        )
        method = {
            "delivery_type": "shipwire",
            "integration_level": "rate",
            "shipwire_backend_id": cls.backend.id,
            "product_id": shipping.id,
        }
        cls.ground = cls.env["delivery.carrier"].create(
            {**method, "name": "Shipwire Ground"}
        )
        cls.overnight = cls.env["delivery.carrier"].create(
            {**method, "name": "Shipwire Next Day"}
        )
        cls.backend.service_level_ids = [
            Command.create({"carrier_id": cls.overnight.id, "service_level_code": "1D"})
        ]
        cls.salesperson = new_test_user(
            cls.env,
            login="rate_salesperson",
            name="Rate Salesperson",
            groups="sales_team.group_sale_salesman",
        )

    def setUp(self):
        super().setUp()
        self.quotes_before = self.sandbox.rate_request_count

    def _quotes_asked(self):
        return self.sandbox.rate_request_count - self.quotes_before

    def _wizard(self, order, carrier, user=None):
        return (
            self.env["choose.delivery.carrier"]
            .with_user(user or self.clerk)
            .create({"order_id": order.id, "carrier_id": carrier.id})
        )

    def _sandbox_cost(self, order, code):
        """What the sandbox quotes for the order's goods, asked directly."""
        lines = [
            {"sku": line.product_id.default_code, "quantity": line.product_uom_qty}
            for line in order.order_line
            if not line.is_delivery
        ]
        payload = rate_payload(
            address(order.partner_shipping_id),
            lines,
            warehouse={"warehouseExternalId": "LAX"},
            currency=order.currency_id.name,
        )
        client = self._sandbox_client()
        try:
            return float(client.rate(payload).service(code).cost)
        finally:
            client.close()

    def test_the_wizard_shows_shipwire_price_and_delivery_window(self):
        order = self._order([(self.diamond, 2), (self.ruby, 1)], confirm=False)

        wizard = self._wizard(order, self.ground)
        wizard.update_price()

        self.assertEqual(self._quotes_asked(), 1)
        self.assertAlmostEqual(
            wizard.delivery_price, self._sandbox_cost(order, "GD"), places=2
        )
        self.assertRegex(
            wizard.delivery_message,
            r"^Expected delivery between \d{4}-\d\d-\d\d and \d{4}-\d\d-\d\d\.$",
        )
        wizard.button_confirm()
        delivery_line = order.order_line.filtered("is_delivery")
        self.assertAlmostEqual(delivery_line.price_unit, wizard.delivery_price)

        overnight = self._wizard(order, self.overnight)
        overnight.update_price()
        self.assertAlmostEqual(
            overnight.delivery_price, self._sandbox_cost(order, "1D"), places=2
        )
        self.assertGreater(overnight.delivery_price, wizard.delivery_price)

    def test_an_address_shipwire_cannot_verify_is_priced_with_a_warning(self):
        self.retailer.zip = "9111"
        wizard = self._wizard(self._order(confirm=False), self.ground)

        wizard.update_price()

        self.assertGreater(wizard.delivery_price, 0)
        self.assertIn("Could not verify shipping address", wizard.delivery_message)

    def test_what_cannot_be_quoted_is_said_without_asking_shipwire(self):
        cases = [
            ({"zip": False}, [(self.diamond, 1)], "no ZIP: fill it in"),
            ({"city": False}, [(self.diamond, 1)], "no City: fill it in"),
            (
                {},
                [(self._product("Gift box", False), 1)],
                "Gift box has no Internal Reference",
            ),
            ({}, [(self.service, 1)], "no product to ship"),
        ]
        for changes, lines, words in cases:
            with self.subTest(words=words):
                partner = self.retailer.copy(changes)
                order = self._order(lines, confirm=False, partner=partner)
                with self.assertRaisesRegex(UserError, words):
                    self._wizard(order, self.ground).update_price()
        self.assertEqual(self._quotes_asked(), 0)

    def test_shipwire_refusing_or_failing_gives_no_price_and_a_message(self):
        unknown = self._product("Opal brooch", "NO-SUCH-SKU")
        order = self._order([(self.diamond, 1), (unknown, 1)], confirm=False)
        with self.assertRaisesRegex(UserError, "unknown SKU 'NO-SUCH-SKU'"):
            self._wizard(order, self.ground).update_price()

        self.sandbox.faults.inject("server_error", path="/rate")
        order = self._order(confirm=False)
        result = self.ground.rate_shipment(order)
        self.assertFalse(result["success"])
        self.assertIn("not available right now", result["error_message"])
        # Quotes are not retried: one request for the refusal, one for the failure.
        self.assertEqual(self._quotes_asked(), 2)
        exchanges = self.env["shipwire.exchange"].search(
            [("backend_id", "=", self.backend.id), ("operation", "=", "rate")]
        )
        self.assertEqual(len(exchanges), 2)

    def test_a_service_not_offered_for_a_later_ship_date_is_said(self):
        later = fields.Datetime.now() + timedelta(days=5)
        order = self._order(confirm=False, commitment_date=later)

        result = self.overnight.rate_shipment(order)

        self.assertFalse(result["success"])
        self.assertIn("Shipwire Next Day is not offered", result["error_message"])
        self.assertTrue(self.ground.rate_shipment(order)["success"])

    def test_a_shipwire_method_only_gets_rates(self):
        with self.assertRaisesRegex(ValidationError, "Integration Level to Get Rate"):
            self.ground.integration_level = "rate_and_ship"

    def test_the_methods_of_one_cart_share_one_quote_for_its_lifetime(self):
        order = self._order([(self.diamond, 2), (self.ruby, 1)], confirm=False)

        ground = self.ground.rate_shipment(order)
        overnight = self.overnight.rate_shipment(order)
        self.assertEqual(self._quotes_asked(), 1)
        self.assertTrue(ground["success"] and overnight["success"])
        self.assertGreater(overnight["price"], ground["price"])

        # The page rendered again within the lifetime.
        self.assertEqual(self.ground.rate_shipment(order), ground)
        self.assertEqual(self.overnight.rate_shipment(order), overnight)
        self.assertEqual(self._quotes_asked(), 1)

        # Ten minutes (the default lifetime) and a moment later.
        quote = self.env["shipwire.rate.quote"].search(
            [("backend_id", "=", self.backend.id)]
        )
        quote.fetched_at -= timedelta(minutes=10, seconds=1)
        self.assertEqual(self.ground.rate_shipment(order), ground)
        self.assertEqual(self._quotes_asked(), 2)

        order.order_line.filtered(
            lambda line: line.product_id == self.ruby
        ).product_uom_qty = 3
        self.assertGreater(self.ground.rate_shipment(order)["price"], ground["price"])
        self.assertEqual(self._quotes_asked(), 3)

    def test_the_methods_of_one_page_read_the_accounts_mappings_once(self):
        # A checkout page prices each of its methods in the same request.
        order = self._order(confirm=False)
        self.assertTrue(self.ground.rate_shipment(order)["success"])
        self.env.invalidate_all()

        with reads_of("shipwire_warehouse", "shipwire_service_level") as seen:
            ground = self.ground.sudo().rate_shipment(order.sudo())
            overnight = self.overnight.sudo().rate_shipment(order.sudo())

        self.assertTrue(ground["success"] and overnight["success"])
        self.assertGreater(overnight["price"], ground["price"])
        self.assertEqual(self._quotes_asked(), 1)
        self.assertEqual(
            {table: len(queries) for table, queries in seen.items()},
            {"shipwire_warehouse": 1, "shipwire_service_level": 1},
        )

    def test_a_failed_quote_is_asked_again_once_shipwire_recovers(self):
        order = self._order(confirm=False)
        self.sandbox.faults.inject("server_error", count=1, path="/rate")
        self.assertFalse(self.ground.rate_shipment(order)["success"])
        # The page's other method, rated at the same moment, is not kept waiting.
        self.assertFalse(self.overnight.rate_shipment(order)["success"])
        self.assertEqual(self._quotes_asked(), 1)

        quote = self.env["shipwire.rate.quote"].search(
            [("backend_id", "=", self.backend.id)]
        )
        quote.fetched_at -= timedelta(seconds=FAILED_QUOTE_SECONDS)
        self.assertTrue(self.ground.rate_shipment(order)["success"])
        self.assertTrue(self.overnight.rate_shipment(order)["success"])
        self.assertEqual(self._quotes_asked(), 2)

    def test_a_quote_waits_no_longer_than_the_account_quote_timeout(self):
        self.backend.rate_timeout = 0.2
        self.sandbox.settings.rate_latency = 1.0
        self.addCleanup(setattr, self.sandbox.settings, "rate_latency", 0.0)

        result = self.ground.rate_shipment(self._order(confirm=False))

        self.assertFalse(result["success"])
        self.assertIn("not available right now", result["error_message"])

    def test_a_salesperson_without_shipwire_rights_gets_the_price(self):
        order = self._order(confirm=False, user_id=self.salesperson.id)

        prices = []
        for carrier in (self.ground, self.overnight):
            wizard = self._wizard(order, carrier, self.salesperson)
            wizard.update_price()
            prices.append(wizard.delivery_price)

        self.assertLess(0, prices[0])
        self.assertLess(prices[0], prices[1])
        self.assertEqual(self._quotes_asked(), 1)
        quotes = self.env["shipwire.rate.quote"]
        with self.assertRaises(AccessError):
            quotes.with_user(self.salesperson).search([])
        kept = quotes.with_user(self.manager).search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(len(kept), 1)
        with self.assertRaises(AccessError):
            kept.write({"state": "failed"})

    def test_quote_timeout_and_lifetime_are_more_than_zero(self):
        for field in ("rate_timeout", "rate_cache_minutes"):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                self.backend[field] = 0
