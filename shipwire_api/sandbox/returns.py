"""Returns (RMA): units a customer sends back from a fulfillment order.

Shipwire keeps returns in its receivings back end, so a return is a receiving
record in all but its body: the same counters, holds, controls and cancelled
spelling (``receiving_cancelled_spelling``), ids from the receivings' sequence.
The records sit in ``store.returns``. Each change raises a ``return.*`` webhook
event of kind "return" (the return, items expanded) or "returnHolds" (its holds).
"""

from .receivings import WAREHOUSE_KEYS, ReceivingDesk, _refusal, _units
from .store import SandboxError, active, mutation
from .validation import is_flag_set

REFUSAL_CODE = "returnSubmitFailed"
NOT_RETURNABLE = 'Only orders that are "processed" and not "cancelled" can be returned'
ALREADY_REPORTED = "You have already reported this issue."
OTHER_WAREHOUSE = (
    "This return will be shipped to a different warehouse than the one specified."
)
# Order stages a return may be made from (a held order reads "held" whatever its
# stage, and is refused).
RETURNABLE_STAGES = ("processed", "submitted", "completed", "delivered")
SHIPPED_STAGES = ("completed", "delivered")
NOT_FOUND = "Return Order not found."
OPTION_FIELDS = ("emailCustomer", "generatePrepaidLabel")


class Refused(Exception):
    """A create Shipwire answers with HTTP 200 and a ``returnSubmitFailed`` error."""

    def __init__(self, order_id, message):
        super().__init__(message)
        self.error = {
            "code": REFUSAL_CODE,
            "id": order_id,
            "type": "error",
            "message": message,
        }


class ReturnDesk(ReceivingDesk):
    """Creates, changes and finds the store's returns; counts the API requests
    about them."""

    noun = "Return"
    not_found = NOT_FOUND

    @property
    def records(self):
        return self.store.returns

    def stats(self):
        with self.lock:
            return {"returns": len(self.records), **self.requests}

    def of_order(self, order):
        return [r for r in self.records.values() if r["orderId"] == order["id"]]

    # ----------------------------------------------------------------- API writes

    @mutation
    def add(self, body):
        """``(record, warnings)``; raises ``Refused`` for a return Shipwire would
        not make."""
        store = self.store
        original = body.get("originalOrder")
        order_id = original.get("id") if isinstance(original, dict) else None
        order = store.orders.get(int(order_id)) if str(order_id).isdigit() else None
        if order is None:
            raise Refused(order_id, f"Original order {order_id} not found.")
        young = store.clock() - order["created"] < self.settings.return_min_order_age
        if order["stage"] not in RETURNABLE_STAGES or active(order["holds"]) or young:
            raise Refused(order["id"], NOT_RETURNABLE)
        external_id = body.get("externalId")
        for other in self.of_order(order) + self._same_external_id(external_id):
            if other["stage"] != "cancelled":
                raise Refused(order["id"], ALREADY_REPORTED)
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        warehouse = self.warehouse(options)
        if warehouse is None and any(key in options for key in WAREHOUSE_KEYS):
            raise Refused(order["id"], "Unknown warehouse.")
        data = {
            "externalId": external_id,
            "orderNo": order["orderNo"],
            "options": {
                key: int(is_flag_set(options.get(key))) for key in OPTION_FIELDS
            },
        }
        now = store.clock()
        record = {
            "id": store._new_id("receiving"),
            "transactionId": f"{int(now)}-{store._rng.randrange(100000, 999999)}-1",
            "orderId": order["id"],
            "stage": "processed",
            "holds": [],
            "created": now,
            "processedAt": now,
            "submittedAt": None,
            "deliveredAt": None,
            "completedAt": None,
            "cancelledAt": None,
            "updated": now,
            "data": data,
            "warehouse": warehouse["externalId"] if warehouse else order["warehouse"],
            "items": self._items({"items": self._returned_items(order, body)}),
        }
        self.records[record["id"]] = record
        store._emit("return.created", "return", record["id"])
        warnings = []
        if self.settings.return_warehouse_warning:
            warning = {"code": REFUSAL_CODE, "type": "warning"}
            warnings.append({**warning, "message": OTHER_WAREHOUSE})
        return record, warnings

    def _same_external_id(self, external_id):
        if not isinstance(external_id, str):
            return []
        return [
            r for r in self.records.values() if r["data"]["externalId"] == external_id
        ]

    @staticmethod
    def _returned_items(order, body):
        """The items asked back, each within what the order shipped (or, not yet
        shipped, what it holds)."""
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise Refused(order["id"], "No items in return.")
        shipped = order["stage"] in SHIPPED_STAGES
        returnable = {}
        for item in order["items"]:
            units = item["shipped"] if shipped else item["quantity"]
            returnable[item["sku"]] = returnable.get(item["sku"], 0) + units
        asked = {}
        for item in items:
            sku = item.get("sku") if isinstance(item, dict) else None
            try:
                quantity = _units(item.get("quantity"), "quantity") if sku else 0
            except ValueError:
                quantity = 0
            if sku not in returnable:
                raise Refused(order["id"], f"SKU {sku} is not on order {order['id']}.")
            if not quantity:
                raise Refused(
                    order["id"], f"SKU {sku}: quantity must be a positive integer."
                )
            asked[sku] = asked.get(sku, 0) + quantity
            if asked[sku] > returnable[sku]:
                raise Refused(
                    order["id"],
                    f"SKU {sku}: only {returnable[sku]} units can be returned from "
                    f"order {order['id']}.",
                )
        return [{"sku": sku, "quantity": quantity} for sku, quantity in asked.items()]

    @mutation
    def cancel(self, ref):
        record = self.receiving(ref)
        if record["stage"] in ("completed", "cancelled") or any(
            item["good"] or item["damaged"] or item["inReview"]
            for item in record["items"]
        ):
            raise _refusal(record, "Return Order cannot be cancelled")
        now = self.store.clock()
        # As a receiving: a cancelled return also reads submitted and completed.
        record["submittedAt"] = record["submittedAt"] or now
        record.update(stage="cancelled", cancelledAt=now, completedAt=now)
        self._touch(record)
        self.store._emit("return.canceled", "return", record["id"])
        return record

    def _touch(self, record):
        self.store._emit("return.updated", "return", record["id"])
        return super()._touch(record)

    # ----------------------------------------------------------------- controls

    @mutation
    def complete(self, ref):
        record = super().complete(ref)
        self.store._emit("return.completed", "return", record["id"])
        return record

    @mutation
    def hold(self, ref, description, hold_type="customer"):
        record = self.receiving(ref)
        if record["stage"] in ("completed", "cancelled"):
            raise SandboxError(409, f"Return {record['id']} cannot be held.")
        self._add_hold(record, hold_type, description)
        self._touch(record)
        self.store._emit("return.hold.added", "returnHolds", record["id"])
        return record

    @mutation
    def clear_holds(self, ref):
        record = self.receiving(ref)
        had_holds = bool(active(record["holds"]))
        super().clear_holds(ref)
        if had_holds:
            self.store._emit("return.hold.cleared", "returnHolds", record["id"])
        return record
