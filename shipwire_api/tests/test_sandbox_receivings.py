"""Receivings (inbound shipments): the API, the controls that count arrivals, and
the settings for what is not known."""

import itertools

import pytest
import requests

from shipwire_api.sandbox import Sandbox


def receiving_body(external_id="RCV-1", **changes):
    body = {
        "externalId": external_id,
        "expectedDate": "2025-03-10T15:30:00-07:00",
        "options": {"warehouseRegion": "LAX"},
        "arrangement": {"type": "none"},
        "shipments": [{"length": 1, "width": 2, "height": 3, "weight": 4.5}],
        "items": [{"sku": "DIAMOND-1", "quantity": 10}],
        "shipFrom": {"name": "Gem Supply", "address1": "1 Dock St", "country": "US"},
    }
    return {**body, **changes}


def ticking_clock():
    """A clock that moves 10 seconds on each reading."""
    moments = itertools.count(1_000_000_000, 10)
    return lambda: float(next(moments))


def create(api, body):
    response = api.post("/receivings", body)
    assert response.status_code == 200, response.text
    return response.json()


def create_ok(api, body):
    envelope = create(api, body)
    assert envelope["resource"]["total"] == 1, envelope
    return envelope["resource"]["items"][0]["resource"]


def control(api, receiving_id, action, body=None):
    return api.control("POST", f"/receivings/{receiving_id}/{action}", body)


def items_of(api, receiving_id):
    page = api.get(f"/receivings/{receiving_id}/items").json()["resource"]
    return [entry["resource"] for entry in page["items"]]


def good_stock(api, sku="DIAMOND-1", warehouse="LAX"):
    params = {"sku": sku, "warehouseExternalId": warehouse}
    [entry] = api.get("/stock", params=params).json()["resource"]["items"]
    return entry["resource"]


def test_create_answers_a_collection_of_the_processed_receiving(api):
    envelope = create(api, receiving_body())
    assert envelope["resourceLocation"].endswith("/receivings?offset=0&limit=1")
    receiving = envelope["resource"]["items"][0]["resource"]
    assert receiving["status"] == "processed"
    assert receiving["externalId"] == "RCV-1"
    assert receiving["commerceName"] == "Shipwire"
    assert isinstance(receiving["transactionId"], str)
    assert receiving["expectedDate"] == "2025-03-10T00:00:00-07:00"
    assert "orderNo" not in receiving
    assert set(receiving["items"]) == {"resourceLocation"}
    assert receiving["options"]["resource"]["warehouseId"] == 10
    assert receiving["routing"]["resource"]["warehouseExternalId"] == "LAX"
    assert receiving["shipFrom"]["resource"]["name"] == "Gem Supply"
    events = receiving["events"]["resource"]
    assert events["createdDate"] and events["processedDate"]
    assert events["completedDate"] is None and events["cancelledDate"] is None
    [item] = items_of(api, receiving["id"])
    assert item["sku"] == "DIAMOND-1" and item["productId"]
    assert (item["orderId"], item["orderExternalId"]) == (receiving["id"], "RCV-1")
    assert [
        item[n] for n in ("expected", "pending", "good", "inReview", "damaged")
    ] == [
        10,
        10,
        0,
        0,
        0,
    ]
    shipments = api.get(f"/receivings/{receiving['id']}/shipments").json()
    assert shipments["resource"]["items"][0]["resource"]["weight"] == "4.5"
    assert api.control("GET", "/stats").json()["resource"]["receivingCreates"] == 1


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"externalId": "X" * 33}, "externalId must be at most 32"),
        ({"orderNo": "N" * 26}, "orderNo must be at most 25"),
        ({"items": [{"sku": "NO-SUCH-SKU", "quantity": 1}]}, "unrecognized SKUs"),
        ({"items": [{"sku": "DIAMOND-1", "quantity": 0}]}, "positive integer"),
        ({"items": []}, "No items"),
        ({"shipFrom": {"name": "N" * 36}}, "shipFrom.name must be at most 35"),
        ({"shipFrom": {"postalCode": "1" * 11}}, "shipFrom.postalCode"),
        ({"options": {"warehouseExternalId": "NOWHERE"}}, "Unknown warehouse"),
        ({"options": {}}, "Unknown warehouse"),
        ({"expectedDate": "soon"}, "expectedDate"),
    ],
)
def test_refused_create_answers_errors_and_no_receiving(api, changes, words):
    envelope = create(api, receiving_body(**changes))
    assert envelope["resource"]["total"] == 0
    assert envelope["resourceLocation"].endswith("offset=0&limit=0")
    assert any(words in error["message"] for error in envelope["errors"]), envelope
    assert api.get("/receivings").json()["resource"]["total"] == 0


