"""Purchase order create/update/approve/cancel.

And the fulfillment orders they produce.
"""

import pytest


def test_approved_create_yields_one_po_and_its_order(api, po_body):
    envelope = api.create(po_body("OK-1", quantity=3))
    assert envelope["resource"]["total"] == 1
    assert envelope["v4Warnings"] == []
    assert "v4Errors" not in envelope
    po = envelope["resource"]["items"][0]["resource"]
    assert po["status"] == "approved" and po["externalId"] == "OK-1"
    assert po["events"]["resource"]["approvalDate"] is not None
    [order] = api.orders_of(po["id"])
    assert order["status"] == "unprocessed"
    assert order["purchaseOrderId"] == po["id"]
    assert order["purchaseOrderExternalId"] == "OK-1"
    assert order["purchaseOrderNo"] == "SO-OK-1"
    assert order["externalId"] == "OK-1" and order["orderNo"] == "SO-OK-1"
    assert order["commerceName"] == "Shipwire"
    assert order["routing"]["resource"]["warehouseExternalId"] == "LAX"
    items = api.get(f"/orders/{order['id']}/items").json()["resource"]["items"]
    assert [(i["resource"]["sku"], i["resource"]["quantity"]) for i in items] == [
        ("DIAMOND-1", 3)
    ]


def test_every_given_field_is_echoed(api, po_body):
    body = po_body("ECHO-1")
    body.update(
        channelName="Odoo",
        purchaseOrderDate="2025-03-03T10:00:00-08:00",
        shippingWindow={"type": "ON", "minDate": "2025-03-05T00:00:00-08:00"},
        packingList={"message1": {"header": "PO", "body": "Thanks"}},
        extendedAttributes=[{"name": "StoreNumber", "value": 14256, "type": "int"}],
        billTo={
            "name": "James Smith",
            "address1": "1 Main Lane",
            "city": "Los Angeles",
            "country": "US",
        },
    )
    body["items"][0].update(
        retailerSku="r1",
        upc="1234567891",
        retailerLineNo=1,
        unitOfMeasure="EA",
        commercialInvoiceValue=12.5,
        description="Ring",
    )
    po = api.create_ok(body)
    assert po["channelName"] == "Odoo"
    assert po["purchaseOrderDate"] == "2025-03-03T10:00:00-08:00"
    assert po["shippingWindow"] == {
        "resourceLocation": None,
        "resource": body["shippingWindow"],
    }
    assert po["packingList"]["resource"] == body["packingList"]
    assert po["billTo"]["resource"]["name"] == "James Smith"
    attributes = po["extendedAttributes"]["resource"]["items"]
    assert attributes[0]["resource"]["name"] == "StoreNumber"
    item = api.get(f"/purchaseOrders/{po['id']}/items").json()["resource"]["items"][0][
        "resource"
    ]
    assert {key: item[key] for key in body["items"][0]} == body["items"][0]


def test_rejected_create_is_not_persisted(api, po_body):
    body = po_body("BAD-1", sku="NO-SUCH-SKU")
    body["shipTo"].pop("city")
    response = api.post("/purchaseOrders", body)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["status"] == 200 and envelope["message"] == "Successful"
    assert envelope["resource"] == {
        "offset": 0,
        "total": 0,
        "previous": None,
        "next": None,
        "items": [],
    }
    assert envelope["resourceLocation"].endswith("/purchaseOrders?offset=0&limit=0")
    messages = {error["field"]: error["message"] for error in envelope["v4Errors"]}
    assert messages["items"] == "Missing or unrecognized SKUs: NO-SUCH-SKU (item 1)"
    assert "city" in messages["shipTo.city"]
    assert all(error["type"] == "error" for error in envelope["v4Errors"])
    assert api.get("/purchaseOrders").json()["resource"]["total"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body.update(items=[]), "items"),
        (lambda body: body["items"][0].update(quantity=0), "items[0].quantity"),
        (lambda body: body.pop("shipTo"), "shipTo"),
        (lambda body: body["shipTo"].pop("state"), "shipTo.state"),
        (lambda body: body["shipTo"].update(city="C" * 26), "shipTo.city"),
        (lambda body: body.update(externalId="X" * 33), "externalId"),
        (
            lambda body: body.update(externalId="X" * 31, options={"canSplit": 1}),
            "externalId",
        ),
        (lambda body: body.update(purchaseOrderNo="N" * 26), "purchaseOrderNo"),
    ],
)
def test_validation_names_the_field(api, po_body, change, field):
    body = po_body("FIELD-1")
    change(body)
    envelope = api.create(body)
    assert envelope["resource"]["total"] == 0
    assert field in [error.get("field") for error in envelope["v4Errors"]]


