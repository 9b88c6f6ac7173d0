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

    def test_a_refused_delivery_does_not_hold_back_the_others(self):
        serial = self._product("Serial ring", "EMERALD-3", tracking="serial")
        first, refused, last = (
            self._sent(),
            self._sent([(serial, 1)]),
            self._sent([(self.ruby, 1)]),
        )
        for order in (first, refused, last):
            for fulfillment in order.shipwire_fulfillment_order_ids:
                self.sandbox.complete_order(
                    int(fulfillment.shipwire_id),
                    trackings=[{"carrier": "UPS", "tracking": f"1Z{order.id}"}],
                )

        self.env["shipwire.sync"]._cron_sync()

        for order in (first, last):
            self.assertEqual(order.shipwire_state, "shipped")
            self.assertEqual(order.picking_ids.state, "done")
            self.assertEqual(order.picking_ids.carrier_tracking_ref, f"1Z{order.id}")
        self._assert_told(refused, "Lot/Serial")
        self.assertNotEqual(refused.picking_ids.state, "done")
        # What Shipwire shipped stays picked for whoever validates it by hand.
        self.assertEqual(refused.picking_ids.move_ids.quantity, 1)
        self.assertEqual(refused.picking_ids.carrier_tracking_ref, f"1Z{refused.id}")

    def test_both_halves_of_a_split_po_shipped_at_once_close_one_delivery(self):
        self.backend.can_split = True
        lamp = self._product("Lamp", "ONLY-LAX")
        vase = self._product("Vase", "ONLY-PHL")
        order = self._sent([(lamp, 1), (vase, 3)])
        first, second = order.shipwire_fulfillment_order_ids
        self.sandbox.complete_order(
            int(first.shipwire_id), trackings=[{"carrier": "UPS", "tracking": "1ZA"}]
        )
        self.sandbox.complete_order(
            int(second.shipwire_id), trackings=[{"carrier": "UPS", "tracking": "1ZB"}]
        )

        self.env["shipwire.sync"]._cron_sync()

        self.assertEqual(order.shipwire_state, "shipped")
        delivery = order.picking_ids
        self.assertEqual(len(delivery), 1, "no backorder: everything shipped")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.move_ids.mapped("quantity"), [1, 3])
        self.assertEqual(delivery.carrier_tracking_ref, "1ZA, 1ZB")
        self.assertEqual(
            order.shipwire_fulfillment_order_ids.picking_id, delivery, "both linked"
        )

    def test_the_delivery_chatter_tells_one_change_of_state(self):
        order = self._sent()

        self._ship(order)

        picking = order.picking_ids
        self.assertEqual(picking.state, "done")
        state_changes = picking.sudo().message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "state"
        )
        self.assertEqual(len(state_changes), 1, state_changes.mapped("new_value_char"))
        self.assertEqual(state_changes.new_value_char, "Done")
