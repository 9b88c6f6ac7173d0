from odoo import Command

from .receiving_common import ReceivingCase


class TestReceivingBooking(ReceivingCase):
    def setUp(self):
        super().setUp()
        self.receipt = self._receipt([(self.diamond, 10), (self.ruby, 4)])
        self._send(self.receipt)
        self.receiving = self.receipt.shipwire_receiving_id

    def _inventory_moves(self):
        return self.env["stock.move"].search(
            [
                ("is_inventory", "=", True),
                ("product_id", "in", (self.diamond | self.ruby).ids),
            ]
        )

    def test_units_arriving_in_steps_are_booked_once_on_the_receipt(self):
        self._arrive(self.receiving, "DIAMOND-1", good=4)
        self._run_sync()
        self.assertEqual(self.receipt.state, "done")
        self.assertEqual(
            self.receipt.move_ids.filtered(
                lambda m: m.product_id == self.diamond
            ).quantity,
            4,
        )
        backorder = self.receiving._open_picking()
        self.assertTrue(backorder, "the rest waits on a backorder")
        self.assertEqual(backorder.shipwire_receiving_id, self.receiving)
        self.assertEqual(self._on_hand(self.diamond), 4)
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 4, "read again, booked once")
        self._arrive(self.receiving, "DIAMOND-1", good=6)
        self._arrive(self.receiving, "RUBY-2", good=4)
        self._control(self.receiving, "complete")
        self._run_sync()
        self.assertEqual(self.receiving.state, "completed")
        self.assertEqual(self._on_hand(self.diamond), 10)
        self.assertEqual(self._on_hand(self.ruby), 4)
        self.assertFalse(self.receiving._open_picking())
        self.assertEqual(
            {(line.sku, line.booked_good) for line in self.receiving.line_ids},
            {("DIAMOND-1", 10), ("RUBY-2", 4)},
        )
        self.assertFalse(self._inventory_moves())

    def test_damaged_units_go_to_the_damaged_location(self):
        self._arrive(self.receiving, "DIAMOND-1", good=8, damaged=2)
        self._run_sync()
        damaged = self.backend._shipwire_damaged_location(self.warehouse)
        self.assertEqual(self._on_hand(self.diamond), 8)
        self.assertEqual(self._on_hand(self.diamond, damaged), 2)
        self.assertFalse(
            damaged.parent_path.startswith(self.warehouse.lot_stock_id.parent_path),
            "damaged units are not part of the warehouse's stock",
        )
        line = self.receiving.line_ids.filtered(lambda line: line.sku == "DIAMOND-1")
        self.assertEqual((line.booked_good, line.booked_damaged), (8, 2))

    def test_damaged_units_left_short_by_setting(self):
        self.backend.receiving_damaged = "short"
        self._arrive(self.receiving, "DIAMOND-1", good=8, damaged=2)
        self._arrive(self.receiving, "RUBY-2", good=4)
        self._control(self.receiving, "complete")
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 8)
        diamond_moves = (self.receipt | self.receiving.picking_ids).move_ids.filtered(
            lambda m: m.product_id == self.diamond and m.state == "done"
        )
        self.assertEqual(sum(diamond_moves.mapped("quantity")), 8)
        self.assertFalse(self.receiving._open_picking())

    def test_in_review_and_pending_units_are_shown_not_booked(self):
        self._arrive(self.receiving, "DIAMOND-1", in_review=3)
        self._run_sync()
        line = self.receiving.line_ids.filtered(lambda line: line.sku == "DIAMOND-1")
        self.assertEqual((line.in_review, line.pending, line.booked_good), (3, 7, 0))
        self.assertEqual(self.receipt.state, "assigned")
        self.assertEqual(self._on_hand(self.diamond), 0)

    def test_completed_with_a_shortage_closes_the_receipt(self):
        self._arrive(self.receiving, "DIAMOND-1", good=9)
        self._control(self.receiving, "complete")
        self._run_sync()
        self.assertEqual(self.receiving.state, "completed")
        self.assertFalse(self.receiving._open_picking(), "no backorder is kept")
        self.assertEqual(self._on_hand(self.diamond), 9)
        self.assertEqual(self._on_hand(self.ruby), 0)
        bodies = " ".join(self.receipt.message_ids.mapped("body"))
        self.assertIn(
            "DIAMOND-1: 10 announced, 9 good, 0 damaged, 0 in review: 1 short", bodies
        )

    def test_a_count_below_what_odoo_booked_gets_an_activity(self):
        self.receipt.move_ids.quantity = 0
        diamond_move = self.receipt.move_ids.filtered(
            lambda m: m.product_id == self.diamond
        )
        diamond_move.quantity = 10
        diamond_move.picked = True
        self.receipt.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=[]
        ).button_validate()
        self._run_sync()
        self.assertEqual(self._on_hand(self.diamond), 10, "nothing is unbooked")
        self.assertIn(
            "Shipwire counts fewer units than Odoo booked",
            self.receipt.activity_ids.mapped("summary"),
        )

    def _sync_stock(self):
        self.env["shipwire.stock.sync"]._sync_stock(self.backend, full=True)
        self.env.invalidate_all()

    def test_stock_sync_leaves_received_units_to_the_receipt(self):
        self._sync_stock()
        before = self._on_hand(self.diamond)
        adjustments = self._inventory_moves()
        self._arrive(self.receiving, "DIAMOND-1", good=5)
        self._sync_stock()
        self.assertEqual(self._on_hand(self.diamond), before + 5)
        self.assertEqual(self.receipt.state, "done", "booked through the receipt")
        self.assertEqual(self._inventory_moves(), adjustments)

    def test_stock_sync_does_not_book_units_the_receipt_could_not_take(self):
        receipt = self._receipt([(self.ruby, 2)])
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        receipt.move_ids.with_context(shipwire_booking=True)._action_cancel()
        receipt.move_ids = [
            Command.create(
                {
                    "name": self.diamond.name,
                    "product_id": self.diamond.id,
                    "product_uom_qty": 1,
                    "location_id": receipt.location_id.id,
                    "location_dest_id": receipt.location_dest_id.id,
                }
            )
        ]
        receipt.action_confirm()
        self._sync_stock()
        before = self._on_hand(self.ruby)
        self._arrive(receiving, "RUBY-2", good=2)
        self._sync_stock()
        self.assertEqual(self._on_hand(self.ruby), before)
        self.assertIn(
            "Shipwire received units the transfer does not list",
            receipt.activity_ids.mapped("summary"),
        )

    def test_holds_added_after_create_show_the_receiving_on_hold(self):
        settings = self.sandbox.settings
        self.addCleanup(
            setattr,
            settings,
            "receiving_holds_after_create",
            settings.receiving_holds_after_create,
        )
        settings.receiving_holds_after_create = True
        receipt = self._receipt([(self.ruby, 1)])
        self._send(receipt)
        self._run_sync()
        receiving = receipt.shipwire_receiving_id
        self.assertEqual(receiving.state, "held")
        self.assertIn(
            "Order requires review by Shipwire",
            receiving.hold_ids.mapped("description"),
        )

        self._control(receiving, "holds/clear")
        self._run_sync()
        self.assertEqual(receiving.active_hold_count, 0, "Shipwire lists none")
        self.assertEqual(receiving.state, "processed")