def test_problem_create_without_do_not_persist_is_held_until_a_put_fixes_it(
    api, po_body
):
    body = po_body("HELD-1", sku="NOPE")
    del body["doNotPersistOnWarnings"]
    envelope = api.create(body)
    assert envelope["resource"]["total"] == 1
    assert envelope["v4Errors"][0]["code"] == "invalidSku"
    po = envelope["resource"]["items"][0]["resource"]
    assert po["status"] == "onHold"
    assert po["options"]["resource"]["isHeld"] == 1
    assert api.orders_of(po["id"]) == []
    holds = api.get(f"/purchaseOrders/{po['id']}/holds").json()["resource"]["items"]
    assert holds[0]["resource"]["description"].startswith(
        "Missing or unrecognized SKUs: NOPE"
    )

    response = api.put(
        f"/purchaseOrders/{po['id']}", {"items": [{"sku": "DIAMOND-1", "quantity": 2}]}
    )
    assert response.status_code == 200
    fixed = response.json()
    assert "offset" not in fixed["resource"]  # a single object, not a list envelope
    assert fixed["resource"]["id"] == po["id"]
    assert fixed["resource"]["status"] == "approved"
    assert fixed["resourceLocation"].endswith(f"/purchaseOrders/{po['id']}")
    assert "v4Warnings" in fixed and "v4Errors" not in fixed
    [order] = api.orders_of(po["id"])
    assert order["status"] == "unprocessed"
    assert api.get(f"/purchaseOrders/{po['id']}/holds").json()["resource"]["total"] == 0
    cleared = api.get(
        f"/purchaseOrders/{po['id']}/holds", params={"includeCleared": 1}
    ).json()["resource"]
    assert cleared["items"][0]["resource"]["clearedDate"] is not None


def test_put_to_an_unknown_id_asks_for_a_post(api):
    response = api.put("/purchaseOrders/42", {"externalId": "X"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Purchase order ID not detected. "
        "Please make a POST if you wish to create a purchase order."
    )


def test_needs_approval_then_approve(api, po_body):
    po = api.create_ok(po_body("APPROVE-1", approved=False))
    assert po["status"] == "needsApproval"
    assert api.orders_of(po["id"]) == []
    response = api.post(f"/purchaseOrders/{po['id']}/approve")
    assert response.json() == {
        "status": 200,
        "message": "Purchase order approved",
        "resourceLocation": None,
    }
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"]
        == "approved"
    )
    assert len(api.orders_of(po["id"])) == 1
    again = api.post(f"/purchaseOrders/{po['id']}/approve")
    assert again.status_code == 422
    assert again.json()["message"] == "Purchase order cannot be approved"


def test_address_warning_still_creates(api, po_body):
    body = po_body("WARN-1")
    body["shipTo"]["postalCode"] = "ABC"
    envelope = api.create(body)
    assert envelope["resource"]["total"] == 1
    assert [w["message"] for w in envelope["v4Warnings"]] == [
        "Could not verify shipping address"
    ]
    marked = po_body("WARN-2")
    marked["shipTo"]["address1"] = "1 UNVERIFIED Street"
    assert api.create(marked)["v4Warnings"][0]["code"] == "addressWarning"


