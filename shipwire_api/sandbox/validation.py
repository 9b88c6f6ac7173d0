"""Checks on a purchase order or product body, reported as v4 error and warning
elements.

An element is ``{"type": "error"|"warning", "code", "message", "field"}``; ``field`` is
left out when no single field is at fault.
"""

import math
import re

US_POSTAL_CODE = re.compile(r"^\d{5}(-\d{4})?$")
REQUIRED_ADDRESS_FIELDS = ("name", "address1", "city", "postalCode", "country")
PRODUCT_DIMENSIONS = ("length", "width", "height", "weight")
PRODUCT_REQUIRED_VALUES = ("costValue", "retailValue")
ADDRESS_FIELDS_WITH_LIMITS = (
    "name",
    "address1",
    "address2",
    "address3",
    "city",
    "state",
    "postalCode",
)


def problem(kind, code, message, field=None):
    element = {"type": kind, "code": code, "message": message}
    if field is not None:
        element["field"] = field
    return element


def status_key(status):
    """A status as list filters spell it: in lower case, and "canceled"."""
    return str(status).lower().replace("cancelled", "canceled")


def is_flag_set(value):
    """The API's 0/1 booleans; clients also send true/"1"."""
    return value in (1, True, "1", "true")


def validate_purchase_order(data, known_skus, settings):
    """Return ``(errors, warnings)`` for ``data``.

    Marks ``shipTo`` commercial in place when it names a company, as Shipwire does.
    """
    errors, warnings = [], []
    options = data.get("options") or {}
    if not isinstance(options, dict):
        errors.append(
            problem("error", "invalidField", "options must be an object", "options")
        )
        options = {}
    _check_identifiers(data, options, settings, errors)
    _check_items(data.get("items"), known_skus, settings, errors)
    _check_ship_to(data, settings, errors, warnings)
    bill_to = data.get("billTo")
    if bill_to is not None:
        if isinstance(bill_to, dict):
            _check_lengths(bill_to, "billTo", settings, errors)
        else:
            errors.append(
                problem("error", "invalidField", "billTo must be an object", "billTo")
            )
    return errors, warnings


def validate_receiving(data, known_skus, settings):
    """The errors of a receiving body: its identifiers' lengths, its items (known
    SKUs, positive quantities) and the lengths of its shipFrom address."""
    errors = []
    for name in ("externalId", "orderNo"):
        value, limit = data.get(name), settings.field_lengths.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(
                problem("error", "invalidField", f"{name} must be a string", name)
            )
        elif value is not None and limit is not None and len(value) > limit:
            errors.append(
                problem(
                    "error",
                    "fieldTooLong",
                    f"{name} must be at most {limit} characters",
                    name,
                )
            )
    _check_items(data.get("items"), known_skus, settings, errors)
    ship_from = data.get("shipFrom")
    if isinstance(ship_from, dict):
        _check_lengths(ship_from, "shipFrom", settings, errors)
    elif ship_from is not None:
        errors.append(
            problem("error", "invalidField", "shipFrom must be an object", "shipFrom")
        )
    return errors


def _text(value):
    return "" if value is None else str(value).strip()


def _check_identifiers(data, options, settings, errors):
    limits = settings.field_lengths
    external_id = data.get("externalId")
    if external_id is not None:
        limit = limits.get("externalId", 32)
        suffix = ""
        if is_flag_set(options.get("canSplit")):
            limit = min(limit, settings.split_external_id_length)
            suffix = " when the order can be split"
        if not isinstance(external_id, str):
            errors.append(
                problem(
                    "error", "invalidField", "externalId must be a string", "externalId"
                )
            )
        elif len(external_id) > limit:
            errors.append(
                problem(
                    "error",
                    "fieldTooLong",
                    f"externalId must be at most {limit} characters{suffix}",
                    "externalId",
                )
            )
    number = data.get("purchaseOrderNo")
    limit = limits.get("purchaseOrderNo", 25)
    if number is not None and len(_text(number)) > limit:
        errors.append(
            problem(
                "error",
                "fieldTooLong",
                f"purchaseOrderNo must be at most {limit} characters",
                "purchaseOrderNo",
            )
        )


def _check_items(items, known_skus, settings, errors):
    if not isinstance(items, list) or not items:
        errors.append(problem("error", "noItems", "No items in order", "items"))
        return
    sku_limit = settings.field_lengths.get("sku", 50)
    unknown = []
    for index, item in enumerate(items):
        number = index + 1
        if not isinstance(item, dict):
            errors.append(
                problem(
                    "error",
                    "invalidField",
                    f"Item {number} must be an object",
                    f"items[{index}]",
                )
            )
            continue
        sku = _text(item.get("sku"))
        if len(sku) > sku_limit:
            errors.append(
                problem(
                    "error",
                    "fieldTooLong",
                    f"Item {number} sku must be at most {sku_limit} characters",
                    f"items[{index}].sku",
                )
            )
        elif sku not in known_skus:
            unknown.append(f"{sku or '(no sku)'} (item {number})")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            errors.append(
                problem(
                    "error",
                    "invalidQuantity",
                    f"Item {number} quantity must be a positive integer",
                    f"items[{index}].quantity",
                )
            )
    if unknown:
        errors.append(
            problem(
                "error",
                "invalidSku",
                "Missing or unrecognized SKUs: " + ", ".join(unknown),
                "items",
            )
        )


