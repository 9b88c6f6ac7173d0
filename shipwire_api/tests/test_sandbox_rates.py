"""Rate quotes: POST /rate answers in the recorded shape, with prices that follow the
cart and the destination, fewer services for a later ship date, the address warning
and a 422 naming an unknown SKU."""

from datetime import date, datetime, timedelta, timezone

import pytest
import requests

SHIPMENT_FIELDS = {
    "warehouseName",
    "warehouseId",
    "warehouseExternalId",
    "carrier",
    "cost",
    "subtotals",
    "pieces",
    "expectedShipDate",
    "expectedDeliveryMinDate",
    "expectedDeliveryMaxDate",
}
COST_FIELDS = {
    "currency",
    "type",
    "name",
    "amount",
    "converted",
    "originalCost",
    "originalCurrency",
}


def ship_to(**changes):
    return {
        "address1": "100 Congress Ave",
        "city": "Austin",
        "postalCode": "78701",
        "region": "TX",
        "country": "US",
        "isCommercial": 0,
        "isPoBox": 0,
        **changes,
    }


def rate_body(items=(("DIAMOND-1", 1),), address=None, **options):
    return {
        "options": {"currency": "USD", "groupBy": "all", "canSplit": 0, **options},
        "order": {
            "shipTo": address or ship_to(),
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
        },
    }


def quote(api, body):
    response = api.post("/rate", body)
    assert response.status_code == 200, response.text
    return response.json()


def services(envelope):
    [rate] = envelope["resource"]["rates"]
    return {option["serviceLevelCode"]: option for option in rate["serviceOptions"]}


def ground_cost(api, body):
    [shipment] = services(quote(api, body))["GD"]["shipments"]
    return shipment["cost"]["amount"]


def test_a_quote_answers_each_service_level_in_the_recorded_shape(api):
    envelope = quote(api, rate_body([("DIAMOND-1", 2)], warehouseExternalId="PHL"))

    assert (envelope["status"], envelope["message"]) == (200, "Successful")
    assert envelope["resourceLocation"] is None
    assert "warnings" not in envelope
    assert envelope["resource"]["groupBy"] == "all"
    options = services(envelope)
    assert list(options) == ["GD", "2D", "1D"]
    assert [option["serviceLevelName"] for option in options.values()] == [
        "Ground",
        "Second Day",
        "Next Day",
    ]
    [shipment] = options["GD"]["shipments"]
    assert set(shipment) == SHIPMENT_FIELDS
    assert (shipment["warehouseExternalId"], shipment["warehouseId"]) == ("PHL", 20)
    assert shipment["warehouseName"] == "Philadelphia"
    assert set(shipment["carrier"]) == {"code", "name", "description", "properties"}
    assert shipment["carrier"]["properties"] == ["trackable"]
    cost = shipment["cost"]
    assert set(cost) == COST_FIELDS
    assert (cost["currency"], cost["type"], cost["converted"]) == (
        "USD",
        "total",
        False,
    )
    assert isinstance(cost["amount"], float) and cost["amount"] > 0
    assert [subtotal["type"] for subtotal in shipment["subtotals"]] == [
        "shipping",
        "insurance",
        "packaging",
        "handling",
    ]
    assert sum(s["amount"] for s in shipment["subtotals"]) == pytest.approx(
        cost["amount"]
    )
    assert shipment["pieces"][0]["contents"] == [{"sku": "DIAMOND-1", "quantity": 2}]
    shipped = datetime.fromisoformat(shipment["expectedShipDate"])
    earliest = datetime.fromisoformat(shipment["expectedDeliveryMinDate"])
    latest = datetime.fromisoformat(shipment["expectedDeliveryMaxDate"])
    assert shipped < earliest <= latest
    faster = [services(envelope)[code]["shipments"][0] for code in ("2D", "1D")]
    assert [s["cost"]["amount"] for s in faster] == sorted(
        s["cost"]["amount"] for s in faster
    )
    assert cost["amount"] < faster[0]["cost"]["amount"]


def test_prices_follow_weight_quantity_and_destination(api):
    one = ground_cost(api, rate_body([("RUBY-2", 1)]))
    assert ground_cost(api, rate_body([("RUBY-2", 3)])) > one
    assert ground_cost(api, rate_body([("RUBY-2", 1)])) == one
    elsewhere = [
        ground_cost(api, rate_body([("RUBY-2", 1)], ship_to(postalCode=code)))
        for code in ("10001", "60601", "94105", "33101")
    ]
    assert len({one, *elsewhere}) > 2
    abroad = ship_to(country="FR", postalCode="75001", city="Paris", region="")
    assert ground_cost(api, rate_body([("RUBY-2", 1)], abroad)) > max(one, *elsewhere)

    heavy = {
        "sku": "ANVIL-1",
        "externalId": "odoo-ANVIL-1",
        "description": "Anvil",
        "category": "OTHER",
        "batteryConfiguration": "NOBATTERY",
        "values": {"costValue": 40, "wholesaleValue": 60, "retailValue": 90},
        "dimensions": {"length": 10, "width": 5, "height": 5, "weight": 25.125},
        "flags": {"isFragile": 0, "isPerishable": 0},
        "classification": "baseProduct",
    }
    created = api.post("/products", [heavy]).json()
    assert "errors" not in created, created
    envelope = quote(api, rate_body([("ANVIL-1", 1)]))
    [shipment] = services(envelope)["GD"]["shipments"]
    assert shipment["pieces"][0]["weight"]["amount"] == 25.125
    assert shipment["cost"]["amount"] > one


