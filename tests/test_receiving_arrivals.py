from unittest.mock import patch

from .receiving_common import ReceivingCase


class TestReceivingArrivals(ReceivingCase):
    """Shipwire's dock counts units whenever they come, also while a stock sync
    runs: between its read of the receivings and its read of the stock."""

    def setUp(self):
        super().setUp()
        self.receipt = self._receipt([(self.diamond, 10)])
        self._send(self.receipt)
        self.receiving = self.receipt.shipwire_receiving_id

    def _sync_stock(self):
        self.env["shipwire.stock.sync"]._sync_stock(self.backend, full=True)
        self.env.invalidate_all()

    def _adjustments(self):
        return self.env["stock.move"].search(
            [("is_inventory", "=", True), ("product_id", "=", self.diamond.id)]
        )

    def test_units_counted_during_a_stock_sync_are_booked_by_the_receipt_only(self):
        self._sync_stock()
        before = self._on_hand(self.diamond)
        adjustments = self._adjustments()
        Sync = type(self.env["shipwire.inbound.sync"])
        read_receivings = Sync._sync

        def then_units_arrive(sync, backend, *args, **kwargs):
            result = read_receivings(sync, backend, *args, **kwargs)
            self._arrive(self.receiving, "DIAMOND-1", good=5)
            return result

        with patch.object(Sync, "_sync", then_units_arrive):
            self._sync_stock()
        self._sync_stock()
        self.assertEqual(self._on_hand(self.diamond), before + 5)
        self.assertEqual(self.receipt.state, "done", "booked through the receipt")
        self.assertEqual(
            self._adjustments(),
            adjustments,
            "no inventory adjustment of units a receipt books",
        )
