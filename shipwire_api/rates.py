"""Shipwire's rate quotes (``POST /rate``) read into typed results.

The answer is read tolerantly: an amount may be a number or a string, unknown keys
are ignored, and a service whose cost cannot be read is left out rather than quoted
wrong.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .envelope import collect_messages

# Seconds a quote may take by default: a customer is waiting for the page.
QUOTE_TIMEOUT = 8


@dataclass(frozen=True)
class RateShipment:
    """One parcel of a service: what leaves one warehouse, with its carrier."""

    warehouse_id: object
    warehouse_external_id: str
    warehouse_name: str
    carrier_code: str
    carrier_name: str
    carrier_description: str
    cost: Decimal
    currency: str
    expected_ship_date: datetime | None = None
    delivery_min_date: datetime | None = None
    delivery_max_date: datetime | None = None


@dataclass(frozen=True)
class RateService:
    """A service level Shipwire offers for the whole order: a split order ships
    several shipments, and costs their sum."""

    code: str
    name: str
    shipments: tuple

    @property
    def cost(self):
        return sum((shipment.cost for shipment in self.shipments), Decimal(0))

    @property
    def currency(self):
        return self.shipments[0].currency

    @property
    def delivery_min_date(self):
        """When the order may arrive at the earliest: all of it, so the latest of
        its shipments' earliest dates."""
        return _latest(shipment.delivery_min_date for shipment in self.shipments)

    @property
    def delivery_max_date(self):
        return _latest(shipment.delivery_max_date for shipment in self.shipments)


@dataclass
class RateQuote:
    """What shipping an order would cost, per service level, with Shipwire's
    warnings (such as an address it could not verify)."""

    services: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    group_by: str = ""

    def service(self, code):
        """The service of this code (``GD``, ``2D``, ``1D``...), or None when
        Shipwire does not offer it for this order."""
        for service in self.services:
            if service.code == code:
                return service
        return None


def _latest(dates):
    known = [value for value in dates if value is not None]
    return max(known) if known else None


def _text(value):
    return "" if value is None else str(value).strip()


def _amount(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _date(value):
    try:
        return datetime.fromisoformat(_text(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _object(value):
    """A JSON object, or one wrapped as ``{"resourceLocation", "resource"}``."""
    if isinstance(value, dict) and isinstance(value.get("resource"), dict):
        return value["resource"]
    return value if isinstance(value, dict) else {}


def _list(value):
    if isinstance(value, dict) and isinstance(value.get("resource"), dict):
        value = value["resource"].get("items")
    return [_object(element) for element in value] if isinstance(value, list) else []


def _shipment(raw):
    """A ``RateShipment``, or None when its cost cannot be read."""
    cost, carrier = _object(raw.get("cost")), _object(raw.get("carrier"))
    amount = _amount(cost.get("amount"))
    currency = _text(cost.get("currency")).upper()
    if amount is None or not currency:
        return None
    return RateShipment(
        warehouse_id=raw.get("warehouseId"),
        warehouse_external_id=_text(raw.get("warehouseExternalId")),
        warehouse_name=_text(raw.get("warehouseName")),
        carrier_code=_text(carrier.get("code")),
        carrier_name=_text(carrier.get("name")),
        carrier_description=_text(carrier.get("description")),
        cost=amount,
        currency=currency,
        expected_ship_date=_date(raw.get("expectedShipDate")),
        delivery_min_date=_date(raw.get("expectedDeliveryMinDate")),
        delivery_max_date=_date(raw.get("expectedDeliveryMaxDate")),
    )


def parse_rate_quote(body):
    """The ``RateQuote`` of Shipwire's answer to ``POST /rate``.

    Each service level's shipments are gathered across the answer's rate groups
    (one with ``groupBy`` "all", one per warehouse with "warehouse"). A service
    with a shipment whose cost is unreadable, or quoted in another currency than
    the rest, is left out.
    """
    resource = _object(body.get("resource")) if isinstance(body, dict) else {}
    shipments, names, broken = {}, {}, set()
    for rate in _list(resource.get("rates")):
        for option in _list(rate.get("serviceOptions")):
            code = _text(option.get("serviceLevelCode"))
            if not code:
                continue
            names.setdefault(code, _text(option.get("serviceLevelName")) or code)
            for raw in _list(option.get("shipments")):
                shipment = _shipment(raw)
                if shipment is None:
                    broken.add(code)
                else:
                    shipments.setdefault(code, []).append(shipment)
    services = [
        RateService(code, name, tuple(shipments[code]))
        for code, name in names.items()
        if code not in broken
        and shipments.get(code)
        and len({shipment.currency for shipment in shipments[code]}) == 1
    ]
    _errors, warnings = collect_messages(body if isinstance(body, dict) else {})
    return RateQuote(services, warnings, _text(resource.get("groupBy")))
