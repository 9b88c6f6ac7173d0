"""Returns (RMA): the API, the refusals recorded from Shipwire, the controls that
count what comes back, their webhooks and the settings for what is not known."""

import itertools

import pytest
import requests

from shipwire_api.sandbox import Sandbox
from shipwire_api.sandbox.samples import sample_purchase_order

NOT_RETURNABLE = 'Only orders that are "processed" and not "cancelled" can be returned'
ALREADY_REPORTED = "You have already reported this issue."


def purchase_order_body(external_id, quantity=1):
    return {
        **sample_purchase_order(external_id, quantity=quantity),
        "doNotPersistOnWarnings": 1,
    }


def shipped_order(api, external_id="PO-R1", quantity=3, stage="complete"):
    """A fulfillment order of a new purchase order, moved on with ``stage``
    ("process", "submit", "complete"), or left as made with None."""
    po = api.create_ok(purchase_order_body(external_id, quantity=quantity))
    [order] = api.orders_of(po["id"])
    for action in ("process", "submit", "complete"):
        if stage is None:
            break
        response = api.control("POST", f"/orders/{order['id']}/{action}")
        assert response.status_code == 200, response.text
        if action == stage:
            break
    return order


def return_body(order_id, external_id="RMA-1", quantity=1, sku="DIAMOND-1", **options):
    return {
        "externalId": external_id,
        "originalOrder": {"id": order_id},
        "items": [{"sku": sku, "quantity": quantity}],
        "options": {"emailCustomer": 0, "generatePrepaidLabel": 1, **options},
    }


def create(api, body):
    response = api.post("/returns", body)
    assert response.status_code == 200, response.text
    return response.json()


def create_ok(api, body):
    envelope = create(api, body)
    assert envelope["resource"]["total"] == 1, envelope
    return envelope["resource"]["items"][0]["resource"]


def assert_refused(envelope, order_id, message):
    assert (envelope["status"], envelope["message"]) == (200, "Successful")
    assert envelope["resource"]["total"] == 0
    assert envelope["resourceLocation"].endswith("/returns?offset=0&limit=0")
    assert envelope["errors"] == [
        {
            "code": "returnSubmitFailed",
            "id": order_id,
            "type": "error",
            "message": message,
        }
    ]


def control(api, return_id, action, body=None):
    return api.control("POST", f"/returns/{return_id}/{action}", body)


def items_of(api, return_id):
    page = api.get(f"/returns/{return_id}/items").json()["resource"]
    return [entry["resource"] for entry in page["items"]]


def test_create_answers_a_collection_of_the_processed_return(api):
    order = shipped_order(api)
    envelope = create(api, return_body(order["id"]))
    assert envelope["resourceLocation"].endswith("/returns?offset=0&limit=1")
    assert "warnings" not in envelope
    made = envelope["resource"]["items"][0]["resource"]
    assert made["status"] == "processed" and made["externalId"] == "RMA-1"
    assert made["orderNo"] == order["orderNo"]
    for key in ("transactionId", "commerceName", "lastUpdatedDate", "vendorId"):
        assert key in made, key
    for link in ("items", "holds", "trackings", "labels", "originalOrder"):
        assert set(made[link]) == {"resourceLocation"}, link
    assert made["originalOrder"]["resourceLocation"].endswith(f"/orders/{order['id']}")
    assert made["options"]["resource"]["generatePrepaidLabel"] == 1
    assert (
        made["routing"]["resource"]["warehouseExternalId"]
        == order["options"]["resource"]["warehouseExternalId"]
    )
    assert made["events"]["resource"]["createdDate"]
    [item] = items_of(api, made["id"])
    assert (item["sku"], item["orderId"], item["orderExternalId"]) == (
        "DIAMOND-1",
        made["id"],
        "RMA-1",
    )
    counters = [item[n] for n in ("expected", "pending", "good", "inReview", "damaged")]
    assert counters == [1, 1, 0, 0, 0]
    stats = api.control("GET", "/stats").json()["resource"]
    assert (stats["returns"], stats["returnCreates"]) == (1, 1)


@pytest.mark.parametrize("stage", ["process", "submit", "complete"])
def test_orders_past_held_can_be_returned(api, stage):
    order = shipped_order(api, stage=stage)
    assert create_ok(api, return_body(order["id"]))["status"] == "processed"


def test_a_delivered_order_can_be_returned(api):
    order = shipped_order(api)
    api.control("POST", f"/orders/{order['id']}/deliver")
    create_ok(api, return_body(order["id"]))


