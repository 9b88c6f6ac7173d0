from odoo.tests import tagged

from ..shipwire_api import ShipwireMessage
from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestMessageWords(ShipwireCase):
    """The clerk reads a rejection in the words of the forms where it is fixed."""

    def _shorter_limits(self, **limits):
        lengths = self.sandbox.settings.field_lengths
        for name, limit in limits.items():
            self.addCleanup(lengths.__setitem__, name, lengths[name])
            lengths[name] = limit

    def _rejected_order(self):
        self._shorter_limits(city=5, sku=10)
        emerald = self._product("Emerald", "EMERALD-2026")
        order = self._order([(self.diamond, 1), (emerald, 1)])
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "rejected")
        return order, emerald

    def _message(self, order, field_name):
        return order.shipwire_message_ids.filtered(lambda m: m.field_name == field_name)

    def test_rejection_names_the_odoo_field_and_the_record(self):
        order, emerald = self._rejected_order()

        city = self._message(order, "shipTo.city")
        self.assertEqual(city.label, "Delivery address › City")
        self.assertEqual(city.record_ref, order.partner_shipping_id)
        self.assertIn("city must be at most 5 characters", city.text)
        sku = self._message(order, "items[1].sku")
        self.assertEqual(sku.label, "Order line 2 › Product › Internal Reference")
        self.assertEqual(sku.record_ref, emerald)

    def test_clerk_opens_the_record_to_fix(self):
        order, emerald = self._rejected_order()

        action = self._message(order, "items[1].sku").action_open_record()
        self.assertEqual(
            (action["res_model"], action["res_id"]), (emerald._name, emerald.id)
        )
        action = self._message(order, "shipTo.city").action_open_record()
        self.assertEqual(
            (action["res_model"], action["res_id"]),
            ("res.partner", order.partner_shipping_id.id),
        )

    def test_chatter_and_activity_use_odoo_words(self):
        order, _emerald = self._rejected_order()

        (activity,) = order.activity_ids
        self.assertIn("Delivery address › City", activity.note)
        self.assertIn("shipTo.city", activity.note)
        self.assertIn("Order line 2 › Product › Internal Reference", activity.note)
        self.assertTrue(
            any(
                "Delivery address › City" in body
                for body in order.message_ids.mapped("body")
            )
        )

    def test_unknown_field_keeps_shipwires_text(self):
        order = self._order()
        order.action_shipwire_send()
        purchase_order = order.sudo().shipwire_purchase_order_id
        unknown, plain = self.env["shipwire.message"]._create_from_shipwire(
            purchase_order,
            [
                ShipwireMessage("warning", "Look at this", field="somethingNew"),
                "A sentence of our own",
            ],
            "warning",
        )
        self.assertEqual(unknown.label, "somethingNew")
        self.assertFalse(unknown.record_ref)
        self.assertFalse(plain.label)
        self.assertFalse(plain.record_ref)
        self.assertFalse(plain.action_open_record())

    def test_app_is_an_application(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "sale_stock_shipwire")]
        )
        self.assertTrue(module.application)
        self.assertTrue(module.icon_image)