def test_warehouse_is_named_by_id_external_id_or_region(api):
    for number, options in enumerate(
        (
            {"warehouseId": 20},
            {"warehouseExternalId": "PHL"},
            {"warehouseRegion": "PHL"},
        )
    ):
        receiving = create_ok(api, receiving_body(f"W-{number}", options=options))
        assert receiving["routing"]["resource"]["warehouseId"] == 20


def test_second_create_with_a_used_external_id_is_a_duplicate(sandbox, api):
    create_ok(api, receiving_body("DUP-1"))
    envelope = create(api, receiving_body("DUP-1"))
    assert envelope["resource"]["total"] == 0
    assert "duplicate" in envelope["errors"][0]["message"].lower()
    sandbox.settings.duplicate_external_ids_refused = False
    create_ok(api, receiving_body("DUP-1"))


def test_order_no_is_echoed_only_with_the_setting(sandbox, api):
    assert "orderNo" not in create_ok(api, receiving_body("NO-1", orderNo="PO-7"))
    sandbox.settings.receiving_echo_order_no = True
    assert create_ok(api, receiving_body("NO-2", orderNo="PO-7"))["orderNo"] == "PO-7"


def test_get_expands_sub_resources(api):
    receiving = create_ok(api, receiving_body())
    path = f"/receivings/{receiving['id']}"
    plain = api.get(path).json()["resource"]
    assert "resource" not in plain["items"]
    expanded = api.get(path, params={"expand": "items,shipments"}).json()["resource"]
    assert expanded["items"]["resource"]["total"] == 1
    assert expanded["shipments"]["resource"]["total"] == 1
    assert "resource" not in expanded["holds"]
    everything = api.get(path, params={"expand": "all"}).json()["resource"]
    for name in ("items", "holds", "trackings", "shipments", "labels"):
        assert "resource" in everything[name], name


def test_unknown_ids_answer_not_found(api):
    response = api.get("/receivings/999")
    assert (response.status_code, response.json()["message"]) == (
        404,
        "Receiving not found",
    )
    for name in ("items", "holds", "trackings", "shipments", "labels"):
        response = api.get(f"/receivings/999/{name}")
        assert response.status_code == 404
        assert response.json()["message"] == "Receiving Order not found."
    response = api.post("/receivings/999/cancel")
    assert (response.status_code, response.json()["message"]) == (
        404,
        "Receiving not found",
    )
    response = api.post("/receivings/0/labels/cancel")
    assert (response.status_code, response.json()["message"]) == (
        200,
        "Labels cancelled",
    )


def test_update_answers_the_receiving_and_restamps_it(sandbox, api):
    sandbox.store.clock = ticking_clock()
    receiving = create_ok(api, receiving_body())
    body = receiving_body("RCV-1B", items=[{"sku": "RUBY-2", "quantity": 4}])
    response = api.put(f"/receivings/{receiving['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()["resource"]
    assert "items" in updated and "offset" not in updated
    assert updated["externalId"] == "RCV-1B"
    assert updated["lastUpdatedDate"] > receiving["lastUpdatedDate"]
    events, before = updated["events"]["resource"], receiving["events"]["resource"]
    assert events["processedDate"] > before["processedDate"]
    assert events["createdDate"] == before["createdDate"]
    [item] = items_of(api, receiving["id"])
    assert (item["sku"], item["expected"], item["orderExternalId"]) == (
        "RUBY-2",
        4,
        "RCV-1B",
    )


def test_refused_update_keeps_the_receiving(api):
    receiving = create_ok(api, receiving_body())
    response = api.put(f"/receivings/{receiving['id']}", receiving_body(items=[]))
    assert response.status_code == 200
    assert "No items" in response.json()["errors"][0]["message"]
    assert items_of(api, receiving["id"])[0]["expected"] == 10


def test_put_without_id_asks_for_a_post(api):
    response = api.put("/receivings", receiving_body())
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Order ID not detected. Please make a POST if you wish to create an order."
    )


