"""A sales order as a Shipwire purchase order, and what stops it from being one."""

import math
from datetime import datetime, time, timezone

from ..shipwire_api.identifiers import (
    EXTERNAL_ID_MAX_LENGTH,
    EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT,
    ORDER_NO_MAX_LENGTH,
    ORDER_NO_MAX_LENGTH_WHEN_SPLIT,
)

# Field lengths Shipwire accepts, per address key.
ADDRESS_LIMITS = {
    "name": 35,
    "company": 35,
    "address1": 50,
    "address2": 50,
    "city": 25,
    "state": 25,
    "postalCode": 10,
}
SKU_MAX_LENGTH = 50
# Which Odoo contact field feeds each Shipwire address key, for error messages.
ADDRESS_FIELD_LABELS = {
    "name": "Name",
    "company": "Company name",
    "address1": "Street",
    "address2": "Street 2",
    "city": "City",
    "state": "State",
    "postalCode": "ZIP",
    "country": "Country",
}
REQUIRED_SHIP_TO = ("name", "address1", "city", "postalCode", "country")
# Countries whose addresses Shipwire wants with a state.
COUNTRIES_WITH_STATES = ("US", "CA", "AU")


def _iso(value):
    """An Odoo UTC datetime or date as ISO-8601 with offset."""
    if not value:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def shipwire_lines(order):
    """Order lines that become PO items: goods, not services, notes or sections."""
    return order.order_line.filtered(
        lambda line: (
            not line.display_type
            and line.product_id
            and line.product_id.type == "consu"
            and line.product_uom_qty
        )
    )


def line_units(line):
    """The line's quantity in the product's own unit of measure."""
    return line.product_uom._compute_quantity(
        line.product_uom_qty, line.product_id.uom_id, round=False
    )


# What ``address`` reads of a contact; of its commercial entity, name and
# is_company; of its state and country, the code.
ADDRESS_PARTNER_FIELDS = (
    "name",
    "commercial_partner_id",
    "is_company",
    "street",
    "street2",
    "city",
    "state_id",
    "zip",
    "country_id",
    "phone",
    "mobile",
    "email",
)


def address(partner):
    commercial = partner.commercial_partner_id
    company = commercial.name if commercial.is_company else ""
    return {
        "name": partner.name or commercial.name or "",
        "company": company,
        "address1": partner.street or "",
        "address2": partner.street2 or "",
        "city": partner.city or "",
        "state": partner.state_id.code or "",
        "postalCode": partner.zip or "",
        "country": partner.country_id.code or "",
        "phone": partner.phone or partner.mobile or "",
        "email": partner.email or "",
        "isCommercial": int(bool(commercial.is_company)),
        "isPoBox": 0,
    }


def _address_problems(order, partner, role, required):
    _ = order.env._
    values = address(partner)
    problems = []
    for key in required:
        if not values[key].strip():
            problems.append(
                _(
                    "%(order)s: the %(role)s %(partner)s has no %(field)s; "
                    "fill it in on the contact.",
                    order=order.name,
                    role=role,
                    partner=partner.display_name,
                    field=ADDRESS_FIELD_LABELS[key],
                )
            )
    for key, limit in ADDRESS_LIMITS.items():
        if len(values[key]) > limit:
            problems.append(
                _(
                    "%(order)s: the %(role)s %(field)s “%(value)s” has %(length)s "
                    "characters; Shipwire accepts %(limit)s. "
                    "Shorten it on the contact.",
                    order=order.name,
                    role=role,
                    field=ADDRESS_FIELD_LABELS[key],
                    value=values[key],
                    length=len(values[key]),
                    limit=limit,
                )
            )
    return problems


