"""Incoming receipts as Shipwire receivings, and Shipwire's receivings read back.

A receiving's item counters say where the announced units are: ``pending`` (not
received yet), ``good`` (in stock at Shipwire), ``inReview`` (being checked),
``damaged`` (received, unusable). Odoo books ``good`` and ``damaged`` on the
receipt, never ``pending`` or ``inReview``.
"""

from collections import defaultdict

from ..shipwire_api.envelope import collection_items
from .incoming import _embedded, as_text, last_updated, parse_shipwire_date, shipwire_id
from .outgoing import _iso, _warehouse_options
from .stock import MAX_COUNTER, _counter

RECEIVING_COUNTERS = {
    "expected": "expected",
    "pending": "pending",
    "good": "good",
    "inReview": "in_review",
    "damaged": "damaged",
}
SHIP_FROM_LIMITS = {
    "name": 35,
    "address1": 50,
    "address2": 50,
    "city": 25,
    "state": 25,
    "postalCode": 10,
}
SKU_MAX_LENGTH = 50
ORDER_NO_MAX_LENGTH = 25
# Statuses after which Shipwire receives nothing more.
CLOSED_STATUSES = ("completed", "cancelled")
# Statuses in which Shipwire still takes a changed receiving (PUT).
UPDATABLE_STATUSES = ("unprocessed", "processed", "held")
RECEIVING_STATUSES = [
    ("unprocessed", "Announced"),
    ("processed", "Announced"),
    ("held", "On hold"),
    ("submitted", "Sent to the warehouse"),
    ("delivered", "At the dock"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("unknown", "Unknown"),
]
EVENT_DATES = {
    "createdDate": "created_date",
    "submittedDate": "submitted_date",
    "processedDate": "processed_date",
    "deliveredDate": "delivered_date",
    "completedDate": "completed_date",
    "cancelledDate": "cancelled_date",
}


def receiving_external_id(backend, picking):
    """Stable per receipt: the same receipt is never announced twice."""
    return f"{backend.external_id_prefix or ''}R{picking.id}"


def receiving_moves(picking):
    """The receipt's moves that become receiving items."""
    return picking.move_ids.filtered(
        lambda move: move.state not in ("done", "cancel") and move.product_uom_qty
    )


def _units(move):
    return move.product_uom._compute_quantity(
        move.product_uom_qty, move.product_id.uom_id, round=False
    )


def receiving_order_no(picking):
    """The purchase order's reference when the receipt has one, else the
    receipt's own source document or name."""
    purchase = picking._fields.get("purchase_id") and picking.purchase_id
    return (purchase and purchase.name) or picking.origin or picking.name


def receiving_problems(picking, backend):
    """Why the receipt cannot be announced to Shipwire, one sentence each, naming
    the record and the fix."""
    _ = picking.env._
    name = picking.name
    problems = []
    if picking.picking_type_code != "incoming":
        problems.append(
            _(
                "%(picking)s is not a receipt: only receipts are announced.",
                picking=name,
            )
        )
    elif picking.shipwire_is_return:
        return [
            _(
                "%(picking)s is a return of %(delivery)s, not a receipt from a "
                "vendor: press Send return to Shipwire instead.",
                picking=name,
                delivery=picking._shipwire_return_root().return_id.name,
            )
        ]
    if picking.state == "draft":
        problems.append(
            _(
                "%(picking)s is a draft: press Mark as To Do, then send it.",
                picking=name,
            )
        )
    warehouse = picking.picking_type_id.warehouse_id
    if not _warehouse_options(backend, warehouse):
        problems.append(
            _(
                "%(picking)s goes to %(warehouse)s, whose mapping on the Shipwire "
                "account %(account)s names no Shipwire warehouse: give it the "
                "Shipwire warehouse id, external id or region that receives the "
                "goods.",
                picking=name,
                warehouse=warehouse.display_name or "-",
                account=backend.name,
            )
        )
    moves = receiving_moves(picking)
    if not moves:
        problems.append(_("%(picking)s has no quantity left to receive.", picking=name))
    for move in moves:
        product = move.product_id
        sku = product.default_code or ""
        if not sku.strip():
            problems.append(
                _(
                    "%(picking)s: %(product)s has no Internal Reference, which "
                    "Shipwire knows it by: fill it in on the product.",
                    picking=name,
                    product=product.display_name,
                )
            )
        elif len(sku) > SKU_MAX_LENGTH:
            problems.append(
                _(
                    "%(picking)s: the Internal Reference of %(product)s has "
                    "%(length)s characters; Shipwire accepts %(limit)s.",
                    picking=name,
                    product=product.display_name,
                    length=len(sku),
                    limit=SKU_MAX_LENGTH,
                )
            )
        if not product.is_storable:
            problems.append(
                _(
                    "%(picking)s: %(product)s does not track inventory, and "
                    "Shipwire stocks only goods: tick Track Inventory on the "
                    "product or remove the line.",
                    picking=name,
                    product=product.display_name,
                )
            )
        elif product.tracking != "none":
            problems.append(
                _(
                    "%(picking)s: %(product)s is tracked by lots or serial numbers, "
                    "which Shipwire's receivings do not carry back: receive it "
                    "without Shipwire.",
                    picking=name,
                    product=product.display_name,
                )
            )
        units = _units(move)
        if units != int(units):
            problems.append(
                _(
                    "%(picking)s: %(quantity)s %(uom)s of %(product)s is not a whole "
                    "number of %(unit)s; Shipwire counts whole units.",
                    picking=name,
                    quantity=move.product_uom_qty,
                    uom=move.product_uom.name,
                    product=product.display_name,
                    unit=product.uom_id.name,
                )
            )
    partner = picking.partner_id
    if not partner:
        problems.append(
            _(
                "%(picking)s has no vendor: set the Receive From contact, whose "
                "address Shipwire needs.",
                picking=name,
            )
        )
    else:
        missing = [
            label
            for label, value in (
                (_("street"), partner.street),
                (_("city"), partner.city),
                (_("country"), partner.country_id),
            )
            if not value
        ]
        if missing:
            problems.append(
                _(
                    "%(picking)s: the vendor %(partner)s has no %(fields)s; fill "
                    "it in on the contact.",
                    picking=name,
                    partner=partner.display_name,
                    fields=", ".join(missing),
                )
            )
    return problems


def _ship_from(partner):
    commercial = partner.commercial_partner_id
    values = {
        "name": partner.name or commercial.name or "",
        "email": partner.email or "",
        "address1": partner.street or "",
        "address2": partner.street2 or "",
        "city": partner.city or "",
        "state": partner.state_id.code or "",
        "postalCode": partner.zip or "",
        "country": partner.country_id.code or "",
        "phone": partner.phone or partner.mobile or "",
    }
    cut = {}
    for key, limit in SHIP_FROM_LIMITS.items():
        if len(values[key]) > limit:
            cut[key] = values[key]
            values[key] = values[key][:limit]
    return values, cut


def receiving_items(picking):
    """``[{sku, quantity}]`` in whole units of each product, one per SKU."""
    units = defaultdict(int)
    for move in receiving_moves(picking):
        units[move.product_id.default_code] += int(_units(move))
    return [{"sku": sku, "quantity": quantity} for sku, quantity in units.items()]


def receiving_payload(picking, backend):
    """``(body, notes)``: the receiving Shipwire is to expect for ``picking``,
    and a sentence for each vendor address field cut to Shipwire's length."""
    _ = picking.env._
    ship_from, cut = _ship_from(picking.partner_id)
    notes = [
        _(
            "The vendor's %(field)s “%(value)s” was cut to Shipwire's %(limit)s "
            "characters.",
            field=field,
            value=value,
            limit=SHIP_FROM_LIMITS[field],
        )
        for field, value in cut.items()
    ]
    body = {
        "externalId": receiving_external_id(backend, picking),
        "orderNo": receiving_order_no(picking)[:ORDER_NO_MAX_LENGTH],
        "expectedDate": _iso(picking.scheduled_date),
        "options": {
            **_warehouse_options(backend, picking.picking_type_id.warehouse_id),
            "doNotSendEmail": 1,
        },
        "arrangement": {"type": "none"},
        "shipments": [{"type": "box"}],
        "items": receiving_items(picking),
        "shipFrom": ship_from,
    }
    if picking.carrier_tracking_ref:
        body["trackings"] = [
            {
                "tracking": picking.carrier_tracking_ref,
                "carrier": picking.carrier_id.name or "",
            }
        ]
    return body, notes


def normalize_receiving_status(status):
    status = as_text(status).strip().lower()
    if status == "canceled":
        return "cancelled"
    known = {value for value, _label in RECEIVING_STATUSES}
    return status if status in known else "unknown"


def receiving_updated(resource):
    """When Shipwire last changed a receiving or return, as a naive UTC
    datetime; False when it does not say."""
    return last_updated(resource) or parse_shipwire_date(resource.get("lastUpdateDate"))


def receiving_values(resource):
    """Values of a ``shipwire.receiving`` from Shipwire's receiving resource."""
    events = _embedded(resource, "events")
    values = {
        "shipwire_id": shipwire_id(resource.get("id")),
        "shipwire_status": as_text(resource.get("status")),
        "status": normalize_receiving_status(resource.get("status")),
        "shipwire_updated": receiving_updated(resource),
        "expected_date": parse_shipwire_date(
            resource.get("expectedDate") or events.get("expectedDate")
        ),
    }
    for key, name in EVENT_DATES.items():
        values[name] = parse_shipwire_date(events.get(key))
    return values


def embedded_list(resource, key):
    """``(items, complete)`` of an expanded sub-resource: ``complete`` is False
    when Shipwire left some out (a ``next`` link, or a link without content)."""
    value = resource.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("resource"), dict):
        return [], False
    page = value["resource"]
    return collection_items(page), not page.get("next")


def item_counts(items):
    """``{sku: {counter: units}}`` summed over Shipwire's items, with
    ``unusable`` listing the items whose counters are missing, negative, or
    beyond what a counter holds once summed."""
    counts = defaultdict(lambda: dict.fromkeys(RECEIVING_COUNTERS.values(), 0))
    unusable = []
    for item in items:
        if not isinstance(item, dict):
            continue
        sku = as_text(item.get("sku")).strip()
        if not sku:
            continue
        for key, name in RECEIVING_COUNTERS.items():
            number = _counter(item.get(key))
            if number is None or number < 0:
                unusable.append(sku)
                number = 0
            if counts[sku][name] + number > MAX_COUNTER:
                unusable.append(sku)
                continue
            counts[sku][name] += number
    return dict(counts), unusable
