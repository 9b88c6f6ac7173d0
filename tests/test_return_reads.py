from odoo.tests import tagged

from .return_common import ReturnCase


@tagged("post_install", "-at_install")
class TestReturnReads(ReturnCase):
    """What one read of a return picking's Shipwire returns does: a Refresh, a
    sync run, a webhook."""

    def _split_return(self):
        """A return picking of a split order, sent as two Shipwire returns (a
        lamp from one fulfillment order, a vase from the other)."""
        self.lamp = self._product("Lamp", "ONLY-LAX")
        self.vase = self._product("Vase", "ONLY-PHL")
        order = self._shipped([(self.lamp, 2), (self.vase, 2)], split=True)
        picking = self._return(order.picking_ids, {self.lamp: 2, self.vase: 2})
        self._send_return(picking)
        records = picking.sudo().shipwire_return_ids.sorted(
            lambda r: r.fulfillment_order_id.split_number
        )
        self.assertEqual(records.line_ids.mapped("sku"), ["ONLY-LAX", "ONLY-PHL"])
        self.on_hand = {p: self._on_hand(p) for p in (self.lamp, self.vase)}
        return picking, records

    def _assert_booked_once(self, picking):
        """One unit of each booked on the picking, the rest on one backorder."""
        self.assertEqual(picking.state, "done")
        self.assertEqual(
            sorted(
                (m.product_id.default_code, m.quantity)
                for m in picking.move_ids
                if m.state == "done"
            ),
            [("ONLY-LAX", 1), ("ONLY-PHL", 1)],
        )
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1, "one backorder for what is still due")
        self.assertFalse(backorder.backorder_ids, "no backorder of the backorder")
        self.assertEqual(backorder.state, "assigned")
        self.assertEqual(
            sorted(
                (m.product_id.default_code, m.product_uom_qty)
                for m in backorder.move_ids
            ),
            [("ONLY-LAX", 1), ("ONLY-PHL", 1)],
        )
        for product in (self.lamp, self.vase):
            self.assertEqual(self._on_hand(product), self.on_hand[product] + 1)

    def test_one_refresh_books_both_returns_of_a_split_picking_at_once(self):
        picking, (first, second) = self._split_return()
        self._arrive_return(first, "ONLY-LAX", good=1)
        self._arrive_return(second, "ONLY-PHL", good=1)

        picking.with_user(self.receiver).action_shipwire_refresh_return()

        self._assert_booked_once(picking)

    def test_one_sync_run_books_both_returns_of_a_split_picking_at_once(self):
        store = self.sandbox.store
        clock = store.clock
        self._later_at_shipwire(minutes=-60)
        picking, (first, second) = self._split_return()
        self._run_sync()
        # Shipwire counts the vase without a new lastUpdatedDate: the sync finds
        # it among the open returns it reads again, not among those changed.
        desk = self.sandbox.return_desk
        stamp = desk.receiving(int(second.shipwire_id))["updated"]
        self._arrive_return(second, "ONLY-PHL", good=1)
        with desk.lock:
            desk.receiving(int(second.shipwire_id))["updated"] = stamp
        store.clock = clock
        self._arrive_return(first, "ONLY-LAX", good=1)

        self._run_sync()

        self._assert_booked_once(picking)

    def _sent(self, units=2):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: units})
        self._send_return(picking)
        return picking, picking.sudo().shipwire_return_ids

    def _refresh(self, picking):
        outcome = picking.with_user(self.receiver).action_shipwire_refresh_return()
        return outcome["params"]["message"]

    def _refresh_unanswered(self, picking):
        self.sandbox.faults.inject("server_error", method="GET", path="/returns")
        try:
            return self._refresh(picking)
        finally:
            self.sandbox.faults.clear()

    def test_shipwires_messages_are_those_of_the_last_read(self):
        picking, record = self._sent()
        self.assertIn("did not answer", self._refresh_unanswered(picking))
        self.assertIn("did not answer", record.message)

        self._run_sync()

        self.assertFalse(record.message, "Shipwire answered the sync's read")

        self._refresh_unanswered(picking)
        self._arrive_return(record, "DIAMOND-1", good=1)
        outcome = self._refresh(picking)
        self.assertNotIn("did not answer", outcome)
        self.assertFalse(record.message)

    def test_shipwires_warning_on_the_create_stays_beside_later_reads(self):
        self._sandbox_setting("return_warehouse_warning", True)
        picking, record = self._sent()
        warning = record.message
        self.assertIn("different warehouse", warning)
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        self.assertEqual(record.message, warning)

        self._refresh_unanswered(picking)
        self.assertIn("did not answer", record.message)
        self._refresh(picking)

        self.assertEqual(record.message, warning)

    def test_a_return_webhook_without_its_date_does_not_undo_fresher_counts(self):
        picking, record = self._sent(units=3)
        self._arrive_return(record, "DIAMOND-1", good=1)
        body = self._webhook("return.updated", record)
        undated = {key: value for key, value in body["resource"].items()}
        del undated["lastUpdatedDate"]
        self._apply_webhooks()
        self._later_at_shipwire(minutes=1)
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        self.assertEqual(record.line_ids.booked_good, 2)
        on_hand = self._on_hand(self.diamond)
        sync = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_inbound_sync")
        self.env["ir.cron.trigger"].search([("cron_id", "=", sync.id)]).unlink()

        self._store_webhook("return.updated", {"resource": undated})
        self._apply_webhooks()

        self.assertEqual(record.line_ids.good, 2, "not taken back to 1")
        self.assertFalse(
            picking.activity_ids.filtered(lambda a: "fewer units" in a.summary),
            "no activity about counts Shipwire never lowered",
        )
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", sync.id)]),
            "the return is read again from Shipwire",
        )

        # A delivery without its date that does bring news: the read books it.
        self._later_at_shipwire(minutes=2)
        self._arrive_return(record, "DIAMOND-1", good=1)
        body = self._webhook("return.updated", record)
        undated = {key: value for key, value in body["resource"].items()}
        del undated["lastUpdatedDate"]
        self.env["shipwire.webhook.event"].sudo().search([]).unlink()
        self._store_webhook("return.updated", {"resource": undated})
        self._apply_webhooks()
        self._run_sync()
        self.assertEqual(record.line_ids.booked_good, 3)
        self.assertEqual(self._on_hand(self.diamond), on_hand + 1)
        self.assertEqual(picking.backorder_ids.backorder_ids.state, "done")

    def test_webhooks_applied_together_book_a_split_picking_once(self):
        picking, (first, second) = self._split_return()
        self._arrive_return(first, "ONLY-LAX", good=1)
        self._webhook("return.updated", first)
        self._arrive_return(second, "ONLY-PHL", good=1)
        self._webhook("return.updated", second)

        self._apply_webhooks()

        self._assert_booked_once(picking)
