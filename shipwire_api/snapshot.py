"""A PO together with its fulfillment orders, read in as few calls as possible."""

from dataclasses import dataclass

from .client import PurchaseOrderResult
from .errors import ShipwireError

# Holds, trackings and items come embedded in the order list: one call for all.
ORDER_EXPANSIONS = "holds,trackings,items"


@dataclass
class Snapshot:
    """``result`` is ``None`` when Shipwire has no PO for the order."""

    result: PurchaseOrderResult | None
    fulfillment_orders: list | None = None


@dataclass
class Outcome:
    """What a call returned, or the ``ShipwireError`` it raised."""

    value: object = None
    error: ShipwireError | None = None


def capture(function):
    """Wrap ``function`` so that Shipwire errors come back as an ``Outcome``."""

    def wrapper(*args):
        try:
            return Outcome(value=function(*args))
        except ShipwireError as error:
            return Outcome(error=error)

    return wrapper


def fulfillment_orders(client, purchase_order_id):
    """The orders of one PO; none without an id, which would list every order."""
    if not purchase_order_id:
        return []
    orders = client.search_orders(
        purchase_order_ids=[purchase_order_id], expand=ORDER_EXPANSIONS
    )
    return [
        order
        for order in orders
        if str(order.get("purchaseOrderId", purchase_order_id))
        == str(purchase_order_id)
    ]


def _with_orders(client, result, purchase_order_id=None):
    return Snapshot(result, fulfillment_orders(client, result.id or purchase_order_id))


def create(client, payload):
    return _with_orders(client, client.create_purchase_order(payload))


def find_or_create(client, payload):
    """Create the PO unless Shipwire holds one with its externalId already: an
    earlier create may have reached it without its answer reaching us, and a
    repeated create is not sure to be refused as a duplicate."""
    purchase_order = client.find_purchase_order(payload["externalId"])
    if purchase_order is None:
        return create(client, payload)
    return _with_orders(client, PurchaseOrderResult(purchase_order, recovered=True))


def update(client, purchase_order_id, payload):
    return _with_orders(
        client,
        client.update_purchase_order(purchase_order_id, payload),
        purchase_order_id,
    )


def fetch(client, purchase_order_id, external_id):
    """The PO by id, or by externalId when the order never learnt its id."""
    if purchase_order_id:
        purchase_order = client.get_purchase_order(purchase_order_id)
    else:
        purchase_order = client.find_purchase_order(external_id)
        if purchase_order is None:
            return Snapshot(None)
    return _with_orders(client, PurchaseOrderResult(purchase_order))


def act_then_fetch(client, method_name, purchase_order_id):
    """Approve, cancel, hold...: then read the PO as it now is."""
    getattr(client, method_name)(purchase_order_id)
    return fetch(client, purchase_order_id, None)
