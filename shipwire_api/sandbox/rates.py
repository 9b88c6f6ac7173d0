"""Rate quotes (``POST /rate``): what shipping an order would cost, per service level.

Prices are made up but follow the order: each shipment costs a base price per
service, plus its weight times a rate per pound grown by a zone read from the
destination (its country and postal code) and the warehouse, plus handling per
shipment and packaging per unit. Different carts and addresses get different prices.
"""

import time
import zlib
from datetime import datetime, timedelta

from .dates import PACIFIC
from .validation import is_flag_set, unverifiable_address

FAILED = "One or more errors occurred processing this rate request."
# Service levels as recorded: code, name, carrier, base price and price per pound in
# dollars, days in transit at home and abroad.
SERVICE_LEVELS = (
    (
        "GD",
        "Ground",
        {"code": "FDX GD", "name": "FedEx", "description": "FedEx Ground"},
        5.50,
        0.85,
        ((1, 5), (6, 10)),
    ),
    (
        "2D",
        "Second Day",
        {"code": "FDX 2D", "name": "FedEx", "description": "FedEx 2Day"},
        12.00,
        1.90,
        ((2, 2), (3, 5)),
    ),
    (
        "1D",
        "Next Day",
        {
            "code": "FDX 1D",
            "name": "FedEx",
            "description": "FedEx Standard Overnight",
        },
        24.00,
        3.10,
        ((1, 1), (2, 3)),
    ),
)
HOME_COUNTRY = "US"
HANDLING = 1.50
PACKAGING_PER_UNIT = 0.35


class RateRefused(Exception):
    """The request cannot be quoted; ``errors`` are the elements to answer 422 with."""

    def __init__(self, *errors):
        super().__init__(FAILED)
        self.errors = list(errors)


def _text(value):
    return "" if value is None else str(value).strip()


def _error(code, message):
    return {"type": "error", "code": code, "message": message}


def quote(store, settings, body, now=None):
    """``(resource, warnings)`` answering the rate request ``body``; raises
    ``RateRefused``."""
    options = body.get("options") if isinstance(body.get("options"), dict) else {}
    order = body.get("order") if isinstance(body.get("order"), dict) else {}
    ship_to = order.get("shipTo")
    currency = _text(options.get("currency") or "USD").upper()
    errors = []
    if not isinstance(ship_to, dict) or not ship_to:
        errors.append(_error("shipTo", "Order has no shipping address"))
        ship_to = {}
    elif not _text(ship_to.get("country")):
        errors.append(_error("shipTo", "shipTo.country is required"))
    if currency not in settings.rate_exchange_rates:
        errors.append(_error("currency", f"unknown currency '{currency}'"))
    lines = _lines(order.get("items"), store, options, errors)
    ship_date = _ship_date(options.get("expectedShipDate"), errors, now)
    if errors:
        raise RateRefused(*errors)
    warnings = []
    if _unverified(ship_to, settings):
        warnings.append(
            {
                "type": "warning",
                "code": "addressVerification",
                "message": "Could not verify shipping address",
            }
        )
    today = datetime.fromtimestamp(now or time.time(), ship_date.tzinfo).date()
    levels = SERVICE_LEVELS[:1] if ship_date.date() > today else SERVICE_LEVELS
    plan = store.plan_shipments(lines, options)
    group_by = "warehouse" if options.get("groupBy") == "warehouse" else "all"
    groups = [[shipment] for shipment in plan] if group_by == "warehouse" else [plan]
    rates = [
        {
            "serviceOptions": [
                {
                    "serviceLevelCode": level[0],
                    "serviceLevelName": level[1],
                    "shipments": [
                        _shipment(store, settings, level, shipment, ship_to, currency)
                        | _window(level, ship_to, ship_date)
                        for shipment in group
                    ],
                }
                for level in levels
            ]
        }
        for group in groups
    ]
    return {"groupBy": group_by, "rates": rates}, warnings


def _lines(items, store, options, errors):
    """``[(sku, quantity)]`` to quote, adding to ``errors`` what is wrong."""
    if not isinstance(items, list) or not items:
        errors.append(_error("items", "No items in order"))
        return []
    lines, ignore_unknown = [], is_flag_set(options.get("ignoreUnknownSkus"))
    for item in items:
        item = item if isinstance(item, dict) else {}
        sku, quantity = _text(item.get("sku")), item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append(
                _error(
                    "quantity", f"quantity of SKU '{sku}' must be a positive integer"
                )
            )
        elif store.product_by_sku(sku) is not None:
            lines.append((sku, quantity))
        elif not ignore_unknown:
            errors.append(_error("sku", f"unknown SKU '{sku}'"))
    if not lines and not errors:
        errors.append(_error("items", "No items in order"))
    return lines