def _line_problems(order, line, position):
    _ = order.env._
    label = _(
        "%(order)s line %(position)s (%(product)s)",
        order=order.name,
        position=position,
        product=line.product_id.display_name,
    )
    problems = []
    if not line.product_id.active:
        problems.append(
            _(
                "%(line)s: the product is archived, so Shipwire may no longer stock "
                "it; restore the product or replace the line.",
                line=label,
            )
        )
    sku = line.product_id.default_code
    if not sku:
        problems.append(
            _(
                "%(line)s: the product has no Internal Reference, which Shipwire "
                "uses as SKU; set it on the product.",
                line=label,
            )
        )
    elif len(sku) > SKU_MAX_LENGTH:
        problems.append(
            _(
                "%(line)s: the Internal Reference has %(length)s characters; "
                "Shipwire accepts %(limit)s. Shorten it on the product.",
                line=label,
                length=len(sku),
                limit=SKU_MAX_LENGTH,
            )
        )
    units = line_units(line)
    if units < 0:
        problems.append(
            _("%(line)s: a negative quantity cannot be shipped; remove it.", line=label)
        )
    elif units != int(units):
        problems.append(
            _(
                "%(line)s: %(units)s %(uom)s is not a whole number; Shipwire ships "
                "whole units only. Round the quantity.",
                line=label,
                units=round(units, 6),  # 3.96, not 3.9600000000000004
                uom=line.product_id.uom_id.name,
            )
        )
    return problems


def _window_problems(order, kind, window_type, start, end):
    _ = order.env._
    if not window_type:
        return []
    needs_start = window_type in ("ON", "AFTER", "BETWEEN")
    needs_end = window_type in ("BEFORE", "BETWEEN")
    if (needs_start and not start) or (needs_end and not end):
        return [
            _(
                "%(order)s: the %(kind)s window “%(type)s” needs its dates; "
                "fill them in on the Shipwire tab.",
                order=order.name,
                kind=kind,
                type=window_type,
            )
        ]
    if start and end and start > end:
        return [
            _(
                "%(order)s: the %(kind)s window ends before it starts; "
                "correct its dates on the Shipwire tab.",
                order=order.name,
                kind=kind,
            )
        ]
    return []


