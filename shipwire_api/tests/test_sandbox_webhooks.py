"""Webhook subscriptions, secrets and signed deliveries to a local receiver."""

import re

from shipwire_api.signature import SIGNATURE_HEADER, verify_signature


def subscribe(api, topic, url):
    response = api.post("/webhooks", {"topic": topic, "url": url})
    assert response.status_code == 200, response.text
    return response.json()["resource"]["items"][0]["resource"]


def test_subscription_topics_read_back_with_a_version_prefix(api, webhook_receiver):
    hook = subscribe(api, "order.created", webhook_receiver.url)
    assert hook == {
        "id": hook["id"],
        "topic": "v1.order.created",
        "url": webhook_receiver.url,
    }
    assert (
        api.get(f"/webhooks/{hook['id']}").json()["resource"]["topic"]
        == "v1.order.created"
    )
    listed = api.get("/webhooks").json()["resource"]["items"]
    assert [entry["resource"]["id"] for entry in listed] == [hook["id"]]

    updated = api.put(
        f"/webhooks/{hook['id']}",
        {"topic": "order.completed", "url": webhook_receiver.url},
    )
    assert updated.json()["resource"]["topic"] == "v1.order.completed"

    deleted = api.delete(f"/webhooks/{hook['id']}")
    assert deleted.json() == {"status": 200, "message": "OK", "resourceLocation": None}
    missing = api.get(f"/webhooks/{hook['id']}")
    assert (missing.status_code, missing.json()["message"]) == (
        404,
        "Subscription not found.",
    )


