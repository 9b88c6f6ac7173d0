import contextlib

from odoo import Command
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user

from .common import ShipwireWorldCase
from .receiving_common import ReceivingCase

BUTTONS = (
    "action_shipwire_send_receiving",
    "action_shipwire_update_receiving",
    "action_shipwire_refresh_receiving",
    "action_shipwire_receiving_labels",
    "action_shipwire_cancel_receiving",
)


class TestReceivingAttacks(ReceivingCase, ShipwireWorldCase):
    """What a user, a careless click or Shipwire's odd answers could do to a
    receiving, each tried the way it would reach the server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        both = [Command.set((cls.company_a | cls.company_b).ids)]
        cls.roles = {
            role: new_test_user(
                cls.env,
                login=f"attack_{role}",
                groups=groups,
                company_id=cls.company_a.id,
                company_ids=both,
            )
            for role, groups in {
                "inventory_only": "stock.group_stock_user",
                "shipwire_no_inventory": "sales_team.group_sale_salesman,"
                "sale_stock_shipwire.group_shipwire_user",
                "salesman": "sales_team.group_sale_salesman",
                "portal": "base.group_portal",
            }.items()
        }

    def setUp(self):
        super().setUp()
        self.backend_b.warehouse_ids.shipwire_warehouse_external_id = "LAX"

    def _rpc(self, user, records, method, *args):
        """Call ``method`` on ``records`` as the web client would for ``user``."""
        model = self.env[records._name].with_user(user)
        context = {"allowed_company_ids": user.company_ids.ids}
        return call_kw(model, method, [records.ids, *args], {"context": context})

    def _sent(self, lines=None, **values):
        receipt = self._receipt(lines, **values)
        self._send(receipt, self.users["user"])
        return receipt, receipt.shipwire_receiving_id

    def _activity_summaries(self, receipt):
        return receipt.activity_ids.mapped("summary")

    # -- roles ---------------------------------------------------------------------

    def test_roles_without_both_rights_reach_no_button(self):
        receipt = self._receipt()
        for role, user in self.roles.items():
            for button in BUTTONS:
                with (
                    self.subTest(role=role, button=button),
                    self.assertRaises(UserError),
                ):
                    self._press_list_button(button, receipt, user)
        self.assertEqual(self.sandbox.stats()["receivings"], 0)
        self.assertFalse(receipt.shipwire_receiving_id)

    def test_binding_records_are_written_by_the_module_only(self):
        receipt, receiving = self._sent()
        line = receiving.line_ids[:1]
        for role in ("user", "manager", "admin"):
            user = self.users[role]
            with self.subTest(role=role):
                for records, method, args in (
                    (receiving, "write", ({"state": "completed"},)),
                    (receiving, "unlink", ()),
                    (receiving, "copy", ()),
                    (line, "write", ({"good": 99},)),
                    (line, "unlink", ()),
                ):
                    with self.assertRaises(AccessError):
                        self._rpc(user, records, method, *args)
                with self.assertRaises(AccessError):
                    call_kw(
                        self.env["shipwire.receiving"].with_user(user),
                        "create",
                        [
                            {
                                "backend_id": self.backend.id,
                                "picking_id": self._receipt().id,
                                "warehouse_id": self.warehouse.id,
                                "external_id": "FORGED",
                            }
                        ],
                        {},
                    )
        for role in ("user", "manager"):
            user = self.users[role]
            with self.subTest(role=role, field="shipwire_receiving_id"):
                with self.assertRaises(UserError):
                    self._rpc(user, receipt, "write", {"shipwire_receiving_id": False})
                other = self._receipt()
                with self.assertRaises(UserError):
                    self._rpc(
                        user, other, "write", {"shipwire_receiving_id": receiving.id}
                    )
            with self.subTest(role=role, field="related"):
                with contextlib.suppress(AccessError, UserError):
                    self._rpc(
                        user, receipt, "write", {"shipwire_receiving_message": "forged"}
                    )
                self.assertNotEqual(receiving.message, "forged")
        self.assertEqual(receipt.shipwire_receiving_id, receiving)

    def test_another_companys_receiving_is_out_of_reach(self):
        receipt_b, receiving_b = self._sent(warehouse=self.warehouse_b)
        self.assertEqual(receiving_b.company_id, self.company_b)
        user_of_a = self.users["user_of_a"]
        for model in (
            "shipwire.receiving",
            "shipwire.receiving.line",
            "shipwire.receiving.hold",
        ):
            with self.subTest(model=model):
                found = call_kw(
                    self.env[model].with_user(user_of_a),
                    "search_read",
                    [[]],
                    {"fields": ["id"]},
                )
                self.assertFalse(found)
        with self.assertRaises(AccessError):
            self._rpc(user_of_a, receiving_b, "read", ["state"])
        for button in BUTTONS:
            with self.subTest(button=button), self.assertRaises(AccessError):
                self._press_list_button(button, receipt_b, user_of_a)

    def test_damaged_units_of_company_b_stay_in_company_b(self):
        receipt_b, receiving_b = self._sent(
            [(self.diamond, 4)], warehouse=self.warehouse_b
        )
        self._control_b(receiving_b, "receive", {"sku": "DIAMOND-1", "damaged": 1})
        self._run_sync()
        damaged = self.backend_b._shipwire_damaged_location(self.warehouse_b)
        self.assertEqual(damaged.company_id, self.company_b)
        self.assertEqual(
            self._on_hand(self.diamond.with_company(self.company_b), damaged), 1
        )

    def _control_b(self, receiving, action, body):
        from .receiving_common import sandbox_control

        return sandbox_control(self.sandbox_b, receiving, action, body)

    # -- other paths to the same action ------------------------------------------

    def test_odoo_cancel_is_refused_on_the_receipt_and_its_backorder(self):
        receipt, receiving = self._sent()
        user = self.users["user"]
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", receipt, user)
        self._arrive(receiving, "DIAMOND-1", good=4)
        self._run_sync()
        backorder = receiving._open_picking()
        self.assertNotEqual(backorder, receipt)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", backorder, user)
        self.assertEqual(backorder.state, "assigned")

    def test_a_receiving_shipwire_made_but_not_read_back_stays_expected(self):
        receipt = self._receipt()
        # Shipwire makes the receiving, then refuses the read that follows.
        self.sandbox.faults.inject(
            "bad_request", count=1, method="GET", path="/receivings/"
        )
        self._send(receipt, self.users["user"])
        receiving = receipt.shipwire_receiving_id
        self.assertEqual(self.sandbox.stats()["receivings"], 1)
        self.assertEqual(receiving.state, "unanswered")
        self.assertTrue(receiving.message)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", receipt, self.users["user"])

        self._run_sync()

        self.assertTrue(receiving.shipwire_id)
        self.assertEqual(receiving.state, "processed")
        self.assertEqual(self.sandbox.stats()["receivings"], 1)

    def test_deleting_the_receipt_or_its_backorder_is_refused(self):
        receipt, receiving = self._sent()
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._rpc(self.users["manager"], receipt, "unlink")
        self.assertTrue(receipt.exists())
        self._arrive(receiving, "DIAMOND-1", good=4)
        self._run_sync()
        backorder = receiving._open_picking()
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._rpc(self.users["manager"], backorder, "unlink")
        self.assertTrue(backorder.exists())

    def test_validating_by_hand_without_backorder_is_refused_while_open(self):
        receipt, receiving = self._sent()
        user = self.users["user"]
        receipt.move_ids.quantity = 4
        receipt.move_ids.picked = True
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            receipt.with_user(user).with_context(
                skip_backorder=True, picking_ids_not_to_backorder=receipt.ids
            ).button_validate()
        self.assertEqual(receipt.state, "assigned")

    def test_validating_by_hand_never_books_twice(self):
        receipt, receiving = self._sent()
        receipt.move_ids.quantity = 10
        receipt.move_ids.picked = True
        receipt.with_user(self.users["user"]).button_validate()
        self.assertEqual(self._on_hand(self.diamond), 10)
        self._arrive(receiving, "DIAMOND-1", good=10)
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 10)
        # Counted by Shipwire first, the rest validated by hand, then counted.
        receipt2, receiving2 = self._sent([(self.ruby, 6)])
        self._arrive(receiving2, "RUBY-2", good=2)
        self._run_sync()
        backorder = receiving2._open_picking()
        backorder.move_ids.quantity = 4
        backorder.move_ids.picked = True
        backorder.with_user(self.users["user"]).with_context(
            skip_backorder=True
        ).button_validate()
        self._arrive(receiving2, "RUBY-2", good=4)
        self._control(receiving2, "complete")
        self._run_sync()
        self.assertEqual(self._on_hand(self.ruby), 6)
        self.assertEqual(receiving2.state, "completed")

    def test_a_copy_does_not_carry_the_receiving_and_a_backorder_is_not_sent(self):
        receipt, receiving = self._sent()
        copy = self._rpc(self.users["user"], receipt, "copy")
        self.assertFalse(self.env["stock.picking"].browse(copy).shipwire_receiving_id)
        self._arrive(receiving, "DIAMOND-1", good=4)
        self._run_sync()
        backorder = receiving._open_picking()
        with self.assertRaisesRegex(UserError, "already announced"):
            self._press_list_button(
                "action_shipwire_send_receiving", backorder, self.users["user"]
            )
        self.assertEqual(self.sandbox.stats()["receivings"], 1)

    def test_returning_booked_goods_is_not_booked_again(self):
        receipt, receiving = self._sent()
        self._arrive(receiving, "DIAMOND-1", good=10)
        self._control(receiving, "complete")
        self._run_sync()
        self.assertEqual(receipt.state, "done")
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=receipt.id, active_model="stock.picking"
            )
        ).save()
        wizard.product_return_moves.quantity = 3
        wizard.action_create_returns()
        returned = receipt.return_ids
        self.assertFalse(returned.shipwire_receiving_id)
        returned.move_ids.quantity = 3
        returned.move_ids.picked = True
        returned.button_validate()
        receiving.picking_id.action_shipwire_refresh_receiving()
        self.assertEqual(self._on_hand(self.diamond), 7)

    def test_the_warehouse_of_a_sent_receipt_cannot_change(self):
        receipt, receiving = self._sent()
        other_type = self.warehouse_a2.in_type_id
        with self.assertRaisesRegex(UserError, receipt.name):
            self._rpc(
                self.users["user"],
                receipt,
                "write",
                {
                    "picking_type_id": other_type.id,
                    "location_dest_id": other_type.default_location_dest_id.id,
                },
            )
        with self.assertRaisesRegex(UserError, receipt.name):
            self._rpc(
                self.users["user"],
                receipt,
                "write",
                {"location_dest_id": self.warehouse_a2.lot_stock_id.id},
            )
        shelf = self.env["stock.location"].create(
            {"name": "Shelf", "location_id": self.warehouse.lot_stock_id.id}
        )
        self._rpc(self.users["user"], receipt, "write", {"location_dest_id": shelf.id})
        self.assertEqual(receipt.location_dest_id, shelf)

    # -- Shipwire's odd answers ----------------------------------------------------

    def _remote(self, receiving, sandbox=None):
        return (sandbox or self.sandbox).store.receivings[int(receiving.shipwire_id)]

    def test_odd_counters_are_stored_as_zero_and_said(self):
        receipt, receiving = self._sent()
        self._arrive(receiving, "DIAMOND-1", good=3)
        for value, unusable in ((-5, True), ("lots", True), (None, True), ("7", False)):
            with self.subTest(value=value):
                (item,) = self._remote(receiving)["items"]
                item["good"] = value
                receipt.action_shipwire_refresh_receiving()
                self.assertLessEqual(self._on_hand(self.diamond), 7)
                # The messages are those of the last read.
                said = "unusable counters" in (receiving.message or "")
                self.assertEqual(said, unusable)
        self.assertEqual(self._on_hand(self.diamond), 7)
        self.assertTrue(
            receipt.message_ids.filtered(lambda m: "unusable counters" in m.body)
        )

    def test_unknown_status_books_nothing_and_keeps_cancel_refused(self):
        receipt, receiving = self._sent()
        self._remote(receiving)["stage"] = "teleported"
        receipt.action_shipwire_refresh_receiving()
        self.assertEqual(receiving.state, "unknown")
        self.assertEqual(receiving.shipwire_status, "teleported")
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            self._press_list_button("action_cancel", receipt, self.users["user"])

    def test_canceled_spelling_cancels_the_remainder(self):
        self.sandbox.settings.receiving_cancelled_spelling = "canceled"
        receipt, receiving = self._sent()
        receipt.with_user(self.stock_manager).action_shipwire_cancel_receiving()
        self.assertEqual(receiving.state, "cancelled")
        self.assertEqual(receipt.state, "cancel")

    def test_an_older_answer_changes_nothing(self):
        receipt, receiving = self._sent()
        self._arrive(receiving, "DIAMOND-1", good=4)
        client = self._sandbox_client()
        fresh = client.get_receiving(receiving.shipwire_id, "items,holds,trackings")
        self._run_sync()
        self._arrive(receiving, "DIAMOND-1", good=6)
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 10)
        fresh["lastUpdatedDate"] = "2001-01-01T00:00:00-08:00"
        receiving._store_remote(fresh)
        self.assertEqual(self._on_hand(self.diamond), 10)
        self.assertEqual(receiving.good, 10)

    def test_a_receiving_listed_twice_is_booked_once(self):
        receipt, receiving = self._sent()
        self._arrive(receiving, "DIAMOND-1", good=4)
        client = self._sandbox_client()
        resource = client.get_receiving(receiving.shipwire_id, "items,holds,trackings")
        self.env["shipwire.inbound.sync"]._store_page(
            self.env["shipwire.receiving"],
            self.backend,
            client,
            [resource, dict(resource)],
            set(),
        )
        self.assertEqual(self._on_hand(self.diamond), 4)

    # -- vendors, SKUs, units ------------------------------------------------------

    def test_vendor_fields_at_and_over_shipwire_limits(self):
        at_limit = self.vendor.copy({"name": "N" * 35, "city": "C" * 25})
        receipt, receiving = self._sent(partner=at_limit)
        self.assertNotIn("cut", receiving.message or "")
        over = self.vendor.copy({"name": "N" * 36, "city": "C" * 26})
        receipt2, receiving2 = self._sent(partner=over)
        self.assertEqual(receiving2.state, "processed")
        self.assertIn("cut", receiving2.message)
        remote = self._remote(receiving2)["data"]["shipFrom"]
        self.assertEqual((len(remote["name"]), len(remote["city"])), (35, 25))

    def test_dozens_are_announced_and_booked_in_units(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        receipt = self._receipt()
        receipt.move_ids.write({"product_uom": dozen.id, "product_uom_qty": 2})
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        self.assertEqual(receiving.expected, 24)
        self.assertFalse(receiving.is_changed)
        self._arrive(receiving, "DIAMOND-1", good=12)
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 12)
        self._arrive(receiving, "DIAMOND-1", good=12)
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 24)
        self.assertFalse(receiving._open_picking())

    def test_a_product_archived_after_sending_is_still_booked(self):
        receipt, receiving = self._sent([(self.ruby, 3)])
        self.ruby.product_tmpl_id.active = False
        self.addCleanup(setattr, self.ruby.product_tmpl_id, "active", True)
        self._arrive(receiving, "RUBY-2", good=3)
        self._run_sync()
        self.assertEqual(self._on_hand(self.ruby), 3)

    # -- stock truth ---------------------------------------------------------------

    def test_a_hand_validation_then_shipwire_counts_moves_no_stock_twice(self):
        receipt, receiving = self._sent()
        self.env["shipwire.stock.sync"]._sync_stock(self.backend, full=True)
        adjustments = self.env["stock.move"].search_count([("is_inventory", "=", True)])
        before = self._on_hand(self.diamond)
        receipt.move_ids.quantity = 4
        receipt.move_ids.picked = True
        receipt.with_user(self.users["user"]).with_context(
            skip_backorder=True
        ).button_validate()
        self._arrive(receiving, "DIAMOND-1", good=10)
        self._control(receiving, "complete")
        self.env["shipwire.stock.sync"]._sync_stock(self.backend, full=True)
        self.env.invalidate_all()
        self.assertEqual(self._on_hand(self.diamond), before + 10)
        self.assertEqual(receiving.state, "completed")
        self.assertEqual(
            self.env["stock.move"].search_count([("is_inventory", "=", True)]),
            adjustments,
        )

    def test_units_counted_after_the_receipt_is_done_are_not_lost_silently(self):
        receipt, receiving = self._sent()
        receipt.move_ids.quantity = 10
        receipt.move_ids.picked = True
        receipt.with_user(self.users["user"]).button_validate()
        self.assertEqual(receipt.state, "done")
        self._arrive(receiving, "DIAMOND-1", good=10)
        (item,) = self._remote(receiving)["items"]
        item["good"] = 12  # two more than announced
        receipt.action_shipwire_refresh_receiving()
        self.assertIn(
            "Shipwire received units no open transfer takes",
            self._activity_summaries(receipt),
        )
