"""Receivings (inbound shipments announced to a Shipwire warehouse): what a create
or update gave back, and the checks made before one is sent."""

from dataclasses import dataclass, field

from .envelope import collect_messages, collection_items, single_resource
from .errors import ShipwireInputError, ShipwireMessage, ShipwireRejectedError
from .identifiers import ORDER_NO_MAX_LENGTH, validate_external_id


@dataclass
class ReceivingResult:
    """A receiving Shipwire holds, with what it said about it."""

    resource: dict
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # True when a repeated create was answered "duplicate" and the receiving was
    # looked up by its externalId.
    recovered: bool = False

    @property
    def id(self):
        value = self.resource.get("id")
        return None if value is None else int(value)


def validate_receiving(payload):
    """Raise ``ShipwireInputError`` when Shipwire would refuse the receiving's
    externalId (needed to find it again after a lost answer) or orderNo."""
    validate_external_id(payload.get("externalId"), can_split=False)
    order_no = payload.get("orderNo")
    if order_no is not None and len(str(order_no)) > ORDER_NO_MAX_LENGTH:
        raise ShipwireInputError(
            f"The receiving's orderNo {order_no!r} has {len(str(order_no))} "
            f"characters; Shipwire accepts at most {ORDER_NO_MAX_LENGTH}. Use a "
            "shorter purchase order reference."
        )


def written_receiving(body, external_id, created):
    """The ``ReceivingResult`` of Shipwire's answer to a create (a collection,
    ``created``) or an update (the receiving alone). An answer without the
    receiving raises ``ShipwireRejectedError`` with Shipwire's messages."""
    errors, warnings = collect_messages(body)
    resource = body.get("resource")
    if created:
        items = collection_items(resource)
        receiving = items[0] if items and resource.get("total") else None
    else:
        receiving = single_resource(body)
    if isinstance(receiving, dict) and receiving.get("id") is not None:
        return ReceivingResult(receiving, errors, warnings)
    if not errors:
        said = body.get("message") or "no reason given"
        errors = [ShipwireMessage("error", f"Shipwire wrote no receiving ({said})")]
    raise ShipwireRejectedError(
        f"Shipwire refused receiving {external_id}",
        status=body.get("status"),
        errors=errors,
        warnings=warnings,
    )