def order_problems(order, backend):
    """Every reason ``order`` cannot be sent through ``backend``, as sentences that
    name the order, the field and the fix. Empty when it can be sent."""
    _ = order.env._
    problems = []
    if order.state == "cancel":
        problems.append(
            _(
                "%(order)s: the order is cancelled; set it back to quotation and "
                "confirm it before sending it to Shipwire.",
                order=order.name,
            )
        )
    elif order.state != "sale":
        problems.append(
            _(
                "%(order)s: confirm the order before sending it to Shipwire.",
                order=order.name,
            )
        )
    if not backend:
        return problems + [
            _(
                "%(order)s: no Shipwire account serves warehouse %(warehouse)s; map "
                "the warehouse on an account under Inventory > Configuration > "
                "Shipwire > Accounts.",
                order=order.name,
                warehouse=order.warehouse_id.display_name,
            )
        ]
    if not backend.active:
        # The sync and the webhooks skip archived accounts: nothing would come back.
        return problems + [
            _(
                "%(order)s: the Shipwire account %(account)s is archived; restore "
                "it, or map warehouse %(warehouse)s on another account.",
                order=order.name,
                account=backend.name,
                warehouse=order.warehouse_id.display_name,
            )
        ]
    problems += [
        f"{order.name}: {problem}" for problem in backend._missing_configuration()
    ]
    external_id = order._shipwire_external_id(backend)
    limit = (
        EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT
        if backend.can_split
        else EXTERNAL_ID_MAX_LENGTH
    )
    if len(external_id) > limit:
        problems.append(
            _(
                "%(order)s: the externalId %(id)s is longer than %(limit)s "
                "characters; shorten the account's externalId prefix.",
                order=order.name,
                id=external_id,
                limit=limit,
            )
        )
    if backend.can_split and len(order.name) > ORDER_NO_MAX_LENGTH_WHEN_SPLIT:
        problems.append(
            _(
                "%(order)s: with splitting allowed, Shipwire adds .1, .2 to the "
                "order number, which must stay within %(max)s characters: order "
                "references of %(limit)s characters at most. Shorten the order "
                "reference or the prefix of the sales order sequence.",
                order=order.name,
                max=ORDER_NO_MAX_LENGTH,
                limit=ORDER_NO_MAX_LENGTH_WHEN_SPLIT,
            )
        )
    elif len(order.name) > ORDER_NO_MAX_LENGTH:
        problems.append(
            _(
                "%(order)s: Shipwire accepts order numbers of %(limit)s characters "
                "at most; shorten the order reference or the prefix of the sales "
                "order sequence.",
                order=order.name,
                limit=ORDER_NO_MAX_LENGTH,
            )
        )
    ship_to_required = REQUIRED_SHIP_TO
    if order.partner_shipping_id.country_id.code in COUNTRIES_WITH_STATES:
        ship_to_required += ("state",)
    problems += _address_problems(
        order, order.partner_shipping_id, _("delivery address"), ship_to_required
    )
    problems += _address_problems(
        order, order.partner_invoice_id, _("invoice address"), ("name",)
    )
    lines = shipwire_lines(order)
    if not lines:
        problems.append(
            _(
                "%(order)s: no line has goods for Shipwire to ship (services, notes "
                "and lines of quantity 0 are left out); add a product with a "
                "quantity.",
                order=order.name,
            )
        )
    for position, line in enumerate(lines, start=1):
        problems += _line_problems(order, line, position)
    problems += _window_problems(
        order,
        _("shipping"),
        order.shipwire_shipping_window_type,
        order.shipwire_shipping_window_start,
        order.shipwire_shipping_window_end,
    )
    problems += _window_problems(
        order,
        _("delivery"),
        order.shipwire_delivery_window_type,
        order.shipwire_delivery_window_start,
        order.shipwire_delivery_window_end,
    )
    for attribute in order.shipwire_extended_attribute_ids:
        if attribute.value_type in ("int", "decimal") and (
            _attribute_number(attribute) is None
        ):
            problems.append(
                _(
                    "%(order)s: the extended attribute %(name)s should be %(kind)s "
                    "but is “%(value)s”; correct it on the Shipwire tab.",
                    order=order.name,
                    name=attribute.name,
                    kind=_("a whole number")
                    if attribute.value_type == "int"
                    else _("a number"),
                    value=attribute.value,
                )
            )
    return problems


def _window(window_type, start, end):
    if not window_type:
        return None
    window = {"type": window_type}
    if start:
        window["minDate"] = _iso(start)
    if end:
        window["maxDate"] = _iso(end)
    return window


