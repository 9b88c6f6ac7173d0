"""Asking Shipwire for a shipping quote from plain values: the body the sandbox
quotes, the checks that stop a quote before any request, and the key a quote is
kept under.

The mapper lives in the addon next to this package and is loaded as a plain
package, without Odoo.
"""

import importlib
import importlib.util
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shipwire_api import ShipwireClient

ADDON = Path(__file__).resolve().parents[2]
TODAY = date(2026, 3, 2)


def _load_rate():
    if "sale_stock_shipwire" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "sale_stock_shipwire",
            ADDON / "__init__.py",
            submodule_search_locations=[str(ADDON)],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = package
        spec.loader.exec_module(package)
    module = importlib.import_module("sale_stock_shipwire.mapper.rate")
    assert "odoo" not in sys.modules, "the mapper must load without Odoo"
    return module


rate = _load_rate()
InputError = importlib.import_module(
    "sale_stock_shipwire.shipwire_api.errors"
).ShipwireInputError


def address(**changes):
    return {
        "name": "Ada Lovelace",
        "company": "",
        "address1": "100 Congress Ave",
        "address2": "",
        "city": "Austin",
        "state": "TX",
        "postalCode": "78701",
        "country": "us",
        "phone": "+1 512 555 0100",
        **changes,
    }


def line(sku, quantity, product=None, storable=True):
    return {
        "sku": sku,
        "quantity": quantity,
        "product": product or f"Product {sku}",
        "storable": storable,
    }


LINES = [
    line("RUBY-2", 2.0),
    line(False, 1, "Installation", storable=False),
    line("DIAMOND-1", 1),
    line("RUBY-2", 1),
    line("EMERALD-3", 0),
]


@pytest.fixture
def client(sandbox):
    client = ShipwireClient(sandbox.username, sandbox.password, sandbox.url)
    yield client
    client.close()


def test_the_body_lists_the_goods_per_sku_and_the_sandbox_quotes_it(client, sandbox):
    body = rate.rate_payload(
        address(),
        LINES,
        warehouse={"warehouseExternalId": "PHL", "shipwire": "not an option"},
        can_split=True,
        currency="USD",
        today=TODAY,
    )

    assert body == {
        "options": {
            "currency": "USD",
            "groupBy": "all",
            "canSplit": 1,
            "warehouseExternalId": "PHL",
        },
        "order": {
            "shipTo": {
                "address1": "100 Congress Ave",
                "city": "Austin",
                "postalCode": "78701",
                "country": "US",
                "isCommercial": 0,
                "isPoBox": 0,
                "region": "TX",
            },
            "items": [
                {"sku": "RUBY-2", "quantity": 3},
                {"sku": "DIAMOND-1", "quantity": 1},
            ],
        },
    }
    quote = client.rate(body)
    assert quote.warnings == []
    [shipment] = quote.service("GD").shipments
    assert shipment.warehouse_external_id == "PHL"


def test_a_partial_checkout_address_is_enough_for_a_quote(client):
    partial = {"city": "Austin", "postalCode": "78701", "state": "TX", "country": "US"}

    quote = client.rate(rate.rate_payload(partial, LINES, today=TODAY))

    assert [service.code for service in quote.services] == ["GD", "2D", "1D"]
    assert quote.warnings == []


def test_only_a_later_ship_date_is_sent(client):
    later = date.today() + timedelta(days=5)

    def sent(ship_date, today=TODAY):
        body = rate.rate_payload(address(), LINES, ship_date=ship_date, today=today)
        return body["options"].get("expectedShipDate")

    assert sent(date(2026, 3, 5)) == "2026-03-05T00:00:00+00:00"
    # Odoo keeps datetimes naive, in UTC.
    assert sent(datetime(2026, 3, 3, 15, 30)) == "2026-03-03T15:30:00+00:00"
    aware = datetime(2026, 3, 3, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    assert sent(aware) is None  # 2 March, 20:00 UTC: today
    assert sent(TODAY) is None
    assert sent(date(2026, 2, 1)) is None
    assert sent(None) is None
    body = rate.rate_payload(address(), LINES, ship_date=later)
    assert [service.code for service in client.rate(body).services] == ["GD"]


@pytest.mark.parametrize(
    ("given", "lines", "words", "field"),
    [
        (address(country=""), LINES, "no Country: fill it in", "shipTo.country"),
        (address(postalCode=" "), LINES, "no ZIP: fill it in", "shipTo.postalCode"),
        (address(city=None), LINES, "no City: fill it in", "shipTo.city"),
        (
            address(),
            [line("", 2, "Gift box"), *LINES],
            "Gift box has no Internal Reference, which Shipwire uses as SKU: set it",
            "items[0].sku",
        ),
        (
            address(),
            [line(False, 1, "Gift box")],
            "Gift box has no Internal Reference",
            "items[0].sku",
        ),
        (
            address(),
            [line("RUBY-2", 1.5, "Ruby pendant")],
            "Ruby pendant: 1.5 is not a whole number of units",
            "items[0].quantity",
        ),
        (
            address(),
            [line(False, 1, "Installation", storable=False), line("RUBY-2", 0)],
            "no product to ship, only services or empty lines: add a storable",
            "items",
        ),
        (address(), [], "no product to ship", "items"),
    ],
    ids=[
        "country",
        "postal code",
        "city",
        "sku",
        "sku False",
        "whole units",
        "services",
        "none",
    ],
)
def test_what_shipwire_could_not_quote_is_refused_before_any_request(
    client, sandbox, given, lines, words, field
):
    with pytest.raises(InputError) as caught:
        client.rate(rate.rate_payload(given, lines, today=TODAY))

    [problem] = caught.value.errors
    assert words in problem.message
    assert problem.field == field
    assert sandbox.rate_request_count == 0
    assert rate.rate_problems(given, lines) == caught.value.errors


def test_the_checks_speak_through_the_translation_given():
    def shout(text, **values):
        return (text % values).upper()

    [problem] = rate.rate_problems(address(city=""), LINES, _=shout)

    assert problem.message.startswith("THE DELIVERY ADDRESS HAS NO CITY")


def test_one_destination_written_two_ways_is_one_address():
    written = address(
        address1="  100   CONGRESS Ave ",
        city="AUSTIN",
        postalCode="787 01",
        state=None,
        region=" tx",
        country="US",
        name="Someone else",
        phone="",
    )

    assert rate.normalized_address(written) == rate.normalized_address(address())
    assert rate.normalized_address(address())["postalCode"] == "78701"
    assert rate.normalized_address(address(city="Dallas")) != rate.normalized_address(
        address()
    )


def test_the_cache_key_changes_with_what_changes_the_quote_only():
    def key(account=1, given=None, lines=LINES, **options):
        body = rate.rate_payload(given or address(), lines, today=TODAY, **options)
        return rate.rate_cache_key(account, body)

    same = key()
    assert key(given=address(city=" austin ", name="B")) == same
    assert key(lines=list(reversed(LINES))) == same
    assert key(lines=[line("DIAMOND-1", 1), line("RUBY-2", 3)]) == same
    others = [
        key(account=2),
        key(given=address(postalCode="78702")),
        key(lines=[line("DIAMOND-1", 1), line("RUBY-2", 4)]),
        key(currency="EUR"),
        key(ship_date=date(2026, 3, 9)),
        key(can_split=True),
        key(warehouse={"warehouseId": 20}),
    ]
    assert len({same, *others}) == len(others) + 1
    assert key(ship_date=TODAY) == same
