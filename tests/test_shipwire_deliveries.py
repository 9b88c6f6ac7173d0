from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestShipwireDeliveries(ShipwireCase):
    """Deliveries Shipwire ships say so, and a shipment Odoo could not follow is
    settled from the order."""

    def _sent(self, lines=None):
        order = self._order(lines)
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")
        return order

    def _ship(self, order, **kwargs):
        for fulfillment in order.shipwire_fulfillment_order_ids:
            self.sandbox.complete_order(int(fulfillment.shipwire_id), **kwargs)
        self.env["shipwire.sync"]._cron_sync()

    def _resolve(self, order, **values):
        action = order.action_shipwire_resolve_delivery()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.clerk)
            .with_context(**action["context"])
            .create(values)
        )
        return wizard.action_resolve()

    def test_delivery_names_its_po_and_asks_before_validate_and_cancel(self):
        order = self._sent()
        storekeeper = new_test_user(
            self.env,
            login="storekeeper",
            groups="stock.group_stock_user,sale_stock_shipwire.group_shipwire_user",
        )
        picking = order.picking_ids.with_user(storekeeper)

        self.assertEqual(picking.shipwire_purchase_order_id.sale_order_id, order)
        self.assertTrue(picking.shipwire_live)
        arch = picking.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Shipwire's warehouse ships this delivery", arch)
        self.assertIn("Validate it by hand anyway?", arch)
        self.assertIn("Odoo validates it when Shipwire reports the shipment", arch)
        self.assertIn("cancelling it in Odoo does not stop Shipwire", arch)
        self.assertIn("Shipwire's warehouse shipped this delivery.", arch)
        self.assertIn("cancelled in Odoo while Shipwire fulfils the order", arch)

        self.assertFalse(self._order().picking_ids.shipwire_purchase_order_id)

    def test_validated_delivery_notes_the_tracking_numbers(self):
        order = self._sent()
        self._ship(order, trackings=[{"carrier": "UPS", "tracking": "1ZNOTE"}])

        self.assertEqual(order.picking_ids.state, "done")
        self.assertFalse(order.picking_ids.shipwire_live)
        self.assertTrue(
            order.picking_ids.message_ids.filtered(lambda m: "1ZNOTE" in m.body)
        )

    def test_delivery_validated_by_hand_before_the_shipment_is_shipped(self):
        order = self._sent()
        storekeeper = new_test_user(
            self.env, login="storekeeper", groups="stock.group_stock_user"
        )
        picking = order.picking_ids
        self.env["stock.quant"]._update_available_quantity(
            self.diamond, picking.location_id, 2
        )
        picking.with_user(storekeeper).action_assign()
        picking.with_user(storekeeper).button_validate()
        self.assertEqual(picking.state, "done")

        self._ship(order, trackings=[{"carrier": "UPS", "tracking": "1ZEARLY"}])

        self.assertEqual(order.shipwire_state, "shipped")
        self.assertFalse(self._messages(order, "error"))
        self.assertFalse(order.activity_ids)
        self.assertTrue(
            picking.message_ids.filtered(
                lambda m: "before Shipwire reported" in m.body and "1ZEARLY" in m.body
            )
        )

    def test_resolution_is_refused_for_an_order_of_another_company(self):
        other_company = self.env["res.company"].create({"name": "Other Jewels"})
        foreign = (
            self.env["sale.order"]
            .with_company(other_company)
            .create({"partner_id": self.retailer.id, "company_id": other_company.id})
        )
        Resolution = self.env["shipwire.delivery.resolution"].with_user(self.clerk)

        with self.assertRaises(AccessError):
            Resolution.create(
                {"sale_order_id": foreign.id, "choice": "handled", "reason": "x"}
            )

    def test_unfollowed_shipment_is_marked_handled_with_a_reason(self):
        order = self._sent()
        order.picking_ids.action_cancel()
        self._ship(order)
        self.assertEqual(order.shipwire_state, "not_delivered")

        action = order.action_shipwire_resolve_delivery()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.clerk)
            .with_context(**action["context"])
            .create({})
        )
        self.assertFalse(wizard.can_validate)
        self.assertEqual(wizard.choice, "handled")
        with self.assertRaisesRegex(UserError, "no open delivery left to validate"):
            self._resolve(order, choice="validate")
        self.assertEqual(order.shipwire_state, "not_delivered")
        with self.assertRaisesRegex(UserError, "Say why"):
            self._resolve(order)
        self._resolve(order, reason="Stock corrected by hand")

        self.assertEqual(order.shipwire_state, "shipped")
        self.assertFalse(self._messages(order, "error"))
        self.assertTrue(
            order.message_ids.filtered(lambda m: "Stock corrected by hand" in m.body)
        )

    def test_unfollowed_shipment_is_validated_from_the_order(self):
        serial = self._product("Serial ring", "EMERALD-3", tracking="serial")
        order = self._sent([(serial, 1)])
        self._ship(order)
        self.assertEqual(order.shipwire_state, "not_delivered")
        picking = order.picking_ids
        lot = self.env["stock.lot"].create({"name": "SN-1", "product_id": serial.id})
        action = order.action_shipwire_resolve_delivery()
        wizard = self.env[action["res_model"]].with_context(**action["context"])
        self.assertEqual(wizard.create({}).choice, "validate")
        self.env["stock.quant"]._update_available_quantity(
            serial, picking.location_id, 1, lot_id=lot
        )
        picking.move_ids.move_line_ids.lot_id = lot

        self._resolve(order, choice="validate")

        self.assertEqual(picking.state, "done")
        self.assertEqual(order.shipwire_state, "shipped")