def test_held_unprocessed_or_cancelled_orders_are_refused(api):
    waiting = shipped_order(api, "PO-W", stage=None)
    assert_refused(
        create(api, return_body(waiting["id"])), waiting["id"], NOT_RETURNABLE
    )
    held = shipped_order(api, "PO-H", stage="process")
    api.control("POST", f"/orders/{held['id']}/hold", {"description": "Check"})
    assert_refused(create(api, return_body(held["id"])), held["id"], NOT_RETURNABLE)
    cancelled = shipped_order(api, "PO-C", stage="process")
    api.post(f"/orders/{cancelled['id']}/cancel")
    envelope = create(api, return_body(cancelled["id"]))
    assert_refused(envelope, cancelled["id"], NOT_RETURNABLE)
    assert api.get("/returns").json()["resource"]["total"] == 0


def test_an_order_younger_than_the_setting_is_refused(sandbox, api):
    sandbox.settings.return_min_order_age = 600.0
    order = shipped_order(api)
    assert_refused(create(api, return_body(order["id"])), order["id"], NOT_RETURNABLE)
    sandbox.settings.return_min_order_age = 0.0
    create_ok(api, return_body(order["id"]))


def test_a_second_return_of_the_order_is_already_reported(api):
    order = shipped_order(api)
    first = create_ok(api, return_body(order["id"]))
    for external_id in ("RMA-1", "RMA-2"):
        envelope = create(api, return_body(order["id"], external_id))
        assert_refused(envelope, order["id"], ALREADY_REPORTED)
    other = shipped_order(api, "PO-R2")
    # The same externalId on another order: the same refusal.
    envelope = create(api, return_body(other["id"], "RMA-1"))
    assert_refused(envelope, other["id"], ALREADY_REPORTED)
    api.post(f"/returns/{first['id']}/cancel")
    assert create_ok(api, return_body(order["id"], "RMA-3"))["id"] != first["id"]


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"quantity": 4}, "SKU DIAMOND-1: only 3 units"),
        ({"sku": "RUBY-2"}, "SKU RUBY-2 is not on order"),
        ({"quantity": 0}, "positive integer"),
    ],
)
def test_items_beyond_the_order_are_refused(api, changes, words):
    order = shipped_order(api)
    envelope = create(api, return_body(order["id"], **changes))
    assert envelope["resource"]["total"] == 0
    assert words in envelope["errors"][0]["message"]


def test_unknown_original_order_and_warehouse_are_refused(api):
    envelope = create(api, return_body(999))
    assert envelope["resource"]["total"] == 0
    assert "999" in envelope["errors"][0]["message"]
    order = shipped_order(api)
    body = return_body(order["id"], warehouseExternalId="NOWHERE")
    assert "Unknown warehouse" in create(api, body)["errors"][0]["message"]
    body = return_body(order["id"], warehouseRegion="PHL")
    assert create_ok(api, body)["routing"]["resource"]["warehouseExternalId"] == "PHL"


def test_the_warehouse_warning_comes_with_a_success(sandbox, api):
    sandbox.settings.return_warehouse_warning = True
    envelope = create(api, return_body(shipped_order(api)["id"]))
    warning = {
        "code": "returnSubmitFailed",
        "type": "warning",
        "message": "This return will be shipped to a different warehouse than the "
        "one specified.",
    }
    assert envelope["resource"]["total"] == 1
    assert envelope["warnings"] == [warning]
    assert envelope["resource"]["items"][0]["warnings"] == [warning]


def test_unknown_ids_and_methods(api):
    cases = [
        ("get", "/returns/999", "Return Order not found."),
        ("post", "/returns/999/cancel", "Return Order not found."),
        ("get", "/returns/999/items", "Receiving Order not found."),
        ("get", "/returns/999/holds", "Receiving Order not found."),
        ("get", "/returns/999/trackings", "Receiving Order not found."),
        ("get", "/returns/999/labels", "Receiving Label not found."),
        ("get", "/orders/999/returns", "Order not found."),
    ]
    for method, path, message in cases:
        response = getattr(api, method)(path)
        assert (response.status_code, response.json()["message"]) == (404, message)
    assert api.put("/returns/1", {}).status_code == 405


