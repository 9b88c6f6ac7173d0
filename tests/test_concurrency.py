import threading
import uuid
from datetime import timedelta

import psycopg2

from odoo import Command, api, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..models.shipwire_stock_sync import STOCK_LOCK
from ..shipwire_api.sandbox import Sandbox


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    """Two Odoo workers on the same order at the same moment, each in its own
    transaction. The data is committed for real (on its own warehouse) and removed
    afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = Sandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            # Committed for real: a fresh name and code on every run.
            code = uuid.uuid4().hex[:5]
            warehouse = env["stock.warehouse"].create(
                {"name": f"Concurrency {code}", "code": code}
            )
            backend = env["shipwire.backend"].create(
                {
                    "name": "Concurrency sandbox",
                    "environment": "custom",
                    "custom_url": cls.sandbox.url,
                    "username": cls.sandbox.username,
                    "password": cls.sandbox.password,
                    "warehouse_ids": [Command.create({"warehouse_id": warehouse.id})],
                }
            )
            product = env["product.product"].create(
                {
                    "name": "Concurrency ring",
                    "default_code": "DIAMOND-1",
                    "type": "consu",
                    "is_storable": True,
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": "Concurrent Retail",
                    "is_company": True,
                    "street": "2 Main Lane",
                    "city": "Los Angeles",
                    "zip": "91111",
                    "state_id": env.ref("base.state_us_5").id,
                    "country_id": env.ref("base.us").id,
                }
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "warehouse_id": warehouse.id,
                        "order_line": [Command.create({"product_id": product.id})],
                    }
                    for _ in range(5)
                ]
            )
            orders.action_confirm()
            shipping = env["product.product"].create(
                {"name": "Concurrency shipping", "type": "service"}
            )
            carriers = env["delivery.carrier"].create(
                [
                    {
                        "name": f"Concurrency {code}",
                        "delivery_type": "shipwire",
                        "integration_level": "rate",
                        "shipwire_backend_id": backend.id,
                        "product_id": shipping.id,
                    }
                    for code in ("GD", "2D", "1D")
                ]
            )
            backend.service_level_ids = [
                Command.create({"carrier_id": carrier.id, "service_level_code": code})
                for carrier, code in zip(carriers, ("GD", "2D", "1D"), strict=True)
            ]
            quotation = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
            cls.quotation_id = quotation.id
            cls.carrier_ids = carriers.ids
            (
                cls.order_id,
                cls.synced_order_id,
                cls.retried_order_id,
                cls.lost_order_id,
                cls.approved_order_id,
            ) = orders.ids
            cls.backend_id = backend.id
            cls.committed = [
                (model, record.id)
                for model, record in (
                    *(("delivery.carrier", carrier) for carrier in carriers),
                    ("shipwire.backend", backend),
                    ("res.partner", partner),
                    ("product.product", product),
                    ("product.product", shipping),
                    ("stock.warehouse", warehouse),
                )
            ]
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        """Cancel and archive what was committed; stock moves keep the rest."""
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            orders = env["sale.order"].browse(
                [
                    cls.order_id,
                    cls.synced_order_id,
                    cls.retried_order_id,
                    cls.lost_order_id,
                    cls.approved_order_id,
                    cls.quotation_id,
                ]
            )
            orders.filtered("shipwire_po_id").action_shipwire_cancel()
            orders.picking_ids.action_cancel()
            orders._action_cancel()
            for model, record_id in cls.committed:
                env[model].browse(record_id).action_archive()

    def _send(self, barrier, outcomes):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            barrier.wait()
            try:
                env["sale.order"].browse(self.order_id).action_shipwire_send()
                # A worker's own transaction, committed as Odoo would.
                cr.commit()  # pylint: disable=invalid-commit
                outcomes.append("sent")
            except UserError as error:
                cr.rollback()
                outcomes.append(f"refused: {error}")
            except psycopg2.errors.SerializationFailure:
                # Odoo retries such a request; the retry then finds the PO.
                cr.rollback()
                outcomes.append("refused: serialization")

    def test_two_simultaneous_sends_make_one_po(self):
        # A slow Shipwire keeps the first sender inside its transaction.
        self.sandbox.faults.inject("latency", count=2, seconds=0.5)
        barrier = threading.Barrier(2)
        outcomes = []
        senders = [
            threading.Thread(target=self._send, args=(barrier, outcomes))
            for _ in range(2)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=30)

        self.assertEqual(sorted(o.split(":")[0] for o in outcomes), ["refused", "sent"])
        refusal = next(o for o in outcomes if o.startswith("refused"))
        self.assertTrue(
            "someone else" in refusal
            or "already at Shipwire" in refusal
            or "serialization" in refusal,
            refusal,
        )
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.order_id)
            self.assertEqual(order.shipwire_state, "approved")
            external_ids = [po["externalId"] for po in self.sandbox.purchase_orders()]
            self.assertEqual(external_ids.count(order.shipwire_external_id), 1)

    def _approve(self, barrier, outcomes):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            barrier.wait()
            try:
                env["sale.order"].browse(
                    self.approved_order_id
                ).action_shipwire_approve()
                cr.commit()  # pylint: disable=invalid-commit
                outcomes.append("approved")
            except UserError as error:
                cr.rollback()
                outcomes.append(f"refused: {error}")
            except psycopg2.errors.SerializationFailure:
                cr.rollback()
                outcomes.append("refused: serialization")

    def test_two_simultaneous_approvals_call_shipwire_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            backend = env["shipwire.backend"].browse(self.backend_id)
            backend.auto_approve = False
            order = env["sale.order"].browse(self.approved_order_id)
            order.action_shipwire_send()
            backend.auto_approve = True
            self.assertEqual(order.shipwire_state, "needs_approval")
            cr.commit()  # pylint: disable=invalid-commit
        # A slow Shipwire keeps the first approver inside its transaction.
        self.sandbox.faults.inject("latency", count=2, seconds=0.5)
        requests = self.sandbox.request_count
        barrier = threading.Barrier(2)
        outcomes = []
        approvers = [
            threading.Thread(target=self._approve, args=(barrier, outcomes))
            for _ in range(2)
        ]
        for approver in approvers:
            approver.start()
        for approver in approvers:
            approver.join(timeout=30)

        self.assertEqual(
            sorted(o.split(":")[0] for o in outcomes), ["approved", "refused"]
        )
        # One approval, then the PO read back as fetch reads it (two requests):
        # the refused approver called nobody.
        self.assertEqual(self.sandbox.request_count - requests, 3)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.approved_order_id)
            self.assertEqual(order.shipwire_state, "approved")

    def _rate(self, carrier_id, barrier, results):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            barrier.wait()
            carrier = env["delivery.carrier"].browse(carrier_id)
            results.append(
                carrier.rate_shipment(env["sale.order"].browse(self.quotation_id))
            )
            cr.commit()  # pylint: disable=invalid-commit

    def test_parallel_quotes_of_one_cart_wait_for_one_request(self):
        """A checkout page rates its three Shipwire methods at once, in three
        workers: they share the one quote the first asked for."""
        self.sandbox.settings.rate_latency = 0.5
        self.addCleanup(setattr, self.sandbox.settings, "rate_latency", 0.0)
        asked_before = self.sandbox.rate_request_count
        barrier = threading.Barrier(3)
        results = []
        callers = [
            threading.Thread(target=self._rate, args=(carrier_id, barrier, results))
            for carrier_id in self.carrier_ids
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=30)

        self.assertEqual(self.sandbox.rate_request_count - asked_before, 1)
        self.assertEqual([result["success"] for result in results], [True] * 3)
        self.assertEqual(len({result["price"] for result in results}), 3)

    def test_sync_meeting_a_concurrent_update_leaves_it_to_the_next_run(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["sale.order"].browse(self.synced_order_id).action_shipwire_send()
            cr.commit()  # pylint: disable=invalid-commit
            # The job as the scheduler runs it, committing batch by batch.
            env["shipwire.sync"]._cron_sync()
            cr.commit()  # pylint: disable=invalid-commit

        with self.registry.cursor() as sync_cr:
            env = api.Environment(sync_cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.synced_order_id)
            self.assertEqual(order.shipwire_state, "approved")  # its snapshot starts
            # Meanwhile another worker (a webhook, a refresh) changes its PO.
            with self.registry.cursor() as other_cr:
                other_cr.execute(
                    "UPDATE shipwire_purchase_order SET last_sync = now() "
                    "WHERE sale_order_id = %s",
                    [self.synced_order_id],
                )

            backend = env["shipwire.backend"].browse(self.backend_id)
            done, remaining = env["shipwire.sync"]._sync(backend)

            self.assertEqual(done, 0)
            self.assertGreater(remaining, 0)
            sync_job = env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")
            next_run = env["ir.cron.trigger"].search([("cron_id", "=", sync_job.id)])
            self.assertLess(
                max(next_run.mapped("call_at")),
                fields.Datetime.now() + timedelta(minutes=2),
            )
            self.assertFalse(order.shipwire_message_ids)
            self.assertFalse(order.activity_ids)
            sync_cr.rollback()

        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            backend = env["shipwire.backend"].browse(self.backend_id)
            done, remaining = env["shipwire.sync"]._sync(backend)
            self.assertGreater(done, 0)
            self.assertEqual(remaining, 0)
            order = env["sale.order"].browse(self.synced_order_id)
            self.assertTrue(order.shipwire_last_sync)
            self.assertFalse(order.shipwire_message_ids)

    def test_retry_job_backs_off_before_it_calls(self):
        """A retry run killed while Shipwire keeps it waiting still leaves the
        order waiting longer: the backoff was committed before the call."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.retried_order_id)
            self.sandbox.faults.inject("server_error", count=4)
            order.action_shipwire_send()
            self.assertEqual(order.shipwire_state, "failed")
            order.shipwire_purchase_order_id.next_retry = fields.Datetime.now()
            cr.commit()  # pylint: disable=invalid-commit

        committed_during_the_call = []

        def read_committed_backoff():
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT next_retry FROM shipwire_purchase_order "
                    "WHERE sale_order_id = %s",
                    [self.retried_order_id],
                )
                committed_during_the_call.append(cr.fetchone()[0])

        self.sandbox.faults.inject(
            "timeout_commit",
            count=1,
            seconds=0,
            method="POST",
            path="/purchaseOrders",
            on_fire=read_committed_backoff,
        )

        def run_job():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                env["shipwire.purchase.order"]._cron_retry_failed_sends()

        worker = threading.Thread(target=run_job)
        worker.start()
        worker.join(timeout=60)

        (backoff,) = committed_during_the_call
        self.assertGreater(backoff, fields.Datetime.now() + timedelta(minutes=4))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.retried_order_id)
            self.assertEqual(order.shipwire_state, "approved")

    def test_a_bulk_send_undone_after_shipwire_kept_it_is_linked_by_the_sync(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env.ref("sale_stock_shipwire.sale_order_action_shipwire_send").with_context(
                active_model="sale.order",
                active_ids=[self.lost_order_id],
                active_id=self.lost_order_id,
            ).run()
            # The worker dies before Odoo commits: Shipwire keeps the PO.
            cr.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            order = env["sale.order"].browse(self.lost_order_id)
            self.assertFalse(order.shipwire_purchase_order_ids)
            backend = env["shipwire.backend"].browse(self.backend_id)
            # Even when listing by date would not show it again.
            backend.sudo().sync_cursor = fields.Datetime.now() + timedelta(hours=1)

            env["shipwire.sync"]._sync(backend)

            self.assertEqual(order.shipwire_state, "approved")
            self.assertIn(
                "The sync linked it",
                order.shipwire_message_ids.filtered(
                    lambda m: m.severity == "info"
                ).text,
            )
            external_ids = [po["externalId"] for po in self.sandbox.purchase_orders()]
            self.assertEqual(external_ids.count(order.shipwire_external_id), 1)
            self.assertFalse(
                env["shipwire.send.attempt"].search(
                    [("sale_order_ref", "=", self.lost_order_id)]
                )
            )
            cr.commit()  # pylint: disable=invalid-commit

    def test_the_stock_lock_waits_outside_any_transaction(self):
        """A server ending idle transactions never takes the lock from under a
        run: its connection waits idle while the run reads Shipwire."""
        states = []

        def lock_holder_state():
            with self.registry.cursor() as cr:
                cr.execute(
                    """
                    SELECT activity.state
                      FROM pg_locks lock
                      JOIN pg_stat_activity activity ON activity.pid = lock.pid
                     WHERE lock.locktype = 'advisory'
                       AND lock.classid = %s AND lock.objid = %s
                    """,
                    [STOCK_LOCK, self.backend_id],
                )
                states.extend(row[0] for row in cr.fetchall())

        self.sandbox.faults.inject(
            "timeout_commit",
            count=1,
            seconds=0,
            method="GET",
            path="/stock",
            on_fire=lock_holder_state,
        )
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            backend = env["shipwire.backend"].browse(self.backend_id)
            env["shipwire.stock.sync"]._sync_stock(backend, full=True)
            cr.rollback()

        self.assertEqual(states, ["idle"])
