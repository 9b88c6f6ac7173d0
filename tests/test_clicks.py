import time

from lxml import etree

from odoo import fields
from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RETRY_JOB, ShipwireCase


@tagged("post_install", "-at_install")
class TestClicks(ShipwireCase):
    """The order's buttons: the next action in the header, the rest on the
    Shipwire tab, each ending with a word of its outcome."""

    def _form(self, user):
        arch = (
            self.env["sale.order"]
            .with_user(user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        return etree.fromstring(arch)

    def _header_buttons(self, user):
        return {
            button.get("name"): button.get("invisible")
            for button in self._form(user).xpath("//header/button")
        }

    def test_header_offers_the_next_action_only(self):
        for user in (self.clerk, self.manager):
            header = self._header_buttons(user)
            self.assertIn("action_shipwire_send", header)
            for moved in (
                "action_shipwire_update",
                "action_shipwire_refresh",
                "action_shipwire_clear_holds",
                "action_shipwire_cancel",
            ):
                self.assertNotIn(moved, header, "on the Shipwire tab instead")
                self.assertTrue(
                    self._form(user).xpath(
                        f"//page[@name='shipwire']//button[@name='{moved}']"
                    )
                    or user == self.clerk,
                )
            for state in ("held", "needs_approval", "approved", "failed"):
                self.assertIn(state, header["action_cancel"])
        self.assertNotIn("action_shipwire_approve", self._header_buttons(self.clerk))
        self.assertIn("action_shipwire_approve", self._header_buttons(self.manager))

    def test_approve_is_refused_unless_shipwire_waits_for_it(self):
        self.backend.auto_approve = False
        order = self._order()
        order.action_shipwire_send()
        manager_order = order.with_user(self.manager)
        manager_order.action_shipwire_approve()
        self.assertEqual(order.shipwire_state, "approved")
        requests = self.sandbox.request_count

        with self.assertRaisesRegex(UserError, "does not wait for their approval"):
            manager_order.action_shipwire_approve()
        self.assertEqual(self.sandbox.request_count, requests)

    def test_buttons_pressed_on_no_order_say_nothing_was_selected(self):
        for method, user in (
            ("action_shipwire_send", self.clerk),
            ("action_shipwire_refresh", self.clerk),
            ("action_shipwire_approve", self.manager),
        ):
            with self.subTest(method=method):
                result = call_kw(
                    self.env["sale.order"].with_user(user), method, [[]], {}
                )
                self.assertEqual(result["params"]["type"], "warning")
                self.assertIn("Nothing was selected", result["params"]["message"])
        result = call_kw(
            self.env["shipwire.purchase.order"].with_user(self.manager),
            "action_approve",
            [[]],
            {},
        )
        self.assertIn("Nothing was selected", result["params"]["message"])

    def test_cancel_is_refused_before_the_customer_mail_wizard(self):
        order = self._order()
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")

        with self.assertRaisesRegex(UserError, "Cancel at Shipwire first"):
            order.with_user(self.manager).action_cancel()
        self.assertEqual(order.state, "sale")

    def test_every_button_ends_with_its_outcome_and_a_reload(self):
        order = self._order()
        sent = order.action_shipwire_send()
        refreshed = order.action_shipwire_refresh()
        cancelled = order.with_user(self.manager).action_shipwire_cancel()
        for action in (sent, refreshed, cancelled):
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertIn(f"{order.name}: Approved", refreshed["params"]["message"])
        self.assertIn(f"{order.name}: Cancelled", cancelled["params"]["message"])


@tagged("post_install", "-at_install")
class TestSendOnConfirmation(ShipwireCase):
    def test_off_by_default_confirming_sends_nothing(self):
        order = self._order()
        self.assertFalse(order.shipwire_purchase_order_id)

    def test_confirmation_queues_the_order_for_the_retry_job(self):
        self.backend.send_on_confirmation = True
        order = self._order()

        self.assertFalse(self.sandbox.purchase_orders(), "nothing waited on Shipwire")
        self.assertTrue(order.shipwire_next_retry)
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.assertEqual(order.shipwire_state, "approved")

    def test_confirmation_succeeds_while_shipwire_is_down(self):
        self.backend.send_on_confirmation = True
        self.sandbox.faults.inject("server_error")
        order = self._order()

        self.assertEqual(order.state, "sale")
        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()
        self.assertEqual(order.shipwire_state, "failed")
        self.assertGreater(order.shipwire_next_retry, fields.Datetime.now())


@tagged("post_install", "-at_install")
class TestShortClicks(ShipwireCase):
    """A click waits the account's button timeout, with one try; the retry job,
    as the scheduler runs it, takes over with the read timeout and its retries."""

    def setUp(self):
        super().setUp()
        self.backend.click_timeout = 1
        # Counted per test: the sandbox keeps its count across resets.
        self.sandbox.faults.fired.clear()

    def _retry_job_woken(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.env.ref(RETRY_JOB).id)]
        )

    def test_click_against_a_slow_shipwire_hands_over_to_the_retry_job(self):
        # Shipwire keeps the PO but answers after 3 s, the first time.
        self.sandbox.faults.inject("timeout_commit", count=1, seconds=3, method="POST")
        order = self._order()

        started = time.monotonic()
        action = order.action_shipwire_send()
        waited = time.monotonic() - started

        self.assertLess(waited, 2.5, "the button timeout, not the read timeout")
        self.assertEqual(self.sandbox.faults.fired["timeout_commit"], 1, "one try")
        self.assertEqual(order.shipwire_state, "failed")
        self.assertEqual(action["params"]["type"], "danger")
        message = action["params"]["message"]
        self.assertIn("did not answer within 1 s", message)
        self.assertIn(f"the retry job sends these again (1): {order.name}", message)
        self.assertTrue(self._retry_job_woken())

        self._run_retry_job(order)

        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertEqual(order.shipwire_po_id, str(purchase_order["id"]))
        self.assertEqual(order.shipwire_state, "approved")
        self.assertTrue(
            any("linked, not sent twice" in t for t in self._messages(order, "info"))
        )

    def test_retry_job_looks_the_po_up_before_sending_again(self):
        # Whether Shipwire refuses a second create with a taken externalId is
        # not known: the retry job must not count on it.
        self.sandbox.settings.duplicate_external_ids_refused = False
        self.addCleanup(
            setattr, self.sandbox.settings, "duplicate_external_ids_refused", True
        )
        for fault in ("timeout_commit", "malformed"):
            with self.subTest(fault=fault):
                self.sandbox.reset()
                self.sandbox.faults.inject(fault, count=1, seconds=3, method="POST")
                order = self._order()

                order.action_shipwire_send()
                self.assertEqual(order.shipwire_state, "failed")
                self._run_retry_job(order)

                self.assertEqual(len(self.sandbox.purchase_orders()), 1)
                self.assertEqual(order.shipwire_state, "approved")

    def test_background_send_waits_the_read_timeout(self):
        self.backend.send_on_confirmation = True
        self.sandbox.faults.inject("latency", seconds=2, method="POST")
        order = self._order()

        self._run_retry_job(order)

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(self.sandbox.faults.fired["latency"], 1)

    def test_other_buttons_say_shipwire_did_not_answer(self):
        order = self._order()
        order.action_shipwire_send()
        self.sandbox.faults.inject("latency", count=1, seconds=3, method="GET")

        action = order.action_shipwire_refresh()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(
            f"{order.name}: Approved (Shipwire did not answer within 1 s",
            action["params"]["message"],
        )
        self.assertEqual(order.shipwire_state, "approved", "nothing changed")

    def test_test_connection_waits_the_button_timeout(self):
        self.sandbox.faults.inject("latency", seconds=3)

        started = time.monotonic()
        action = self.backend.with_user(self.manager).action_test_connection()

        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("did not answer within 1 seconds", action["params"]["message"])
        self.assertEqual(self.sandbox.faults.fired["latency"], 1, "one try")
