from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestSync(ShipwireCase):
    def _sync(self):
        self.env["shipwire.sync"]._cron_sync()

    def _fulfillment_ids(self, order):
        return [int(fo.shipwire_id) for fo in order.shipwire_fulfillment_order_ids]

    def test_sync_brings_trackings_in_and_validates_the_delivery(self):
        order = self._order([(self.diamond, 2)])
        order.action_shipwire_send()
        (fo_id,) = self._fulfillment_ids(order)
        self.sandbox.complete_order(
            fo_id,
            trackings=[
                {"carrier": "FEDEX", "tracking": "7700001", "url": "https://t/1"},
                {"carrier": "FEDEX", "tracking": "7700002", "url": "https://t/2"},
            ],
        )

        self._sync()

        self.assertEqual(order.shipwire_state, "shipped")
        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(fulfillment.status, "completed")
        self.assertEqual(
            fulfillment.tracking_ids.mapped("tracking_number"), ["7700001", "7700002"]
        )
        picking = order.picking_ids
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 2)
        self.assertEqual(picking.carrier_tracking_ref, "7700001, 7700002")
        self.assertTrue(self.backend.last_sync_date)
        self.assertFalse(self.backend.last_sync_error)

    def test_delivery_slip_printed_on_validation_still_counts_as_validated(self):
        order = self._order([(self.diamond, 1)])
        order.picking_ids.picking_type_id.sudo().auto_print_delivery_slip = True
        order.action_shipwire_send()
        self.sandbox.complete_order(*self._fulfillment_ids(order))

        self._sync()

        self.assertEqual(order.picking_ids.state, "done")
        self.assertFalse(order.activity_ids)

    def test_split_po_ships_in_two_deliveries(self):
        self.backend.can_split = True
        lax_only = self._product("Lamp", "ONLY-LAX")
        phl_only = self._product("Vase", "ONLY-PHL")
        order = self._order([(lax_only, 1), (phl_only, 3)])
        order.action_shipwire_send()
        first, second = order.shipwire_fulfillment_order_ids
        self.assertEqual((first.split_number, second.split_number), (1, 2))

        self.sandbox.complete_order(
            int(first.shipwire_id), trackings=[{"carrier": "UPS", "tracking": "1ZA"}]
        )
        self._sync()

        self.assertEqual(order.shipwire_state, "partially_shipped")
        done = order.picking_ids.filtered(lambda p: p.state == "done")
        self.assertEqual(done.move_ids.product_id, lax_only)
        self.assertEqual(done.carrier_tracking_ref, "1ZA")
        backorder = order.picking_ids - done
        self.assertEqual(backorder.move_ids.product_id, phl_only)
        self.assertEqual(second.picking_id, backorder)

        self.sandbox.complete_order(
            int(second.shipwire_id),
            trackings=[
                {"carrier": "UPS", "tracking": "1ZB"},
                {"carrier": "UPS", "tracking": "1ZC"},
            ],
        )
        self._sync()

        self.assertEqual(order.shipwire_state, "shipped")
        self.assertEqual(backorder.state, "done")
        self.assertEqual(backorder.move_ids.quantity, 3)
        self.assertEqual(backorder.carrier_tracking_ref, "1ZB, 1ZC")
        self.assertEqual(
            sorted(
                order.shipwire_fulfillment_order_ids.tracking_ids.mapped(
                    "tracking_number"
                )
            ),
            ["1ZA", "1ZB", "1ZC"],
        )

    def test_short_shipment_leaves_a_backorder(self):
        order = self._order([(self.diamond, 5)])
        order.action_shipwire_send()
        (fo_id,) = self._fulfillment_ids(order)
        self.sandbox.complete_order(fo_id, quantities={"DIAMOND-1": 3})

        self._sync()

        done = order.picking_ids.filtered(lambda p: p.state == "done")
        self.assertEqual(done.move_ids.quantity, 3)
        backorder = order.picking_ids - done
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)

    def test_cancel_at_shipwire_cancels_the_delivery_and_tells(self):
        order = self._order()
        order.action_shipwire_send()
        (fo_id,) = self._fulfillment_ids(order)
        self.sandbox.cancel_order(fo_id)

        self._sync()

        self.assertEqual(order.shipwire_state, "cancelled")
        self.assertEqual(order.picking_ids.state, "cancel")
        self.assertIn("cancelled", order.activity_ids.summary)

    def test_hold_added_at_shipwire_gives_an_activity(self):
        order = self._order()
        order.action_shipwire_send()
        (fo_id,) = self._fulfillment_ids(order)
        self.sandbox.add_order_hold(fo_id, "Address needs a suite number")

        self._sync()

        self.assertEqual(order.shipwire_state, "held")
        self.assertEqual(order.activity_ids.user_id, order.user_id)
        self.assertIn("Address needs a suite number", order.activity_ids.note)

        # Cleared at Shipwire: Odoo's copy is cleared too, and the activity done.
        self.sandbox.store.clear_order_holds(fo_id)
        self._sync()

        self.assertEqual(order.shipwire_state, "approved")
        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(fulfillment.active_hold_count, 0)
        self.assertTrue(fulfillment.hold_ids.cleared_date)
        self.assertFalse(order.activity_ids)

    def test_update_during_the_sync_window_is_caught_next_run(self):
        order = self._order()
        order.action_shipwire_send()
        self._sync()
        (fo_id,) = self._fulfillment_ids(order)
        # Shipwire ships the order right after answering the order list of a run.
        self.sandbox.faults.inject(
            "timeout_commit",
            count=1,
            seconds=0,
            method="GET",
            path="/orders",
            on_fire=lambda: self.sandbox.complete_order(fo_id),
        )

        self._sync()
        self.assertEqual(order.shipwire_state, "approved")
        self._sync()

        self.assertEqual(order.shipwire_state, "shipped")

    def test_second_run_asks_only_for_what_changed(self):
        self._sync()
        first_cursor = self.backend.sync_cursor
        self.assertTrue(first_cursor)
        self.env["shipwire.exchange"].search([]).unlink()

        self._sync()

        urls = self.env["shipwire.exchange"].search([]).mapped("url")
        self.assertEqual(len(urls), 2, urls)
        self.assertTrue(all("updatedAfter=" in url for url in urls), urls)

    def test_failing_account_does_not_stop_the_others(self):
        broken = self.backend.copy(
            {"name": "Broken", "username": "nobody", "password": "wrong"}
        )
        order = self._order()
        order.action_shipwire_send()
        (fo_id,) = self._fulfillment_ids(order)
        self.sandbox.complete_order(fo_id)

        self._sync()

        self.assertIn("credentials", broken.last_sync_error)
        self.assertFalse(broken.last_sync_date)
        self.assertEqual(order.shipwire_state, "shipped")

    def test_record_that_raises_is_logged_on_it_and_the_job_goes_on(self):
        failing = self._order([(self.ruby, 1)])
        healthy = self._order([(self.diamond, 1)])
        (failing | healthy).action_shipwire_send()
        for order in failing | healthy:
            self.sandbox.complete_order(*self._fulfillment_ids(order))
        # An unforeseen error in another module, on one delivery only.
        picking_class = type(self.env["stock.picking"])
        validate = picking_class.button_validate

        def crash_on_failing(pickings):
            if failing.picking_ids.id in pickings.ids:
                raise RuntimeError("a customization crashed")
            return validate(pickings)

        with patch.object(picking_class, "button_validate", crash_on_failing):
            self._sync()

        self.assertEqual(healthy.shipwire_state, "shipped")
        self.assertTrue(
            any(t.startswith("Sync failed") for t in self._messages(failing, "error"))
        )
        self.assertNotEqual(failing.picking_ids.state, "done")
        self.assertIn("sync failed", failing.activity_ids.summary)
        self.assertFalse(self.backend.last_sync_error)

    def test_unreachable_shipwire_is_shown_on_the_account(self):
        self.sandbox.faults.inject("server_error")
        self._sync()
        self.assertIn("try again", self.backend.last_sync_error)
        self.assertFalse(self.backend.sync_cursor)

        self.sandbox.faults.clear()
        self._sync()
        self.assertTrue(self.backend.sync_cursor)
        self.assertFalse(self.backend.last_sync_error)

    def test_send_that_reached_shipwire_after_all_is_cleared_by_the_sync(self):
        # Shipwire keeps the PO, but its answer comes back unreadable.
        self.sandbox.faults.inject(
            "malformed", count=1, method="POST", path="/purchaseOrders"
        )
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")
        self.assertIn("unreadable", self._messages(order, "error")[0])

        self._sync()

        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertEqual(order.shipwire_po_id, str(purchase_order["id"]))
        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(self._messages(order, "error"), [])
        self.assertTrue(
            any("linked, not sent twice" in t for t in self._messages(order, "info"))
        )
        self.assertFalse(order.shipwire_next_retry)

    def test_refresh_clears_an_earlier_connection_error(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.faults.inject("server_error")
        order.action_shipwire_refresh()
        self.assertIn("Shipwire is failing", self._messages(order, "error")[0])

        self.sandbox.faults.clear()
        order.action_shipwire_refresh()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(self._messages(order), [])

    def test_refresh_of_one_order_brings_its_shipment_in(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.complete_order(
            *self._fulfillment_ids(order),
            trackings=[{"carrier": "USPS", "tracking": "9400"}],
        )

        order.action_shipwire_refresh()

        self.assertEqual(order.shipwire_state, "shipped")
        self.assertEqual(order.picking_ids.carrier_tracking_ref, "9400")

    def test_a_record_created_meanwhile_by_another_sync_is_no_failure(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.complete_order(*self._fulfillment_ids(order))
        PurchaseOrder = type(self.env["shipwire.purchase.order"])
        store = PurchaseOrder._store_remote

        def created_meanwhile(model, remote, replayable=False):
            # What PostgreSQL answers when another sync inserted the same row first.
            model.env.cr.execute(
                "INSERT INTO shipwire_purchase_order "
                "(sale_order_id, backend_id, external_id) "
                "SELECT sale_order_id, backend_id, external_id "
                "FROM shipwire_purchase_order LIMIT 1"
            )
            return store(model, remote, replayable)

        with patch.object(PurchaseOrder, "_store_remote", created_meanwhile):
            self._sync()

        self.assertFalse(self._messages(order))
        self.assertFalse(order.activity_ids)
        sync_job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", sync_job.id)])
        )
        self._sync()
        self.assertEqual(order.shipwire_state, "shipped")


@tagged("post_install", "-at_install")
class TestRetryJob(ShipwireCase):
    def test_failed_send_is_sent_again_by_the_job(self):
        self.backend.read_timeout = 0.5
        # Four answers in a row fail: the first attempt and its three retries.
        self.sandbox.faults.inject("server_error", count=4)
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "failed")
        self.assertGreater(order.shipwire_next_retry, fields.Datetime.now())

        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.assertEqual(order.shipwire_state, "failed", "not due yet")

        order.shipwire_purchase_order_id.sudo().next_retry = (
            fields.Datetime.now() - timedelta(seconds=1)
        )
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertFalse(order.shipwire_next_retry)

    def test_weeks_of_failed_sends_wait_six_hours_at_most(self):
        self.sandbox.faults.inject("server_error", status=507)
        order = self._order()
        order._shipwire_purchase_orders().retry_count = 60

        order.action_shipwire_send()

        self.assertEqual(order.shipwire_state, "failed")
        self.assertEqual(order.shipwire_purchase_order_id.retry_count, 61)
        self.assertLessEqual(
            order.shipwire_next_retry, fields.Datetime.now() + timedelta(hours=6)
        )
