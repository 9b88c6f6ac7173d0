from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .return_common import ReturnCase


@tagged("post_install", "-at_install")
class TestReturns(ReturnCase):
    """Odoo's returns of deliveries Shipwire shipped, as Shipwire returns, booked
    once on the return picking."""

    def _sent_return(self, units=2, lines=None):
        order = self._shipped(lines)
        picking = self._return(order.picking_ids, {self.diamond: units})
        self._send_return(picking)
        return order, picking, picking.sudo().shipwire_return_ids

    def test_a_return_asks_shipwire_back_from_the_fulfillment_order(self):
        order, picking, record = self._sent_return()

        self.assertEqual(len(record), 1)
        self.assertEqual(record.state, "processed")
        self.assertTrue(record.shipwire_id)
        fulfillment = order.shipwire_fulfillment_order_ids
        self.assertEqual(record.fulfillment_order_id, fulfillment)
        (remote,) = self._sandbox_client().order_returns(int(fulfillment.shipwire_id))
        self.assertEqual(remote["externalId"], record.external_id)
        self.assertEqual(
            [(line.sku, line.expected, line.pending) for line in record.line_ids],
            [("DIAMOND-1", 2, 2)],
        )
        self.assertFalse(picking.with_user(self.receiver).shipwire_can_return)
        self.assertTrue(
            picking.message_ids.filtered(
                lambda m: f"return {record.shipwire_id} of" in m.body
            ),
            "the chatter says it was sent",
        )
        with self.assertRaisesRegex(UserError, "already sent to Shipwire"):
            self._send_return(picking)
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

    def test_a_split_order_returned_whole_makes_one_return_per_fulfillment_order(self):
        lamp = self._product("Lamp", "ONLY-LAX")
        vase = self._product("Vase", "ONLY-PHL")
        order = self._shipped([(lamp, 1), (vase, 3)], split=True)
        first, second = order.shipwire_fulfillment_order_ids
        picking = self._return(order.picking_ids, {lamp: 1, vase: 2})

        self._send_return(picking)

        records = picking.sudo().shipwire_return_ids.sorted(
            lambda r: r.fulfillment_order_id.split_number
        )
        self.assertEqual(records.fulfillment_order_id, first | second)
        self.assertEqual(
            [(r.line_ids.sku, r.line_ids.expected) for r in records],
            [("ONLY-LAX", 1), ("ONLY-PHL", 2)],
        )
        client = self._sandbox_client()
        for fulfillment in (first, second):
            self.assertEqual(len(client.order_returns(int(fulfillment.shipwire_id))), 1)
        self.assertEqual(len(client.search_returns()), 2)

        for record in records:
            self._arrive_return(
                record, record.line_ids.sku, good=record.line_ids.expected
            )
            self._control_return(record, "complete")
        self._run_sync()
        self.assertEqual(picking.state, "done")
        self.assertEqual(order.order_line.mapped("qty_delivered"), [0, 1])

    def test_a_sibling_shipwire_refused_keeps_no_return_open(self):
        lamp = self._product("Lamp", "ONLY-LAX")
        vase = self._product("Vase", "ONLY-PHL")
        order = self._shipped([(lamp, 1), (vase, 1)], split=True)
        picking = self._return(order.picking_ids, {lamp: 1, vase: 1})
        self.sandbox.faults.inject("bad_request", count=1, method="POST")
        self._send_return(picking)
        refused, taken = picking.sudo().shipwire_return_ids.sorted(
            lambda r: r.state != "refused"
        )
        self.assertEqual([refused.state, taken.state], ["refused", "processed"])

        self._arrive_return(taken, taken.line_ids.sku, good=1)
        self._control_return(taken, "complete")
        self._run_sync()

        self.assertEqual(taken.state, "completed")
        self.assertEqual(
            (picking | picking.backorder_ids).mapped("state"),
            ["done"] + ["cancel"] * len(picking.backorder_ids),
            "closed: the refused return expects nothing",
        )

    def test_good_units_are_booked_back_and_lower_the_delivered_quantity(self):
        order, picking, record = self._sent_return(units=3)
        before = self._on_hand(self.diamond)

        self._arrive_return(record, "DIAMOND-1", good=1, damaged=1, in_review=1)
        self._run_sync()

        self.assertEqual(self._on_hand(self.diamond), before + 1)
        damaged = self.backend._shipwire_damaged_location(self.warehouse)
        self.assertEqual(self._on_hand(self.diamond, damaged), 1)
        self.assertEqual(
            order.order_line.qty_delivered, 2, "lowered by the good unit only"
        )
        self.assertEqual(
            (record.line_ids.booked_good, record.line_ids.booked_damaged), (1, 1)
        )
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.backorder_ids.state, "assigned", "1 still in review")
        returned = picking.move_ids.filtered(lambda m: m.state == "done")
        self.assertEqual(
            set(returned.mapped("to_refund")), {True, False}, "damaged not refunded"
        )
        self.assertEqual(
            returned.origin_returned_move_id,
            picking.return_id.move_ids,
            "booked on the return, at the delivery's cost",
        )

        self._control_return(record, "complete")
        self._run_sync()
        self.assertEqual(record.state, "completed")
        self.assertEqual(picking.backorder_ids.state, "cancel")
        self.assertTrue(
            picking.message_ids.filtered(lambda m: "Shipwire completed" in m.body)
        )

    def test_a_webhook_books_once_however_often_and_late_it_comes(self):
        order, picking, record = self._sent_return(units=2)
        before = self._on_hand(self.diamond)
        self._arrive_return(record, "DIAMOND-1", good=1)
        late = self._webhook("return.updated", record)
        self._later_at_shipwire(minutes=1)
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._webhook("return.updated", record)
        self._webhook("return.updated", record)
        self.env["shipwire.webhook.event"].sudo().search([]).unlink()
        self._webhook("return.updated", record)
        self._store_webhook("return.updated", late)

        self._apply_webhooks()

        self.assertEqual(record.line_ids.good, 2, "the late one changed nothing")
        self.assertEqual(self._on_hand(self.diamond), before + 2)
        self.assertEqual(order.order_line.qty_delivered, 1)
        self.assertFalse(self.env["shipwire.webhook.event"].search([]))

    def test_hold_webhooks_show_and_clear_shipwire_holds(self):
        _order, picking, record = self._sent_return()
        self._control_return(record, "hold", {"description": "Label not scanned"})
        self._holds_webhook("return.hold.added", record)
        self._apply_webhooks()

        self.assertEqual(record.hold_ids.description, "Label not scanned")
        self.assertEqual(record.active_hold_count, 1)
        outcome = picking.with_user(self.receiver).action_shipwire_refresh_return()
        self.assertEqual(record.state, "held")
        self.assertIn("Label not scanned", outcome["params"]["message"])

        self._control_return(record, "holds/clear")
        self._holds_webhook("return.hold.cleared", record)
        self._apply_webhooks()
        self.assertEqual(record.active_hold_count, 0)
        self.assertTrue(record.hold_ids.cleared_date)

    def test_a_hold_shipwire_sends_without_id_is_stored_once_however_often(self):
        _order, _picking, record = self._sent_return()
        hold = {
            "type": "shipwire",
            "description": "Order requires review by Shipwire",
            "appliedDate": "2026-12-01T10:00:00-08:00",
        }
        body = {"resource": {"offset": 0, "total": 1, "items": [{**hold}]}}
        for item in body["resource"]["items"]:
            item["orderId"] = int(record.shipwire_id)
        for _delivery in range(2):
            record._store_holds(body["resource"]["items"])
        self.assertEqual(len(record.hold_ids), 1)

    def test_shipwire_already_having_a_return_links_it_instead_of_a_second(self):
        order = self._shipped()
        fulfillment = order.shipwire_fulfillment_order_ids
        made = self._sandbox_client().create_return(
            {
                "externalId": "made-in-shipwire",
                "originalOrder": {"id": int(fulfillment.shipwire_id)},
                "items": [{"sku": "DIAMOND-1", "quantity": 1}],
            }
        )
        self._run_sync()
        activity = order.activity_ids.filtered(
            lambda a: f"Shipwire return {made.id} made outside Odoo" == a.summary
        )
        self.assertEqual(len(activity), 1, "shown on the order it returns from")
        self.assertIn("Send return to Shipwire", activity.note)
        picking = self._return(order.picking_ids, {self.diamond: 1})

        self._send_return(picking)

        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.shipwire_id, str(made.id))
        self.assertIn("already had a return", record.message)
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

    def test_an_order_shipwire_cannot_return_yet_waits_and_is_sent_by_the_sync(self):
        self._sandbox_setting("return_min_order_age", 3600)
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})

        outcome = self._send_return(picking)

        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "waiting")
        self.assertEqual(outcome["params"]["type"], "warning")
        self.assertIn("cannot take a return", record.message)
        self.assertFalse(self._sandbox_client().search_returns())

        self.sandbox.settings.return_min_order_age = 0
        self._run_sync()
        self.assertEqual(record.state, "processed")
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

    def test_a_return_cancelled_before_shipwire_took_it_no_longer_says_it_is_sent(
        self,
    ):
        self._sandbox_setting("return_min_order_age", 3600)
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        self.assertIn("sends the return again", record.message)

        picking.with_user(self.receiver).action_cancel()

        self.assertEqual(record.state, "cancelled")
        self.assertNotIn("sends the return again", record.message)
        self.assertIn(f"Cancelled with {picking.name}", record.message)
        self.assertIn(
            record.message,
            picking._shipwire_return_outcome("Refresh")["params"]["message"],
        )
        self.sandbox.settings.return_min_order_age = 0
        self._run_sync()
        self.assertEqual(record.state, "cancelled")
        self.assertFalse(self._sandbox_client().search_returns())

    def _refused_return(self, order, quantities):
        """A return Shipwire refused on its first send."""
        picking = self._return(order.picking_ids, quantities)
        self.sandbox.faults.inject(
            "bad_request", count=1, method="POST", path="/returns"
        )
        self._send_return(picking)
        self.assertEqual(
            picking.sudo().shipwire_return_ids.mapped("state"),
            ["refused"] * len(picking.sudo().shipwire_return_ids),
        )
        return picking

    def _set_demand(self, picking, product, units):
        """The clerk changes how many units of ``product`` the return expects."""
        move = picking.move_ids.filtered(lambda m: m.product_id == product)
        picking.with_user(self.receiver).write(
            {"move_ids": [Command.update(move.id, {"product_uom_qty": units})]}
        )

    def test_a_refused_return_sent_again_sends_the_quantities_of_now(self):
        order = self._shipped([(self.diamond, 3)])
        picking = self._refused_return(order, {self.diamond: 3})
        record = picking.sudo().shipwire_return_ids
        self.assertIn(
            "press Send return to Shipwire again",
            record.message.splitlines()[-1],
            "a refusal says what to do",
        )
        self._set_demand(picking, self.diamond, 2)

        self._send_return(picking)

        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "processed")
        self.assertEqual(
            [(line.sku, line.expected) for line in record.line_ids],
            [("DIAMOND-1", 2)],
            "Shipwire expects what the return says now",
        )
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

    def test_a_return_sent_again_is_checked_again_and_nothing_is_sent(self):
        order = self._shipped([(self.diamond, 3)])
        picking = self._refused_return(order, {self.diamond: 2})
        self._set_demand(picking, self.diamond, 5)

        with self.assertRaisesRegex(UserError, "returns 5 units of DIAMOND-1"):
            self._send_return(picking)

        self.assertFalse(self._sandbox_client().search_returns())
        self.assertEqual(picking.sudo().shipwire_return_ids.state, "refused")

    def test_a_split_return_sent_again_sends_all_of_it_or_nothing(self):
        lamp = self._product("Lamp", "ONLY-LAX")
        vase = self._product("Vase", "ONLY-PHL")
        order = self._shipped([(lamp, 2), (vase, 2)], split=True)
        picking = self._return(order.picking_ids, {lamp: 2, vase: 2})
        self.sandbox.faults.inject("bad_request", count=1, method="POST")
        self._send_return(picking)
        refused, taken = picking.sudo().shipwire_return_ids.sorted(
            lambda r: r.state != "refused"
        )
        self.assertEqual([refused.state, taken.state], ["refused", "processed"])
        kept_sku = taken.line_ids.sku
        kept, changed = (lamp, vase) if kept_sku == "ONLY-LAX" else (vase, lamp)

        # What Shipwire already has cannot change: nothing is sent.
        self._set_demand(picking, kept, 1)
        with self.assertRaisesRegex(UserError, taken.external_id):
            self._send_return(picking)
        self.assertEqual(refused.state, "refused")
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

        self._set_demand(picking, kept, 2)
        self._set_demand(picking, changed, 1)
        self._send_return(picking)
        self.assertEqual(refused.state, "processed")
        self.assertEqual(
            [(line.sku, line.expected) for line in refused.line_ids],
            [(changed.default_code, 1)],
        )
        self.assertEqual(len(self._sandbox_client().search_returns()), 2)

    def test_a_warning_on_a_created_return_is_no_failure(self):
        self._sandbox_setting("return_warehouse_warning", True)
        _order, picking, record = self._sent_return(units=1)
        self.assertEqual(record.state, "processed")
        self.assertIn("different warehouse", record.message)

    def test_what_cannot_be_returned_through_shipwire_is_named_and_nothing_is_sent(
        self,
    ):
        order = self._shipped([(self.diamond, 2), (self.ruby, 1)])
        more = self._return(order.picking_ids, {self.diamond: 2, self.ruby: 1})
        more.move_ids.filtered(
            lambda m: m.product_id == self.diamond
        ).product_uom_qty = 5
        with self.assertRaisesRegex(
            UserError, "returns 5 units of DIAMOND-1"
        ) as caught:
            self._send_return(more)
        self.assertIn("shipped 2 of them", str(caught.exception))

        self.ruby.default_code = False
        with self.assertRaisesRegex(UserError, "no Internal Reference"):
            self._send_return(more)
        self.assertFalse(self._sandbox_client().search_returns())
        self.assertFalse(more.sudo().shipwire_return_ids)

        unshipped = self._order([(self.diamond, 1)])
        delivery = unshipped.picking_ids
        delivery.move_ids.quantity = 1
        delivery.move_ids.picked = True
        delivery.button_validate()
        other = self._return(delivery, {self.diamond: 1})
        self.assertFalse(other.with_user(self.receiver).shipwire_can_return)
        with self.assertRaisesRegex(UserError, "which Shipwire did not ship"):
            self._send_return(other)

    def test_cancel_goes_through_shipwire_first(self):
        _order, picking, record = self._sent_return()
        with self.assertRaisesRegex(UserError, "Press Cancel at Shipwire"):
            picking.with_user(self.receiver).action_cancel()
        with self.assertRaises(AccessError):
            picking.with_user(self.receiver).action_shipwire_cancel_return()

        picking.with_user(self.stock_manager).action_shipwire_cancel_return()

        self.assertEqual(record.state, "cancelled")
        self.assertEqual(picking.state, "cancel")
        (remote,) = self._sandbox_client().search_returns()
        self.assertIn(remote["status"], ("cancelled", "canceled"))

    def test_shipwire_refusing_a_cancel_says_each_of_its_messages_once(self):
        _order, picking, record = self._sent_return()
        self._arrive_return(record, "DIAMOND-1", good=1)

        picking.with_user(self.stock_manager).action_shipwire_cancel_return()

        lines = record.message.splitlines()
        self.assertEqual(len(lines), 2, record.message)
        self.assertEqual(lines[1], "Return Order cannot be cancelled")
        self.assertNotIn("Return Order cannot be cancelled", lines[0])

    def test_shipwire_refusing_a_cancel_is_said_in_the_chatter_a_message_a_line(self):
        _order, picking, record = self._sent_return()
        self._arrive_return(record, "DIAMOND-1", good=1)

        picking.with_user(self.stock_manager).action_shipwire_cancel_return()

        body = picking.message_ids[:1].body
        self.assertIn("Return Order cannot be cancelled", body)
        self.assertIn("<br>", body)
        self.assertNotIn("Shipwire: Shipwire", body)

    def test_returns_are_sent_on_confirmation_by_the_sync_job(self):
        self.backend.return_send_on_confirmation = True
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self.assertTrue(picking.shipwire_return_queued)
        self.assertFalse(self._sandbox_client().search_returns(), "not at once")

        self._run_sync()

        self.assertEqual(picking.sudo().shipwire_return_ids.state, "processed")
        self.assertFalse(picking.shipwire_return_queued)
        self._run_sync()
        self.assertEqual(len(self._sandbox_client().search_returns()), 1)

    def test_only_shipwire_users_who_handle_stock_send_returns(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        stock_only = new_test_user(
            self.env, login="stock_only", groups="stock.group_stock_user"
        )
        for user in (stock_only, self.clerk):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                picking.with_user(user).action_shipwire_send_return()
        with self.assertRaises(AccessError):
            picking.with_user(self.receiver).write({"shipwire_return_queued": True})
        self.assertFalse(self._sandbox_client().search_returns())

        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        for user in (self.receiver, self.stock_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                record.with_user(user).write({"state": "cancelled"})

    def test_the_stock_sync_leaves_returned_units_to_the_return(self):
        _order, picking, record = self._sent_return(units=2)
        self._sync_stock()
        before = self._on_hand(self.diamond)
        adjustments = self._adjustments()
        self._arrive_return(record, "DIAMOND-1", good=2)

        self._sync_stock()

        self.assertEqual(picking.state, "done", "booked through the return")
        self.assertEqual(self._on_hand(self.diamond), before + 2)
        self.assertEqual(self._adjustments(), adjustments, "no inventory adjustment")
