"""Authentication, envelopes, headers, lookups and paging of the sandbox, over HTTP."""

import re

import requests

UNAUTHORIZED_BODY = {
    "status": 401,
    "message": "Please include a valid Authorization header (Basic)",
    "resourceLocation": None,
}


def www_authenticate_lines(response):
    return response.raw.headers.getlist("WWW-Authenticate")


def test_wrong_credentials_are_refused_with_both_challenges(sandbox):
    response = requests.get(
        f"{sandbox.api_url}/purchaseOrders", auth=("sandbox", "wrong"), timeout=5
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED_BODY
    assert www_authenticate_lines(response) == [
        'Basic realm="Shipwire API"',
        'OAuth realm="Shipwire API"',
    ]


def test_missing_credentials_are_refused_the_same_way(sandbox):
    response = requests.get(f"{sandbox.api_url}/orders", timeout=5)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED_BODY
    assert len(www_authenticate_lines(response)) == 2


def test_shipwire_key_header_is_accepted_unless_disabled(sandbox):
    headers = {"Authorization": f"ShipwireKey {sandbox.password}"}
    assert (
        requests.get(
            f"{sandbox.api_url}/orders", headers=headers, timeout=5
        ).status_code
        == 200
    )
    sandbox.settings.accept_shipwire_key = False
    assert (
        requests.get(
            f"{sandbox.api_url}/orders", headers=headers, timeout=5
        ).status_code
        == 401
    )


def test_envelope_and_headers(api, po_body):
    response = api.post("/purchaseOrders", po_body("ENV-1"))
    envelope = response.json()
    assert envelope["status"] == 200
    assert envelope["message"] == "Successful"
    assert (
        envelope["resourceLocation"]
        == f"{api.sandbox.api_url}/purchaseOrders?offset=0&limit=1"
    )
    assert re.fullmatch(r"[0-9a-f]+", response.headers["X-Request-Id"])
    assert float(response.headers["X-Process-Time-Seconds"]) >= 0
    assert response.headers["Content-Type"] == "application/json"
    po = envelope["resource"]["items"][0]["resource"]
    assert re.fullmatch(r"\d+-\d{6}-1", po["transactionId"])
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00",
        po["events"]["resource"]["createdDate"],
    )
    assert po["needsReview"] == 0 and po["options"]["resource"]["isApproved"] == 1


def test_locations_follow_the_host_header(api, po_body):
    po = api.create_ok(po_body("HOST-1"))
    response = api.get(
        f"/purchaseOrders/{po['id']}", headers={"Host": "api.beta.example.test"}
    )
    assert (
        response.json()["resourceLocation"]
        == f"http://api.beta.example.test/api/v3/purchaseOrders/{po['id']}"
    )


def test_sub_resources_are_links_unless_expanded(api, po_body):
    po = api.create_ok(po_body("LINK-1"))
    base = f"{api.sandbox.api_url}/purchaseOrders/{po['id']}"
    assert po["holds"] == {"resourceLocation": f"{base}/holds?offset=0&limit=20"}
    assert po["orders"] == {"resourceLocation": f"{base}/orders?offset=0&limit=20"}
    assert po["shipTo"]["resourceLocation"] is None
    expanded = api.get(
        f"/purchaseOrders/{po['id']}", params={"expand": "orders,items"}
    ).json()["resource"]
    assert expanded["orders"]["resource"]["total"] == 1
    assert expanded["items"]["resource"]["items"][0]["resource"]["sku"] == "DIAMOND-1"
    assert "resource" not in expanded["holds"]
    everything = api.get(
        f"/purchaseOrders/{po['id']}", params={"expand": "all"}
    ).json()["resource"]
    assert all(
        "resource" in everything[name]
        for name in ("holds", "items", "trackings", "orders")
    )


def test_unknown_ids_answer_404(api):
    response = api.get("/purchaseOrders/1")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Purchase order not found.",
        "resourceLocation": None,
    }
    response = api.get("/orders/E-nothing")
    assert response.json() == {
        "status": 404,
        "message": "Order not found.",
        "resourceLocation": None,
    }


