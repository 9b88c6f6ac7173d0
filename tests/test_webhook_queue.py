import os
import select
from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import Command, fields, sql_db
from odoo.tests import tagged

from ..models import shipwire_webhook_event
from ..shipwire_api import ShipwireClient
from .common import ShipwireWorldCase
from .test_webhook import WebhookCase

OTHER_SECRET = "7a" * 64


@tagged("post_install", "-at_install")
class TestWebhookQueue(ShipwireWorldCase, WebhookCase):
    """How deliveries wait, are applied, fail and go."""

    def _other_company_order(self):
        """An order of the second company sent through its account, which has a
        webhook secret of its own."""
        self.backend_b.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "2", "secret": OTHER_SECRET})
        ]
        order = self._order_at(self.warehouse_b, [(self.ruby, 1)])
        order.with_user(self.users["user"]).action_shipwire_send()
        return self.backend_b, order

    def _completed(self, order, tracking, sandbox=None):
        """The ``order.completed`` delivery of ``order``, shipped at ``sandbox``."""
        sandbox = sandbox or self.sandbox
        fulfillment = order.shipwire_fulfillment_order_ids
        sandbox.complete_order(
            int(fulfillment.shipwire_id),
            trackings=[{"carrier": "UPS", "tracking": tracking}],
        )
        resource = ShipwireClient(
            sandbox.username, sandbox.password, sandbox.url
        ).get_order(int(fulfillment.shipwire_id), expand="holds,trackings,items")
        return {"topic": "order.completed", "body": {"resource": resource}}

    def test_deliveries_of_two_accounts_are_all_applied_each_in_its_company(self):
        backend, other_order = self._other_company_order()
        self.assertEqual(other_order.shipwire_state, "approved")
        ours = self._completed(self.order, "1ZOURS")
        theirs = self._completed(other_order, "1ZTHEIRS", self.sandbox_b)

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

    def test_a_failed_delivery_is_shown_on_its_order_and_stored_once(self):
        Sync = type(self.env["shipwire.sync"])

        def broken(model, backend, events):
            raise ValueError("unreadable")

        payload = self._completed_payload()
        with patch.object(Sync, "_apply_webhooks", broken):
            self.assertEqual(self._post(payload).status_code, 200)
            self.assertEqual(self._post(payload).status_code, 200)

        (event,) = self.env["shipwire.webhook.event"].search([])
        self.assertEqual(event.state, "failed")
        (text,) = self._messages(self.order, "warning")
        self.assertIn("order.completed", text)
        self.assertIn("unreadable", text)
        (activity,) = self.order.activity_ids
        self.assertEqual(activity.summary, "Shipwire: webhook not applied")
        self.assertEqual(activity.user_id, self.order.user_id)
        # The order itself waits for the sync, untouched.
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_a_failed_tracking_delivery_is_shown_on_its_order(self):
        Sync = type(self.env["shipwire.sync"])

        def broken(model, backend, events):
            raise ValueError("unreadable")

        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z888"}]
        )
        trackings = self._sandbox_client().order_trackings(self.fo_id)
        payload = {
            "topic": "tracking.created",
            "body": {"resource": {"items": [{"resource": t} for t in trackings]}},
        }
        with patch.object(Sync, "_apply_webhooks", broken):
            self._post(payload)

        self.assertEqual(len(self._messages(self.order, "warning")), 1)
        self.assertEqual(
            self.order.activity_ids.summary, "Shipwire: webhook not applied"
        )

    def test_failed_deliveries_go_after_the_accounts_api_call_retention(self):
        Event = self.env["shipwire.webhook.event"]
        old_failed, recent_failed, old_waiting = Event.create(
            [
                {
                    "backend_id": self.backend.id,
                    "topic": "order.updated",
                    "body": {"resource": {"id": number}},
                    "state": state,
                }
                for number, state in ((1, "failed"), (2, "failed"), (3, "pending"))
            ]
        )
        self.backend.exchange_retention_days = 10
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE shipwire_webhook_event SET create_date = %s WHERE id IN %s",
            [
                fields.Datetime.now() - timedelta(days=11),
                (old_failed.id, old_waiting.id),
            ],
        )
        self.env.invalidate_all()

        self.env["shipwire.exchange"]._cron_purge()

        # One still waiting is applied by its job, whatever its age.
        self.assertEqual(Event.search([]), recent_failed | old_waiting)

    def test_storing_a_delivery_takes_one_query(self):
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

        # The delivery stored with the trigger of its job: the accounts with
        # their secrets are read once.
        self.assertEqual(counts, [1, 1, 1])
        self.assertEqual(len(self.env["shipwire.webhook.event"].search([])), 4)
        job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_apply_webhooks")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)]), 4
        )

    def test_the_route_sees_a_changed_token_secret_or_archiving_at_once(self):
        backend = self.backend.sudo()
        payload = self._completed_payload()
        old_url = self._url()
        self.assertEqual(self._send(payload).status_code, 200)

        backend.webhook_token = "a-new-token"
        self.assertEqual(self._send(payload, url=old_url).status_code, 404)
        self.assertEqual(self._send(payload).status_code, 200)

        secret = backend.webhook_secret_ids
        secret.secret = OTHER_SECRET
        self.assertEqual(self._send(payload).status_code, 403)
        self.assertEqual(self._send(payload, secret=OTHER_SECRET).status_code, 200)
        secret.unlink()
        self.assertEqual(self._send(payload, secret=OTHER_SECRET).status_code, 403)
        backend.webhook_secret_ids = [
            Command.create({"shipwire_id": "3", "secret": OTHER_SECRET})
        ]
        response = self._send(payload, secret=OTHER_SECRET, secret_id="3")
        self.assertEqual(response.status_code, 200)

        backend.action_archive()
        response = self._send(payload, secret=OTHER_SECRET, secret_id="3")
        self.assertEqual(response.status_code, 404)
        backend.action_unarchive()
        response = self._send(payload, secret=OTHER_SECRET, secret_id="3")
        self.assertEqual(response.status_code, 200)
        # Stored once, in the account's company.
        (event,) = self.env["shipwire.webhook.event"].search([])
        self.assertEqual(event.company_id, self.backend.company_id)

    def test_a_stored_delivery_wakes_the_cron_workers_once_committed(self):
        Event = self.env["shipwire.webhook.event"]
        account = Event._account_for_token(self.backend.sudo().webhook_token)
        info = sql_db.connection_info_for("postgres")[1]
        with closing(psycopg2.connect(**info)) as listener:
            listener.autocommit = True
            listener.cursor().execute("LISTEN cron_trigger")
            for number in range(2):
                Event._store(account, "stock.transition", {"number": number})
                self.env.cr.postcommit.run()
                # The connection kept for waking them may have been closed since.
                kept = shipwire_webhook_event._wake_up_connections[os.getpid()]
                self.env.cr.execute(
                    "SELECT pg_terminate_backend(%s)", [kept.info.backend_pid]
                )
            woken = []
            while len(woken) < 2 and select.select([listener], [], [], 10)[0]:
                listener.poll()
                woken += [notify.payload for notify in listener.notifies]
                listener.notifies.clear()
        self.assertEqual(woken, [self.env.cr.dbname] * 2)