def test_invalid_urls_and_unknown_subscriptions(sandbox, api, webhook_receiver):
    response = api.post(
        "/webhooks", {"topic": "order.created", "url": "ftp://example.test/x"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid request",
        "errors": ["Invalid URL"],
        "resourceLocation": None,
    }
    sandbox.settings.allow_http_webhooks = False
    assert (
        api.post(
            "/webhooks", {"topic": "order.created", "url": webhook_receiver.url}
        ).status_code
        == 400
    )
    put = api.put(
        "/webhooks/999", {"topic": "order.created", "url": "https://example.test/x"}
    )
    assert (put.status_code, put.json()["errors"]) == (400, ["Not found"])


def test_subscribe_checks_the_url_with_head_when_asked(sandbox, api, webhook_receiver):
    sandbox.settings.check_webhook_url = True
    webhook_receiver.head_status = 404
    refused = api.post(
        "/webhooks", {"topic": "order.created", "url": webhook_receiver.url}
    )
    assert refused.json()["errors"] == ["Invalid URL"]
    webhook_receiver.head_status = 200
    assert (
        api.post(
            "/webhooks", {"topic": "order.created", "url": webhook_receiver.url}
        ).status_code
        == 200
    )


def test_secrets(api):
    response = api.post("/secret")
    secret = response.json()["resource"]
    assert re.fullmatch(r"[0-9a-f]{128}", secret["secret"])
    assert secret["expiration"] is None
    assert (
        response.json()["resourceLocation"]
        == f"{api.sandbox.url}/secret/{secret['id']}"
    )
    assert api.get(f"/secret/{secret['id']}").json()["resource"] == secret
    assert api.get("/secret").json()["resource"]["total"] == 1
    assert api.delete(f"/secret/{secret['id']}").json()["message"] == "OK"
    assert api.get(f"/secret/{secret['id']}").status_code == 404


def test_delivery_is_signed_with_every_secret(sandbox, api, po_body, webhook_receiver):
    secrets = [api.post("/secret").json()["resource"] for _ in range(2)]
    hook = subscribe(api, "purchaseorder.created", webhook_receiver.url)
    po = api.create_ok(po_body("HOOK-1"))

    [delivery] = webhook_receiver.wait_for(1)
    assert sandbox.wait_for_deliveries(5)
    payload = delivery["json"]
    assert payload["topic"] == "purchaseorder.created"
    assert payload["attempt"] == 1
    assert payload["webhookSubscriptionID"] == hook["id"]
    assert re.fullmatch(r"[0-9a-f]+", payload["uniqueEventID"])
    assert payload["body"]["resourceLocation"].endswith(f"/purchaseOrders/{po['id']}")
    assert payload["body"]["resource"]["externalId"] == "HOOK-1"
    assert delivery["headers"]["Content-Type"] == "application/json"

    header = delivery["headers"][SIGNATURE_HEADER]
    assert len(header.split(",")) == 2
    for secret in secrets:
        assert verify_signature(
            delivery["raw"], header, [(secret["id"], secret["secret"])]
        ) == str(secret["id"])
    assert (
        verify_signature(
            delivery["raw"] + b" ", header, [(s["id"], s["secret"]) for s in secrets]
        )
        is None
    )


def test_unsigned_without_secrets(api, po_body, webhook_receiver):
    subscribe(api, "purchaseorder.created", webhook_receiver.url)
    api.create_ok(po_body("HOOK-2"))
    [delivery] = webhook_receiver.wait_for(1)
    assert SIGNATURE_HEADER not in delivery["headers"]


def test_failed_delivery_is_retried(sandbox, api, po_body, webhook_receiver):
    sandbox.settings.webhook_retry_delays = [0.05]
    webhook_receiver.statuses = [500, 404]
    subscribe(api, "order.created", webhook_receiver.url)
    api.create_ok(po_body("RETRY-1"))
    first, second, third = webhook_receiver.wait_for(3)
    assert [d["json"]["attempt"] for d in (first, second, third)] == [1, 2, 3]
    assert len({d["json"]["uniqueEventID"] for d in (first, second, third)}) == 1
    assert sandbox.wait_for_deliveries(5)
    stats = api.control("GET", "/stats").json()["resource"]
    assert (stats["webhookDeliveries"], stats["pendingWebhookDeliveries"]) == (1, 0)


def test_delivery_gives_up_after_the_last_attempt(
    sandbox, api, po_body, webhook_receiver
):
    sandbox.settings.webhook_retry_delays = [0.01]
    sandbox.settings.webhook_max_attempts = 2
    webhook_receiver.statuses = [500, 500, 500]
    subscribe(api, "order.created", webhook_receiver.url)
    api.create_ok(po_body("GIVEUP-1"))
    assert sandbox.wait_for_deliveries(5)
    assert len(webhook_receiver.received) == 2
    assert sandbox.stats()["failedWebhookDeliveries"] == 1


def test_order_lifecycle_topics(sandbox, api, po_body, webhook_receiver):
    topics = [
        "purchaseorder.approved",
        "purchaseorder.completed",
        "order.processed",
        "order.submitted",
        "order.completed",
        "order.hold.added",
        "order.hold.cleared",
        "tracking.created",
        "tracking.delivered",
    ]
    for topic in topics:
        subscribe(api, topic, webhook_receiver.url)
    po = api.create_ok(po_body("TOPICS-1"))
    [order] = api.orders_of(po["id"])
    sandbox.add_order_hold(order["id"], "Look at it")
    api.post(f"/orders/{order['id']}/holds/clear")
    sandbox.process_order(order["id"])
    sandbox.submit_order(order["id"])
    sandbox.complete_order(
        order["id"],
        trackings=[{"carrier": "USPS", "tracking": "9400", "url": "https://t/9400"}],
    )
    sandbox.deliver_order(order["id"])
    assert sandbox.wait_for_deliveries(5)
    assert webhook_receiver.topics() == [
        "purchaseorder.approved",
        "order.hold.added",
        "order.hold.cleared",
        "order.processed",
        "order.submitted",
        "tracking.created",
        "order.completed",
        "purchaseorder.completed",
        "tracking.delivered",
    ]
    tracking_body = next(
        d["json"]["body"]
        for d in webhook_receiver.received
        if d["json"]["topic"] == "tracking.created"
    )
    assert tracking_body["resourceLocation"].endswith(
        f"/orders/{order['id']}/trackings?offset=0&limit=20"
    )
    assert tracking_body["resource"]["items"][0]["resource"]["tracking"] == "9400"


def test_duplicate_injection(sandbox, api, po_body, webhook_receiver):
    sandbox.settings.webhook_duplicate_rate = 1.0
    subscribe(api, "purchaseorder.created", webhook_receiver.url)
    api.create_ok(po_body("TWICE-1"))
    first, second = webhook_receiver.wait_for(2)
    assert first["json"]["uniqueEventID"] == second["json"]["uniqueEventID"]