def test_cancel_marks_every_date_and_spells_as_set(sandbox, api):
    receiving = create_ok(api, receiving_body())
    response = api.post(f"/receivings/{receiving['id']}/cancel")
    assert (response.status_code, response.json()["message"]) == (
        200,
        "Receiving was cancelled",
    )
    cancelled = api.get(f"/receivings/{receiving['id']}").json()["resource"]
    assert cancelled["status"] == "cancelled"
    events = cancelled["events"]["resource"]
    assert events["cancelledDate"] == events["completedDate"]
    assert events["submittedDate"] and events["processedDate"]
    again = api.post(f"/receivings/{receiving['id']}/cancel")
    assert again.status_code == 422
    assert (
        api.put(f"/receivings/{receiving['id']}", receiving_body()).status_code == 422
    )
    sandbox.settings.receiving_cancelled_spelling = "canceled"
    read = api.get(f"/receivings/{receiving['id']}").json()["resource"]
    assert read["status"] == "canceled"
    for spelling in ("canceled", "cancelled"):
        found = api.get("/receivings", params={"status": spelling}).json()
        assert found["resource"]["total"] == 1, spelling


def test_receipt_moves_counters_stock_and_status(api):
    receiving = create_ok(api, receiving_body())
    before = good_stock(api)
    answer = control(
        api, receiving["id"], "receive", {"sku": "DIAMOND-1", "good": 6, "damaged": 1}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["resource"]["status"] == "delivered"
    [item] = items_of(api, receiving["id"])
    assert (item["pending"], item["good"], item["damaged"]) == (3, 6, 1)
    after = good_stock(api)
    assert after["good"] == before["good"] + 6
    assert after["damaged"] == before["damaged"] + 1
    read = api.get(f"/receivings/{receiving['id']}").json()["resource"]
    assert read["events"]["resource"]["deliveredDate"]
    too_many = control(api, receiving["id"], "receive", {"sku": "DIAMOND-1", "good": 4})
    assert too_many.status_code == 409
    assert "Only 3 units" in too_many.json()["message"]
    assert api.post(f"/receivings/{receiving['id']}/cancel").status_code == 422
    assert (
        api.put(f"/receivings/{receiving['id']}", receiving_body()).status_code == 422
    )


def test_review_moves_units_in_review(api):
    receiving = create_ok(api, receiving_body())
    control(api, receiving["id"], "receive", {"sku": "DIAMOND-1", "inReview": 5})
    assert good_stock(api)["inreview"] == 5
    answer = control(
        api,
        receiving["id"],
        "review",
        {"sku": "DIAMOND-1", "reviewedGood": 3, "reviewedDamaged": 2},
    )
    assert answer.status_code == 200, answer.text
    [item] = items_of(api, receiving["id"])
    assert (item["inReview"], item["good"], item["damaged"]) == (0, 3, 2)
    assert good_stock(api)["inreview"] == 0


def test_complete_makes_the_shortage_final(api):
    receiving = create_ok(api, receiving_body())
    control(api, receiving["id"], "receive", {"sku": "DIAMOND-1", "good": 7})
    assert control(api, receiving["id"], "complete").status_code == 200
    read = api.get(f"/receivings/{receiving['id']}", params={"expand": "items"})
    resource = read.json()["resource"]
    assert resource["status"] == "completed"
    assert resource["events"]["resource"]["completedDate"]
    item = resource["items"]["resource"]["items"][0]["resource"]
    assert (item["expected"], item["pending"], item["good"]) == (10, 0, 7)
    refused = control(api, receiving["id"], "receive", {"sku": "DIAMOND-1", "good": 1})
    assert refused.status_code == 409
    assert api.post(f"/receivings/{receiving['id']}/cancel").status_code == 422


def test_holds_after_create_and_their_clearing(sandbox, api):
    sandbox.settings.receiving_holds_after_create = True
    receiving = create_ok(api, receiving_body())
    assert receiving["status"] == "processed"
    read = api.get(f"/receivings/{receiving['id']}", params={"expand": "holds"})
    resource = read.json()["resource"]
    assert resource["status"] == "held"
    holds = [e["resource"] for e in resource["holds"]["resource"]["items"]]
    assert {(h["type"], h["description"]) for h in holds} == {
        ("shipwire", "Order requires review by Shipwire"),
        ("customer", "Missing tracking information"),
    }
    tracked = create_ok(
        api, receiving_body("RCV-2", trackings=[{"tracking": "1Z", "carrier": "UPS"}])
    )
    holds = api.get(f"/receivings/{tracked['id']}/holds").json()["resource"]["items"]
    assert [h["resource"]["type"] for h in holds] == ["shipwire"]
    assert control(api, receiving["id"], "holds/clear").status_code == 200
    path = f"/receivings/{receiving['id']}"
    assert api.get(path).json()["resource"]["status"] == "processed"
    assert api.get(f"{path}/holds").json()["resource"]["total"] == 0
    cleared = api.get(f"{path}/holds", params={"includeCleared": 1}).json()
    assert cleared["resource"]["total"] == 2


def test_list_filters_and_pages(sandbox, api):
    sandbox.store.clock = ticking_clock()
    made = [
        create_ok(api, receiving_body(f"L-{n}", orderNo=f"PO-{n}", options=options))
        for n, options in enumerate(
            [{"warehouseRegion": "LAX"}, {"warehouseRegion": "PHL"}] * 3
        )
    ]
    # The first one changes last: the list follows the last change, not the ids.
    control(api, made[0]["id"], "submit")
    page = api.get("/receivings", params={"limit": 4}).json()["resource"]
    assert page["total"] == 6 and len(page["items"]) == 4
    assert "limit=4" in page["next"] and "offset=4" in page["next"]
    rest = api.get(page["next"]).json()["resource"]
    listed = [e["resource"]["id"] for e in page["items"] + rest["items"]]
    assert listed == [r["id"] for r in made[1:]] + [made[0]["id"]]

    def total(**params):
        return api.get("/receivings", params=params).json()["resource"]["total"]

    assert total(externalId="L-1,L-2") == 2
    assert total(orderId=f"{made[3]['id']},{made[4]['id']}") == 2
    assert total(orderNo="PO-5") == 1
    assert total(warehouseId="20") == 3
    assert total(status="submitted") == 1
    assert total(status="processed,submitted") == 6
    submitted = api.get(f"/receivings/{made[0]['id']}").json()["resource"]
    assert total(updatedAfter=submitted["lastUpdatedDate"]) == 1
    assert total(updatedAfter=made[5]["lastUpdatedDate"]) == 2
    expanded = api.get("/receivings", params={"expand": "items", "limit": 1}).json()
    first = expanded["resource"]["items"][0]["resource"]
    assert first["items"]["resource"]["total"] == 1
    assert "expand=items" in expanded["resource"]["next"]
    assert api.control("GET", "/stats").json()["resource"]["receivingLists"] >= 9


def test_labels_as_json_and_pdf(api):
    receiving = create_ok(api, receiving_body())
    path = f"/receivings/{receiving['id']}/labels"
    labels = api.get(path).json()["resource"]
    assert labels["total"] == 1
    pdf = api.get(path, headers={"Accept": "application/pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(
        b"%%EOF"
    )


def test_faults_and_write_latency_apply_to_receivings(sandbox, api):
    sandbox.faults.inject("server_error", count=1, path="/receivings", status=503)
    assert api.get("/receivings").status_code == 503
    assert api.get("/receivings").status_code == 200
    sandbox.settings.receiving_write_latency = 0.2
    response = api.post("/receivings", receiving_body())
    assert float(response.headers["X-Process-Time-Seconds"]) >= 0.2


def test_receivings_survive_a_state_file(tmp_path):
    state, auth = str(tmp_path / "state.json"), ("sandbox", "sandbox")
    with Sandbox(state_file=state) as first:
        created = requests.post(
            f"{first.api_url}/receivings", json=receiving_body(), auth=auth, timeout=5
        ).json()
    receiving = created["resource"]["items"][0]["resource"]
    with Sandbox(state_file=state) as second:
        url = f"{second.api_url}/receivings"
        read = requests.get(f"{url}/{receiving['id']}", auth=auth, timeout=5).json()
        assert read["resource"]["externalId"] == "RCV-1"
        other = requests.post(
            url, json=receiving_body("RCV-2"), auth=auth, timeout=5
        ).json()
        assert other["resource"]["items"][0]["resource"]["id"] == receiving["id"] + 1
