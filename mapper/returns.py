"""Odoo's return pickings as Shipwire returns: one per fulfillment order that
shipped the returned units, each asking back at most what that order shipped.

A return's items carry the receivings' counters (see ``mapper.receiving``), and
are booked on the return picking the same way.
"""

from collections import defaultdict
from urllib.parse import urlsplit

from .incoming import shipwire_id
from .receiving import SKU_MAX_LENGTH, _units

# Fulfillment order statuses Shipwire makes returns from.
RETURNABLE_STATUSES = ("processed", "submitted", "completed", "delivered")


def return_external_id(backend, picking, fulfillment_order):
    """Stable per return picking and fulfillment order."""
    return f"{backend.external_id_prefix or ''}T{picking.id}-{fulfillment_order.id}"


def return_moves(picking):
    return picking.move_ids.filtered(
        lambda move: move.state not in ("done", "cancel") and move.product_uom_qty
    )


def shipping_fulfillment_orders(picking):
    """The fulfillment orders that shipped the returned delivery: those Shipwire
    shipped on it, else (a delivery validated apart from Shipwire's shipment) every
    one of its sales order that shipped; none for a return of a return."""
    delivery = picking.return_id
    if delivery.return_id:
        # A return sent back out by hand: Shipwire shipped none of it.
        return delivery.shipwire_fulfillment_order_ids.browse()
    orders = delivery.shipwire_fulfillment_order_ids.filtered("shipped_quantities")
    if not orders:
        orders = delivery.sale_id.shipwire_purchase_order_id.fulfillment_order_ids
    return orders.filtered(
        lambda fo: fo.shipped_quantities and fo.status != "cancelled"
    ).sorted(lambda fo: (fo.split_number, fo.id))


def _shipped(fulfillment_order, sku):
    shipped = (fulfillment_order.shipped_quantities or {}).get(sku)
    return shipped if isinstance(shipped, int) and shipped > 0 else 0


def return_plan(picking):
    """``({fulfillment order: {sku: units}}, problems)``: the returned units shared
    among the fulfillment orders that shipped them, in order, none asked back
    beyond what its order shipped; ``problems`` names each line that cannot be
    returned through Shipwire and the fix."""
    _ = picking.env._
    name = picking.name
    problems = []
    if picking.picking_type_code != "incoming" or not picking.return_id:
        return {}, [
            _(
                "%(picking)s is not a return of a delivery: only returns made with "
                "Return on a delivery go to Shipwire.",
                picking=name,
            )
        ]
    orders = shipping_fulfillment_orders(picking)
    if not orders:
        return {}, [
            _(
                "%(picking)s returns %(delivery)s, which Shipwire did not ship: "
                "receive the return without Shipwire.",
                picking=name,
                delivery=picking.return_id.name,
            )
        ]
    units = defaultdict(int)
    moves = return_moves(picking)
    if not moves:
        problems.append(_("%(picking)s has no quantity left to return.", picking=name))
    for move in moves:
        product = move.product_id
        sku = (product.default_code or "").strip()
        if not sku or len(sku) > SKU_MAX_LENGTH:
            problems.append(
                _(
                    "%(picking)s: %(product)s has no Internal Reference Shipwire "
                    "knows it by: fill it in on the product as it was shipped.",
                    picking=name,
                    product=product.display_name,
                )
            )
            continue
        if product._fields.get("is_kits") and product.is_kits:
            problems.append(
                _(
                    "%(picking)s: %(product)s is a kit; Shipwire shipped its "
                    "components: return the components instead.",
                    picking=name,
                    product=product.display_name,
                )
            )
            continue
        quantity = _units(move)
        if quantity != int(quantity):
            problems.append(
                _(
                    "%(picking)s: %(quantity)s %(uom)s of %(product)s is not a "
                    "whole number of %(unit)s; Shipwire counts whole units.",
                    picking=name,
                    quantity=move.product_uom_qty,
                    uom=move.product_uom.name,
                    product=product.display_name,
                    unit=product.uom_id.name,
                )
            )
            continue
        units[sku] += int(quantity)
    plan = defaultdict(dict)
    for sku, wanted in units.items():
        left = wanted
        for order in orders:
            taken = min(left, _shipped(order, sku))
            if taken:
                plan[order][sku] = taken
                left -= taken
        if left:
            shipped = sum(_shipped(order, sku) for order in orders)
            problems.append(
                _(
                    "%(picking)s returns %(wanted)s units of %(sku)s; Shipwire "
                    "shipped %(shipped)s of them on %(delivery)s: cancel this return "
                    "and make it again with at most %(shipped)s.",
                    picking=name,
                    wanted=wanted,
                    sku=sku,
                    shipped=shipped,
                    delivery=picking.return_id.name,
                )
            )
    return dict(plan), problems


def return_payload(record, items):
    """The body that asks Shipwire for the return ``record`` of its fulfillment
    order, with ``items`` (``{sku: units}``)."""
    backend = record.backend_id
    return {
        "externalId": record.external_id,
        "originalOrder": {"id": int(record.fulfillment_order_id.shipwire_id)},
        "items": [
            {"sku": sku, "quantity": quantity}
            for sku, quantity in sorted(items.items())
        ],
        "options": {
            "emailCustomer": int(backend.return_email_customer),
            "generatePrepaidLabel": int(backend.return_prepaid_label),
        },
    }


def original_order_id(resource):
    """The Shipwire id of the fulfillment order a return resource returns, from
    its ``originalOrder`` link, or ``""``."""
    link = resource.get("originalOrder")
    location = link.get("resourceLocation") if isinstance(link, dict) else None
    if not isinstance(location, str):
        return ""
    head, _sep, last = urlsplit(location).path.rstrip("/").rpartition("/")
    if not head.endswith("/orders") or not last.isdigit():
        return ""
    return shipwire_id(int(last))
