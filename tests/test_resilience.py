"""The scheduled jobs against broken records and a Shipwire outage.

The jobs run as the scheduler runs them (``ir.cron.method_direct_trigger``: the
job's user, its progress record). Only ``shipwire_next_retry`` is moved into the
past, to stand for the wait before a retry is due.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..models import shipwire_exchange
from ..models.shipwire_sync import _group_by_purchase_order
from .common import ShipwireCase

JOBS = {
    "retry": "sale_stock_shipwire.ir_cron_shipwire_retry_sends",
    "sync": "sale_stock_shipwire.ir_cron_shipwire_sync",
    "purge": "sale_stock_shipwire.ir_cron_shipwire_purge_exchanges",
}


@tagged("post_install", "-at_install")
class TestResilience(ShipwireCase):
    def setUp(self):
        super().setUp()
        # An outage costs the client's three retries (about 3 s a call): keep
        # timeouts short.
        self.backend.read_timeout = 0.5

    def _run(self, *jobs):
        """Run the scheduled jobs; any exception fails the test."""
        for job in jobs or JOBS:
            self.assertTrue(self.env.ref(JOBS[job]).method_direct_trigger())
        self.env.invalidate_all()

    def _make_due(self, orders):
        """The wait before the next automatic send is over."""
        orders.shipwire_purchase_order_id.sudo().next_retry = (
            fields.Datetime.now() - timedelta(seconds=1)
        )

    def _fulfillment_id(self, order):
        return int(order.shipwire_fulfillment_order_ids.shipwire_id)

    def _failed_by_outage(self, *orders_lines):
        """Orders whose send failed because Shipwire was down."""
        self.sandbox.faults.inject("server_error")
        orders = self.env["sale.order"].browse()
        for lines in orders_lines:
            orders |= self._order(lines)
        orders = orders.with_user(self.clerk)
        orders.action_shipwire_send()
        self.sandbox.faults.clear()
        self.assertEqual(set(orders.mapped("shipwire_state")), {"failed"})
        return orders

    # -- one broken record -----------------------------------------------------------

    def test_sync_job_goes_past_a_delivery_it_cannot_validate(self):
        serial = self._product("Numbered ring", "RUBY-2", tracking="serial")
        broken = self._order([(serial, 1)])
        healthy = self._order([(self.diamond, 1)])
        (broken | healthy).action_shipwire_send()
        for order in broken | healthy:
            self.sandbox.complete_order(self._fulfillment_id(order))

        self._run("sync")

        self.assertEqual(healthy.shipwire_state, "shipped")
        self.assertEqual(healthy.picking_ids.state, "done")
        self.assertNotEqual(broken.picking_ids.state, "done")
        self.assertEqual(broken.shipwire_state, "not_delivered")
        (problem,) = self._messages(broken, "error")
        self.assertIn("no delivery was validated", problem)
        self.assertIn("Numbered ring", problem)
        self.assertIn("by hand", broken.activity_ids.summary)
        self.assertTrue(self.backend.last_sync_date)
        self.assertFalse(self.backend.last_sync_error)
        # The next run meets the same record and goes on again.
        self._run("sync")
        self.assertEqual(healthy.shipwire_state, "shipped")
        # Only a person closes it: a refresh does not, nor adds a second one.
        broken.action_shipwire_refresh()
        self.assertIn("by hand", broken.activity_ids.summary)

    def test_retry_job_stops_on_an_order_that_cannot_be_sent_any_more(self):
        healthy, lost_sku, bad_attribute = self._failed_by_outage(
            [(self.diamond, 1)], [(self.ruby, 1)], [(self.diamond, 3)]
        )
        # While waiting, the product lost its SKU and an attribute was mistyped.
        self.ruby.default_code = False
        bad_attribute.shipwire_extended_attribute_ids = [
            Command.create({"name": "StoreNumber", "value": "nan", "value_type": "int"})
        ]
        self._make_due(healthy | lost_sku | bad_attribute)

        self._run("retry")

        self.assertEqual(healthy.shipwire_state, "approved")
        self.assertEqual(
            [po["externalId"] for po in self.sandbox.purchase_orders()],
            [healthy.shipwire_external_id],
        )
        for order, problem in (
            (lost_sku, "no Internal Reference"),
            (bad_attribute, "StoreNumber should be a whole number"),
        ):
            with self.subTest(order=order.name):
                self.assertEqual(order.shipwire_state, "failed")
                self.assertFalse(order.shipwire_next_retry, "retries stop")
                self.assertTrue(
                    any(problem in text for text in self._messages(order, "error")),
                    self._messages(order),
                )
        # Nothing is due any more: the next run calls no one.
        requests_before = self.sandbox.request_count
        self._run("retry")
        self.assertEqual(self.sandbox.request_count, requests_before)

    def test_settings_that_would_break_the_jobs_are_refused(self):
        for values in (
            {"read_timeout": 0},
            {"read_timeout": -5},
            {"click_timeout": 0},
            {"click_timeout": -1},
            {"exchange_retention_days": 0},
            {"exchange_retention_days": 1_000_000},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError) as e:
                self.backend.write(values)
                self.backend.flush_recordset()
            self.assertIn(self.backend.name, str(e.exception))

    def test_settings_out_of_range_are_refused_naming_the_field(self):
        backend = self.backend.with_user(self.manager)
        for values, words in (
            ({"send_failure_activity_after": 2**31}, "Tell after failed sends"),
            ({"reconcile_after_hours": 2**31}, "re-read open POs"),
            ({"rate_cache_minutes": 2**31}, "keep quotes"),
            ({"click_timeout": float("nan")}, "Button timeout"),
            ({"click_timeout": float("inf")}, "Button timeout"),
            ({"click_timeout": 1e308}, "Button timeout"),
            ({"read_timeout": float("nan")}, "Read timeout"),
            ({"rate_timeout": float("nan")}, "Quote timeout"),
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, words),
                self.env.cr.savepoint(),
            ):
                call_kw(backend, "write", [backend.ids, values], {})
        self.assertEqual(self.backend.click_timeout, 20)

    def test_purge_job_removes_old_calls_of_archived_accounts_too(self):
        order = self._order()
        order.action_shipwire_send()
        archived = self.backend.copy({"name": "Old account"})
        archived.write({"username": "a", "password": "b"})
        archived.with_user(self.manager).action_test_connection()
        archived.write({"active": False, "exchange_retention_days": 1})
        self.env.cr.execute(
            "UPDATE shipwire_exchange SET create_date = now() - interval '2 days' "
            "WHERE backend_id = %s",
            [archived.id],
        )

        self._run("purge")

        Exchange = self.env["shipwire.exchange"]
        self.assertFalse(Exchange.search([("backend_id", "=", archived.id)]))
        # This account keeps 30 days: today's calls stay.
        self.assertEqual(len(order.sudo().shipwire_exchange_ids), 2)

    def test_purge_job_deletes_a_bounded_batch_per_run(self):
        for _ in range(3):
            self.backend.with_user(self.manager).action_test_connection()
        self.env.cr.execute(
            "UPDATE shipwire_exchange SET create_date = now() - interval '40 days' "
            "WHERE backend_id = %s",
            [self.backend.id],
        )
        mine = [("backend_id", "=", self.backend.id)]
        Exchange = self.env["shipwire.exchange"]

        with patch.object(shipwire_exchange, "PURGE_BATCH_SIZE", 2):
            self._run("purge")
            self.assertEqual(Exchange.search_count(mine), 1)
            self._run("purge")
        self.assertEqual(Exchange.search_count(mine), 0)

    def test_malformed_listing_entries_are_left_out_and_the_rest_stored(self):
        order = self._order()
        order.action_shipwire_send()
        (purchase_order,) = self.sandbox.purchase_orders()
        good = {"id": purchase_order["id"], "status": "completed"}
        remote = _group_by_purchase_order(
            ["junk", {"id": None}, {"id": [1]}, good],
            [{"purchaseOrderId": {"id": 1}}, 7, {"externalId": ""}],
        )
        self.assertEqual(dict(remote), {str(purchase_order["id"]): [good, []]})

    def test_an_account_that_breaks_does_not_stop_the_next(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.complete_order(self._fulfillment_id(order))
        broken = self.backend.copy({"name": "A broken one"})
        Sync = type(self.env["shipwire.sync"])
        sync = Sync._sync

        def break_one(model, backend):
            if backend == broken:
                raise ValueError("unexpected data")
            return sync(model, backend)

        with patch.object(Sync, "_sync", break_one):
            self._run("sync")

        self.assertEqual(order.shipwire_state, "shipped")
        self.assertIn("unexpected data", broken.last_sync_error)

    # -- an outage -------------------------------------------------------------------

    def test_outage_keeps_the_jobs_alive_and_they_catch_up_after_it(self):
        shipped_meanwhile = self._order([(self.ruby, 2)])
        shipped_meanwhile.action_shipwire_send()
        self._run("sync")
        last_good_sync = self.backend.last_sync_date

        # Shipwire goes down. It still ships what it has.
        self.sandbox.faults.inject("server_error")
        self.sandbox.complete_order(
            self._fulfillment_id(shipped_meanwhile),
            trackings=[{"carrier": "UPS", "tracking": "1ZOUTAGE"}],
        )
        waiting = self._order([(self.diamond, 1)]) | self._order([(self.diamond, 4)])
        waiting = waiting.with_user(self.clerk)
        waiting.action_shipwire_send()

        for order in waiting:
            self.assertEqual(order.shipwire_state, "failed")
            self.assertGreater(order.shipwire_next_retry, fields.Datetime.now())
            self.assertTrue(
                any("try again" in text for text in self._messages(order, "error"))
            )
        self._make_due(waiting)
        self._run()

        for order in waiting:
            self.assertEqual(order.shipwire_state, "failed")
            self.assertEqual(order.shipwire_purchase_order_id.retry_count, 2)
            self.assertGreater(
                order.shipwire_next_retry,
                fields.Datetime.now() + timedelta(minutes=9),
                "the wait grows",
            )
        self.assertIn("Shipwire is failing", self.backend.last_sync_error)
        self.assertTrue(self.backend.last_sync_error_date)
        self.assertEqual(self.backend.last_sync_date, last_good_sync)
        self.assertEqual(shipped_meanwhile.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)

        # Shipwire is back; time passes; nobody clicks.
        self.sandbox.faults.clear()
        self._make_due(waiting)
        self._run()

        self.assertEqual(set(waiting.mapped("shipwire_state")), {"approved"})
        self.assertFalse(any(waiting.mapped("shipwire_next_retry")))
        self.assertEqual(shipped_meanwhile.shipwire_state, "shipped")
        self.assertEqual(shipped_meanwhile.picking_ids.state, "done")
        self.assertEqual(shipped_meanwhile.picking_ids.carrier_tracking_ref, "1ZOUTAGE")
        self.assertFalse(self.backend.last_sync_error)
        self.assertGreater(self.backend.last_sync_date, last_good_sync)
        orders = shipped_meanwhile | waiting
        purchase_orders = self.sandbox.purchase_orders()
        self.assertEqual(
            sorted((str(po["id"]), po["externalId"]) for po in purchase_orders),
            sorted((o.shipwire_po_id, o.shipwire_external_id) for o in orders),
            "one PO per order",
        )

    def test_answers_lost_then_connections_dropped_still_give_one_po(self):
        # Shipwire takes the PO but its answer never arrives, then every
        # connection is dropped.
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=1, method="POST", path="/purchaseOrders"
        )
        self.sandbox.faults.inject("reset")
        order = self._order()

        order.action_shipwire_send()
        self._run("sync")

        self.assertEqual(order.shipwire_state, "failed")
        self.assertIn("could not be reached", self.backend.last_sync_error)
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)

        self.sandbox.faults.clear()
        self._make_due(order)
        self._run()

        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertEqual(order.shipwire_po_id, str(purchase_order["id"]))
        self.assertEqual(order.shipwire_state, "approved")
        self.assertTrue(
            any("linked, not sent twice" in t for t in self._messages(order, "info"))
        )
        self.assertFalse(self.backend.last_sync_error)
