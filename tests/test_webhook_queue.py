from odoo import Command
from odoo.tests import tagged

from .test_webhook import WebhookCase

OTHER_SECRET = "7a" * 64


@tagged("post_install", "-at_install")
class TestWebhookQueue(WebhookCase):
    """How deliveries wait, are applied, fail and go."""

    def _other_company_order(self):
        """An account of a second company, with its own webhook token and secret,
        and an order of that company sent through it."""
        company = self.env["res.company"].create({"name": "Second Jewels Ltd"})
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        backend = self.env["shipwire.backend"].create(
            {
                "name": "Second account",
                "company_id": company.id,
                "environment": "custom",
                "custom_url": self.sandbox.url,
                "username": self.sandbox.username,
                "password": self.sandbox.password,
                "external_id_prefix": "SECOND-",
                "warehouse_ids": [
                    Command.create(
                        {
                            "warehouse_id": warehouse.id,
                            "shipwire_warehouse_external_id": "LAX",
                        }
                    )
                ],
            }
        )
        backend.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "2", "secret": OTHER_SECRET})
        ]
        self.clerk.company_ids |= company
        order = (
            self.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": self.retailer.id,
                    "company_id": company.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.ruby.id, "product_uom_qty": 1}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        order.with_user(self.clerk).with_company(company).action_shipwire_send()
        return backend, order

    def _completed(self, order, tracking):
        fulfillment = order.shipwire_fulfillment_order_ids
        self.sandbox.complete_order(
            int(fulfillment.shipwire_id),
            trackings=[{"carrier": "UPS", "tracking": tracking}],
        )
        resource = self._sandbox_client().get_order(
            int(fulfillment.shipwire_id), expand="holds,trackings,items"
        )
        return {"topic": "order.completed", "body": {"resource": resource}}

    def test_deliveries_of_two_accounts_are_all_applied_each_in_its_company(self):
        backend, other_order = self._other_company_order()
        self.assertEqual(other_order.shipwire_state, "approved")
        ours = self._completed(self.order, "1ZOURS")
        theirs = self._completed(other_order, "1ZTHEIRS")

        self.assertEqual(self._send(ours).status_code, 200)
        response = self._send(
            theirs, secret=OTHER_SECRET, secret_id="2", url=self._url(backend)
        )
        self.assertEqual(response.status_code, 200)
        self._apply()

        self.assertFalse(self.env["shipwire.webhook.event"].search([]))
        for order, tracking in ((self.order, "1ZOURS"), (other_order, "1ZTHEIRS")):
            with self.subTest(order=order.name):
                self.assertEqual(order.shipwire_state, "shipped")
                fulfillment = order.shipwire_fulfillment_order_ids
                self.assertEqual(fulfillment.status, "completed")
                self.assertEqual(
                    fulfillment.tracking_ids.mapped("tracking_number"), [tracking]
                )
                self.assertEqual(fulfillment.tracking_ids.company_id, order.company_id)
        self.assertNotEqual(self.order.company_id, other_order.company_id)

    def test_a_delivery_sent_three_times_is_stored_once(self):
        payload = self._completed_payload()
        Event = self.env["shipwire.webhook.event"]

        for _attempt in range(3):
            self.assertEqual(self._send(payload).status_code, 200)

        self.assertEqual(len(Event.search([])), 1)
        # Another topic with the same body is another delivery.
        self._send({**payload, "topic": "order.updated"})
        self.assertEqual(
            sorted(Event.search([]).mapped("topic")),
            ["order.completed", "order.updated"],
        )
        self._apply()
        self.assertFalse(Event.search([]))
        self.assertEqual(self.order.shipwire_state, "shipped")
        self.assertEqual(len(self.fulfillment.tracking_ids), 1)

    def test_storing_a_delivery_takes_three_queries(self):
        # Odoo's caches (routing, xmlids) warm up on a first delivery.
        self._send(self._completed_payload())
        url = self._url()
        counts = []
        for number in range(3):
            payload = {
                "topic": "order.updated",
                "body": {"resource": {**self._order_resource(), "orderNo": number}},
            }
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.assertEqual(self._send(payload, url=url).status_code, 200)
            counts.append(self.env.cr.sql_log_count - before)

        # The public user Odoo's auth="public" checks, the account with its
        # secrets, the delivery stored with the trigger of its job.
        self.assertEqual(counts, [3, 3, 3])
        self.assertEqual(len(self.env["shipwire.webhook.event"].search([])), 4)
        job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_apply_webhooks")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)]), 4
        )