def _ship_date(value, errors, now):
    """The expected ship date, by default now in US-Pacific time; dates come back
    in the offset it was sent with."""
    if value in (None, ""):
        return datetime.fromtimestamp(now or time.time(), PACIFIC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(
            _error("expectedShipDate", "expectedShipDate must be an ISO-8601 date")
        )
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)


def _unverified(ship_to, settings):
    """An address the sandbox cannot verify, or one without the state (``region``
    or ``state``: both are read) its country needs."""
    country = _text(ship_to.get("country")).upper()
    needs_state = country in {c.upper() for c in settings.state_required_countries}
    state = _text(ship_to.get("region")) or _text(ship_to.get("state"))
    return unverifiable_address(ship_to, settings) or (needs_state and not state)


def _zone(ship_to, warehouse):
    """1 to 9: farther abroad, and spread over postal codes and warehouses."""
    if _text(ship_to.get("country")).upper() != HOME_COUNTRY:
        return 9
    place = f"{_text(ship_to.get('postalCode')).upper()}|{warehouse['externalId']}"
    return 1 + zlib.crc32(place.encode()) % 8


def _money(amount, currency, settings, name):
    rate = settings.rate_exchange_rates[currency]
    converted = currency != "USD"
    return {
        "currency": currency,
        "type": name.lower(),
        "name": name,
        "amount": round(amount * rate, 2),
        "converted": converted,
        "originalCost": round(amount, 2),
        "originalCurrency": "USD",
    }


def _shipment(store, settings, level, shipment, ship_to, currency):
    _code, _name, carrier, base, per_pound, _days = level
    warehouse, lines = shipment
    weight = sum(_unit_weight(store, settings, sku) * qty for sku, qty in lines)
    units = sum(quantity for _sku, quantity in lines)
    parts = {
        "Shipping": round(
            base + per_pound * weight * (1 + _zone(ship_to, warehouse) / 4), 2
        ),
        "Insurance": 0.0,
        "Packaging": round(PACKAGING_PER_UNIT * units, 2),
        "Handling": HANDLING,
    }
    return {
        "warehouseName": warehouse["name"],
        "warehouseId": warehouse["id"],
        "warehouseExternalId": warehouse["externalId"],
        "carrier": {**carrier, "properties": ["trackable"]},
        "cost": _money(sum(parts.values()), currency, settings, "Total"),
        "subtotals": [
            _money(amount, currency, settings, name) for name, amount in parts.items()
        ],
        "pieces": [
            {
                "weight": {"amount": weight, "units": "lbs", "type": "actual"},
                "contents": [
                    {"sku": sku, "quantity": quantity} for sku, quantity in lines
                ],
            }
        ],
    }


def shipped_cost(store, settings, po_data, warehouse_code, lines):
    """What shipping a fulfillment order cost, as its ``pricing`` reads: the quote
    of its service level for the lines it shipped, in the PO's currency when the
    sandbox knows it, otherwise in dollars."""
    options = po_data.get("options") if isinstance(po_data.get("options"), dict) else {}
    ship_to = po_data.get("shipTo") if isinstance(po_data.get("shipTo"), dict) else {}
    code = _text(options.get("serviceLevelCode")).upper()
    level = next((lvl for lvl in SERVICE_LEVELS if lvl[0] == code), SERVICE_LEVELS[0])
    currency = _text(options.get("currency")).upper()
    if currency not in settings.rate_exchange_rates:
        currency = "USD"
    shipment = _shipment(
        store,
        settings,
        level,
        (store.warehouse(warehouse_code), [line for line in lines if line[1] > 0]),
        ship_to,
        currency,
    )
    parts = {part["type"]: part["amount"] for part in shipment["subtotals"]}
    return {**parts, "total": shipment["cost"]["amount"], "currency": currency}


def _unit_weight(store, settings, sku):
    dimensions = store.product_by_sku(sku)["data"].get("dimensions")
    weight = dimensions.get("weight") if isinstance(dimensions, dict) else None
    if isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight > 0:
        return float(weight)
    return settings.rate_default_weight


def _window(level, ship_to, ship_date):
    home, abroad = level[5]
    days = home if _text(ship_to.get("country")).upper() == HOME_COUNTRY else abroad
    return {
        "expectedShipDate": ship_date.isoformat(timespec="seconds"),
        "expectedDeliveryMinDate": (ship_date + timedelta(days=days[0])).isoformat(
            timespec="seconds"
        ),
        "expectedDeliveryMaxDate": (ship_date + timedelta(days=days[1])).isoformat(
            timespec="seconds"
        ),
    }
