"""What the real Shipwire answers, as recorded, reaches the sales order right:
statuses, error shapes, silent status changes, carriers and holds."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestShipwireAnswers(ShipwireCase):
    def _sent(self, lines=None):
        order = self._order(lines)
        order.action_shipwire_send()
        return order

    def _fulfillment_id(self, order):
        return int(order.shipwire_fulfillment_order_ids.shipwire_id)

    def _sync(self):
        self.env["shipwire.sync"]._cron_sync()
        self.env.invalidate_all()

    def _sync_an_hour_later(self):
        """A sync asking for what changed since an hour after the orders' stamps."""
        self.backend.sync_cursor = fields.Datetime.now() + timedelta(hours=1)
        self._sync()

    def test_a_waiting_order_reads_unprocessed_and_the_order_is_approved(self):
        order = self._sent()

        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(fulfillment.shipwire_status, "unprocessed")
        self.assertEqual(fulfillment.status, "unprocessed")
        self.assertEqual(order.shipwire_state, "approved")

    def test_an_unknown_status_is_kept_as_written_and_moves_nothing_back(self):
        order = self._sent()
        self.sandbox.complete_order(self._fulfillment_id(order))
        self._sync()
        self.assertEqual(order.shipwire_state, "shipped")

        with patch.object(self.sandbox.settings, "order_status_unprocessed", "onDock"):
            other = self._sent()

        fulfillment = other.shipwire_fulfillment_order_ids
        self.assertEqual(fulfillment.shipwire_status, "onDock")
        self.assertEqual(fulfillment.status, "unknown")
        self.assertEqual(other.shipwire_state, "approved", "as its PO reads")
        (warning,) = self._messages(other, "warning")
        self.assertIn("does not know: onDock", warning)

    def test_a_non_envelope_answer_is_a_plain_sentence(self):
        order = self._sent()
        self.sandbox.faults.inject("bad_request", count=1)

        order.action_shipwire_refresh()

        (error,) = self._messages(order, "error")
        self.assertIn("Bad request", error)
        self.assertNotIn("{", error)
        self.assertEqual(order.shipwire_state, "approved")

    def test_an_order_number_too_long_to_split_is_refused_before_sending(self):
        self.backend.can_split = True
        order = self._order()
        order.sudo().name = "S-RETAILER-2026-0000042"  # 23 + ".1" fits
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")

        longer = self._order()
        longer.sudo().name = "S-RETAILER-2026-00000042"  # 24 + ".1" does not
        with self.assertRaisesRegex(UserError, "23 characters at most"):
            longer.action_shipwire_send()
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)

    def test_a_status_changed_without_a_new_stamp_is_caught_by_the_reconcile(self):
        order = self._sent()
        self._sync()
        with patch.object(self.sandbox.settings, "silent_status_changes", True):
            self.sandbox.add_order_hold(self._fulfillment_id(order), "Address check")

        self._sync_an_hour_later()
        self.assertEqual(order.shipwire_state, "approved", "the date sync misses it")

        order.shipwire_purchase_order_id.sudo().last_sync = fields.Datetime.now() - (
            timedelta(hours=self.backend.reconcile_after_hours, minutes=1)
        )
        calls_before = self.sandbox.request_count
        self._sync_an_hour_later()

        self.assertEqual(order.shipwire_state, "held")
        # Two date-filtered lists, then one list of POs and one of orders by id.
        self.assertEqual(self.sandbox.request_count - calls_before, 4)

    def test_a_shipment_brings_its_carrier_dates_and_tracking_link(self):
        order = self._sent()
        self.sandbox.complete_order(
            self._fulfillment_id(order),
            trackings=[
                {"carrier": "USPS", "tracking": "9400111", "url": "https://t.example/1"}
            ],
        )

        self._sync()

        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(fulfillment.carrier_code, "USPS")
        self.assertTrue(fulfillment.completed_date)
        self.assertEqual(fulfillment.tracking_ids.carrier, "USPS")
        self.assertTrue(fulfillment.tracking_ids.tracked_date)
        picking = order.picking_ids
        self.assertEqual(picking.carrier_tracking_ref, "9400111")
        self.assertEqual(picking.carrier_tracking_url, "https://t.example/1")

    def test_a_manager_clears_the_holds_at_shipwire(self):
        order = self._sent()
        self.sandbox.add_order_hold(self._fulfillment_id(order), "Address check")
        order.action_shipwire_refresh()
        self.assertEqual(order.shipwire_state, "held")
        hold = order.shipwire_fulfillment_order_ids.hold_ids
        with self.assertRaises(AccessError):
            order.action_shipwire_clear_holds()  # a Shipwire User may not

        order.shipwire_purchase_order_id.with_user(self.manager).action_clear_holds()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertTrue(hold.cleared_date)
        operations = order.shipwire_purchase_order_id.sudo().exchange_ids.mapped(
            "operation"
        )
        self.assertIn("clear holds", operations)
