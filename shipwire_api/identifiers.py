"""Rules for Shipwire identifiers: what may go into a URL, lengths, and the ``.N``
split suffix.

Every value the client puts into a URL path or an id filter passes through here
first, so nothing Shipwire could read as another path or query leaves this machine.
"""

import re

from .errors import ShipwireInputError

EXTERNAL_ID_MAX_LENGTH = 32
# Splitting appends ".1", ".2"... so two characters are kept free.
EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT = 30
ORDER_NO_MAX_LENGTH = 25
ORDER_NO_MAX_LENGTH_WHEN_SPLIT = 23
# Shipwire ids are integers: a signed 64-bit one has at most 19 digits.
ID_MAX_DIGITS = 19

_EXTERNAL_ID_CHARACTERS = re.compile(r"[A-Za-z0-9._-]*")
_SPLIT_SUFFIX = re.compile(r"^(?P<base>.+?)\.(?P<number>\d+)$")
# A prefix ending like this makes "<prefix><number>" read as a split suffix.
_SUFFIX_LIKE_ENDING = re.compile(r"\.\d*$")


def checked_id(value, what):
    """``value`` as the digits of a Shipwire id, for a URL path or an id filter.

    ``what`` names the id in the error, e.g. "purchase order id".
    """
    is_int = isinstance(value, int) and not isinstance(value, bool)
    text = str(value) if is_int else value
    if (
        not isinstance(text, str)
        or not (text.isascii() and text.isdigit())
        or len(text) > ID_MAX_DIGITS
    ):
        raise ShipwireInputError(
            f"The {what} {value!r} is not a Shipwire id: give the number Shipwire "
            f"assigned, in digits only (at most {ID_MAX_DIGITS} of them)."
        )
    return text


def _check_characters(value, label, fix):
    if not _EXTERNAL_ID_CHARACTERS.fullmatch(value):
        others = "".join(sorted(set(_EXTERNAL_ID_CHARACTERS.sub("", value))))
        raise ShipwireInputError(
            f"The {label} {value!r} contains {others!r}; Shipwire identifiers may "
            f"only use the letters A-Z and a-z, digits, '.', '_' and '-'. {fix}"
        )


def _split_reason(can_split):
    return " when splitting across warehouses is allowed" if can_split else ""


def validate_external_id(external_id, can_split):
    """Raise ``ShipwireInputError`` when Shipwire would refuse or mangle the id, or
    when it could not go into a URL as it is."""
    if not external_id or not isinstance(external_id, str):
        raise ShipwireInputError(
            "The externalId is empty: give the purchase order a unique externalId."
        )
    _check_characters(external_id, "externalId", "Use another externalId.")
    limit = EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT if can_split else EXTERNAL_ID_MAX_LENGTH
    if len(external_id) > limit:
        raise ShipwireInputError(
            f"The externalId {external_id!r} has {len(external_id)} characters; "
            f"Shipwire accepts at most {limit}{_split_reason(can_split)}. "
            "Use a shorter externalId."
        )


def validate_external_id_prefix(prefix, can_split):
    """Raise ``ShipwireInputError`` unless ``prefix`` followed by a record number
    makes a valid externalId that cannot be mistaken for a split one. An empty
    prefix is valid."""
    prefix = prefix or ""
    fix = "Change the account's externalId prefix."
    _check_characters(prefix, "externalId prefix", fix)
    limit = EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT if can_split else EXTERNAL_ID_MAX_LENGTH
    if len(prefix) >= limit:
        raise ShipwireInputError(
            f"The externalId prefix {prefix!r} has {len(prefix)} characters, leaving "
            f"no room for the order number in an externalId of at most {limit}"
            f"{_split_reason(can_split)}. {fix}"
        )
    if _SUFFIX_LIKE_ENDING.search(prefix):
        raise ShipwireInputError(
            f"The externalId prefix {prefix!r} ends like Shipwire's split suffix "
            "(.1, .2), so split orders could not be matched back. End it with "
            "another character, such as '-'."
        )


def validate_order_no(order_no, can_split):
    """Raise ``ShipwireInputError`` when the order number (``purchaseOrderNo``) is
    too long for Shipwire, once the ``.N`` split suffix is added if splitting."""
    limit = ORDER_NO_MAX_LENGTH_WHEN_SPLIT if can_split else ORDER_NO_MAX_LENGTH
    if len(order_no or "") > limit:
        reason = (
            " when splitting across warehouses is allowed, as it appends .1, .2"
            if can_split
            else ""
        )
        raise ShipwireInputError(
            f"The order number (purchaseOrderNo) {order_no!r} has {len(order_no)} "
            f"characters; Shipwire accepts at most {limit}{reason}. Use a shorter "
            "order reference."
        )


def parse_split_suffix(value):
    """Split ``"SO042.2"`` into ``("SO042", 2)``; ``("SO042", None)`` without suffix."""
    match = _SPLIT_SUFFIX.match(value or "")
    if not match:
        return value, None
    return match["base"], int(match["number"])


def strip_split_suffix(value):
    """``"SO042.2"`` -> ``"SO042"``; other values unchanged."""
    return parse_split_suffix(value)[0]
