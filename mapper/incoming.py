"""Shipwire resources read back into values for Odoo records."""

from datetime import datetime, timezone

from ..const import SHIPPED_STATUSES
from ..shipwire_api import parse_split_suffix
from ..shipwire_api.envelope import collection_items

# Shipwire PO statuses, compared without case or punctuation, and the sales order's
# Shipwire state they mean. Only "onHold" has been seen at Shipwire; the rest follow
# its webhook topic names.
_PO_STATES = {
    "needsapproval": "needs_approval",
    "pendingapproval": "needs_approval",
    "onhold": "held",
    "held": "held",
    "approved": "approved",
    "processed": "approved",
    "submitted": "approved",
    "partiallycompleted": "partially_shipped",
    "completed": "shipped",
    "delivered": "shipped",
    "canceled": "cancelled",
    "cancelled": "cancelled",
}


# Shipwire's order statuses, with both spellings of "cancelled" it uses.
FULFILLMENT_STATES = [
    ("held", "Held"),
    ("unprocessed", "Waiting at the warehouse"),
    ("processed", "Processed"),
    ("submitted", "At the warehouse"),
    ("completed", "Shipped"),
    ("delivered", "Delivered"),
    ("returned", "Returned"),
    ("cancelled", "Cancelled"),
    ("unknown", "Unknown"),
]


def shipwire_id(value):
    """A Shipwire id as text, or ``""`` for anything that is not one (a list, a
    word, a path): such a value never becomes a record's id."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    return ""


def as_text(value):
    """A text value from Shipwire, or ``""`` for anything else."""
    return value if isinstance(value, str) else ""


def normalize_order_status(status):
    status = as_text(status).strip().lower()
    if status in ("canceled", "cancelled"):
        return "cancelled"
    if status == "tracked":
        return "completed"
    known = {value for value, _label in FULFILLMENT_STATES}
    return status if status in known else "unknown"


def purchase_order_state(status):
    """The sales order's Shipwire state for a PO status; ``None`` if unknown."""
    key = "".join(ch for ch in as_text(status).lower() if ch.isalpha())
    return _PO_STATES.get(key)


def order_state(po_status, fulfillment_statuses):
    """The Shipwire state of a sales order whose PO exists: it follows the
    fulfillment orders (their normalized statuses) once there are any, else the PO
    status. ``None`` when that cannot be told: an unknown PO status and no orders,
    or only orders of unknown status. An order of unknown status among known ones
    counts as not yet shipped."""
    statuses = {normalize_order_status(status) for status in fulfillment_statuses}
    if not statuses:
        return purchase_order_state(po_status)
    if statuses == {"unknown"}:
        return None
    live = statuses - {"cancelled"}
    shipped = set(SHIPPED_STATUSES)
    if not live:
        return "cancelled"
    if live <= shipped:
        return "shipped"
    if live & shipped:
        return "partially_shipped"
    if "held" in live or purchase_order_state(po_status) == "held":
        return "held"
    return "approved"


def parse_shipwire_date(value):
    """A Shipwire timestamp (ISO-8601 with offset) as a naive UTC datetime."""
    if not value or not isinstance(value, str):
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _embedded(resource, key):
    """An embedded object, wrapped in ``{resourceLocation, resource}`` or not."""
    value = resource.get(key) or {}
    if isinstance(value, dict) and "resource" in value:
        value = value["resource"] or {}
    return value if isinstance(value, dict) else {}


def last_updated(resource):
    """When Shipwire last changed a PO or order, as a naive UTC datetime."""
    events = _embedded(resource, "events")
    return parse_shipwire_date(
        resource.get("lastUpdatedDate")
        or events.get("lastUpdatedDate")
        or events.get("lastManualUpdateDate")
    )


def is_older(incoming, stored):
    """Whether an update stamped ``incoming`` is older than the stored one. An
    update without a stamp is taken as news."""
    return bool(incoming and stored and incoming < stored)


def is_newer(incoming, stored):
    """Whether an update stamped ``incoming`` is newer than the stored one."""
    return bool(incoming and (not stored or incoming > stored))


# How far an order has gone. Shipwire can change a status without a new
# lastUpdatedDate (held, then unprocessed, recorded with one stamp); an update that
# is not newer may then move an order forward, never back.
_ORDER_PROGRESS = {
    "held": 0,
    "unprocessed": 1,
    "processed": 2,
    "submitted": 3,
    "completed": 4,
    "delivered": 5,
    "returned": 6,
    "cancelled": 6,
}
_STATE_PROGRESS = {
    "held": 0,
    "needs_approval": 0,
    "approved": 1,
    "partially_shipped": 2,
    "shipped": 3,
    "cancelled": 3,
}


def _moves_back(progress, stored, incoming, shipped):
    if stored not in progress:
        return False
    if incoming not in progress:
        return True  # an unknown status goes nowhere
    if incoming == "cancelled":
        return stored in shipped  # what left the warehouse is not cancelled
    return progress[incoming] < progress[stored]


