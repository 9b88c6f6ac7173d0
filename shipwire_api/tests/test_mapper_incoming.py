"""What Odoo records are told about Shipwire's statuses, trackings and orders.

The mapper lives in the addon next to this package and imports it relatively, so the
addon is loaded here as a plain package; nothing of Odoo is imported.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

from shipwire_api import ShipwireClient
from shipwire_api.sandbox.samples import sample_purchase_order

ADDON = Path(__file__).resolve().parents[2]


def _load_incoming():
    spec = importlib.util.spec_from_file_location(
        "sale_stock_shipwire",
        ADDON / "__init__.py",
        submodule_search_locations=[str(ADDON)],
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    module = importlib.import_module("sale_stock_shipwire.mapper.incoming")
    assert "odoo" not in sys.modules, "the mapper must load without Odoo"
    return module


incoming = _load_incoming()

WIRE_STATUSES = {
    "held": "held",
    "submitted": "submitted",
    "unprocessed": "unprocessed",
    "processed": "processed",
    "completed": "completed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "Completed": "completed",
}


@pytest.mark.parametrize(("status", "normalized"), WIRE_STATUSES.items())
def test_every_status_seen_on_the_wire_is_known(status, normalized):
    assert incoming.normalize_order_status(status) == normalized
    labels = dict(incoming.FULFILLMENT_STATES)
    assert labels[normalized] != labels["unknown"]


def test_waiting_orders_have_a_label_of_their_own():
    labels = dict(incoming.FULFILLMENT_STATES)
    assert labels["unprocessed"] == "Waiting at the warehouse"


def test_an_unknown_status_stays_unknown():
    assert incoming.normalize_order_status("teleported") == "unknown"
    assert incoming.purchase_order_state("teleported") is None
    assert incoming.purchase_order_state(None) is None


@pytest.mark.parametrize(
    ("po_status", "fulfillment", "state"),
    [
        ("approved", [], "approved"),
        ("onHold", [], "held"),
        ("teleported", [], None),
        (None, [], None),
        ("approved", ["unknown"], None),
        ("approved", ["teleported"], None),
        ("approved", ["unprocessed"], "approved"),
        ("approved", ["held", "unprocessed"], "held"),
        ("approved", ["completed", "unknown"], "partially_shipped"),
        ("teleported", ["completed", "cancelled"], "shipped"),
        ("completed", ["cancelled", "canceled"], "cancelled"),
    ],
)
def test_order_state_is_none_when_it_cannot_be_told(po_status, fulfillment, state):
    assert incoming.order_state(po_status, fulfillment) == state


@pytest.fixture
def client(sandbox):
    client = ShipwireClient(sandbox.username, sandbox.password, sandbox.url)
    yield client
    client.close()


def test_a_shipped_order_gives_its_carrier_dates_and_tracking(client, sandbox):
    created = client.create_purchase_order(sample_purchase_order("MAP-1"))
    (order,) = client.purchase_order_orders(created.id)
    waiting = incoming.fulfillment_order_values(order)
    assert (waiting["status"], waiting["carrier_code"]) == ("unprocessed", "")
    assert waiting["completed_date"] is False

    sandbox.complete_order(order["id"])
    shipped = incoming.fulfillment_order_values(client.get_order(order["id"]))
    (tracking,) = client.order_trackings(order["id"])
    in_transit = incoming.tracking_values(tracking)

    assert (shipped["status"], shipped["carrier_code"]) == ("completed", "USPS PM")
    assert shipped["completed_date"]
    assert in_transit["carrier"] == "USPS"
    assert in_transit["tracking_number"] and in_transit["url"].startswith("https://")
    assert in_transit["tracked_date"] and "delivered_date" not in in_transit

    sandbox.deliver_order(order["id"])
    (tracking,) = client.order_trackings(order["id"])
    delivered = incoming.tracking_values(tracking)

    assert delivered["delivered_date"] >= delivered["tracked_date"]
    assert delivered["tracked_date"] == in_transit["tracked_date"]


@pytest.mark.parametrize(
    ("stored", "received", "back"),
    [
        ("unprocessed", "held", True),
        ("held", "unprocessed", False),
        ("completed", "cancelled", True),
        ("delivered", "held", True),
        ("processed", "cancelled", False),
        ("completed", "weirdStatus", True),
        ("cancelled", "completed", True),
    ],
)
def test_a_replayed_status_may_move_an_order_forward_only(stored, received, back):
    assert incoming.order_moves_back(stored, received) is back


@pytest.mark.parametrize(
    ("stored", "received", "back"),
    [
        ("completed", "canceled", True),
        ("approved", "canceled", False),
        ("approved", "onHold", True),
        ("onHold", "approved", False),
    ],
)
def test_a_replayed_po_status_may_move_a_po_forward_only(stored, received, back):
    assert incoming.purchase_order_moves_back(stored, received) is back


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (665160, "665160"),
        ("665160", "665160"),
        ([665160], ""),
        ("../x?y", ""),
        ("١٢٣", ""),
        (True, ""),
        (None, ""),
        (-3, ""),
    ],
)
def test_only_real_ids_become_record_ids(value, expected):
    assert incoming.shipwire_id(value) == expected


def test_a_hold_read_without_its_cleared_date_keeps_the_stored_one(client, sandbox):
    created = client.create_purchase_order(sample_purchase_order("MAP-2"))
    (order,) = client.purchase_order_orders(created.id)
    sandbox.add_order_hold(order["id"], "Address to check")
    client.clear_order_holds(order["id"])
    (cleared,) = client.order_holds(order["id"], include_cleared=True)
    replayed = {key: value for key, value in cleared.items() if key != "clearedDate"}

    assert incoming.hold_values(cleared)["cleared_date"]
    assert "cleared_date" not in incoming.hold_values(replayed)
    assert incoming.hold_values(replayed)["description"] == "Address to check"


@pytest.mark.parametrize(
    ("pricing", "options", "cost"),
    [
        ({"total": 12.5, "shipping": 9, "currency": "usd"}, {}, (12.5, "USD")),
        ({"shipping": "7.25"}, {"currency": "EUR"}, (7.25, "EUR")),
        ({"total": {"amount": 3, "currency": "CAD"}}, {}, (3.0, "CAD")),
        ({"resource": {"total": 4}}, {}, (4.0, "")),
        ({"total": "NaN", "shipping": "n/a"}, {}, None),
        ({"total": True}, {}, None),
        ({"total": -1}, {}, None),
        ("pricing", {}, None),
        (None, {}, None),
    ],
)
def test_shipping_cost_is_read_tolerantly(pricing, options, cost):
    resource = {"id": 1, "pricing": pricing, "options": {"resource": options}}
    values = incoming.fulfillment_order_values(resource)
    found = (
        (values["shipping_cost"], values["shipping_cost_currency"])
        if "shipping_cost" in values
        else None
    )
    assert found == cost
