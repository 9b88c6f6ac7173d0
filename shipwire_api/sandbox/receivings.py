"""Receivings: shipments announced to a warehouse, and the rules that change them.

The records sit in the store (``store.receivings``), under its lock, and are saved
with its state. A record keeps the body as sent under "data"; its items carry the
counters the warehouse reports (expected, pending, good, inReview, damaged), which
only the sandbox's control endpoints move.
"""

import copy
from collections import Counter
from datetime import datetime

from .dates import PACIFIC, parse_date
from .store import SandboxError, active, mutation
from .validation import problem, status_key, validate_receiving

# Announced, sent to the warehouse, at the dock being counted, counts final; or
# "cancelled".
OPEN_STAGES = ("processed", "submitted")
# Stages a PUT may no longer change (inferred).
FROZEN_STAGES = ("delivered", "completed", "cancelled")
# Fields of a receiving body the client may not set.
SERVER_OWNED_FIELDS = (
    "id",
    "status",
    "transactionId",
    "commerceName",
    "lastUpdatedDate",
    "events",
    "routing",
    "holds",
    "labels",
)
# Where received units go: the item's counter and the stock counter it joins.
ARRIVALS = (("good", "good"), ("damaged", "damaged"), ("inReview", "inreview"))
REVIEW_HOLD = ("shipwire", "Order requires review by Shipwire")
TRACKING_HOLD = ("customer", "Missing tracking information")
NOT_FOUND = "Receiving not found"
# How options name the warehouse, by the field of the catalogue's warehouse.
WAREHOUSE_KEYS = {
    "warehouseId": "id",
    "warehouseExternalId": "externalId",
    "warehouseRegion": "region",
}