def order_moves_back(stored_status, incoming_status):
    """Whether a fulfillment order going from one normalized status to Shipwire's
    ``incoming_status`` goes backwards."""
    return _moves_back(
        _ORDER_PROGRESS,
        stored_status,
        normalize_order_status(incoming_status),
        (*SHIPPED_STATUSES, "returned"),
    )


def purchase_order_moves_back(stored_status, incoming_status):
    """Whether a PO going from one Shipwire status to the other goes backwards."""
    return _moves_back(
        _STATE_PROGRESS,
        purchase_order_state(stored_status),
        purchase_order_state(incoming_status),
        ("partially_shipped", "shipped"),
    )


def fulfillment_order_values(resource):
    """Values of a ``shipwire.fulfillment.order`` from a Shipwire order resource.
    Without a stamp, ``shipwire_updated`` is left out: the one stored stays."""
    routing = _embedded(resource, "routing")
    options = _embedded(resource, "options")
    events = _embedded(resource, "events")
    external_id = resource.get("externalId") or ""
    order_no = resource.get("orderNo") or ""
    # The split suffix sits on externalId per the docs, on orderNo in recordings.
    split_number = parse_split_suffix(external_id)[1] or parse_split_suffix(order_no)[1]
    values = {
        "shipwire_id": shipwire_id(resource.get("id")),
        "external_id": external_id,
        "order_no": order_no,
        "split_number": split_number or 0,
        "warehouse_name": routing.get("warehouseName")
        or routing.get("warehouseExternalId")
        or resource.get("warehouseName")
        or "",
        "status": normalize_order_status(resource.get("status")),
        "shipwire_status": as_text(resource.get("status")),
        "carrier_code": options.get("carrierCode") or "",
        "completed_date": parse_shipwire_date(events.get("completedDate")),
        **shipped_quantities(resource),
        **shipping_cost(resource, options),
    }
    updated = last_updated(resource)
    if updated:
        values["shipwire_updated"] = updated
    return values


def shipping_cost(resource, options):
    """``{"shipping_cost", "shipping_cost_currency"}`` of an order that reports
    what shipping it cost; nothing otherwise. Where the cost sits is not recorded:
    ``pricing`` as Shipwire documents it, its ``total`` (the parts a rate quote
    adds up) or else ``shipping``, each a number, a numeric text or an amount
    with its currency; the currency is the pricing's, else the order's."""
    pricing = _embedded(resource, "pricing")
    currency = pricing.get("currency") or options.get("currency")
    for key in ("total", "shipping"):
        amount = pricing.get(key)
        if isinstance(amount, dict):
            currency = amount.get("currency") or currency
            amount = amount.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
            continue
        try:
            amount = float(amount)
        except ValueError:
            continue
        if 0 <= amount < 1e9:
            return {
                "shipping_cost": amount,
                "shipping_cost_currency": as_text(currency).strip().upper()[:3],
            }
    return {}


def shipped_quantities(resource):
    """``{"shipped_quantities": {sku: units}}`` for a shipped order whose items came
    along; nothing otherwise."""
    items = resource.get("items")
    items = items.get("resource") if isinstance(items, dict) else None
    if (
        not isinstance(items, dict)
        or normalize_order_status(resource.get("status")) not in SHIPPED_STATUSES
    ):
        return {}
    shipped = {}
    for item in filter(lambda item: isinstance(item, dict), collection_items(items)):
        sku = item.get("sku")
        # The name of the shipped count is unknown: take the likeliest present.
        for key in ("shipped", "shippedQuantity", "quantityShipped", "quantity"):
            if isinstance(item.get(key), int):
                shipped[sku] = shipped.get(sku, 0) + item[key]
                break
    return {"shipped_quantities": shipped}


def tracking_values(resource):
    """Values of a ``shipwire.tracking`` from a Shipwire tracking resource. What the
    resource does not carry is left out, so that the value stored stays: a
    tracking.created sent again after the delivery names no delivered date."""
    values = {
        "shipwire_id": shipwire_id(resource.get("id")),
        "carrier": as_text(resource.get("carrier") or resource.get("carrierCode")),
        "url": as_text(resource.get("url")),
        "shipped_date": parse_shipwire_date(
            resource.get("labelCreatedDate") or resource.get("createdDate")
        ),
        "tracked_date": parse_shipwire_date(resource.get("trackedDate")),
        "delivered_date": parse_shipwire_date(resource.get("deliveredDate")),
    }
    return {
        "tracking_number": str(resource.get("tracking") or ""),
        **{name: value for name, value in values.items() if value},
    }


def hold_values(resource):
    """Values of a ``shipwire.hold``. As for trackings, what the resource does not
    carry is left out: a hold once cleared is never made active again by an older
    delivery that names no cleared date."""
    values = {
        "hold_type": as_text(resource.get("type")),
        "description": as_text(resource.get("description")),
        "applied_date": parse_shipwire_date(resource.get("appliedDate")),
        "cleared_date": parse_shipwire_date(resource.get("clearedDate")),
    }
    return {
        "shipwire_id": shipwire_id(resource.get("id")),
        **{name: value for name, value in values.items() if value},
    }