def test_company_on_a_residential_address_warns_and_turns_commercial(api, po_body):
    body = po_body("COMM-1")
    body["shipTo"]["isCommercial"] = 0
    envelope = api.create(body)
    assert (
        envelope["v4Warnings"][0]["message"]
        == "Order was marked residential; now marked commercial"
    )
    assert (
        envelope["resource"]["items"][0]["resource"]["shipTo"]["resource"][
            "isCommercial"
        ]
        == 1
    )


def test_duplicate_external_id_is_rejected_unless_forced(api, po_body):
    first = api.create_ok(po_body("DUP-1"))
    body = po_body("DUP-1")
    del body[
        "doNotPersistOnWarnings"
    ]  # duplicates are never persisted, whatever this says
    envelope = api.create(body)
    assert envelope["resource"]["total"] == 0
    assert "duplicate" in envelope["v4Errors"][0]["message"].lower()
    assert (
        api.get("/purchaseOrders", params={"externalId": "DUP-1"}).json()["resource"][
            "total"
        ]
        == 1
    )

    forced = api.create_ok(po_body("DUP-1", forceDuplicate=1))
    assert forced["id"] != first["id"]
    assert (
        api.get("/purchaseOrders", params={"externalId": "DUP-1"}).json()["resource"][
            "total"
        ]
        == 2
    )


def test_taken_external_id_is_created_again_when_duplicates_are_not_refused(
    sandbox, api, po_body
):
    sandbox.settings.duplicate_external_ids_refused = False
    first = api.create_ok(po_body("DUP-2"))
    second = api.create_ok(po_body("DUP-2"))
    assert second["id"] != first["id"]


@pytest.mark.parametrize("suffix_on", ["externalId", "orderNo"])
def test_split_across_warehouses_suffixes_ids(sandbox, api, po_body, suffix_on):
    sandbox.settings.split_suffix_on = suffix_on
    body = po_body("SPLIT-1", canSplit=1)
    body["items"] = [
        {"sku": "ONLY-LAX", "quantity": 1},
        {"sku": "ONLY-PHL", "quantity": 2},
    ]
    po = api.create_ok(body)
    orders = api.orders_of(po["id"])
    warehouses = [
        order["routing"]["resource"]["warehouseExternalId"] for order in orders
    ]
    assert warehouses == ["LAX", "PHL"]
    if suffix_on == "externalId":
        assert [o["externalId"] for o in orders] == ["SPLIT-1.1", "SPLIT-1.2"]
        assert {o["orderNo"] for o in orders} == {"SO-SPLIT-1"}
    else:
        assert [o["orderNo"] for o in orders] == ["SO-SPLIT-1.1", "SO-SPLIT-1.2"]
        assert {o["externalId"] for o in orders} == {"SPLIT-1"}
    siblings = api.get(f"/orders/{orders[0]['id']}/splitOrders").json()["resource"][
        "items"
    ]
    assert [entry["resource"]["id"] for entry in siblings] == [orders[1]["id"]]


def test_one_warehouse_order_is_suffixed_when_it_could_have_split(
    sandbox, api, po_body
):
    [order] = api.orders_of(api.create_ok(po_body("ONE-1", canSplit=1))["id"])
    assert (order["orderNo"], order["externalId"]) == ("SO-ONE-1.1", "ONE-1")
    [order] = api.orders_of(api.create_ok(po_body("ONE-2"))["id"])
    assert order["orderNo"] == "SO-ONE-2"
    sandbox.settings.suffix_unsplit = False
    [order] = api.orders_of(api.create_ok(po_body("ONE-3", canSplit=1))["id"])
    assert order["orderNo"] == "SO-ONE-3"


