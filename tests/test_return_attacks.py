import contextlib
from unittest.mock import patch

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from ..shipwire_api import ShipwireClient
from .common import ShipwireWorldCase
from .return_common import ReturnCase

BUTTONS = (
    "action_shipwire_send_return",
    "action_shipwire_refresh_return",
    "action_shipwire_return_labels",
    "action_shipwire_cancel_return",
)


class TestReturnAttacks(ReturnCase, ShipwireWorldCase):
    """What a user, another path to the same action or Shipwire's odd answers
    could do to a return, each tried the way it would reach the server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        both = [Command.set((cls.company_a | cls.company_b).ids)]
        cls.roles = {
            role: new_test_user(
                cls.env,
                login=f"return_attack_{role}",
                groups=groups,
                company_id=cls.company_a.id,
                company_ids=both,
            )
            for role, groups in {
                "inventory_only": "stock.group_stock_user",
                "shipwire_no_inventory": "sales_team.group_sale_salesman,"
                "sale_stock_shipwire.group_shipwire_user",
                "salesman": "sales_team.group_sale_salesman",
                "internal": "base.group_user",
            }.items()
        }

    def _rpc(self, user, records, method, *args):
        model = self.env[records._name].with_user(user)
        context = {"allowed_company_ids": user.company_ids.ids}
        return call_kw(model, method, [records.ids, *args], {"context": context})

    def _returned(self, units=1, lines=None):
        order = self._shipped(lines)
        return order, self._return(order.picking_ids, {self.diamond: units})

    def _sent_return(self, units=2):
        order, picking = self._returned(units)
        self._press_list_button(
            "action_shipwire_send_return", picking, self.users["user"]
        )
        return order, picking, picking.sudo().shipwire_return_ids

    def _failed_events(self):
        return self.env["shipwire.webhook.event"].sudo().search([])

    def test_roles_without_both_rights_reach_no_return_button(self):
        _order, picking = self._returned()
        for role, user in self.roles.items():
            for button in BUTTONS:
                with (
                    self.subTest(role=role, button=button),
                    self.assertRaises(UserError),
                ):
                    self._press_list_button(button, picking, user)
        with self.assertRaises(AccessError):
            self._press_list_button(
                "action_shipwire_cancel_return", picking, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["returns"], 0)
        self.assertFalse(picking.sudo().shipwire_return_ids)

    def test_binding_records_are_written_by_the_module_only(self):
        _order, picking, record = self._sent_return()
        line = record.line_ids[:1]
        hold = self.env["shipwire.return.hold"].create(
            {"return_id": record.id, "hold_type": "shipwire", "description": "Check"}
        )
        for role in ("user", "manager", "admin"):
            user = self.users[role]
            with self.subTest(role=role):
                for records, method, args in (
                    (record, "write", ({"state": "completed"},)),
                    (record, "unlink", ()),
                    (record, "copy", ()),
                    (line, "write", ({"good": 99},)),
                    (line, "unlink", ()),
                    (line, "copy", ()),
                    (hold, "write", ({"cleared_date": "2026-01-01 00:00:00"},)),
                    (hold, "unlink", ()),
                ):
                    with self.assertRaises(AccessError):
                        self._rpc(user, records, method, *args)
                for model, values in (
                    (
                        "shipwire.return",
                        {
                            "backend_id": self.backend.id,
                            "picking_id": picking.id,
                            "fulfillment_order_id": record.fulfillment_order_id.id,
                            "warehouse_id": self.warehouse.id,
                            "external_id": "FORGED",
                        },
                    ),
                    ("shipwire.return.line", {"return_id": record.id, "sku": "X"}),
                    ("shipwire.return.hold", {"return_id": record.id}),
                ):
                    with self.assertRaises(AccessError):
                        call_kw(self.env[model].with_user(user), "create", [values], {})
        self.assertEqual(record.state, "processed")
        self.assertEqual(line.good, 0)

    def test_a_picking_cannot_be_linked_to_returns_or_queued_by_hand(self):
        _order, picking, record = self._sent_return()
        _order2, other = self._returned()
        user = self.users["manager"]
        for commands in (
            [Command.link(record.id)],
            [Command.set([record.id])],
            [Command.create({"external_id": "X", "backend_id": self.backend.id})],
        ):
            with (
                self.subTest(commands=commands),
                contextlib.suppress(AccessError, UserError),
            ):
                self._rpc(user, other, "write", {"shipwire_return_ids": commands})
        for commands in (
            [Command.unlink(record.id)],
            [Command.delete(record.id)],
            [Command.clear()],
        ):
            with (
                self.subTest(commands=commands),
                contextlib.suppress(AccessError, UserError),
            ):
                self._rpc(user, picking, "write", {"shipwire_return_ids": commands})
        self.assertEqual(record.picking_id, picking)
        self.assertFalse(other.sudo().shipwire_return_ids)

        with self.assertRaises(AccessError):
            self._rpc(user, other, "write", {"shipwire_return_queued": True})
        values = other.copy_data()[0]
        values.update(shipwire_return_queued=True, return_id=other.return_id.id)
        with self.assertRaises(AccessError):
            call_kw(
                self.env["stock.picking"].with_user(self.roles["inventory_only"]),
                "create",
                [values],
                {},
            )
        with self.assertRaises(AccessError):
            self._rpc(
                self.roles["inventory_only"],
                other,
                "copy",
                {"shipwire_return_queued": True},
            )

    def test_a_user_of_a_reaches_nothing_of_company_bs_returns(self):
        order_b = self._order_at(self.warehouse_b, [(self.diamond, 2)])
        order_b.with_user(self.users["user"]).action_shipwire_send()
        for fulfillment in order_b.shipwire_fulfillment_order_ids:
            self.sandbox_b.complete_order(int(fulfillment.shipwire_id))
        self.env["shipwire.sync"]._cron_sync()
        picking_b = self._return(
            order_b.picking_ids, {self.diamond: 1}, self.users["user"]
        )
        self._press_list_button(
            "action_shipwire_send_return", picking_b, self.users["user"]
        )
        record_b = picking_b.sudo().shipwire_return_ids
        self.assertEqual(record_b.backend_id, self.backend_b)
        user_of_a = self.users["manager_of_a"]
        for model in (
            "shipwire.return",
            "shipwire.return.line",
            "shipwire.return.hold",
        ):
            with self.subTest(model=model):
                found = call_kw(
                    self.env[model].with_user(user_of_a),
                    "search_read",
                    [[]],
                    {"fields": ["id"]},
                )
                self.assertFalse(found)
        for button in BUTTONS:
            with self.subTest(button=button), self.assertRaises(AccessError):
                self._press_list_button(button, picking_b, user_of_a)
        self.assertEqual(record_b.state, "processed")
        # A's webhook naming B's return changes nothing of it.
        self.sandbox_b.return_desk.receive(
            int(record_b.shipwire_id), "DIAMOND-1", good=1, damaged=0, in_review=0
        )
        client_b = ShipwireClient(
            self.sandbox_b.username, self.sandbox_b.password, self.sandbox_b.url
        )
        body = {"resource": client_b.get_return(int(record_b.shipwire_id), "items")}
        self._store_webhook("return.updated", body, self.backend)
        self._apply_webhooks()
        self.assertEqual(record_b.good, 0)
        self.assertEqual(picking_b.state, "assigned")

    def test_send_to_shipwire_of_receipts_refuses_a_return(self):
        _order, picking = self._returned()
        with self.assertRaisesRegex(UserError, "Send return to Shipwire"):
            self._press_list_button(
                "action_shipwire_send_receiving", picking, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["receivings"], 0)
        self.assertFalse(picking.shipwire_receiving_id)

    def test_a_list_of_a_receipt_and_a_return_sends_nothing(self):
        _order, picking = self._returned()
        receipt = self._receipt()
        with self.assertRaisesRegex(UserError, receipt.name):
            self._press_list_button(
                "action_shipwire_send_return", picking | receipt, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["returns"], 0)

    def test_cancel_validate_without_backorder_and_delete_are_refused(self):
        _order, picking, record = self._sent_return(units=2)
        user = self.users["user"]
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", picking, user)
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            picking.with_user(user).with_context(
                skip_backorder=True, picking_ids_not_to_backorder=picking.ids
            ).button_validate()
        with self.assertRaises(UserError):
            self._rpc(self.users["manager"], picking, "unlink")
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        backorder = record._open_picking()
        self.assertNotEqual(backorder, picking)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", backorder, user)
        with self.assertRaisesRegex(UserError, picking.name):
            self._press_list_button("action_shipwire_send_return", backorder, user)
        with self.assertRaises(UserError):
            self._rpc(self.users["manager"], backorder, "unlink")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_the_bookings_context_sent_by_a_user_cancels_nothing_shipwire_expects(
        self,
    ):
        _order, picking, record = self._sent_return(units=2)
        user = self.users["user"]
        forged = {"allowed_company_ids": user.company_ids.ids, "shipwire_booking": True}
        model = self.env["stock.picking"].with_user(user)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            call_kw(model, "action_cancel", [picking.ids], {"context": forged})
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            call_kw(
                model,
                "button_validate",
                [picking.ids],
                {
                    "context": {
                        **forged,
                        "skip_backorder": True,
                        "picking_ids_not_to_backorder": picking.ids,
                    }
                },
            )
        self.assertNotIn(picking.state, ("done", "cancel"))
        self.assertEqual(record.state, "processed")

    def test_a_return_shipwire_may_have_cannot_be_cancelled_then_deleted_by_rpc(self):
        user = new_test_user(
            self.env,
            login="return_forging_admin",
            groups="stock.group_stock_manager,sale_stock_shipwire.group_shipwire_user",
            company_id=self.company_a.id,
        )
        self.backend.click_timeout = 1
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=2, method="POST", path="/returns"
        )
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "unanswered")
        forged = {"allowed_company_ids": user.company_ids.ids, "shipwire_booking": True}
        model = self.env["stock.picking"].with_user(user)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            call_kw(model, "action_cancel", [picking.ids], {"context": forged})
        with self.assertRaises(UserError):
            call_kw(model, "unlink", [picking.ids], {"context": forged})
        self.assertTrue(record.exists())
        self.assertEqual(record.state, "unanswered")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_return_shipwire_made_but_not_read_back_is_neither_refused_nor_lost(
        self,
    ):
        user = new_test_user(
            self.env,
            login="return_unread_admin",
            groups="stock.group_stock_manager,sale_stock_shipwire.group_shipwire_user",
            company_id=self.company_a.id,
        )
        _order, picking = self._returned(units=2)
        # Shipwire makes the return, then refuses the read that follows.
        self.sandbox.faults.inject(
            "bad_request", count=1, method="GET", path="/returns"
        )
        self._press_list_button(
            "action_shipwire_send_return", picking, self.users["user"]
        )
        record = picking.sudo().shipwire_return_ids
        self.assertEqual(self.sandbox.stats()["returns"], 1)
        self.assertEqual(record.state, "unanswered")
        self.assertTrue(record.message)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", picking, user)
        with self.assertRaises(UserError):
            self._rpc(user, picking, "unlink")

        self._run_sync()

        self.assertTrue(record.shipwire_id)
        self.assertEqual(record.state, "processed")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_sent_return_cannot_be_made_a_backorder_of_another_transfer(self):
        _order, picking, record = self._sent_return(units=2)
        _other_order, other = self._returned(units=1)
        user = self.users["user"]
        for moved, target in ((picking, other), (other, picking)):
            with (
                self.subTest(moved=moved.name),
                self.assertRaisesRegex(UserError, picking.name),
            ):
                self._rpc(user, moved, "write", {"backorder_id": target.id})
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", picking, user)
        self.assertFalse(picking.backorder_id)
        self.assertFalse(other.backorder_id)
        self.assertEqual(record.state, "processed")

    def test_no_transfer_is_made_by_hand_a_backorder_of_a_sent_return(self):
        _order, picking, record = self._sent_return(units=3)
        user = self.users["user"]
        values = {
            "picking_type_id": picking.picking_type_id.id,
            "location_id": picking.location_id.id,
            "location_dest_id": self.warehouse_a2.lot_stock_id.id,
            "backorder_id": picking.id,
        }
        with self.assertRaisesRegex(UserError, picking.name):
            call_kw(self.env["stock.picking"].with_user(user), "create", [values], {})
        with self.assertRaisesRegex(UserError, picking.name):
            self._rpc(user, picking, "copy", {"backorder_id": picking.id})
        self.assertFalse(picking.backorder_ids)

        # Shipwire counting part of the units, or a clerk validating part of
        # them by hand, still leaves the rest on a backorder of the return.
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        backorder = picking.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        backorder.move_ids.quantity = 1
        backorder.move_ids.picked = True
        backorder.with_user(user).with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[]
        ).button_validate()
        self.assertEqual(backorder.state, "done")
        self.assertEqual(backorder.backorder_ids.move_ids.product_uom_qty, 1)

    def test_the_warehouse_of_a_sent_return_cannot_change(self):
        _order, picking, record = self._sent_return()
        other_type = self.warehouse_a2.in_type_id
        with self.assertRaisesRegex(UserError, picking.name):
            self._rpc(
                self.users["user"],
                picking,
                "write",
                {
                    "picking_type_id": other_type.id,
                    "location_dest_id": other_type.default_location_dest_id.id,
                },
            )
        with self.assertRaisesRegex(UserError, picking.name):
            self._rpc(
                self.users["user"],
                picking,
                "write",
                {"location_dest_id": self.warehouse_a2.lot_stock_id.id},
            )

    def test_cancelling_a_return_shipwire_could_not_take_yet_stops_it(self):
        self._sandbox_setting("return_min_order_age", 3600)
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "waiting")
        self._press_list_button("action_cancel", picking, self.users["user"])
        self.assertEqual(picking.state, "cancel")

        self.sandbox.settings.return_min_order_age = 0
        self._run_sync()
        self._run_sync()

        self.assertEqual(self.sandbox.stats()["returns"], 0, "nothing sent")
        self.assertFalse(picking.activity_ids, "no reminder about a cancelled return")

    def test_a_cancelled_refused_return_does_not_block_the_next(self):
        self._sandbox_setting("return_min_order_age", 3600)
        order, picking, record = self._sent_return()
        self._press_list_button("action_cancel", picking, self.users["user"])
        self.sandbox.settings.return_min_order_age = 0
        again = self._return(picking.return_id, {self.diamond: 1})
        self._press_list_button(
            "action_shipwire_send_return", again, self.users["user"]
        )
        self.assertEqual(again.sudo().shipwire_return_ids.state, "processed")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_cancelled_return_shipwire_never_took_can_be_deleted(self):
        # Deleting transfers is for Inventory Administrators.
        user = new_test_user(
            self.env,
            login="return_inventory_admin",
            groups="stock.group_stock_manager,sale_stock_shipwire.group_shipwire_user",
            company_id=self.company_a.id,
        )
        self._sandbox_setting("return_min_order_age", 3600)
        _order, never_taken, record = self._sent_return()
        self.assertEqual(record.state, "waiting")
        self._press_list_button("action_cancel", never_taken, user)
        self.assertEqual(never_taken.state, "cancel")

        self._rpc(user, never_taken, "unlink")

        self.assertFalse(never_taken.exists())
        self.assertFalse(record.exists())
        self.assertEqual(self.sandbox.stats()["returns"], 0)

        self.sandbox.settings.return_min_order_age = 0
        _order, taken, record = self._sent_return()
        self.assertTrue(record.shipwire_id)
        self._press_list_button(
            "action_shipwire_cancel_return", taken, self.users["manager"]
        )
        self.assertEqual(taken.state, "cancel")
        with self.assertRaisesRegex(UserError, taken.name):
            self._rpc(user, taken, "unlink")
        self.assertTrue(taken.exists())

    def test_returning_the_return_sends_nothing(self):
        order, picking, record = self._sent_return(units=1)
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._control_return(record, "complete")
        self._run_sync()
        self.assertEqual(picking.state, "done")
        back_out = self._return(picking, {self.diamond: 1})
        with self.assertRaisesRegex(UserError, "not a return of a delivery"):
            self._press_list_button(
                "action_shipwire_send_return", back_out, self.users["user"]
            )
        back_out.move_ids.quantity = 1
        back_out.move_ids.picked = True
        back_out.button_validate()
        again = self._return(back_out, {self.diamond: 1})
        self.assertFalse(again.with_user(self.users["user"]).shipwire_can_return)
        with self.assertRaises(UserError):
            self._press_list_button(
                "action_shipwire_send_return", again, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_create_answered_late_is_linked_not_made_twice(self):
        self.backend.click_timeout = 1
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=2, method="POST", path="/returns"
        )
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "unanswered")
        self.assertTrue(
            picking.message_ids.filtered(lambda m: "did not answer" in (m.body or ""))
        )
        self._run_sync()
        self.assertEqual(record.state, "processed")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_create_lost_on_the_way_is_sent_again_by_the_sync(self):
        self.backend.return_send_on_confirmation = True
        self.sandbox.faults.inject("reset", count=10, method="POST", path="/returns")
        _order, picking = self._returned()
        self._run_sync()
        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "unanswered")
        self.sandbox.faults.clear()
        self._run_sync()
        self.assertEqual(record.state, "processed", "not left waiting unseen")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_another_refusal_is_said_on_the_picking_and_send_stays_possible(self):
        self.sandbox.faults.inject(
            "bad_request", count=1, method="POST", path="/returns"
        )
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "refused")
        self.assertTrue(picking.message_ids.filtered(lambda m: "Shipwire" in m.body))
        self._press_list_button(
            "action_shipwire_send_return", picking, self.users["user"]
        )
        self.assertEqual(record.state, "processed")
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_malformed_webhooks_change_nothing_and_fail_nothing(self):
        _order, picking, record = self._sent_return()
        good = {"resource": {"items": [{"resource": {"sku": "DIAMOND-1", "good": 1}}]}}
        bodies = [
            [],
            "text",
            {"resource": []},
            {"resource": {"id": [int(record.shipwire_id)], "status": "completed"}},
            {"resource": {"id": 10**30, "status": "completed"}},
            {"resource": {"id": -int(record.shipwire_id), "status": "completed"}},
            {"resource": {"id": "1 OR 1=1", "status": "completed"}},
            {"resource": {"id": {"id": 1}, "status": "completed"}},
            {"resource": {"id": True, "status": "completed", "items": good}},
            {"resource": {"items": good, "status": "completed"}},
        ]
        for body in bodies:
            self._store_webhook("return.updated", body)
        for body in (
            {"resource": {"items": [{"orderId": [1]}, "x", {"orderId": 10**30}]}},
            {"resource": {"items": [{"orderId": int(record.shipwire_id), "id": []}]}},
            {"resource": "holds"},
        ):
            self._store_webhook("return.hold.added", body)
        self._apply_webhooks()
        self.assertFalse(self._failed_events())
        self.assertEqual(record.state, "processed")
        self.assertEqual(picking.state, "assigned")

    def test_odd_counters_in_a_webhook_are_stored_as_zero(self):
        _order, picking, record = self._sent_return(units=2)
        # Dated as Shipwire has the return: stored, not left to the sync.
        updated = self._sandbox_client().get_return(int(record.shipwire_id))[
            "lastUpdatedDate"
        ]
        for value in (-1, 10**12, "many", None, 2**31):
            with self.subTest(value=value):
                self._store_webhook(
                    "return.updated",
                    {
                        "resource": {
                            "id": int(record.shipwire_id),
                            "status": "delivered",
                            "lastUpdatedDate": updated,
                            "items": {
                                "resource": {
                                    "items": [
                                        {
                                            "resource": {
                                                "sku": "DIAMOND-1",
                                                "expected": 2,
                                                "good": value,
                                            }
                                        }
                                    ]
                                }
                            },
                        }
                    },
                )
                self._apply_webhooks()
                self.assertFalse(self._failed_events())
                self.assertEqual(record.state, "delivered", "stored")
                self.assertEqual(record.line_ids.booked_good, 0)
        # Two items of one SKU, each at the largest counter.
        big = {"resource": {"sku": "DIAMOND-1", "expected": 2**31 - 1}}
        self._store_webhook(
            "return.updated",
            {
                "resource": {
                    "id": int(record.shipwire_id),
                    "status": "delivered",
                    "lastUpdatedDate": updated,
                    "items": {"resource": {"items": [big, big]}},
                }
            },
        )
        self._apply_webhooks()
        self.assertFalse(self._failed_events())

    def test_a_completed_webhook_without_its_items_does_not_close_the_return(self):
        _order, picking, record = self._sent_return(units=2)
        self._arrive_return(record, "DIAMOND-1", good=2)
        self._control_return(record, "complete")
        resource = self._sandbox_client().get_return(int(record.shipwire_id))
        self.assertNotIn("resource", resource["items"], "links only")
        self._store_webhook("return.completed", {"resource": resource})
        self._apply_webhooks()
        self._run_sync()
        self.assertEqual(picking.state, "done")
        self.assertEqual(record.line_ids.booked_good, 2)
        self.assertFalse(picking.activity_ids)

    def test_a_return_shipwire_did_not_answer_is_cancelled_at_shipwire_first(self):
        self.backend.click_timeout = 1
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=2, method="POST", path="/returns"
        )
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "unanswered")
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", picking, self.users["user"])

        self._press_list_button(
            "action_shipwire_cancel_return", picking, self.users["manager"]
        )

        self.assertEqual(record.state, "cancelled")
        self.assertEqual(picking.state, "cancel")
        (remote,) = self._sandbox_client().search_returns()
        self.assertIn(remote["status"], ("cancelled", "canceled"))

    def test_a_return_shipwire_never_made_is_cancelled_here_only(self):
        self.backend.click_timeout = 1
        self.sandbox.faults.inject("reset", count=10, method="POST", path="/returns")
        _order, picking, record = self._sent_return()
        self.assertEqual(record.state, "unanswered")
        self.sandbox.faults.clear()

        self._press_list_button(
            "action_shipwire_cancel_return", picking, self.users["manager"]
        )

        self.assertEqual(record.state, "cancelled")
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(self.sandbox.stats()["returns"], 0)
        self._run_sync()
        self.assertEqual(self.sandbox.stats()["returns"], 0)

    def test_a_return_picking_offers_no_receiving_button(self):
        _order, picking = self._returned()
        self.assertFalse(picking.with_user(self.users["user"]).shipwire_can_receive)
        self.assertTrue(self._receipt().shipwire_can_receive)

    def test_a_backorder_of_a_return_is_not_sent_as_a_receiving(self):
        _order, picking, record = self._sent_return(units=2)
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        backorder = record._open_picking()
        self.assertEqual(backorder.backorder_id, picking)
        self.assertFalse(backorder.shipwire_can_receive)
        with self.assertRaisesRegex(UserError, "Send return to Shipwire"):
            self._press_list_button(
                "action_shipwire_send_receiving", backorder, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["receivings"], 0)

    def test_two_returns_of_one_order_sent_together_are_not_booked_twice(self):
        order = self._shipped([(self.diamond, 3)])
        delivery = order.picking_ids
        first = self._return(delivery, {self.diamond: 1})
        second = self._return(delivery, {self.diamond: 1})
        with self.assertRaisesRegex(UserError, "put these units on one return"):
            self._press_list_button(
                "action_shipwire_send_return", first | second, self.users["user"]
            )
        self.assertFalse((first | second).sudo().shipwire_return_ids)
        self.assertEqual(self.sandbox.stats()["returns"], 0)

    def test_a_return_shipwire_has_for_another_picking_is_not_linked_again(self):
        order, picking, record = self._sent_return(units=1)
        other = self._return(picking.return_id, {self.diamond: 1})
        other_record = self.env["shipwire.return"].create(
            {
                "backend_id": self.backend.id,
                "picking_id": other.id,
                "fulfillment_order_id": record.fulfillment_order_id.id,
                "warehouse_id": self.warehouse.id,
                "external_id": "ODOO-OTHER",
                "order_items": {"DIAMOND-1": 1},
            }
        )

        other_record._send()

        self.assertEqual(other_record.state, "refused")
        self.assertFalse(other_record.shipwire_id)
        self.assertIn(picking.name, other_record.message)
        self.assertEqual(self.sandbox.stats()["returns"], 1)

    def test_a_late_hold_webhook_does_not_put_a_cleared_hold_back(self):
        _order, picking, record = self._sent_return()
        self._control_return(record, "hold", {"description": "Label not scanned"})
        self._holds_webhook("return.hold.added", record)
        stale = self.env["shipwire.webhook.event"].sudo().search([]).body
        self._apply_webhooks()
        self.assertEqual(record.active_hold_count, 1)
        self._later_at_shipwire(minutes=1)
        self._control_return(record, "holds/clear")
        self._run_sync()
        self.assertEqual(record.active_hold_count, 0)

        self._store_webhook("return.hold.added", stale)
        self._apply_webhooks()
        self._run_sync()

        self.assertEqual(record.active_hold_count, 0, "cleared at Shipwire")
        self.assertNotEqual(record.state, "held")

    def test_refresh_books_returns_of_two_companies_from_one_list(self):
        pickings = self.env["stock.picking"]
        records = self.env["shipwire.return"]
        for warehouse, sandbox in (
            (self.warehouse, self.sandbox),
            (self.warehouse_b, self.sandbox_b),
        ):
            order = self._order_at(warehouse, [(self.diamond, 2)])
            order.with_user(self.users["user"]).action_shipwire_send()
            for fulfillment in order.shipwire_fulfillment_order_ids:
                sandbox.complete_order(int(fulfillment.shipwire_id))
            self.env["shipwire.sync"]._cron_sync()
            picking = self._return(
                order.picking_ids, {self.diamond: 1}, self.users["user"]
            )
            self._press_list_button(
                "action_shipwire_send_return", picking, self.users["user"]
            )
            record = picking.sudo().shipwire_return_ids
            sandbox.return_desk.receive(
                int(record.shipwire_id), "DIAMOND-1", good=1, damaged=0, in_review=0
            )
            pickings |= picking
            records |= record

        self._press_list_button(
            "action_shipwire_refresh_return", pickings, self.users["user"]
        )

        self.assertEqual(pickings.mapped("state"), ["done", "done"])
        done = pickings.move_ids.filtered(lambda m: m.state == "done")
        self.assertEqual(
            {(m.company_id, m.location_dest_id.company_id) for m in done},
            {(self.company_a, self.company_a), (self.company_b, self.company_b)},
        )
        if "stock_valuation_layer_ids" in done._fields:
            self.assertEqual(
                {(m.company_id, m.stock_valuation_layer_ids.company_id) for m in done},
                {(self.company_a, self.company_a), (self.company_b, self.company_b)},
            )

    def test_a_return_webhook_that_fails_is_told_on_the_return_picking(self):
        _order, picking, record = self._sent_return()
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._webhook("return.updated", record)
        Return = type(self.env["shipwire.return"])
        with patch.object(Return, "_store_remotes", side_effect=ValueError("boom")):
            self._apply_webhooks()
        self.assertEqual(self._failed_events().state, "failed")
        (activity,) = picking.activity_ids
        self.assertEqual(activity.summary, "webhook not applied")
        self.assertIn("boom", activity.note)

        self._run_sync()
        self.assertEqual(record.line_ids.booked_good, 1, "the sync booked it")
