"""What Odoo records are told about Shipwire's statuses, trackings and orders.

The mapper lives in the addon next to this package and imports it relatively, so the
addon is loaded here as a plain package; nothing of Odoo is imported.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

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
