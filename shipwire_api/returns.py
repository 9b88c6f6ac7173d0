"""Returns (RMA: units a customer sends back from a fulfillment order): what a
create gave back, the checks made before one is sent, and how Shipwire's refusals
are told apart."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .envelope import collect_messages, collection_items
from .errors import (
    ShipwireMessage,
    ShipwireNotReturnableError,
    ShipwireRejectedError,
)
from .identifiers import checked_id, validate_external_id

# Shipwire's refusal of a second return of one order (HTTP 200, code
# returnSubmitFailed): the sign that a repeated create already made it.
ALREADY_REPORTED = "you have already reported this issue"
# 'Only orders that are "processed" and not "cancelled" can be returned': the order
# is held or too new, and may be returnable later.
NOT_RETURNABLE = ("only orders that are", "can be returned")
CANCELLED = ("cancelled", "canceled")


@dataclass
class ReturnResult:
    """A return Shipwire holds, with what it said about it. A
    ``returnSubmitFailed`` *warning* (the return ships to another warehouse) is in
    ``warnings``: the return was made."""

    resource: dict
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # True when Shipwire answered "You have already reported this issue." and the
    # return already made was found.
    recovered: bool = False

    @property
    def id(self):
        value = self.resource.get("id")
        return None if value is None else int(value)


def validate_return(payload):
    """Raise ``ShipwireInputError`` when Shipwire would refuse the return's
    externalId (needed to find it again) or its original order is no Shipwire id;
    returns that id."""
    validate_external_id(payload.get("externalId"), can_split=False)
    original = payload.get("originalOrder")
    order_id = original.get("id") if isinstance(original, dict) else None
    return checked_id(order_id, "original order id (originalOrder.id)")


def is_cancelled(resource):
    return str(resource.get("status")).lower() in CANCELLED


def of_order(resource, order_id):
    """False when the return links to another original order than ``order_id``."""
    link = resource.get("originalOrder")
    location = link.get("resourceLocation") if isinstance(link, dict) else None
    if not isinstance(location, str):
        return True
    return urlsplit(location).path.rstrip("/").endswith(f"/orders/{order_id}")


def already_reported(error):
    return any(ALREADY_REPORTED in message.message.lower() for message in error.errors)


def written_return(body, external_id):
    """The ``ReturnResult`` of Shipwire's answer to a create (a collection). An
    answer without the return raises ``ShipwireNotReturnableError`` when the order
    cannot be returned yet, else ``ShipwireRejectedError``, with Shipwire's
    messages."""
    errors, warnings = collect_messages(body)
    resource = body.get("resource")
    items = collection_items(resource)
    made = items[0] if items and resource.get("total") else None
    if isinstance(made, dict) and made.get("id") is not None:
        return ReturnResult(made, errors, warnings)
    if not errors:
        said = body.get("message") or "no reason given"
        errors = [ShipwireMessage("error", f"Shipwire made no return ({said})")]
    refusal = (
        ShipwireNotReturnableError
        if any(_not_returnable(error) for error in errors)
        else ShipwireRejectedError
    )
    raise refusal(
        f"Shipwire refused return {external_id}",
        status=body.get("status"),
        errors=errors,
        warnings=warnings,
    )


def _not_returnable(error):
    text = error.message.lower()
    return all(words in text for words in NOT_RETURNABLE)