def test_purchase_orders_and_orders_by_external_id(api, po_body):
    po = api.create_ok(po_body("EXT-7"))
    assert api.get("/purchaseOrders/EEXT-7").json()["resource"]["id"] == po["id"]
    listed = api.get("/purchaseOrders", params={"externalId": "EXT-7,OTHER"}).json()[
        "resource"
    ]
    assert [entry["resource"]["id"] for entry in listed["items"]] == [po["id"]]
    order = api.orders_of(po["id"])[0]
    assert api.get("/orders/EEXT-7").json()["resource"]["id"] == order["id"]
    by_po = api.get("/orders", params={"purchaseOrderId": po["id"]}).json()["resource"]
    assert by_po["total"] == 1


def test_paging_defaults_caps_and_links(api, po_body):
    for number in range(205):
        api.create_ok(po_body(f"PAGE-{number}"))
    first = api.get("/purchaseOrders", params={"status": "approved"}).json()
    assert first["resource"]["total"] == 205
    assert len(first["resource"]["items"]) == 20
    assert first["resource"]["previous"] is None
    assert (
        first["resource"]["next"]
        == f"{api.sandbox.api_url}/purchaseOrders?status=approved&offset=20&limit=20"
    )

    capped = api.get("/purchaseOrders", params={"limit": 500}).json()["resource"]
    assert len(capped["items"]) == 200
    assert capped["next"].endswith("offset=200&limit=200")
    last = api.get(capped["next"]).json()["resource"]
    assert len(last["items"]) == 5 and last["next"] is None
    assert (
        last["previous"] == f"{api.sandbox.api_url}/purchaseOrders?offset=0&limit=200"
    )

    seen, url = [], f"{api.sandbox.api_url}/purchaseOrders?limit=50&status=approved"
    while url:
        page = api.get(url).json()["resource"]
        seen.extend(entry["resource"]["id"] for entry in page["items"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == 205


def test_bad_paging_and_dates_are_refused(api):
    assert api.get("/orders", params={"limit": "many"}).status_code == 400
    assert api.get("/orders", params={"updatedAfter": "yesterday"}).status_code == 400


def test_updated_after_filter(api, po_body):
    po = api.create_ok(po_body("DATE-1"))
    updated = po["lastUpdatedDate"]
    assert (
        api.get("/purchaseOrders", params={"updatedAfter": updated}).json()["resource"][
            "total"
        ]
        == 1
    )
    later = "2999-01-01T00:00:00-08:00"
    assert (
        api.get("/purchaseOrders", params={"updatedAfter": later}).json()["resource"][
            "total"
        ]
        == 0
    )
    assert (
        api.get("/orders", params={"updatedAfter": updated}).json()["resource"]["total"]
        == 1
    )


def test_products_list_the_catalogue(api):
    products = api.get("/products", params={"sku": "DIAMOND-1"}).json()["resource"]
    assert products["total"] == 1
    product = products["items"][0]["resource"]
    assert product["sku"] == "DIAMOND-1" and product["description"]
    assert (
        api.get(f"/products/{product['id']}").json()["resource"]["sku"] == "DIAMOND-1"
    )


def test_paging_links_of_secrets_and_on_request_all_lists_lack_the_prefix(
    sandbox, api, po_body
):
    for _ in range(3):
        api.post("/secret")
    secrets = api.get("/secret", params={"limit": 2}).json()["resource"]
    assert secrets["next"] == f"{sandbox.url}/secret?offset=2&limit=2"

    api.create_ok(po_body("BARE-1"))
    api.create_ok(po_body("BARE-2"))
    sandbox.settings.prefixless_paging_links = True
    sandbox.settings.public_url = "https://api.beta.shipwire.com"
    page = api.get("/purchaseOrders", params={"limit": 1}).json()["resource"]
    assert page["next"] == (
        "https://api.beta.shipwire.com/purchaseOrders?offset=1&limit=1"
    )