def test_cancel_stamps_completed_and_spells_as_set(sandbox, api):
    made = create_ok(api, return_body(shipped_order(api)["id"]))
    path = f"/returns/{made['id']}"
    response = api.post(f"{path}/cancel")
    assert (response.status_code, response.json()["message"]) == (
        200,
        "Return Order cancelled",
    )
    cancelled = api.get(path).json()["resource"]
    assert cancelled["status"] == "cancelled"
    events = cancelled["events"]["resource"]
    assert events["completedDate"] == events["cancelledDate"] is not None
    assert api.post(f"{path}/cancel").status_code == 422
    sandbox.settings.receiving_cancelled_spelling = "canceled"
    assert api.get(path).json()["resource"]["status"] == "canceled"
    for spelling in ("canceled", "cancelled"):
        found = api.get("/returns", params={"status": spelling}).json()
        assert found["resource"]["total"] == 1, spelling
    assert api.control("GET", "/stats").json()["resource"]["returnCancels"] == 2


def test_receipt_moves_counters_and_stock_and_ends_cancelling(api):
    order = shipped_order(api, quantity=5)
    made = create_ok(api, return_body(order["id"], quantity=4))
    warehouse = made["routing"]["resource"]["warehouseExternalId"]
    params = {"sku": "DIAMOND-1", "warehouseExternalId": warehouse}
    [before] = api.get("/stock", params=params).json()["resource"]["items"]
    answer = control(
        api, made["id"], "receive", {"sku": "DIAMOND-1", "good": 2, "damaged": 1}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["resource"]["status"] == "delivered"
    [item] = items_of(api, made["id"])
    assert (item["pending"], item["good"], item["damaged"]) == (1, 2, 1)
    [after] = api.get("/stock", params=params).json()["resource"]["items"]
    assert after["resource"]["good"] == before["resource"]["good"] + 2
    assert after["resource"]["damaged"] == before["resource"]["damaged"] + 1
    refused = api.post(f"/returns/{made['id']}/cancel")
    assert refused.status_code == 422
    assert control(api, made["id"], "complete").status_code == 200
    read = api.get(f"/returns/{made['id']}", params={"expand": "items"}).json()
    assert read["resource"]["status"] == "completed"
    assert read["resource"]["items"]["resource"]["items"][0]["resource"]["pending"] == 0
    assert api.post(f"/returns/{made['id']}/cancel").status_code == 422


def test_holds_control_and_include_cleared(api):
    made = create_ok(api, return_body(shipped_order(api)["id"]))
    path = f"/returns/{made['id']}"
    held = control(api, made["id"], "hold", {"description": "Missing RMA slip"})
    assert held.json()["resource"]["status"] == "held"
    assert api.get(f"{path}/holds").json()["resource"]["total"] == 1
    assert control(api, made["id"], "holds/clear").status_code == 200
    assert api.get(path).json()["resource"]["status"] == "processed"
    assert api.get(f"{path}/holds").json()["resource"]["total"] == 0
    cleared = api.get(f"{path}/holds", params={"includeCleared": 1}).json()
    assert cleared["resource"]["total"] == 1


def test_list_filters_pages_and_expand(sandbox, api):
    moments = itertools.count(1_000_000_000, 10)
    sandbox.store.clock = lambda: float(next(moments))
    made = [
        create_ok(api, return_body(shipped_order(api, f"PO-L{n}")["id"], f"L-{n}"))
        for n in range(4)
    ]
    control(api, made[0]["id"], "receive", {"sku": "DIAMOND-1", "good": 1})
    page = api.get("/returns", params={"limit": 3, "expand": "items"}).json()
    assert page["resource"]["total"] == 4 and "expand=items" in page["resource"]["next"]
    first = page["resource"]["items"][0]["resource"]
    assert first["items"]["resource"]["total"] == 1
    rest = api.get(page["resource"]["next"]).json()["resource"]["items"]
    assert rest[0]["resource"]["id"] == made[0]["id"]

    def total(**params):
        return api.get("/returns", params=params).json()["resource"]["total"]

    assert total(externalId="L-1,L-2") == 2
    assert total(orderId=str(made[3]["id"])) == 1
    assert total(status="delivered") == 1
    received = api.get(f"/returns/{made[0]['id']}").json()["resource"]
    assert total(updatedAfter=received["lastUpdatedDate"]) == 1
    everything = api.get(f"/returns/{made[1]['id']}", params={"expand": "all"}).json()
    for name in ("items", "holds", "trackings", "labels"):
        assert "resource" in everything["resource"][name], name
    assert api.control("GET", "/stats").json()["resource"]["returnLists"] == 6


def test_the_returns_of_one_order(api):
    order = shipped_order(api)
    made = create_ok(api, return_body(order["id"]))
    shipped_order(api, "PO-OTHER")
    listed = api.get(f"/orders/{order['id']}/returns").json()["resource"]
    assert [entry["resource"]["id"] for entry in listed["items"]] == [made["id"]]


def test_labels_as_json_and_pdf_when_a_prepaid_label_was_asked(api):
    order = shipped_order(api)
    made = create_ok(api, return_body(order["id"]))
    path = f"/returns/{made['id']}/labels"
    assert api.get(path).json()["resource"]["total"] == 1
    assert api.get(f"/returns/{made['id']}/trackings").json()["resource"]["total"] == 1
    pdf = api.get(path, headers={"Accept": "application/pdf"})
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4")
    api.post(f"/returns/{made['id']}/cancel")
    other = shipped_order(api, "PO-NL")
    unlabelled = create_ok(
        api, return_body(other["id"], "RMA-NL", generatePrepaidLabel=0)
    )
    path = f"/returns/{unlabelled['id']}/labels"
    assert api.get(path).json()["resource"]["total"] == 0
    missing = api.get(path, headers={"Accept": "application/pdf"})
    assert (missing.status_code, missing.json()["message"]) == (
        404,
        "Receiving Label not found.",
    )


def test_webhooks_follow_the_return(api, webhook_receiver):
    topics = (
        "return.created",
        "return.updated",
        "return.completed",
        "return.canceled",
        "return.hold.added",
        "return.hold.cleared",
    )
    for topic in topics:
        api.post("/webhooks", {"topic": topic, "url": webhook_receiver.url})
    made = create_ok(api, return_body(shipped_order(api)["id"], quantity=2))
    control(api, made["id"], "hold", {"description": "Check"})
    control(api, made["id"], "holds/clear")
    control(api, made["id"], "receive", {"sku": "DIAMOND-1", "good": 2})
    control(api, made["id"], "complete")
    deliveries = webhook_receiver.wait_for(8)
    assert webhook_receiver.topics() == [
        "return.created",
        "return.updated",
        "return.hold.added",
        "return.updated",
        "return.hold.cleared",
        "return.updated",
        "return.updated",
        "return.completed",
    ]
    created = deliveries[0]["json"]
    assert created["body"]["resourceLocation"].endswith(f"/returns/{made['id']}")
    resource = created["body"]["resource"]
    assert resource["id"] == made["id"]
    assert resource["items"]["resource"]["items"][0]["resource"]["pending"] == 2
    by_topic = {d["json"]["topic"]: d["json"]["body"] for d in deliveries}
    completed = by_topic["return.completed"]["resource"]
    assert completed["status"] == "completed"
    assert completed["items"]["resource"]["items"][0]["resource"]["good"] == 2
    cleared = by_topic["return.hold.cleared"]["resource"]["items"][0]["resource"]
    assert cleared["clearedDate"]
    other = create_ok(api, return_body(shipped_order(api, "PO-X")["id"], "RMA-X"))
    api.post(f"/returns/{other['id']}/cancel")
    webhook_receiver.wait_for(11)
    assert webhook_receiver.topics()[8:] == [
        "return.created",
        "return.updated",
        "return.canceled",
    ]


def test_faults_apply_to_returns(sandbox, api):
    sandbox.faults.inject("server_error", count=1, path="/returns", status=503)
    assert api.get("/returns").status_code == 503
    assert api.get("/returns").status_code == 200


def test_returns_survive_a_state_file(tmp_path):
    state, auth = str(tmp_path / "state.json"), ("sandbox", "sandbox")
    with Sandbox(state_file=state) as first:
        po = requests.post(
            f"{first.api_url}/purchaseOrders",
            json=purchase_order_body("PO-S"),
            auth=auth,
            timeout=5,
        ).json()["resource"]["items"][0]["resource"]
        [order] = first.orders(po["id"])
        first.complete_order(order["id"])
        created = requests.post(
            f"{first.api_url}/returns",
            json=return_body(order["id"]),
            auth=auth,
            timeout=5,
        ).json()
    made = created["resource"]["items"][0]["resource"]
    with Sandbox(state_file=state) as second:
        read = requests.get(
            f"{second.api_url}/returns/{made['id']}", auth=auth, timeout=5
        ).json()
        assert read["resource"]["externalId"] == "RMA-1"
