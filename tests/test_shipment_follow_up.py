"""Every way of cancelling meets the Shipwire guard, and a shipment Odoo cannot
apply to a delivery is never dropped without a word."""

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestShipmentFollowUp(ShipwireCase):
    def _sent(self, lines=None):
        order = self._order(lines)
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")
        return order

    def _ship(self, order, **kwargs):
        for fulfillment in order.shipwire_fulfillment_order_ids:
            self.sandbox.complete_order(int(fulfillment.shipwire_id), **kwargs)
        self.env["shipwire.sync"]._cron_sync()

    def _assert_told(self, order, words):
        self.assertEqual(order.shipwire_state, "not_delivered")
        self.assertTrue(
            any(words in text for text in self._messages(order, "error")),
            self._messages(order),
        )
        self.assertTrue(
            order.activity_ids.filtered(lambda a: "by hand" in a.summary),
            order.activity_ids.mapped("summary"),
        )

    def test_the_list_views_mass_cancel_meets_the_guard(self):
        order = self._sent()
        wizard = Form(
            self.env["sale.mass.cancel.orders"]
            .with_user(self.clerk)
            .with_context(active_model="sale.order", active_ids=order.ids)
        ).save()

        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            wizard.action_mass_cancel()

        self.assertEqual(order.state, "sale")
        self.assertNotEqual(order.picking_ids.state, "cancel")

    def test_shipment_of_a_cancelled_delivery_is_told(self):
        order = self._sent()
        order.picking_ids.action_cancel()

        self._ship(order)

        self._assert_told(order, "no open delivery")

    def test_validating_by_hand_solves_it(self):
        serial = self._product("Serial ring", "EMERALD-3", tracking="serial")
        order = self._sent([(serial, 1)])
        self._ship(order)
        self._assert_told(order, "Lot/Serial")

        picking = order.picking_ids
        lot = self.env["stock.lot"].create({"name": "SN-1", "product_id": serial.id})
        self.env["stock.quant"]._update_available_quantity(
            serial, picking.location_id, 1, lot_id=lot
        )
        picking.move_ids.move_line_ids.lot_id = lot
        picking.button_validate()

        self.assertEqual(picking.state, "done")
        self.assertEqual(order.shipwire_state, "shipped")
        self.assertFalse(order.shipwire_fulfillment_order_ids.delivery_problem)
        self.assertFalse(self._messages(order, "error"))
        self.assertFalse(order.activity_ids.filtered(lambda a: "by hand" in a.summary))
