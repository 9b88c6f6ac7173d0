from odoo import fields
from odoo.tests import tagged

from .common import RETRY_JOB, ShipwireWorldCase


@tagged("post_install", "-at_install")
class TestConfirmationQueue(ShipwireWorldCase):
    """Orders an account sends on confirmation: whatever becomes of them in the
    queue, Shipwire gets them or the clerk sees them."""

    def setUp(self):
        super().setUp()
        self.backend.send_on_confirmation = True
        self.clerk = self.users["user"]

    def _to_send(self):
        return (
            self.env["sale.order"]
            .with_user(self.clerk)
            .with_context(allowed_company_ids=self.clerk.company_ids.ids)
            .search([("shipwire_to_send", "=", True)])
        )

    def _to_send_count(self, backend):
        backend = backend.with_user(self.clerk).with_context(
            allowed_company_ids=self.clerk.company_ids.ids
        )
        backend.invalidate_recordset()
        return backend.to_send_count

    def test_an_order_the_job_cannot_send_asks_the_clerk_until_sent(self):
        nowhere = self.env["res.partner"].create({"name": "No address yet"})
        order = self._order(partner=nowhere, user_id=self.clerk.id)
        self._run_retry_job(order)

        self.assertFalse(self.sandbox.purchase_orders())
        self.assertFalse(order.shipwire_next_retry, "the job stopped retrying")
        self.assertIn(order, self._to_send())
        self.assertEqual(self._to_send_count(self.backend), 1)
        (activity,) = order.activity_ids
        self.assertEqual(activity.user_id, self.clerk)
        self.assertIn("not sent", activity.summary)

        nowhere.write(
            {
                "street": "1 Main Lane",
                "city": "Los Angeles",
                "zip": "91111",
                "state_id": self.env.ref("base.state_us_5").id,
                "country_id": self.us.id,
            }
        )
        order.with_user(self.clerk).action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertFalse(order.activity_ids, "sending closed the activity")
        self.assertNotIn(order, self._to_send())
        self.assertEqual(self._to_send_count(self.backend), 0)

    def test_an_order_cancelled_in_the_queue_is_sent_once_confirmed_again(self):
        order = self._order(user_id=self.clerk.id).with_user(self.clerk)
        order._action_cancel()
        self._run_retry_job(order)

        self.assertFalse(self.sandbox.purchase_orders())
        self.assertFalse(order.shipwire_next_retry, "a cancelled order is not retried")
        self.assertFalse(order.activity_ids)

        order.action_draft()
        order.action_confirm()
        self.assertTrue(order.shipwire_next_retry, "queued again")
        self._run_retry_job(order)
        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)

    def _queued_then_moved_to_a2(self):
        order = self._order(user_id=self.clerk.id)
        queued = order.shipwire_purchase_order_id
        order.with_user(self.clerk).write({"warehouse_id": self.warehouse_a2.id})
        self.assertEqual(order.shipwire_backend_id, self.backend_a2)
        queued.sudo().next_retry = fields.Datetime.now()
        self.assertTrue(self.env.ref(RETRY_JOB).method_direct_trigger())
        self.env.invalidate_all()
        self.assertFalse(queued.next_retry, "the PO left behind stops retrying")
        self.assertFalse(self.sandbox.purchase_orders())
        return order

    def test_an_order_moved_while_queued_is_sent_by_its_new_account(self):
        self.backend_a2.send_on_confirmation = True
        order = self._queued_then_moved_to_a2()

        self.assertEqual(order.shipwire_state, "approved")
        self.assertEqual(len(self.sandbox_a2.purchase_orders()), 1)

    def test_an_order_moved_while_queued_is_to_send_at_its_new_account(self):
        order = self._queued_then_moved_to_a2()

        self.assertFalse(self.sandbox_a2.purchase_orders())
        self.assertIn(order, self._to_send())
        self.assertEqual(self._to_send_count(self.backend_a2), 1)
        self.assertEqual(self._to_send_count(self.backend), 0)
