import json
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase, tagged

from ..models.shipwire_backend_webhooks import WEBHOOK_TOPICS
from ..shipwire_api import SIGNATURE_HEADER, build_signature_header
from .common import ShipwireCase

SECRET = "5e" * 64


@tagged("post_install", "-at_install")
class WebhookCase(ShipwireCase, HttpCase):
    """A sent order and its account's webhook secret; deliveries go through
    Odoo's HTTP server."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("web.base.url", self.base_url())
        self.backend.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "1", "secret": SECRET})
        ]
        self.order = self._order()
        self.order.action_shipwire_send()
        self.fulfillment = self.order.shipwire_fulfillment_order_ids
        self.fo_id = int(self.fulfillment.shipwire_id)

    def _url(self, backend=None):
        return (backend or self.backend).sudo().webhook_url

    def _order_resource(self):
        return self._sandbox_client().get_order(
            self.fo_id, expand="holds,trackings,items"
        )

    def _post(self, payload, secret=SECRET, url=None, raw=None, secret_id="1"):
        """Deliver a webhook, then run the job it brings on, as Odoo's cron
        worker does right after."""
        response = self._send(payload, secret, url, raw, secret_id)
        self._apply()
        return response

    def _send(self, payload, secret=SECRET, url=None, raw=None, secret_id="1"):
        """Deliver a webhook, signed with ``secret`` unless it is empty."""
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SIGNATURE_HEADER] = build_signature_header(
                body, [(secret_id, secret)]
            )
        return self.url_open(url or self._url(), data=body, headers=headers)

    def _apply(self):
        self.env["shipwire.webhook.event"]._cron_apply()
        self.env.invalidate_all()

    def _completed_payload(self):
        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z999"}]
        )
        return {
            "topic": "order.completed",
            "body": {"resource": self._order_resource()},
        }


@tagged("post_install", "-at_install")
class TestWebhook(WebhookCase):
    def test_registered_webhooks_bring_a_shipment_in(self):
        self.backend.action_register_webhooks()
        subscriptions = self._sandbox_client().list_webhooks()
        self.assertTrue(subscriptions)
        self.assertEqual({s["url"] for s in subscriptions}, {self._url()})
        # Odoo's server thread handles the deliveries on this test's cursor.
        self.env.flush_all()

        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z777"}]
        )
        self.assertTrue(self.sandbox.wait_for_deliveries(timeout=20))
        self._apply()

        self.assertEqual(self.order.shipwire_state, "shipped")
        # The payload says the order shipped, not what: the sync reads the rest.
        sync = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", sync.id)]))
        self.env["shipwire.sync"]._cron_sync()
        self.assertEqual(self.order.picking_ids.state, "done")
        self.assertEqual(self.order.picking_ids.carrier_tracking_ref, "1Z777")

    def test_failed_registration_is_logged_and_pressing_again_completes_it(self):
        # Shipwire fails every subscription after handing out the secret.
        self.sandbox.faults.inject("server_error", method="POST", path="/webhooks")
        secrets_before = len(self.backend.sudo().webhook_secret_ids)

        action = self.backend.action_register_webhooks()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Register webhooks again", action["params"]["message"])
        failed_calls = self.env["shipwire.exchange"].search(
            [("backend_id", "=", self.backend.id), ("status_code", ">=", 500)]
        )
        self.assertTrue(failed_calls)
        self.assertEqual(
            len(self.backend.sudo().webhook_secret_ids), secrets_before + 1
        )

        self.sandbox.faults.clear()
        action = self.backend.action_register_webhooks()

        self.assertEqual(action["params"]["type"], "success")
        subscriptions = self._sandbox_client().list_webhooks()
        self.assertEqual(len(subscriptions), len(WEBHOOK_TOPICS))

    def test_bad_or_missing_signature_changes_nothing(self):
        payload = self._completed_payload()

        self.assertEqual(self._post(payload, secret="aa" * 64).status_code, 403)
        self.assertEqual(self._post(payload, secret=None).status_code, 401)
        self.assertEqual(self.order.shipwire_state, "approved")
        self.assertEqual(self.fulfillment.status, "unprocessed")

        self.assertEqual(self._post(payload).status_code, 200)
        self.assertEqual(self.order.shipwire_state, "shipped")
        # Shown as the scheduled jobs' user, not as the website's visitor.
        self.assertEqual(
            self.order.message_ids[0].author_id, self.env.ref("base.partner_root")
        )
        public = self.env.ref("base.public_partner")
        self.assertNotIn(public, self.order.picking_ids.message_partner_ids)

    def test_repeated_delivery_has_one_effect(self):
        payload = self._completed_payload()
        self._post(payload)
        messages = len(self.order.message_ids)

        self.assertEqual(self._post(payload).status_code, 200)

        self.assertEqual(len(self.order.message_ids), messages)
        self.assertEqual(len(self.order.picking_ids), 1)
        self.assertEqual(
            self.fulfillment.tracking_ids.mapped("tracking_number"), ["1Z999"]
        )

    def test_out_of_order_delivery_changes_nothing(self):
        older = {
            "topic": "order.processed",
            "body": {"resource": self._order_resource()},
        }
        newer = self._completed_payload()
        # Stamp the older update a minute earlier than the shipment.
        older["body"]["resource"]["lastUpdatedDate"] = "2020-01-01T00:00:00-08:00"
        self._post(newer)
        # A delivery without a stamp does not wipe the one stored.
        unstamped = json.loads(json.dumps(newer))
        unstamped["body"]["resource"].pop("lastUpdatedDate", None)
        unstamped["body"]["resource"].pop("events", None)
        self.assertEqual(self._post(unstamped).status_code, 200)

        self.assertEqual(self._post(older).status_code, 200)

        self.assertEqual(self.fulfillment.status, "completed")
        self.assertEqual(self.order.shipwire_state, "shipped")

    def test_an_order_shipwire_names_by_order_number_only_is_found(self):
        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z555"}]
        )
        resource = {**self._order_resource(), "purchaseOrderId": 424242}
        # No externalId: then, and only then, the order number counts.
        resource.update(externalId=None, purchaseOrderExternalId=None)
        resource.update(orderNo=f"{self.order.name}.1", purchaseOrderNo=None)

        response = self._post(
            {"topic": "order.completed", "body": {"resource": resource}}
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.fulfillment.status, "completed")
        self.assertEqual(self.order.shipwire_state, "shipped")

    def test_unknown_order_triggers_a_catch_up_sync(self):
        cron = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")
        resource = {**self._order_resource(), "id": 1, "purchaseOrderId": 424242}
        resource.update(externalId="ELSEWHERE-1", purchaseOrderExternalId="ELSEWHERE-1")
        resource.update(orderNo="ELSEWHERE", purchaseOrderNo="ELSEWHERE")

        response = self._post(
            {"topic": "order.completed", "body": {"resource": resource}}
        )

        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_hostile_requests_get_a_clear_4xx(self):
        payload = self._completed_payload()
        cases = {
            "malformed JSON": (self._post(None, raw=b"{not json"), 400),
            "unknown topic": (
                self._post({**payload, "topic": "vendor.created"}),
                400,
            ),
            "no topic": (self._post({"body": payload["body"]}), 400),
            "oversized": (self._post(None, raw=b" " * (1024 * 1024 + 1)), 413),
            "unknown token": (
                self._post(payload, url=f"{self.base_url()}/shipwire/webhook/nope"),
                404,
            ),
        }
        for case, (response, status) in cases.items():
            with self.subTest(case=case):
                self.assertEqual(response.status_code, status)
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_malformed_signed_bodies_get_a_400(self):
        def delivery(resource):
            return b'{"topic": "order.updated", "body": {"resource": %s}}' % resource

        deep = 100_000
        cases = {
            "NaN": delivery(b'{"id": NaN}'),
            "Infinity": delivery(b'{"id": Infinity}'),
            "-Infinity": delivery(b'{"id": -Infinity}'),
            "a number too large for a float": delivery(b'{"id": 1e400}'),
            "nested 100,000 levels": delivery(b"[" * deep + b"]" * deep),
            "nested 200 levels": delivery(b"[" * 200 + b"]" * 200),
            "invalid UTF-8": delivery(b'{"id": "\xff\xfe"}'),
            "an encoded surrogate": delivery(b'{"id": "\xed\xa0\x80"}'),
            "an escaped lone surrogate": delivery(b'{"id": "\\ud800"}'),
            "an escaped NUL": delivery(b'{"id": "a\\u0000"}'),
            "a NUL in a key": delivery(b'{"a\\u0000": 1}'),
        }
        for case, body in cases.items():
            with self.subTest(case=case):
                self.assertEqual(self._send(None, raw=body).status_code, 400)
        self.assertFalse(self.env["shipwire.webhook.event"].search([]))
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_endpoint_answers_head_and_get(self):
        self.assertEqual(self.opener.head(self._url(), timeout=10).status_code, 200)
        self.assertEqual(self.url_open(self._url()).status_code, 200)

    def test_another_companys_account_cannot_touch_our_orders(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other = self.env["shipwire.backend"].create(
            {
                "name": "Other",
                "company_id": other_company.id,
                "environment": "custom",
                "custom_url": self.sandbox.url,
                "username": "x",
                "password": "y",
            }
        )
        other.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "1", "secret": SECRET})
        ]

        response = self._post(self._completed_payload(), url=self._url(other))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.order.shipwire_state, "approved")
        self.assertEqual(self.fulfillment.status, "unprocessed")

    def test_the_answer_does_not_wait_for_the_change_to_be_applied(self):
        response = self._send(self._completed_payload())

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.order.shipwire_state, "approved")
        job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_apply_webhooks")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)]))
        self._apply()
        self.assertEqual(self.order.shipwire_state, "shipped")
        self.assertFalse(self.env["shipwire.webhook.event"].search([]))

    def test_a_burst_that_meets_a_concurrent_update_is_applied_later(self):
        Sync = type(self.env["shipwire.sync"])
        apply_webhooks = Sync._apply_webhooks
        calls = []

        def conflict_first(model, backend, events):
            calls.append(len(events))
            if len(calls) <= 2:  # the batch, then the delivery on its own
                # What a concurrent sync makes PostgreSQL answer.
                model.env.cr.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'conflict' "
                    "USING ERRCODE = 'serialization_failure'; END $$"
                )
            return apply_webhooks(model, backend, events)

        with patch.object(Sync, "_apply_webhooks", conflict_first):
            response = self._post(self._completed_payload())

        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.order.shipwire_state, "approved")
        self.assertEqual(
            self.env["shipwire.webhook.event"].search([]).mapped("state"),
            ["pending"],
        )
        self._apply()
        self.assertEqual(self.order.shipwire_state, "shipped")

    def test_a_delivery_that_cannot_be_applied_is_kept_with_why(self):
        Sync = type(self.env["shipwire.sync"])

        def broken(model, backend, events):
            raise ValueError("unreadable")

        sync_job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")
        with patch.object(Sync, "_apply_webhooks", broken):
            self._post(self._completed_payload())

        (event,) = self.env["shipwire.webhook.event"].search([])
        self.assertEqual((event.state, event.error), ("failed", "unreadable"))
        # The sync reads the change from Shipwire instead.
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", sync_job.id)])
        )

    def test_oversize_chunked_body_is_refused_before_it_is_read(self):
        sent = []

        def chunks():
            for _ in range(64):  # 4 MiB in 64 KiB chunks, no Content-Length
                sent.append(1)
                yield b"x" * 65536

        response = self.opener.post(
            self._url(),
            data=chunks(),
            headers={SIGNATURE_HEADER: "00;secret=1"},
            timeout=30,
        )

        self.assertEqual(response.status_code, 413)
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_malformed_signature_headers_get_a_4xx(self):
        body = json.dumps(self._completed_payload()).encode()
        for header in ("é;secret=1", "\u00ff" * 64, ";;;,,,", "zz;secret=é"):
            with self.subTest(header=header):
                response = self.url_open(
                    self._url(),
                    data=body,
                    headers={SIGNATURE_HEADER: header.encode("latin-1")},
                )
                self.assertEqual(response.status_code, 403)
        self.assertEqual(self.order.shipwire_state, "approved")

    def test_registering_again_retires_the_older_secrets_at_both_ends(self):
        self.backend.action_register_webhooks()
        first = self.backend.sudo().webhook_secret_ids
        self.assertEqual(len(first), 1, "the setUp's unknown secret is retired too")
        first_id = first.shipwire_id

        self.backend.action_register_webhooks()

        second = self.backend.sudo().webhook_secret_ids
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second.shipwire_id, first_id)
        at_shipwire = self._sandbox_client().list_secrets()
        self.assertEqual([str(s["id"]) for s in at_shipwire], [second.shipwire_id])
        # An update that moves nothing at the sandbox: no delivery of its own.
        payload = {
            "topic": "order.updated",
            "body": {"resource": self._order_resource()},
        }
        self.assertEqual(self._post(payload, secret=SECRET).status_code, 403)
        response = self._post(
            payload, secret=second.secret, secret_id=second.shipwire_id
        )
        self.assertEqual(response.status_code, 200)

    def test_a_replayed_update_never_moves_an_order_back(self):
        held = self._order_resource()
        self.sandbox.complete_order(self.fo_id)
        shipped = self._order_resource()
        self.assertEqual(
            self._post(
                {"topic": "order.completed", "body": {"resource": shipped}}
            ).status_code,
            200,
        )
        self.assertEqual(self.order.shipwire_state, "shipped")

        # A captured older delivery, replayed with the shipped one's stamp or none.
        for stamp in (shipped.get("lastUpdatedDate"), None):
            with self.subTest(stamp=stamp):
                replay = dict(held, status="held", lastUpdatedDate=stamp)
                response = self._post(
                    {"topic": "order.hold.added", "body": {"resource": replay}}
                )
                self.assertEqual(response.status_code, 200)
                self.assertEqual(self.fulfillment.status, "completed")
                self.assertEqual(self.order.shipwire_state, "shipped")

    def test_signed_bodies_of_the_wrong_shape_change_nothing(self):
        po_id = self.order.shipwire_po_id
        cases = {
            "body is a list": {"topic": "v1.order.updated", "body": [1]},
            "body is text": {"topic": "v1.order.updated", "body": "x"},
            "tracking items are not objects": {
                "topic": "v1.tracking.created",
                "body": {"resource": {"items": [1, "a", {"resource": [1]}]}},
            },
            "order without id": {
                "topic": "order.updated",
                "body": {"resource": {"purchaseOrderId": int(po_id), "status": "held"}},
            },
            "order status is a list": {
                "topic": "order.updated",
                "body": {
                    "resource": {
                        "id": self.fo_id,
                        "purchaseOrderId": int(po_id),
                        "status": ["held"],
                        "items": [1],
                        "holds": [1],
                    }
                },
            },
            "PO id is not an id": {
                "topic": "purchaseorder.updated",
                "body": {
                    "resource": {
                        "id": [int(po_id)],
                        "externalId": self.order.shipwire_external_id,
                        "status": {"a": 1},
                        "lastUpdatedDate": "2099-01-01T00:00:00-08:00",
                    }
                },
            },
        }
        for case, payload in cases.items():
            with self.subTest(case=case):
                status = self._post(payload).status_code
                self.assertTrue(200 <= status < 500, f"{case}: {status}")
        self.assertEqual(self.order.shipwire_po_id, po_id)
        self.assertEqual(self.order.shipwire_state, "approved")
        self.assertEqual(self.fulfillment.status, "unprocessed")

    def test_a_replayed_cancellation_does_not_undo_a_shipment(self):
        self.sandbox.complete_order(self.fo_id)
        shipped = self._order_resource()
        self._post({"topic": "order.completed", "body": {"resource": shipped}})
        self.assertEqual(self.order.shipwire_state, "shipped")

        replay = dict(shipped, status="cancelled")
        self._post({"topic": "order.canceled", "body": {"resource": replay}})

        self.assertEqual(self.fulfillment.status, "completed")
        self.assertEqual(self.order.shipwire_state, "shipped")

    def test_a_new_order_announced_twice_in_one_burst_is_created_once(self):
        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z321"}]
        )
        shipped = self._order_resource()
        newcomer = {**shipped, "id": 999777, "status": "processed", "orderNo": "X.2"}
        newer = {**newcomer, "lastUpdatedDate": "2099-01-01T00:00:00-08:00"}
        Event = self.env["shipwire.webhook.event"]
        for topic, resource in (
            ("order.created", newcomer),
            ("order.updated", newer),
            ("order.completed", shipped),
        ):
            Event.create(
                {
                    "backend_id": self.backend.id,
                    "topic": topic,
                    "body": {"resource": resource},
                }
            )

        self._apply()

        self.assertFalse(Event.search([]))
        orders = self.order.shipwire_fulfillment_order_ids
        self.assertEqual(
            sorted(orders.mapped("shipwire_id")), sorted([str(self.fo_id), "999777"])
        )
        self.assertEqual(self.fulfillment.status, "completed")

    def test_deliveries_found_to_be_about_one_po_are_all_applied(self):
        self.sandbox.complete_order(self.fo_id)
        shipped = self._order_resource()
        # Without a PO id, each is placed by its references: the same PO.
        first = {**shipped, "purchaseOrderId": None}
        second = {**shipped, "id": 999778, "purchaseOrderId": None}
        Event = self.env["shipwire.webhook.event"]
        for resource in (first, second):
            Event.create(
                {
                    "backend_id": self.backend.id,
                    "topic": "order.updated",
                    "body": {"resource": resource},
                }
            )

        self._apply()

        self.assertEqual(self.fulfillment.status, "completed")
        self.assertIn(
            "999778", self.order.shipwire_fulfillment_order_ids.mapped("shipwire_id")
        )

    def test_a_replayed_tracking_created_keeps_the_delivered_date(self):
        self.sandbox.complete_order(
            self.fo_id, trackings=[{"carrier": "UPS", "tracking": "1Z444"}]
        )
        created = self._trackings_payload("tracking.created")
        self.sandbox.deliver_order(self.fo_id)
        self._post(self._trackings_payload("tracking.delivered"))
        tracking = self.fulfillment.tracking_ids
        delivered_on = tracking.delivered_date
        self.assertTrue(delivered_on)

        # Sent again later, or overtaken by the delivery: it names no delivery.
        self.assertEqual(self._post(created).status_code, 200)

        self.assertEqual(tracking.delivered_date, delivered_on)
        self.assertTrue(tracking.tracked_date)
        self.assertEqual(tracking.carrier, "UPS")

    def _trackings_payload(self, topic):
        trackings = self._sandbox_client().order_trackings(self.fo_id)
        items = [{"resource": tracking} for tracking in trackings]
        return {"topic": topic, "body": {"resource": {"items": items}}}
