"""Quoting shipping with the client: typed quotes from the sandbox's POST /rate, one
short try, and Shipwire's refusals as typed errors."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from shipwire_api import (
    QUOTE_TIMEOUT,
    ShipwireClient,
    ShipwireRejectedError,
    ShipwireTimeoutError,
    parse_rate_quote,
)


@pytest.fixture
def client(sandbox):
    # The PO calls' own read timeout and retries, which quotes must not use.
    client = ShipwireClient(
        sandbox.username, sandbox.password, sandbox.url, read_timeout=5, retries=3
    )
    yield client
    client.close()


def rate_body(items=(("DIAMOND-1", 1),), address=None, **options):
    return {
        "options": {"currency": "USD", "groupBy": "all", "canSplit": 0, **options},
        "order": {
            "shipTo": address
            or {
                "address1": "100 Congress Ave",
                "city": "Austin",
                "postalCode": "78701",
                "region": "TX",
                "country": "US",
            },
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
        },
    }


def raw_shipments(sandbox, body, code):
    """The shipments of service ``code`` as the sandbox answers them."""
    response = requests.post(
        f"{sandbox.api_url}/rate",
        json=body,
        auth=(sandbox.username, sandbox.password),
        timeout=5,
    )
    [rate] = response.json()["resource"]["rates"]
    [option] = [o for o in rate["serviceOptions"] if o["serviceLevelCode"] == code]
    return option["shipments"]


def test_a_quote_lists_each_service_with_its_cost_and_window(client, sandbox):
    body = rate_body([("RUBY-2", 2)], warehouseExternalId="PHL")

    quote = client.rate(body)

    assert [(s.code, s.name) for s in quote.services] == [
        ("GD", "Ground"),
        ("2D", "Second Day"),
        ("1D", "Next Day"),
    ]
    assert quote.warnings == []
    assert quote.group_by == "all"
    ground = quote.service("GD")
    [shipment] = ground.shipments
    [raw] = raw_shipments(sandbox, body, "GD")
    assert ground.cost == Decimal(str(raw["cost"]["amount"]))
    assert ground.currency == "USD"
    assert (shipment.warehouse_external_id, shipment.warehouse_id) == ("PHL", 20)
    assert shipment.warehouse_name == "Philadelphia"
    assert (shipment.carrier_code, shipment.carrier_description) == (
        "FDX GD",
        "FedEx Ground",
    )
    assert shipment.expected_ship_date < ground.delivery_min_date
    assert ground.delivery_min_date <= ground.delivery_max_date
    assert (
        ground.delivery_max_date.isoformat(timespec="seconds")
        == (raw["expectedDeliveryMaxDate"])
    )
    assert quote.service("2D").cost > ground.cost


def test_a_split_order_costs_the_sum_of_its_shipments(client, sandbox):
    body = rate_body([("ONLY-LAX", 2), ("ONLY-PHL", 1)], canSplit=1)

    ground = client.rate(body).service("GD")

    raw = raw_shipments(sandbox, body, "GD")
    assert [s.warehouse_external_id for s in ground.shipments] == ["LAX", "PHL"]
    assert ground.cost == sum(Decimal(str(s["cost"]["amount"])) for s in raw)
    assert ground.cost == sum(s.cost for s in ground.shipments)
    assert ground.delivery_max_date == max(
        s.delivery_max_date for s in ground.shipments
    )


def test_the_services_of_each_warehouse_group_are_gathered(client):
    items = [("ONLY-LAX", 2), ("ONLY-PHL", 1)]
    grouped = client.rate(rate_body(items, canSplit=1, groupBy="warehouse"))
    whole = client.rate(rate_body(items, canSplit=1))

    assert grouped.group_by == "warehouse"
    assert [s.code for s in grouped.services] == ["GD", "2D", "1D"]
    assert grouped.service("GD").cost == whole.service("GD").cost


def test_a_later_ship_date_is_quoted_ground_only(client):
    later = (date.today() + timedelta(days=4)).isoformat() + "T00:00:00+00:00"

    quote = client.rate(rate_body(expectedShipDate=later))

    assert [s.code for s in quote.services] == ["GD"]
    assert quote.service("1D") is None


def test_an_address_shipwire_cannot_verify_is_quoted_with_its_warning(client):
    address = {"city": "Austin", "postalCode": "7870", "state": "TX", "country": "US"}

    quote = client.rate(rate_body(address=address))

    assert quote.service("GD") is not None
    [warning] = quote.warnings
    assert (warning.code, warning.message) == (
        "addressVerification",
        "Could not verify shipping address",
    )


def test_an_unknown_sku_raises_the_refusal_naming_it(client):
    with pytest.raises(ShipwireRejectedError) as caught:
        client.rate(rate_body([("DIAMOND-1", 1), ("NO-SUCH-SKU", 1)]))

    assert caught.value.status == 422
    [error] = caught.value.errors
    assert (error.code, error.sku) == ("sku", "NO-SUCH-SKU")
    assert "unknown SKU 'NO-SUCH-SKU'" in str(caught.value)


def test_a_slow_quote_times_out_quickly_without_a_retry(client, sandbox):
    sandbox.settings.rate_latency = 2.0
    started = time.monotonic()

    with pytest.raises(ShipwireTimeoutError, match="within 0.3 seconds"):
        client.rate(rate_body(), timeout=0.3)

    assert time.monotonic() - started < 1.5
    assert sandbox.rate_request_count == 1
    assert QUOTE_TIMEOUT == 8


def test_a_late_quote_is_read_tolerantly():
    shipment = {
        "warehouseId": "7",
        "cost": {"currency": "usd", "amount": "12.30", "newKey": [1]},
        "carrier": {"resourceLocation": None, "resource": {"code": "USPS PM"}},
        "expectedDeliveryMaxDate": "2026-01-05T10:00:00Z",
        "somethingNew": {"x": 1},
    }
    unreadable = {"cost": {"currency": "USD", "amount": "n/a"}}
    body = {
        "status": 200,
        "resource": {
            "rates": [
                {
                    "serviceOptions": [
                        {"serviceLevelCode": "GD", "shipments": [shipment]},
                        {"serviceLevelCode": "1D", "shipments": [unreadable]},
                        {"serviceLevelCode": "2D", "shipments": "none"},
                    ],
                    "extra": True,
                }
            ]
        },
    }

    quote = parse_rate_quote(body)

    [ground] = quote.services
    assert (ground.code, ground.name, ground.cost, ground.currency) == (
        "GD",
        "GD",
        Decimal("12.30"),
        "USD",
    )
    assert ground.shipments[0].carrier_code == "USPS PM"
    assert ground.delivery_max_date.isoformat() == "2026-01-05T10:00:00+00:00"
    assert ground.delivery_min_date is None
    # A v3.1 answer (a list per warehouse) gives no services rather than a crash.
    assert parse_rate_quote({"resource": [{"shippingOptions": []}]}).services == []
