"""The field a Shipwire message names, in the words of the Odoo form that feeds it.

Shipwire names the part of a PO it objects to by its JSON path ("shipTo.city",
"items[2].sku"). The clerk knows the contact's *City* and the product's *Internal
Reference*; this module says which Odoo field and which record that path comes from
(see ``outgoing.purchase_order_payload``). A path it does not know keeps Shipwire's
own text and points at nothing.
"""

import re
from dataclasses import dataclass

# Where the value of a path is fixed: the record the clerk opens.
DELIVERY_PARTNER = "delivery_partner"
INVOICE_PARTNER = "invoice_partner"
LINE_PRODUCT = "line_product"
ORDER = "order"
WAREHOUSE_MAPPING = "warehouse_mapping"
ACCOUNT = "account"

ADDRESS_FIELDS = {
    "name": "Name",
    "company": "Company name",
    "address1": "Street",
    "address2": "Street 2",
    "address3": "Street 2",
    "city": "City",
    "state": "State",
    "postalcode": "ZIP",
    "zip": "ZIP",
    "country": "Country",
    "phone": "Phone",
    "email": "Email",
    "iscommercial": "Is a company",
    "ispobox": "Street",
}
ADDRESSES = {
    "shipto": ("Delivery address", DELIVERY_PARTNER),
    "billto": ("Invoice address", INVOICE_PARTNER),
}
# Item keys fixed on the product, and those fixed on the order line.
PRODUCT_FIELDS = {
    "sku": "Internal Reference",
    "upc": "Barcode",
}
LINE_FIELDS = {
    "quantity": "Quantity",
    "commercialinvoicevalue": "Unit Price",
    "commercialinvoicevaluecurrency": "Currency",
    "unitofmeasure": "Unit of Measure",
    "retailersku": "Retailer SKU",
    "retailerdescription": "Retailer description",
    "retailerlineno": "Line",
}
OPTION_FIELDS = {
    "warehouseid": ("Shipwire account › Warehouses", WAREHOUSE_MAPPING),
    "warehouseexternalid": ("Shipwire account › Warehouses", WAREHOUSE_MAPPING),
    "warehouseregion": ("Shipwire account › Warehouses", WAREHOUSE_MAPPING),
    "servicelevelcode": ("Delivery Method", ORDER),
    "currency": ("Shipwire account › Currency", ACCOUNT),
    "cansplit": ("Shipwire account › Allow splitting", ACCOUNT),
    "isapproved": ("Shipwire account › Send POs approved", ACCOUNT),
    "hold": ("Shipwire account › Send POs on hold", ACCOUNT),
    "referrer": ("Shipwire account › Referrer", ACCOUNT),
}
ORDER_FIELDS = {
    "externalid": "Order Reference",
    "purchaseorderno": "Order Reference",
    "orderno": "Order Reference",
    "purchaseorderdate": "Order Date",
    "requestedshipdate": "Delivery Date",
    "channelname": "Shipwire account › Channel",
    "shippingwindow": "Shipwire › Shipping window",
    "deliverywindow": "Shipwire › Delivery window",
    "extendedattributes": "Shipwire › Extended attributes",
    "shipfrom": "Company",
}


@dataclass(frozen=True)
class MessageField:
    """What Odoo calls the field of a message and where it is fixed.

    ``line`` is the 0-based position among the order's Shipwire lines when the
    target is a line's product."""

    label: str
    target: str | None = None
    line: int | None = None


def _parts(path):
    """``"items[2].sku"``, ``"items.2.sku"``, ``"Items/2/SKU"`` → ``["items", "2",
    "sku"]``."""
    return [part.lower() for part in re.split(r"[.\[\]/\s]+", path) if part]


def message_field(path):
    """The Odoo words for the field Shipwire's ``path`` names; None if it names
    none. An unknown path keeps Shipwire's text."""
    path = (path or "").strip()
    if not path:
        return None
    parts = _parts(path)
    if parts and parts[0] in ("order", "purchaseorder", "resource"):
        parts = parts[1:]
    words = _known(parts) if parts else None
    return words or MessageField(label=path)


def _known(parts):
    head, rest = parts[0], parts[1:]
    if head in ADDRESSES:
        return _address(head, rest)
    if head == "items":
        return _item(rest)
    if head == "options" and len(rest) == 1 and rest[0] in OPTION_FIELDS:
        label, target = OPTION_FIELDS[rest[0]]
        return MessageField(label, target)
    if head == "packinglist":
        return _packing_list(rest)
    if head in ORDER_FIELDS:
        return MessageField(ORDER_FIELDS[head], ORDER)
    if head in PRODUCT_FIELDS and not rest:
        # A catalogue answer names the product's own field.
        return MessageField(f"Product › {PRODUCT_FIELDS[head]}")
    return None


def _address(head, rest):
    name, target = ADDRESSES[head]
    if not rest:
        return MessageField(name, target)
    if len(rest) == 1 and rest[0] in ADDRESS_FIELDS:
        return MessageField(f"{name} › {ADDRESS_FIELDS[rest[0]]}", target)
    return None


def _item(rest):
    if not rest or not rest[0].isdigit():
        return MessageField("Order Lines", ORDER) if not rest else None
    index = int(rest[0])
    line = f"Order line {index + 1}"
    if len(rest) == 1:
        return MessageField(line, LINE_PRODUCT, index)
    key = rest[1]
    if len(rest) == 2 and key in PRODUCT_FIELDS:
        return MessageField(
            f"{line} › Product › {PRODUCT_FIELDS[key]}", LINE_PRODUCT, index
        )
    if len(rest) == 2 and key in LINE_FIELDS:
        return MessageField(f"{line} › {LINE_FIELDS[key]}", ORDER)
    return None


def _packing_list(rest):
    match = re.fullmatch(r"message([123])", rest[0]) if rest else None
    if match:
        return MessageField(f"Shipwire › Packing message {match.group(1)}", ORDER)
    return MessageField("Shipwire › Packing messages", ORDER) if not rest else None
