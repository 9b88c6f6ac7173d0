from odoo.tests import tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestExchangeLog(ShipwireCase):
    def test_calls_are_logged_per_order_and_purged_after_retention(self):
        self.backend.exchange_retention_days = 10
        order = self._order()
        order.action_shipwire_send()
        calls = order.sudo().shipwire_exchange_ids.sorted("id")
        self.assertEqual(calls.mapped("operation"), ["create", "search orders"])
        self.assertEqual(calls[0].status_code, 200)
        self.assertIn(order.shipwire_external_id, calls[0].request_body)
        old, recent = calls
        self.env.cr.execute(
            "UPDATE shipwire_exchange SET create_date = now() - interval '11 days' "
            "WHERE id = %s",
            [old.id],
        )

        self.env["shipwire.exchange"]._cron_purge()

        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