def test_a_later_ship_date_offers_ground_only_dated_in_its_offset(api):
    later = (date.today() + timedelta(days=3)).isoformat() + "T09:00:00+00:00"

    options = services(quote(api, rate_body(expectedShipDate=later)))

    assert list(options) == ["GD"]
    [shipment] = options["GD"]["shipments"]
    assert shipment["expectedShipDate"] == later
    assert shipment["expectedDeliveryMinDate"].endswith("+00:00")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    assert list(services(quote(api, rate_body(expectedShipDate=now)))) == [
        "GD",
        "2D",
        "1D",
    ]


@pytest.mark.parametrize(
    "address",
    [
        ship_to(postalCode="ABCDE"),
        ship_to(address1="UNVERIFIED 1 Nowhere Rd"),
        ship_to(region=""),
    ],
    ids=["postal code not a ZIP", "marked address", "US address without a state"],
)
def test_an_address_it_cannot_verify_is_quoted_with_a_warning(api, address):
    envelope = quote(api, rate_body(address=address))

    assert envelope["warnings"] == [
        {
            "type": "warning",
            "code": "addressVerification",
            "message": "Could not verify shipping address",
        }
    ]
    assert services(envelope)["GD"]["shipments"]


def test_the_state_may_be_sent_as_region_or_state(api):
    with_state = ship_to(region=None, state="TX")
    del with_state["region"]

    assert "warnings" not in quote(api, rate_body(address=with_state))
    assert "warnings" not in quote(api, rate_body(address=ship_to(region="TX")))


def test_an_unknown_sku_is_refused_with_422_naming_it(api):
    response = api.post("/rate", rate_body([("DIAMOND-1", 1), ("NO-SUCH-SKU", 2)]))

    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": "One or more errors occurred processing this rate request.",
        "errors": [
            {"type": "error", "code": "sku", "message": "unknown SKU 'NO-SUCH-SKU'"}
        ],
        "resourceLocation": None,
    }
    body = rate_body([("DIAMOND-1", 1), ("NO-SUCH-SKU", 2)], ignoreUnknownSkus=1)
    [shipment] = services(quote(api, body))["GD"]["shipments"]
    assert shipment["pieces"][0]["contents"] == [{"sku": "DIAMOND-1", "quantity": 1}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"options": {}, "order": {"items": [{"sku": "RUBY-2", "quantity": 1}]}},
            "shipTo",
        ),
        (rate_body(address=ship_to(country="")), "shipTo"),
        (rate_body([]), "items"),
        (rate_body([("RUBY-2", 0)]), "quantity"),
        (rate_body(currency="XYZ"), "currency"),
        (rate_body(expectedShipDate="next week"), "expectedShipDate"),
    ],
    ids=["no address", "no country", "no items", "no units", "currency", "date"],
)
def test_a_request_that_cannot_be_quoted_is_refused_with_422(api, body, code):
    response = api.post("/rate", body)

    assert response.status_code == 422
    assert [error["code"] for error in response.json()["errors"]] == [code]


def test_can_split_ships_from_each_warehouse_holding_the_stock(api):
    items = [("ONLY-LAX", 2), ("ONLY-PHL", 1)]

    split = services(quote(api, rate_body(items, canSplit=1)))["GD"]["shipments"]
    whole = services(quote(api, rate_body(items, canSplit=0)))["GD"]["shipments"]

    assert [s["warehouseExternalId"] for s in split] == ["LAX", "PHL"]
    assert [s["pieces"][0]["contents"] for s in split] == [
        [{"sku": "ONLY-LAX", "quantity": 2}],
        [{"sku": "ONLY-PHL", "quantity": 1}],
    ]
    assert len(whole) == 1

    grouped = quote(api, rate_body(items, canSplit=1, groupBy="warehouse"))
    assert grouped["resource"]["groupBy"] == "warehouse"
    assert [
        rate["serviceOptions"][0]["shipments"][0]["warehouseExternalId"]
        for rate in grouped["resource"]["rates"]
    ] == ["LAX", "PHL"]


def test_a_quote_in_another_currency_is_converted(api):
    [usd] = services(quote(api, rate_body()))["GD"]["shipments"]
    [cad] = services(quote(api, rate_body(currency="CAD")))["GD"]["shipments"]

    assert (cad["cost"]["currency"], cad["cost"]["converted"]) == ("CAD", True)
    assert cad["cost"]["originalCurrency"] == "USD"
    assert cad["cost"]["originalCost"] == usd["cost"]["amount"]
    assert cad["cost"]["amount"] > usd["cost"]["amount"]


def test_rate_latency_slows_quotes_only_and_stats_count_them(sandbox, api):
    assert api.control("PATCH", "/settings", {"rate_latency": 0.5}).status_code == 200

    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/rate", rate_body(), timeout=(2, 0.1))
    assert api.get("/orders", timeout=(2, 0.4)).status_code == 200
    api.control("PATCH", "/settings", {"rate_latency": 0.0})
    quote(api, rate_body())

    stats = api.control("GET", "/stats").json()["resource"]
    assert stats["rateRequests"] == sandbox.rate_request_count == 2
