from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.models import check_method_name
from odoo.tests import new_test_user, tagged
from odoo.tools import format_amount

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestDeliveryShipping(ShipwireCase):
    """A delivery sold with a Shipwire delivery method: its tracking links come
    from what Shipwire reported, and it is not cancelled behind Shipwire's back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        shipping = cls.env["product.product"].create(
            {"name": "Shipwire shipping", "type": "service", "taxes_id": False}
        )
        cls.ground = cls.env["delivery.carrier"].create(
            {
                "name": "Shipwire Ground",
                "delivery_type": "shipwire",
                "integration_level": "rate",
                "shipwire_backend_id": cls.backend.id,
                "product_id": shipping.id,
            }
        )
        cls.storekeeper = new_test_user(
            cls.env, login="shipping_storekeeper", groups="stock.group_stock_user"
        )

    def _sent(self):
        order = self._order(carrier_id=self.ground.id)
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(order.picking_ids.carrier_id, self.ground)
        return order

    def _ship(self, order, trackings):
        for fulfillment in order.shipwire_fulfillment_order_ids:
            self.sandbox.complete_order(
                int(fulfillment.shipwire_id), trackings=trackings
            )
        self.env["shipwire.sync"]._cron_sync()
        self.assertEqual(order.picking_ids.state, "done")
        return order.picking_ids.with_user(self.storekeeper)

    def _press(self, picking, method):
        """A button of the delivery form, called as the web client does."""
        check_method_name(method)
        return call_kw(picking.env["stock.picking"], method, [picking.ids], {})

    def test_tracking_link_of_a_shipped_delivery(self):
        picking = self._ship(
            self._sent(),
            [{"tracking": "1ZONE", "url": "https://track.example.com/1ZONE"}],
        )

        self.assertEqual(picking.carrier_tracking_ref, "1ZONE")
        self.assertEqual(
            picking.carrier_tracking_url, "https://track.example.com/1ZONE"
        )
        action = self._press(picking, "open_website_url")
        self.assertEqual(action["url"], "https://track.example.com/1ZONE")

    def test_several_trackings_give_one_link_each(self):
        picking = self._ship(
            self._sent(),
            [
                {"tracking": "1ZBOX1", "url": "https://track.example.com/1ZBOX1"},
                {"tracking": "1ZBOX2", "url": "http://track.example.com/1ZBOX2"},
            ],
        )

        self.assertEqual(picking.carrier_tracking_ref, "1ZBOX1, 1ZBOX2")
        self.assertEqual(
            picking.get_multiple_carrier_tracking(),
            [
                ["1ZBOX1", "https://track.example.com/1ZBOX1"],
                ["1ZBOX2", "http://track.example.com/1ZBOX2"],
            ],
        )
        self._press(picking, "open_website_url")
        self.assertIn(
            'href="http://track.example.com/1ZBOX2"', picking.message_ids[0].body
        )

    def test_tracking_url_that_is_not_a_web_link_is_not_given(self):
        picking = self._ship(
            self._sent(),
            [
                {"tracking": "1ZBAD", "url": "javascript:alert(document.cookie)"},
                {"tracking": "1ZODD", "url": "data:text/html,<b>x</b>"},
                {"tracking": "1ZGOOD", "url": "https://track.example.com/1ZGOOD"},
            ],
        )

        self.assertEqual(picking.carrier_tracking_ref, "1ZBAD, 1ZODD, 1ZGOOD")
        self.assertEqual(
            picking.carrier_tracking_url, "https://track.example.com/1ZGOOD"
        )

        only_bad = self._ship(
            self._sent(), [{"tracking": "1ZJS", "url": "javascript:alert(1)"}]
        )
        self.assertEqual(only_bad.carrier_tracking_ref, "1ZJS")
        self.assertFalse(only_bad.carrier_tracking_url)
        with self.assertRaises(UserError):
            self._press(only_bad, "open_website_url")

    def test_delivery_without_method_links_shipwire_trackings_in_its_form(self):
        order = self._order()
        order.action_shipwire_send()
        picking = self._ship(
            order, [{"tracking": "1ZBARE", "url": "https://track.example.com/1ZBARE"}]
        )

        self.assertFalse(picking.carrier_id)
        self.assertEqual(
            picking.carrier_tracking_url, "https://track.example.com/1ZBARE"
        )
        arch = picking.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("not (carrier_id or carrier_tracking_url)", arch)

    def test_cancelling_a_shipment_shipwire_may_still_ship_is_refused(self):
        order = self._sent()
        picking = order.picking_ids.with_user(self.storekeeper)

        with self.assertRaises(UserError) as refusal:
            self._press(picking, "cancel_shipment")

        message = str(refusal.exception)
        self.assertIn(order.name, message)
        self.assertIn("A Shipwire Manager presses Cancel at Shipwire first", message)
        self.assertEqual(order.shipwire_state, "approved")
        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertNotIn("cancel", purchase_order["status"].lower())

    def test_cancelling_a_shipped_shipment_is_refused(self):
        order = self._sent()
        picking = self._ship(order, [{"tracking": "1ZGONE"}])

        with self.assertRaises(UserError) as refusal:
            self._press(picking, "cancel_shipment")

        message = str(refusal.exception)
        self.assertIn(order.name, message)
        self.assertIn(picking.name, message)
        self.assertIn("return", message)
        self.assertEqual(picking.carrier_tracking_ref, "1ZGONE")

    def _shipwire_cost(self, order):
        """The cost the sandbox reports on the order's fulfillment orders."""
        client = self._sandbox_client()
        try:
            return [
                client.get_order(fulfillment.shipwire_id)["pricing"]["resource"]
                for fulfillment in order.sudo().shipwire_fulfillment_order_ids
            ]
        finally:
            client.close()

    def test_shipwire_cost_is_shown_beside_the_quoted_price(self):
        order = self._order(confirm=False)
        order.sudo().set_delivery_line(self.ground, 15.0)
        order.sudo().action_confirm()
        order.action_shipwire_send()
        purchase_order = order.shipwire_purchase_order_id.with_user(self.clerk)
        self.assertFalse(order.shipwire_shipping_cost)
        self.assertFalse(purchase_order.shipping_cost_display)

        self._ship(order, [{"tracking": "1ZCOST"}])

        (cost,) = self._shipwire_cost(order)
        self.assertEqual(cost["currency"], order.currency_id.name)
        fulfillment = purchase_order.fulfillment_order_ids
        self.assertEqual(fulfillment.shipping_cost, cost["total"])
        self.assertEqual(fulfillment.shipping_cost_currency, cost["currency"])
        self.assertEqual(purchase_order.carrier_id, self.ground)
        self.assertEqual(purchase_order.quoted_shipping_price, 15.0)
        shown = format_amount(self.env, cost["total"], order.currency_id)
        self.assertEqual(purchase_order.shipping_cost_display, shown)
        self.assertEqual(order.shipwire_quoted_shipping_price, 15.0)
        self.assertEqual(order.shipwire_shipping_cost, shown)
        for model, field in (
            ("sale.order", "shipwire_shipping_cost"),
            ("shipwire.purchase.order", "shipping_cost_display"),
        ):
            arch = (
                self.env[model]
                .with_user(self.clerk)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )
            self.assertIn(f'name="{field}"', arch)
        with self.assertRaises(AccessError):
            fulfillment.shipping_cost = 0

    def test_shipwire_cost_in_another_currency_is_named(self):
        self.backend.currency_id = self.env.ref("base.EUR")
        order = self._sent()
        self._ship(order, [{"tracking": "1ZEURO"}])

        (cost,) = self._shipwire_cost(order)
        self.assertEqual(cost["currency"], "EUR")
        self.assertEqual(order.shipwire_shipping_cost, f"{cost['total']:.2f} EUR")
