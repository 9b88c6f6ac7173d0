"""The retry job sends in rounds, keeps going past a broken order and never holds
a worker past its budget."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..models import shipwire_purchase_order_calls
from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestRetryJob(ShipwireCase):
    def setUp(self):
        super().setUp()
        self.backend.read_timeout = 0.5

    def _failed(self, count):
        orders = self.env["sale.order"].browse(
            [self._order([(self.diamond, 1)]).id for _ in range(count)]
        )
        self.sandbox.faults.inject("server_error")
        orders.action_shipwire_send()
        self.sandbox.faults.clear()
        self.assertEqual(set(orders.mapped("shipwire_state")), {"failed"})
        orders.shipwire_purchase_order_id.sudo().next_retry = (
            fields.Datetime.now() - timedelta(seconds=1)
        )
        return orders

    def _run_job(self):
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.env.invalidate_all()

    def test_a_run_past_its_budget_stops_after_one_round(self):
        orders = self._failed(10)

        with patch.object(shipwire_purchase_order_calls, "RETRY_TIME_BUDGET", 0):
            self._run_job()

        sent = orders.filtered(lambda o: o.shipwire_state == "approved")
        self.assertEqual(len(sent), shipwire_purchase_order_calls.MAX_PARALLEL_CALLS)
        self._run_job()
        self.assertEqual(set(orders.mapped("shipwire_state")), {"approved"})
        self.assertEqual(len(self.sandbox.purchase_orders()), 10)

    def test_one_order_whose_answer_breaks_does_not_stop_the_others(self):
        broken, healthy = self._failed(2)
        PurchaseOrder = type(self.env["shipwire.purchase.order"])
        store = PurchaseOrder._store_remote

        def store_or_break(model, remote):
            if broken.shipwire_purchase_order_id in remote:
                raise ValueError("unexpected data")
            return store(model, remote)

        with patch.object(PurchaseOrder, "_store_remote", store_or_break):
            self._run_job()

        self.assertEqual(healthy.shipwire_state, "approved")
        self.assertEqual(broken.shipwire_state, "failed")
        self.assertGreater(broken.shipwire_next_retry, fields.Datetime.now())
        self.assertTrue(
            any("could not be stored" in t for t in self._messages(broken)),
            self._messages(broken),
        )
        # Read again later, the PO Shipwire kept is linked, not sent twice.
        broken.shipwire_purchase_order_id.sudo().next_retry = fields.Datetime.now()
        self._run_job()
        self.assertEqual(broken.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 2)
        self.assertFalse(self._messages(broken, "error"))
