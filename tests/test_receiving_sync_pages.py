from .receiving_common import ReceivingCase


class TestReceivingSyncPages(ReceivingCase):
    """The sync validates the receipts of a page of receivings together; a
    receipt Odoo refuses to validate does not hold back the others."""

    def _messages(self, receipt):
        return receipt.message_ids.mapped("body")

    def test_a_receipt_odoo_refuses_holds_back_no_other(self):
        whole = self._receipt([(self.diamond, 10)])
        partial = self._receipt([(self.diamond, 8)])
        refused = self._receipt([(self.ruby, 4)])
        untouched = self._receipt([(self.diamond, 5)])
        for receipt in (whole, partial, refused, untouched):
            self._send(receipt)
        self._arrive(whole.shipwire_receiving_id, "DIAMOND-1", good=10)
        self._arrive(partial.shipwire_receiving_id, "DIAMOND-1", good=3)
        self._arrive(refused.shipwire_receiving_id, "RUBY-2", good=4)
        # Lot-tracked after it was sent: Odoo asks a lot for each unit received.
        self.ruby.product_tmpl_id.tracking = "lot"
        self._run_sync()

        self.assertEqual(whole.state, "done")
        self.assertFalse(whole.backorder_ids)
        self.assertEqual(partial.state, "done")
        self.assertEqual(partial.backorder_ids.move_ids.product_uom_qty, 5)
        self.assertEqual(untouched.state, "assigned")
        self.assertEqual(self._on_hand(self.diamond), 13)
        self.assertNotEqual(refused.state, "done")
        self.assertEqual(self._on_hand(self.ruby), 0)
        self.assertTrue(
            any("could not be stored" in body for body in self._messages(refused)),
            self._messages(refused),
        )
        self.assertTrue(refused.activity_ids)
        for receipt in (whole, partial, untouched):
            self.assertFalse(
                any("could not be stored" in body for body in self._messages(receipt))
            )

        # Once the product is fixed, the next run books the receipt, once.
        self.ruby.product_tmpl_id.tracking = "none"
        self._run_sync()
        self.assertEqual(refused.state, "done")
        self.assertEqual(self._on_hand(self.ruby), 4)
        self._run_sync()
        self.assertEqual(self._on_hand(self.ruby), 4)
        self.assertEqual(self._on_hand(self.diamond), 13)
        self.assertEqual(
            refused.shipwire_receiving_id.line_ids.mapped("booked_good"), [4]
        )
