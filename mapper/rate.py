"""A shipping quote asked of Shipwire (``POST /rate``) from plain values: the request
body, what stops one from being asked, and the key its answer is kept under.

An address is a dict with Shipwire's keys (``address1``..``address3``, ``city``,
``postalCode``, ``state`` or ``region``, ``country``, optionally ``company``,
``isCommercial``, ``isPoBox``); a line a dict with ``sku``, ``quantity`` (in the
product's unit), ``product`` (its name, for messages) and ``storable`` (False for
services and other lines that do not ship; True when left out).

Messages go through ``_``, which takes a text with ``%(name)s`` fields and their
values: Odoo's ``env._`` translates them; by default they are only filled in.
"""

import hashlib
import json
import re
from datetime import datetime, time, timezone

from ..shipwire_api.errors import ShipwireInputError, ShipwireMessage
from .outgoing import ADDRESS_FIELD_LABELS

# What a quote needs to know where the parcel goes; the street is optional (the
# website's express checkout gives only city, postal code, state and country).
REQUIRED_ADDRESS = ("country", "postalCode", "city")
STREET_KEYS = ("address1", "address2", "address3")
WAREHOUSE_KEYS = ("warehouseId", "warehouseExternalId", "warehouseRegion")


def _fill(text, **values):
    return text % values if values else text


def _text(value):
    """A value as text; None and Odoo's False for an empty field are ""."""
    return "" if value is None or value is False else str(value).strip()


def _state(address):
    return _text(address.get("state")) or _text(address.get("region"))


def _is_set(value):
    return value in (1, True, "1", "true")


def rate_problems(address, lines, _=_fill):
    """What stops Shipwire from quoting: ``ShipwireMessage`` errors, each naming
    the field to fill in and where. Empty when a quote can be asked."""
    address = address if isinstance(address, dict) else {}
    problems = [
        ShipwireMessage(
            "error",
            _(
                "The delivery address has no %(field)s: fill it in on the address "
                "to get a shipping price.",
                field=ADDRESS_FIELD_LABELS[key],
            ),
            field=f"shipTo.{key}",
        )
        for key in REQUIRED_ADDRESS
        if not _text(address.get(key))
    ]
    shipped = False
    for position, line in enumerate(lines):
        if not line.get("storable", True) or not line.get("quantity"):
            continue
        shipped = True
        product = line.get("product") or _("line %(position)s", position=position + 1)
        if not _text(line.get("sku")):
            problems.append(
                ShipwireMessage(
                    "error",
                    _(
                        "%(product)s has no Internal Reference, which Shipwire uses "
                        "as SKU: set it on the product.",
                        product=product,
                    ),
                    field=f"items[{position}].sku",
                )
            )
        quantity = line["quantity"]
        if quantity < 0 or not float(quantity).is_integer():
            problems.append(
                ShipwireMessage(
                    "error",
                    _(
                        "%(product)s: %(quantity)s is not a whole number of units; "
                        "Shipwire ships whole units only. Correct the quantity.",
                        product=product,
                        quantity=quantity,
                    ),
                    field=f"items[{position}].quantity",
                )
            )
    if not shipped:
        problems.append(
            ShipwireMessage(
                "error",
                _(
                    "The order has no product to ship, only services or empty "
                    "lines: add a storable product to get a shipping price."
                ),
                field="items",
            )
        )
    return problems


def rate_items(lines):
    """``[{"sku", "quantity"}]`` of the lines that ship, one per SKU, in the order
    of their first line."""
    units = {}
    for line in lines:
        if line.get("storable", True) and line.get("quantity"):
            sku = _text(line["sku"])
            units[sku] = units.get(sku, 0) + int(line["quantity"])
    return [{"sku": sku, "quantity": quantity} for sku, quantity in units.items()]


def future_ship_date(ship_date, today=None):
    """``ship_date`` (a date, or a datetime, naive ones in UTC as Odoo keeps them)
    as Shipwire's ISO-8601 in UTC when it is a later day than ``today`` (UTC);
    otherwise None: Shipwire then ships as soon as it can."""
    if not ship_date:
        return None
    if isinstance(ship_date, datetime):
        moment = (
            ship_date.astimezone(timezone.utc)
            if ship_date.tzinfo
            else ship_date.replace(tzinfo=timezone.utc)
        )
    else:
        moment = datetime.combine(ship_date, time.min, timezone.utc)
    today = today or datetime.now(timezone.utc).date()
    if moment.date() <= today:
        return None
    return moment.isoformat(timespec="seconds")


def rate_payload(
    address,
    lines,
    *,
    warehouse=None,
    can_split=False,
    currency="USD",
    ship_date=None,
    today=None,
    _=_fill,
):
    """The body of ``POST /rate`` for ``lines`` shipped to ``address``.

    ``warehouse`` holds the warehouse options of the account's mapping
    (``warehouseId``, ``warehouseExternalId``, ``warehouseRegion``);
    ``expectedShipDate`` is sent only for a ``ship_date`` on a later day. Raises
    ``ShipwireInputError`` listing ``rate_problems`` instead of building a body
    Shipwire would refuse.
    """
    problems = rate_problems(address, lines, _)
    if problems:
        raise ShipwireInputError(
            _("Shipwire cannot quote shipping for this order"), errors=problems
        )
    ship_to = {
        key: _text(address.get(key)) for key in STREET_KEYS if _text(address.get(key))
    }
    ship_to.update(
        city=_text(address["city"]),
        postalCode=_text(address["postalCode"]),
        country=_text(address["country"]).upper(),
        isCommercial=int(
            _is_set(address.get("isCommercial")) or bool(_text(address.get("company")))
        ),
        isPoBox=int(_is_set(address.get("isPoBox"))),
    )
    if _state(address):
        ship_to["region"] = _state(address)
    options = {
        "currency": currency,
        "groupBy": "all",
        "canSplit": int(bool(can_split)),
        **{
            key: value
            for key, value in (warehouse or {}).items()
            if key in WAREHOUSE_KEYS
        },
    }
    expected = future_ship_date(ship_date, today)
    if expected:
        options["expectedShipDate"] = expected
    return {
        "options": options,
        "order": {"shipTo": ship_to, "items": rate_items(lines)},
    }


def _squeezed(value):
    return re.sub(r"\s+", " ", _text(value)).casefold()


def normalized_address(address):
    """``address`` as a quote depends on it, written one way: trimmed, in lower
    case, runs of spaces as one, the postal code without spaces, ``state`` and
    ``region`` as one; names, phones and e-mails left out."""
    normal = {key: _squeezed(address.get(key)) for key in (*STREET_KEYS, "city")}
    normal.update(
        postalCode=_squeezed(address.get("postalCode")).replace(" ", ""),
        state=_squeezed(_state(address)),
        country=_squeezed(address.get("country")),
        isCommercial=int(
            _is_set(address.get("isCommercial")) or bool(_text(address.get("company")))
        ),
        isPoBox=int(_is_set(address.get("isPoBox"))),
    )
    return normal


def rate_cache_key(account, payload):
    """The key Shipwire's answer to ``payload`` (a ``rate_payload``) is kept under
    for ``account``: the same for the same destination written another way, or
    the same units listed in another order."""
    order, options = payload["order"], payload["options"]
    items = sorted((item["sku"], item["quantity"]) for item in order["items"])
    identity = [
        str(account),
        normalized_address(order["shipTo"]),
        items,
        {key: str(value) for key, value in options.items()},
    ]
    return hashlib.sha256(
        json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