def _attribute_number(attribute):
    """The value as the number its type asks for, or None when it is not one:
    text, infinity, NaN, or a fraction for an integer."""
    try:
        number = float(attribute.value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    if attribute.value_type == "int":
        return int(number) if number.is_integer() else None
    return number


def _attribute_value(attribute):
    if attribute.value_type in ("int", "decimal"):
        return _attribute_number(attribute)
    return attribute.value


def _retailer_products(order):
    """``{product: shipwire.retailer.product}`` for the order's retailer."""
    retailer = order.partner_id.commercial_partner_id
    entries = order.env["shipwire.retailer.product"].search(
        [
            ("partner_id", "=", retailer.id),
            ("product_id", "in", order.order_line.product_id.ids),
        ]
    )
    return {entry.product_id: entry for entry in entries}


def _item(line, position, currency, retailer_entry):
    units = int(line_units(line))
    product = line.product_id
    # Customs value per unit of the product's own unit of measure, in the
    # account's currency at the order's date.
    unit_value = line.price_subtotal / units if units else line.price_unit
    order = line.order_id
    unit_value = order.currency_id._convert(
        unit_value, currency, order.company_id, order.date_order.date(), round=False
    )
    item = {
        "sku": product.default_code,
        "quantity": units,
        "retailerLineNo": position,
        "unitOfMeasure": "EA",
        "commercialInvoiceValue": round(unit_value, 2),
        "commercialInvoiceValueCurrency": currency.name,
    }
    if product.barcode:
        item["upc"] = product.barcode
    if retailer_entry and retailer_entry.retailer_sku:
        item["retailerSku"] = retailer_entry.retailer_sku
    if retailer_entry and retailer_entry.retailer_description:
        item["retailerDescription"] = retailer_entry.retailer_description
    return item


def _warehouse_options(backend, warehouse):
    mapping = backend._warehouse_mapping(warehouse)
    options = {}
    if mapping.shipwire_warehouse_id:
        options["warehouseId"] = (
            int(mapping.shipwire_warehouse_id)
            if mapping.shipwire_warehouse_id.isdigit()
            else mapping.shipwire_warehouse_id
        )
    if mapping.shipwire_warehouse_external_id:
        options["warehouseExternalId"] = mapping.shipwire_warehouse_external_id
    if mapping.shipwire_region:
        options["warehouseRegion"] = mapping.shipwire_region
    return options


# Choices made once, when the PO is created: an update must not redo them (approve
# a PO waiting for a manager, or hold again one released at Shipwire).
CREATE_ONLY_OPTIONS = ("isApproved", "hold")


def purchase_order_payload(order, backend):
    """The JSON body that creates the PO."""
    currency = backend.currency_id or order.currency_id
    options = {
        "isApproved": int(backend.auto_approve),
        "canSplit": int(backend.can_split),
        "hold": int(backend.hold_on_create),
        "currency": currency.name,
        "serviceLevelCode": backend._service_level_for(order.carrier_id),
        "forceDuplicate": 0,
        **_warehouse_options(backend, order.warehouse_id),
    }
    if backend.referrer:
        options["referrer"] = backend.referrer
    retailer_entries = _retailer_products(order)
    payload = {
        "externalId": order._shipwire_external_id(backend),
        "purchaseOrderNo": order.name,
        "purchaseOrderDate": _iso(order.date_order),
        "options": options,
        "shipFrom": {"company": order.company_id.name},
        "shipTo": address(order.partner_shipping_id),
        "billTo": address(order.partner_invoice_id),
        "items": [
            _item(line, position, currency, retailer_entries.get(line.product_id))
            for position, line in enumerate(shipwire_lines(order), start=1)
        ],
    }
    if order.commitment_date:
        payload["requestedShipDate"] = _iso(order.commitment_date)
    if backend.channel_name:
        payload["channelName"] = backend.channel_name
    for key, window in (
        (
            "shippingWindow",
            _window(
                order.shipwire_shipping_window_type,
                order.shipwire_shipping_window_start,
                order.shipwire_shipping_window_end,
            ),
        ),
        (
            "deliveryWindow",
            _window(
                order.shipwire_delivery_window_type,
                order.shipwire_delivery_window_start,
                order.shipwire_delivery_window_end,
            ),
        ),
    ):
        if window:
            payload[key] = window
    packing_messages = {
        f"message{number}": {"body": text}
        for number, text in enumerate(
            (
                order.shipwire_packing_message1,
                order.shipwire_packing_message2,
                order.shipwire_packing_message3,
            ),
            start=1,
        )
        if text
    }
    if packing_messages:
        payload["packingList"] = packing_messages
    attributes = [
        {"name": a.name, "value": _attribute_value(a), "type": a.value_type}
        for a in order.shipwire_extended_attribute_ids
    ]
    if order.client_order_ref:
        # Shipwire has no documented field for the retailer's own PO number.
        attributes.insert(
            0,
            {
                "name": "RetailerPONumber",
                "value": order.client_order_ref,
                "type": "string",
            },
        )
    if attributes:
        payload["extendedAttributes"] = attributes
    return payload


def purchase_order_update_payload(order, backend):
    """The JSON body that corrects the PO: the order as it is now."""
    payload = purchase_order_payload(order, backend)
    for option in CREATE_ONLY_OPTIONS:
        del payload["options"][option]
    return payload
