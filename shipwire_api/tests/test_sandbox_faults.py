"""Injected faults as a client sees them. Fault durations are short and clients time out
sooner, so nothing here waits for a fault to end."""

import pytest
import requests

SHORT = 0.3
IMPATIENT = (2, 0.1)  # (connect, read) timeouts


def count_purchase_orders(api, external_id):
    return api.get("/purchaseOrders", params={"externalId": external_id}).json()[
        "resource"
    ]["total"]


def test_latency_delays_the_answer(sandbox, api):
    sandbox.faults.inject(
        "latency", count=1, seconds=SHORT, method="GET", path="/orders"
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/orders", timeout=IMPATIENT)
    assert api.get("/orders").status_code == 200


def test_timeout_commit_keeps_the_change_and_the_retry_sees_a_duplicate(
    sandbox, api, po_body
):
    sandbox.faults.inject(
        "timeout_commit",
        count=1,
        seconds=SHORT,
        method="POST",
        path="/api/v3/purchaseOrders",
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/purchaseOrders", po_body("SLOW-1"), timeout=IMPATIENT)
    assert count_purchase_orders(api, "SLOW-1") == 1
    retry = api.create(po_body("SLOW-1"))
    assert retry["resource"]["total"] == 0
    assert "duplicate" in retry["v4Errors"][0]["message"].lower()


def test_server_error_answers_5xx_without_handling(sandbox, api, po_body):
    sandbox.faults.inject("server_error", count=1, path="/purchaseOrders")
    response = api.post("/purchaseOrders", po_body("FAIL-1"))
    assert response.status_code in (500, 503)
    assert response.json()["status"] == response.status_code
    assert count_purchase_orders(api, "FAIL-1") == 0
    sandbox.faults.inject("server_error", count=1, status=503)
    assert api.get("/orders").status_code == 503
    assert api.get("/orders").status_code == 200


def test_reset_drops_the_connection_without_handling(sandbox, api, po_body):
    sandbox.faults.inject("reset", count=1, method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/purchaseOrders", po_body("RESET-1"))
    assert count_purchase_orders(api, "RESET-1") == 0
    assert api.create(po_body("RESET-1"))["resource"]["total"] == 1


def test_malformed_answer_after_commit(sandbox, api, po_body):
    sandbox.faults.inject("malformed", count=1, method="POST")
    response = api.post("/purchaseOrders", po_body("BROKEN-1"))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert count_purchase_orders(api, "BROKEN-1") == 1


def test_rate_hits_a_seeded_share_of_requests(sandbox, api):
    sandbox.faults.inject("server_error", rate=0.5, path="/orders")
    statuses = [api.get("/orders").status_code for _ in range(40)]
    failures = sum(status >= 500 for status in statuses)
    assert 5 < failures < 35
    assert api.get("/purchaseOrders").status_code == 200
    sandbox.faults.clear()
    assert all(api.get("/orders").status_code == 200 for _ in range(5))


def test_control_endpoints_never_get_faults(sandbox, api):
    sandbox.faults.inject("reset")
    response = api.control("GET", "/stats")
    assert response.status_code == 200
    assert response.json()["resource"]["faultsFired"] == {}
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/orders")


def test_unknown_fault_kind_is_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.faults.inject("meteor")
