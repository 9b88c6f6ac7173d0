"""Shipwire's field paths read in the words of the Odoo forms that feed them."""

import importlib.util
import sys
from pathlib import Path

import pytest

ADDON = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location(
        "message_words", ADDON / "mapper" / "message_words.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


words = _load()


@pytest.mark.parametrize(
    ("path", "label", "target", "line"),
    [
        ("shipTo.city", "Delivery address › City", words.DELIVERY_PARTNER, None),
        ("shipTo.postalCode", "Delivery address › ZIP", words.DELIVERY_PARTNER, None),
        ("shipTo.address1", "Delivery address › Street", words.DELIVERY_PARTNER, None),
        ("shipTo", "Delivery address", words.DELIVERY_PARTNER, None),
        ("ShipTo.City", "Delivery address › City", words.DELIVERY_PARTNER, None),
        (" shipto/postalcode ", "Delivery address › ZIP", words.DELIVERY_PARTNER, None),
        (
            "order.shipTo.state",
            "Delivery address › State",
            words.DELIVERY_PARTNER,
            None,
        ),
        ("billTo.email", "Invoice address › Email", words.INVOICE_PARTNER, None),
        ("billTo.country", "Invoice address › Country", words.INVOICE_PARTNER, None),
        (
            "items[0].sku",
            "Order line 1 › Product › Internal Reference",
            words.LINE_PRODUCT,
            0,
        ),
        (
            "items[2].sku",
            "Order line 3 › Product › Internal Reference",
            words.LINE_PRODUCT,
            2,
        ),
        ("items.2.upc", "Order line 3 › Product › Barcode", words.LINE_PRODUCT, 2),
        ("items[11]", "Order line 12", words.LINE_PRODUCT, 11),
        ("items[1].quantity", "Order line 2 › Quantity", words.ORDER, None),
        ("items", "Order Lines", words.ORDER, None),
        (
            "options.warehouseId",
            "Shipwire account › Warehouses",
            words.WAREHOUSE_MAPPING,
            None,
        ),
        (
            "options.warehouseRegion",
            "Shipwire account › Warehouses",
            words.WAREHOUSE_MAPPING,
            None,
        ),
        ("options.serviceLevelCode", "Delivery Method", words.ORDER, None),
        ("options.canSplit", "Shipwire account › Allow splitting", words.ACCOUNT, None),
        (
            "packingList.message2.body",
            "Shipwire › Packing message 2",
            words.ORDER,
            None,
        ),
        ("packingList", "Shipwire › Packing messages", words.ORDER, None),
        ("externalId", "Order Reference", words.ORDER, None),
        ("requestedShipDate", "Delivery Date", words.ORDER, None),
        ("sku", "Product › Internal Reference", None, None),
    ],
)
def test_known_paths_read_as_odoo_fields(path, label, target, line):
    field = words.message_field(path)
    assert (field.label, field.target, field.line) == (label, target, line)


@pytest.mark.parametrize(
    "path",
    ["shipTo.planet", "items[x].sku", "items[0].colour", "somethingNew", "options.x"],
)
def test_unknown_paths_keep_shipwires_text(path):
    field = words.message_field(path)
    assert (field.label, field.target) == (path, None)


@pytest.mark.parametrize("path", ["", "   ", None])
def test_no_path_names_no_field(path):
    assert words.message_field(path) is None
