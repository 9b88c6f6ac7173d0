"""The Shipwire state an order must show in Odoo, judged from what the sandbox
holds by a rule written out here from the sandbox (shipwire_api/sandbox/store.py
and settings.py), independently of the addon's mapper. The soak and the webhook
benchmark judge by it."""

PO_STATUS_STATES = {
    "needsApproval": "needs_approval",
    "onHold": "held",
    "approved": "approved",
    "partiallyCompleted": "partially_shipped",
    "completed": "shipped",
    "canceled": "cancelled",
}
SHIPPED_STATUSES = ("completed", "delivered")
WAITING_STATUSES = ("unprocessed", "processed", "submitted")


def order_status(fulfillment_order):
    """A fulfillment order's status as the sandbox reads it, "canceled" spelled
    "cancelled" (list filters spell it one way, responses the other)."""
    status = (fulfillment_order.get("status") or "").lower()
    return "cancelled" if status == "canceled" else status


def active_holds(fulfillment_order):
    """The holds the sandbox lists for a fulfillment order read with expand=holds:
    only active ones."""
    holds = (fulfillment_order.get("holds") or {}).get("resource") or {}
    return holds.get("items") or []


def expected_state(purchase_order, fulfillment_orders):
    """The Shipwire state an order must show in Odoo, from what the sandbox holds:

    - no fulfillment orders (yet): the PO status says it (PO_STATUS_STATES);
    - every fulfillment order cancelled: cancelled;
    - of the others, every one shipped (completed or delivered): shipped;
      some of them: partially_shipped;
    - one of them held (status held, or an active hold), or the PO on hold: held;
    - all of them waiting or at the warehouse (unprocessed, processed, submitted):
      approved.

    None when the sandbox's statuses fit none of these: the order then disagrees.
    "not_delivered" (shipped, but Odoo's delivery not validated) is never expected:
    nothing in the benchmarks stops Odoo's deliveries."""
    if not fulfillment_orders:
        return PO_STATUS_STATES.get(purchase_order.get("status"))
    live = [fo for fo in fulfillment_orders if order_status(fo) != "cancelled"]
    if not live:
        return "cancelled"
    shipped = [fo for fo in live if order_status(fo) in SHIPPED_STATUSES]
    if len(shipped) == len(live):
        return "shipped"
    if shipped:
        return "partially_shipped"
    if purchase_order.get("status") == "onHold" or any(
        order_status(fo) == "held" or active_holds(fo) for fo in live
    ):
        return "held"
    if all(order_status(fo) in WAITING_STATUSES for fo in live):
        return "approved"
    return None