def local_midnight(value):
    """The epoch timestamp of Pacific midnight on the day of the ISO-8601 date
    ``value``, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        day = datetime.fromtimestamp(parse_date(value), PACIFIC).date()
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=PACIFIC).timestamp()


def _units(value, name):
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer of 0 or more")
    return value


class ReceivingDesk:
    """Creates, changes and finds the store's receivings; counts the API requests
    about them. Returns, kept in the same back end, reuse it (``returns``)."""

    noun = "Receiving"
    not_found = NOT_FOUND

    def __init__(self, store):
        self.store = store
        self.settings = store.settings
        self.lock = store.lock
        self.requests = Counter()

    def _commit(self):
        """What ``mutation`` runs once done: every change here is saved."""
        self.store._dirty = True
        self.store._commit()

    def count(self, name):
        with self.lock:
            self.requests[name] += 1

    @property
    def records(self):
        return self.store.receivings

    def stats(self):
        with self.lock:
            return {"receivings": len(self.records), **self.requests}

    # ----------------------------------------------------------------- lookups

    def receiving(self, ref, message=None):
        ref = str(ref)
        record = self.records.get(int(ref)) if ref.isdigit() else None
        if record is None:
            raise SandboxError(404, message or self.not_found)
        return record

    def status(self, record):
        stage = record["stage"]
        if stage == "cancelled":
            return self.settings.receiving_cancelled_spelling
        if stage in OPEN_STAGES and active(record["holds"]):
            return "held"
        return stage

    def warehouse(self, options):
        """The catalogue's warehouse ``options`` names by id, externalId or region,
        or None."""
        for key in WAREHOUSE_KEYS:
            wanted = options.get(key)
            if wanted is None:
                continue
            for warehouse in self.store.warehouses:
                if str(warehouse[WAREHOUSE_KEYS[key]]) == str(wanted):
                    return warehouse
        return None

    def list(self, filters, updated_after=None):
        """Receivings matching every filter, least recently changed first: like
        Shipwire's, the list is not in the order of ids."""
        store = self.store
        fields = {
            "orderId": lambda record: record["id"],
            "externalId": lambda record: record["data"].get("externalId"),
            "orderNo": lambda record: record["data"].get("orderNo"),
            "transactionId": lambda record: record["transactionId"],
            "status": lambda record: status_key(self.status(record)),
            "warehouseId": lambda record: store.warehouse(record["warehouse"])["id"],
            "warehouseExternalId": lambda record: record["warehouse"],
        }
        if "status" in filters:
            filters = {**filters, "status": {status_key(v) for v in filters["status"]}}
        records = sorted(self.records.values(), key=lambda r: (r["updated"], r["id"]))
        return store._select(records, fields, filters, updated_after)

    # ----------------------------------------------------------------- API writes

    def _problems(self, data, exclude_id=None):
        errors = validate_receiving(data, self.store.known_skus, self.settings)
        options = data.get("options")
        if not isinstance(options, dict) or self.warehouse(options) is None:
            errors.append(
                problem(
                    "error",
                    "invalidWarehouse",
                    "Unknown warehouse: give options.warehouseId, "
                    "warehouseExternalId or warehouseRegion of one of the account's "
                    "warehouses",
                    "options",
                )
            )
        expected = data.get("expectedDate")
        if expected is not None and local_midnight(expected) is None:
            errors.append(
                problem(
                    "error",
                    "invalidField",
                    "expectedDate must be an ISO-8601 date",
                    "expectedDate",
                )
            )
        duplicate = self._duplicate(data, exclude_id)
        if duplicate:
            errors.append(duplicate)
        return [{**error, "externalId": data.get("externalId")} for error in errors]

    def _duplicate(self, data, exclude_id):
        external_id = data.get("externalId")
        if not isinstance(external_id, str) or not (
            self.settings.duplicate_external_ids_refused
        ):
            return None
        reusable = self.settings.canceled_external_ids_reusable
        for other in self.store.receivings.values():
            if (
                other["id"] != exclude_id
                and other["data"].get("externalId") == external_id
                and not (reusable and other["stage"] == "cancelled")
            ):
                return problem(
                    "error",
                    "duplicateExternalId",
                    f"Duplicate receiving: externalId {external_id} already exists",
                    "externalId",
                )
        return None

    def _items(self, data):
        items = []
        for item in data["items"]:
            product = self.store.product_by_sku(item["sku"]) or {"id": None, "data": {}}
            quantity = item["quantity"]
            items.append(
                {
                    "sku": item["sku"],
                    "quantity": quantity,
                    "productId": product["id"],
                    "productExternalId": product["data"].get("externalId"),
                    "expected": quantity,
                    "pending": quantity,
                    "good": 0,
                    "inReview": 0,
                    "damaged": 0,
                }
            )
        return items

    def _accept(self, record, data):
        record["data"] = data
        record["warehouse"] = self.warehouse(data["options"])["externalId"]
        record["items"] = self._items(data)

    @mutation
    def add(self, body):
        """``(record, errors)``: the receiving created, or None and why not."""
        data = _data(body)
        errors = self._problems(data)
        if errors:
            return None, errors
        store, now = self.store, self.store.clock()
        record = {
            "id": store._new_id("receiving"),
            "transactionId": f"{int(now)}-{store._rng.randrange(100000, 999999)}-1",
            "stage": "processed",
            "holds": [],
            "created": now,
            "processedAt": now,
            "submittedAt": None,
            "deliveredAt": None,
            "completedAt": None,
            "cancelledAt": None,
            "updated": now,
        }
        self._accept(record, data)
        store.receivings[record["id"]] = record
        return record, []

    @mutation
    def add_holds_after_create(self, receiving_id):
        """The holds Shipwire was seen to add once a receiving was created."""
        record = self.receiving(receiving_id)
        holds = [REVIEW_HOLD]
        if not record["data"].get("trackings"):
            holds.append(TRACKING_HOLD)
        for hold_type, description in holds:
            self._add_hold(record, hold_type, description)
        self._touch(record)

    def _add_hold(self, record, hold_type, description):
        record["holds"].append(
            {
                "id": self.store._new_id("hold"),
                "type": hold_type,
                "description": description,
                "applied": self.store.clock(),
                "cleared": None,
            }
        )

    @mutation
    def update(self, ref, body):
        """Replace the receiving's body; ``(record, errors)`` as ``add``."""
        record = self.receiving(ref)
        if record["stage"] in FROZEN_STAGES:
            raise _refusal(record, "Receiving cannot be updated")
        data = _data(body)
        errors = self._problems(data, exclude_id=record["id"])
        if errors:
            return None, errors
        self._accept(record, data)
        record["processedAt"] = record["updated"] = self.store.clock()
        return record, []

    @mutation
    def cancel(self, ref):
        record = self.receiving(ref)
        if record["stage"] in ("completed", "cancelled") or _received(record):
            raise _refusal(record, "Receiving cannot be cancelled")
        now = self.store.clock()
        # As recorded: a cancelled receiving also reads submitted and completed.
        record["submittedAt"] = record["submittedAt"] or now
        record.update(stage="cancelled", cancelledAt=now, completedAt=now)
        self._touch(record)
        return record

    def _touch(self, record):
        record["updated"] = self.store.clock()

    # ----------------------------------------------------------------- controls

    def _counting(self, ref):
        record = self.receiving(ref)
        if record["stage"] in ("completed", "cancelled"):
            raise SandboxError(
                409,
                f"{self.noun} {record['id']} is {self.status(record)}: its counts "
                "are final.",
            )
        return record

    def _items_of(self, record, sku):
        items = [item for item in record["items"] if item["sku"] == sku]
        if not items:
            raise SandboxError(404, f"{self.noun} {record['id']} has no item {sku}.")
        return items

    def _stock(self, record, sku):
        """The product, warehouse and stock counters the units of ``sku`` join."""
        store = self.store
        product = store.product_by_sku(sku)
        warehouse = store.known_warehouse(record["warehouse"])
        counters = store._stock_row(product, record["warehouse"])["counters"]
        return product, warehouse, counters

    @mutation
    def receive(self, ref, sku, good=None, damaged=None, in_review=None):
        """Units of ``sku`` counted at the dock leave ``pending``: in good
        condition, damaged or to be reviewed. They join the warehouse's stock."""
        record = self._counting(ref)
        units = {
            "good": _units(good, "good"),
            "damaged": _units(damaged, "damaged"),
            "inReview": _units(in_review, "inReview"),
        }
        total = sum(units.values())
        if not total:
            raise ValueError("Give good, damaged or inReview units to receive")
        items = self._items_of(record, sku)
        pending = sum(item["pending"] for item in items)
        if total > pending:
            raise SandboxError(
                409,
                f"Only {pending} units of {sku} are pending on {self.noun.lower()} "
                f"{record['id']}; {total} cannot be received.",
            )
        product, warehouse, counters = self._stock(record, sku)
        for name, counter in ARRIVALS:
            left = units[name]
            for item in items:
                taken = min(left, item["pending"])
                item["pending"] -= taken
                item[name] += taken
                left -= taken
            if units[name]:
                counters[counter] = (counters.get(counter) or 0) + units[name]
                self.store._emit_transition(
                    None, product, warehouse, "pending", counter, units[name]
                )
        if record["stage"] in OPEN_STAGES:
            record.update(stage="delivered", deliveredAt=self.store.clock())
        self._touch(record)
        return record

    @mutation
    def review(self, ref, sku, reviewed_good=None, reviewed_damaged=None):
        """Units in review found good or damaged, at the receiving and in stock."""
        record = self._counting(ref)
        units = {
            "good": _units(reviewed_good, "reviewedGood"),
            "damaged": _units(reviewed_damaged, "reviewedDamaged"),
        }
        items = self._items_of(record, sku)
        in_review = sum(item["inReview"] for item in items)
        if sum(units.values()) > in_review:
            raise SandboxError(
                409,
                f"Only {in_review} units of {sku} are in review on "
                f"{self.noun.lower()} {record['id']}.",
            )
        product, warehouse, _counters = self._stock(record, sku)
        for name, left in units.items():
            for item in items:
                taken = min(left, item["inReview"])
                item["inReview"] -= taken
                item[name] += taken
                left -= taken
            self.store._move(None, product, warehouse, "inreview", name, units[name])
        self._touch(record)
        return record

    @mutation
    def submit(self, ref):
        record = self.receiving(ref)
        if record["stage"] != "processed":
            raise SandboxError(
                409, f"Only a processed {self.noun.lower()} can be submitted."
            )
        record.update(stage="submitted", submittedAt=self.store.clock())
        self._touch(record)
        return record

    @mutation
    def complete(self, ref):
        """Counts are final: what is still pending never came (a shortage)."""
        record = self._counting(ref)
        for item in record["items"]:
            item["pending"] = 0
        record.update(stage="completed", completedAt=self.store.clock())
        self._touch(record)
        return record

    @mutation
    def clear_holds(self, ref):
        record = self.receiving(ref)
        now = self.store.clock()
        for hold in active(record["holds"]):
            hold["cleared"] = now
        self._touch(record)
        return record


def _data(body):
    return {
        key: copy.deepcopy(value)
        for key, value in body.items()
        if key not in SERVER_OWNED_FIELDS
    }


def _received(record):
    return any(
        item["good"] or item["damaged"] or item["inReview"] for item in record["items"]
    )


def _refusal(record, message):
    data = record["data"]
    subject = {
        "id": record["id"],
        "orderNo": data.get("orderNo"),
        "externalId": data.get("externalId"),
    }
    return SandboxError(422, message, subject)