def _check_ship_to(data, settings, errors, warnings):
    ship_to = data.get("shipTo")
    if not isinstance(ship_to, dict) or not ship_to:
        errors.append(
            problem("error", "missingShipTo", "Order has no shipping address", "shipTo")
        )
        return
    country = _text(ship_to.get("country")).upper()
    required = list(REQUIRED_ADDRESS_FIELDS)
    if country in {code.upper() for code in settings.state_required_countries}:
        required.append("state")
    for name in required:
        if not _text(ship_to.get(name)):
            errors.append(
                problem(
                    "error",
                    "missingField",
                    f"shipTo.{name} is required",
                    f"shipTo.{name}",
                )
            )
    _check_lengths(ship_to, "shipTo", settings, errors)

    if unverifiable_address(ship_to, settings):
        warnings.append(
            problem(
                "warning",
                "addressWarning",
                "Could not verify shipping address",
                "shipTo",
            )
        )
    if _text(ship_to.get("company")) and not is_flag_set(ship_to.get("isCommercial")):
        ship_to["isCommercial"] = 1
        warnings.append(
            problem(
                "warning",
                "addressTypeChanged",
                "Order was marked residential; now marked commercial",
                "shipTo.isCommercial",
            )
        )


def unverifiable_address(ship_to, settings):
    """Whether the sandbox cannot verify the address: a US postal code that is not
    a ZIP code, or the setting ``unverifiable_address_marker`` in address1."""
    marker = settings.unverifiable_address_marker
    postal_code = _text(ship_to.get("postalCode"))
    country = _text(ship_to.get("country")).upper()
    return bool(
        (country == "US" and postal_code and not US_POSTAL_CODE.match(postal_code))
        or (marker and marker.upper() in _text(ship_to.get("address1")).upper())
    )


def _check_lengths(address, prefix, settings, errors):
    for name in ADDRESS_FIELDS_WITH_LIMITS:
        limit = settings.field_lengths.get(name)
        if limit is not None and len(_text(address.get(name))) > limit:
            errors.append(
                problem(
                    "error",
                    "fieldTooLong",
                    f"{prefix}.{name} must be at most {limit} characters",
                    f"{prefix}.{name}",
                )
            )


def validate_product(product, settings):
    """The errors of one product body: Shipwire needs a SKU, a description, the
    classification (as recorded, in Shipwire's words), the dimensions and weight,
    and the cost and retail values."""
    if not isinstance(product, dict):
        return [problem("error", "invalidField", "a product must be an object")]
    errors = []
    sku = product.get("sku")
    limit = settings.field_lengths.get("sku", 50)
    if not isinstance(sku, str) or not sku.strip():
        errors.append(problem("error", "missingField", "sku is required", "sku"))
    elif len(sku) > limit:
        errors.append(
            problem(
                "error",
                "fieldTooLong",
                f"sku must be at most {limit} characters",
                "sku",
            )
        )
    if not _text(product.get("description")):
        errors.append(
            problem("error", "missingField", "description is required", "description")
        )
    classification = product.get("classification")
    if not classification:
        errors.append(
            problem(
                "error",
                "missingField",
                "Product Classification not detected. Please pass classification "
                "for each product.",
                "classification",
            )
        )
    elif classification != "baseProduct":
        errors.append(
            problem(
                "error",
                "invalidField",
                "classification must be baseProduct, the only kind the sandbox makes",
                "classification",
            )
        )
    _check_amounts(product, "dimensions", PRODUCT_DIMENSIONS, (), True, errors)
    _check_amounts(
        product, "values", PRODUCT_REQUIRED_VALUES, ("wholesaleValue",), False, errors
    )
    flags = product.get("flags")
    if flags is not None and not (
        isinstance(flags, dict) and all(value in (0, 1) for value in flags.values())
    ):
        errors.append(
            problem("error", "invalidField", "flags must each be 0 or 1", "flags")
        )
    return errors


def _check_amounts(product, group, required, optional, positive, errors):
    """Check the numbers of ``product[group]``: those ``required`` must be given,
    each must be 0 or more, or above 0 when ``positive``. Numbers may come as text,
    as a recorded client sent values."""
    amounts = product.get(group)
    if not isinstance(amounts, dict):
        errors.append(
            problem(
                "error",
                "missingField",
                f"{group} ({', '.join(required)}) are required",
                group,
            )
        )
        return
    least = "above 0" if positive else "0 or more"
    for name in (*required, *optional):
        value = amounts.get(name)
        if value is None:
            if name in required:
                errors.append(
                    problem(
                        "error",
                        "missingField",
                        f"{group}.{name} is required",
                        f"{group}.{name}",
                    )
                )
            continue
        number = _number(value)
        if number is None or number < 0 or (positive and number == 0):
            errors.append(
                problem(
                    "error",
                    "invalidField",
                    f"{group}.{name} must be a number {least}",
                    f"{group}.{name}",
                )
            )


def _number(value):
    """``value`` as a finite number, or None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
