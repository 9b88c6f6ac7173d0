"""Errors raised by the Shipwire client.

Every error carries a sentence a warehouse clerk can act on, plus what Shipwire said:
the HTTP status and the typed errors and warnings of the answer.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class ShipwireMessage:
    """One error, warning or info element from a Shipwire answer.

    Shipwire uses several shapes (v3 ``errors``/``warnings`` objects, ``v4Errors``,
    plain strings, objects keyed by order id); ``message`` is always a sentence.
    ``order_no``, ``external_id`` and ``id`` name the order (or PO) it is about,
    when Shipwire says: a split order's own number, with its ``.N`` suffix;
    ``sku`` (or ``external_id``) the product.
    """

    type: str
    message: str
    code: str = ""
    field: str = ""
    order_no: str = ""
    external_id: str = ""
    id: str = ""
    sku: str = ""

    def __str__(self):
        about = ", ".join(
            part
            for part in (self.field, self.order_no and f"order {self.order_no}")
            if part
        )
        return f"{self.message} ({about})" if about else self.message


class ShipwireError(Exception):
    """Base class: something went wrong talking to Shipwire."""

    def __init__(self, message, *, status=None, errors=(), warnings=()):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = list(errors)
        self.warnings = list(warnings)

    def __str__(self):
        details = "; ".join(str(error) for error in self.errors)
        return f"{self.message}: {details}" if details else self.message


class ShipwireInputError(ShipwireError, ValueError):
    """Refused locally, before any request: the data cannot be sent as it is."""


class ShipwireAuthError(ShipwireError):
    """Shipwire did not accept the API user and password."""


class ShipwireNotFoundError(ShipwireError):
    """Shipwire does not know the purchase order, order or subscription asked for."""


class ShipwireStateError(ShipwireError):
    """Shipwire refused the action in the record's current state (HTTP 422)."""


class ShipwireRejectedError(ShipwireError):
    """Shipwire answered but refused the request; ``errors`` says why."""


class ShipwireNotReturnableError(ShipwireRejectedError):
    """Shipwire refused a return because the original order is not returnable yet:
    held, not yet processed, too new, or cancelled."""


class ShipwireTransientError(ShipwireError):
    """Shipwire could not be reached or failed, even after the retries.

    The outcome of the request is unknown: sending again is safe, because a repeated
    create is recognised as a duplicate and recovered.
    """


class ShipwireTimeoutError(ShipwireTransientError):
    """Shipwire did not answer within the time allowed."""
