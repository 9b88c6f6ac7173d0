"""Rules for Shipwire identifiers: externalId lengths and the ``.N`` split suffix."""

import re

from .errors import ShipwireInputError

EXTERNAL_ID_MAX_LENGTH = 32
# Splitting appends ".1", ".2"... so two characters are kept free.
EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT = 30

_SPLIT_SUFFIX = re.compile(r"^(?P<base>.+?)\.(?P<number>\d+)$")


def validate_external_id(external_id, can_split):
    """Raise ``ShipwireInputError`` when Shipwire would refuse or mangle the id."""
    if not external_id:
        raise ShipwireInputError(
            "The externalId is empty: give the purchase order a unique externalId."
        )
    limit = EXTERNAL_ID_MAX_LENGTH_WHEN_SPLIT if can_split else EXTERNAL_ID_MAX_LENGTH
    if len(external_id) > limit:
        reason = " when splitting across warehouses is allowed" if can_split else ""
        raise ShipwireInputError(
            f"The externalId {external_id!r} has {len(external_id)} characters; "
            f"Shipwire accepts at most {limit}{reason}. Use a shorter externalId."
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
