from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ShipwireCase


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