def test_scarce_stock_splits_or_holds(api, po_body):
    split = api.create_ok(po_body("SCARCE-A", sku="SCARCE-1", quantity=8, canSplit=1))
    quantities = [
        api.get(f"/orders/{order['id']}/items").json()["resource"]["items"][0][
            "resource"
        ]["quantity"]
        for order in api.orders_of(split["id"])
    ]
    assert quantities == [5, 3]
    held = api.create_ok(po_body("SCARCE-B", sku="SCARCE-1", quantity=3))  # 2 left
    [order] = api.orders_of(held["id"])
    assert order["status"] == "held"
    holds = api.get(f"/orders/{order['id']}/holds").json()["resource"]["items"]
    assert holds[0]["resource"]["description"].startswith("Insufficient stock")
    assert (
        api.get(f"/purchaseOrders/{held['id']}").json()["resource"][
            "hasFulfillmentHolds"
        ]
        == 1
    )


def test_preferred_warehouse_is_used_when_it_has_stock(api, po_body):
    po = api.create_ok(po_body("PREF-1", warehouseRegion="PHL"))
    assert (
        api.orders_of(po["id"])[0]["routing"]["resource"]["warehouseExternalId"]
        == "PHL"
    )


def test_po_status_follows_its_orders_and_cancel_is_refused_after_shipping(
    sandbox, api, po_body
):
    body = po_body("LIFE-1", canSplit=1)
    body["items"] = [
        {"sku": "ONLY-LAX", "quantity": 1},
        {"sku": "ONLY-PHL", "quantity": 1},
    ]
    po = api.create_ok(body)
    first, second = api.orders_of(po["id"])
    sandbox.submit_order(first["id"])
    sandbox.complete_order(
        first["id"],
        trackings=[{"carrier": "UPS", "tracking": "1Z999", "url": "https://t/1Z999"}],
    )
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"]
        == "partiallyCompleted"
    )

    refused = api.post(f"/purchaseOrders/{po['id']}/cancel")
    assert refused.status_code == 422
    assert refused.json()["message"] == "Purchase order cannot be cancelled"
    assert (
        api.put(f"/purchaseOrders/{po['id']}", {"channelName": "x"}).status_code == 422
    )

    sandbox.complete_order(second["id"], quantities={"ONLY-PHL": 0})
    resource = api.get(f"/purchaseOrders/{po['id']}").json()["resource"]
    assert resource["status"] == "completed"
    assert resource["events"]["resource"]["completedDate"] is not None
    trackings = api.get(f"/purchaseOrders/{po['id']}/trackings").json()["resource"][
        "items"
    ]
    assert {t["resource"]["tracking"] for t in trackings} >= {"1Z999"}
    assert trackings[0]["resource"]["orderId"] == first["id"]
    item = api.get(f"/orders/{second['id']}/items").json()["resource"]["items"][0][
        "resource"
    ]
    assert (item["quantity"], item["shipped"]) == (1, 0)

    sandbox.deliver_order(first["id"])
    delivered = api.get(f"/orders/{first['id']}/trackings").json()["resource"]["items"][
        0
    ]["resource"]
    assert delivered["deliveredDate"] is not None
    assert api.get(f"/orders/{first['id']}").json()["resource"]["status"] == "completed"


def test_cancel_cancels_every_order(api, po_body):
    po = api.create_ok(po_body("CANCEL-1"))
    response = api.post(f"/purchaseOrders/{po['id']}/cancel")
    assert response.json() == {
        "status": 200,
        "message": "Purchase order cancelled",
        "resourceLocation": None,
    }
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"]
        == "canceled"
    )
    [order] = api.orders_of(po["id"])
    assert order["status"] == "cancelled"
    assert (
        api.get("/orders", params={"status": "canceled"}).json()["resource"]["total"]
        == 1
    )
    assert api.post(f"/purchaseOrders/{po['id']}/cancel").status_code == 422


