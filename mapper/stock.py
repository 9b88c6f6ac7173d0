"""Shipwire's stock items read into values for stock level records.

How the counters become Odoo quantities (the README works an example through):
units in ``good`` (free to allocate), ``reserved`` (allocated to orders) and
``shipping`` (being packed) are in the warehouse, so they are Odoo's on-hand.
``pending`` (not received yet), ``backordered`` (ordered, not in stock),
``damaged`` and the history counters are not: they are shown, never stocked.
Odoo's open deliveries then reserve what Shipwire reserved for them, which leaves
Odoo's free quantity at what Shipwire can still allocate.
"""

from .incoming import as_text, shipwire_id

ON_HAND_COUNTERS = ("good", "reserved", "shipping")
MAX_COUNTER = 2**31 - 1
SHOWN_COUNTERS = ("pending", "backordered", "damaged")


def _counter(value):
    """A counter as Shipwire sends it (an integer, maybe as text), or None for
    anything else, a number PostgreSQL's integers cannot hold included."""
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()):
            return None
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if abs(value) <= MAX_COUNTER else None


def stock_item_values(item):
    """``(values, unusable)`` for one stock item: the identifying values and the
    counters of a stock level record, and ``{counter: value as sent}`` for those
    missing or negative (stored as 0). ``values`` is ``None`` for an item that
    names no SKU or warehouse."""
    if not isinstance(item, dict):
        return None, {}
    sku = as_text(item.get("sku")).strip()
    warehouse = shipwire_id(item.get("warehouseId"))
    if not sku or not warehouse:
        return None, {}
    values = {
        "sku": sku,
        "shipwire_product_id": shipwire_id(item.get("productId")),
        "shipwire_warehouse_id": warehouse,
        "warehouse_external_id": as_text(item.get("warehouseExternalId")),
        "warehouse_region": as_text(item.get("warehouseRegion")),
        "is_bundle": _counter(item.get("isBundle")) == 1,
        "is_alias": _counter(item.get("isAlias")) == 1,
    }
    unusable = {}
    for name in ON_HAND_COUNTERS + SHOWN_COUNTERS:
        number = _counter(item.get(name))
        if number is None or number < 0:
            unusable[name] = item.get(name)
            number = 0
        values[name] = number
    values["on_hand"] = sum(values[name] for name in ON_HAND_COUNTERS)
    return values, unusable