def test_order_cancel_and_holds(sandbox, api, po_body):
    po = api.create_ok(po_body("ORDER-1"))
    [order] = api.orders_of(po["id"])
    sandbox.add_order_hold(order["id"], "Check address")
    assert api.get(f"/orders/{order['id']}").json()["resource"]["status"] == "held"
    holds = api.get(f"/orders/{order['id']}/holds").json()["resource"]["items"]
    assert holds[0]["resource"]["type"] == "customer"
    assert api.post(f"/orders/{order['id']}/holds/clear").status_code == 200
    assert (
        api.get(f"/orders/{order['id']}").json()["resource"]["status"] == "unprocessed"
    )
    assert (
        api.post(f"/orders/{order['id']}/cancel").json()["message"] == "Order cancelled"
    )
    refused = api.post(f"/orders/{order['id']}/cancel")
    assert (refused.status_code, refused.json()["message"]) == (
        422,
        "Order cannot be cancelled",
    )
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"]
        == "canceled"
    )


def test_po_hold_and_clear_return_to_the_previous_status(api, po_body):
    po = api.create_ok(po_body("HOLD-1", approved=False))
    assert api.post(f"/purchaseOrders/{po['id']}/hold").status_code == 200
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"] == "onHold"
    )
    assert api.post(f"/purchaseOrders/{po['id']}/hold/clear").status_code == 200
    assert (
        api.get(f"/purchaseOrders/{po['id']}").json()["resource"]["status"]
        == "needsApproval"
    )

    approved = api.create_ok(po_body("HOLD-2"))
    api.post(f"/purchaseOrders/{approved['id']}/hold")
    [order] = api.orders_of(approved["id"])
    assert order["status"] == "held"
    api.post(f"/purchaseOrders/{approved['id']}/hold/clear")
    assert api.orders_of(approved["id"])[0]["status"] == "unprocessed"
    assert (
        api.get(f"/purchaseOrders/{approved['id']}").json()["resource"]["status"]
        == "approved"
    )


def test_put_changing_items_reallocates_open_orders(api, po_body):
    po = api.create_ok(po_body("REALLOC-1", canSplit=1))
    [order] = api.orders_of(po["id"])
    api.put(
        f"/purchaseOrders/{po['id']}",
        {
            "items": [
                {"sku": "ONLY-LAX", "quantity": 1},
                {"sku": "ONLY-PHL", "quantity": 1},
            ]
        },
    )
    orders = api.orders_of(po["id"])
    assert orders[0]["id"] == order["id"]
    assert [o["orderNo"] for o in orders] == ["SO-REALLOC-1.1", "SO-REALLOC-1.2"]


def test_put_with_errors_and_do_not_persist_changes_nothing(api, po_body):
    po = api.create_ok(po_body("KEEP-1"))
    response = api.put(
        f"/purchaseOrders/{po['id']}", {"doNotPersistOnWarnings": 1, "items": []}
    )
    envelope = response.json()
    assert envelope["v4Errors"][0]["code"] == "noItems"
    assert envelope["resource"]["status"] == "approved"
    assert (
        len(api.get(f"/purchaseOrders/{po['id']}/items").json()["resource"]["items"])
        == 1
    )


def test_a_shipped_order_carries_what_shipping_it_cost(sandbox, api, po_body):
    body = po_body("COST-1")
    body["options"]["currency"] = "EUR"
    po = api.create_ok(body)
    [order] = api.orders_of(po["id"])
    assert "pricing" not in api.get(f"/orders/{order['id']}").json()["resource"]

    sandbox.complete_order(order["id"])
    pricing = api.get(f"/orders/{order['id']}").json()["resource"]["pricing"]
    cost = pricing["resource"]
    assert cost["currency"] == "EUR"
    assert cost["total"] > 0
    parts = ("shipping", "insurance", "packaging", "handling")
    assert sum(cost[part] for part in parts) == pytest.approx(cost["total"], abs=0.03)

    sandbox.settings.order_pricing = False
    assert "pricing" not in api.get(f"/orders/{order['id']}").json()["resource"]
