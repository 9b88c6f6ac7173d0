"""In-memory state of the sandbox and the business rules that change it (no HTTP here).

Records are plain JSON-ready dicts so the whole state can be written to a file. One
re-entrant lock guards everything; each public mutation holds it from start to finish,
then hands the events it raised to the listeners (still under the lock, so webhook
payloads show the state right after the change) and saves the state file if there is
one.
Events are ``(topic, kind, id)`` with kind "purchaseOrder", "order", "orderHolds" or
"orderTrackings" (the resource a webhook for the topic carries), or ``(topic, "stock",
body)``: a stock transition carries its own body, the counters right after it.
"""

import contextlib
import copy
import functools
import json
import os
import random
import secrets
import threading
import time
from collections import Counter, defaultdict, namedtuple

from .allocation import plan_fulfillment
from .catalogue import normalize_catalogue
from .rates import shipped_cost
from .validation import (
    is_flag_set,
    problem,
    status_key,
    validate_product,
    validate_purchase_order,
)

STATE_VERSION = 2

# An order's stages, in order: accepted and waiting, cleared for the warehouse, at
# the warehouse, shipped, delivered; or "cancelled".
OPEN_STAGES = ("unprocessed", "processed", "submitted")
SHIPPED_STAGES = ("completed", "delivered")
# The stages a control action may move an order on from, by the stage it moves to.
MOVES = {
    "processed": ("unprocessed", "processed"),  # again: it lifts holds added since
    "submitted": ("unprocessed", "processed"),
    "completed": OPEN_STAGES,
    "delivered": ("completed",),
}
ORDER_STATUS_TOPICS = {
    "processed": "order.processed",
    "submitted": "order.submitted",
    "completed": "order.completed",
    "cancelled": "order.canceled",
}
# Fields of a purchase order body the client may not set.
SERVER_OWNED_FIELDS = ("id", "status", "transactionId", "doNotPersistOnWarnings")
# Fields of a product body the client may not set.
SERVER_OWNED_PRODUCT_FIELDS = ("id", "status", "stock")

# The counters of one SKU in one warehouse, in the order Shipwire lists them.
STOCK_COUNTERS = (
    "pending",
    "good",
    "reserved",
    "backordered",
    "shipping",
    "shipped",
    "creating",
    "consuming",
    "consumed",
    "created",
    "damaged",
    "returned",
    "inreview",
)
DAY = 24 * 60 * 60
# Units ordered and shipped lately: counted from the orders, over these many seconds.
RECENT_ACTIVITY = {
    "shippedLastDay": ("shipped", DAY),
    "shippedLastWeek": ("shipped", 7 * DAY),
    "shippedLast4Weeks": ("shipped", 28 * DAY),
    "orderedLastDay": ("ordered", DAY),
    "orderedLastWeek": ("ordered", 7 * DAY),
    "orderedLast4Weeks": ("ordered", 28 * DAY),
}
STOCK_FIELDS = (*STOCK_COUNTERS, "availableDate", *RECENT_ACTIVITY)

# What a create or update did: the purchase order (None when a create was rejected)
# and the v4 errors and warnings to report.
Outcome = namedtuple("Outcome", "purchase_order errors warnings")


class SandboxError(Exception):
    """A request the current state does not allow, with the HTTP status to answer.

    ``subject`` (``{"id", "orderNo", "externalId"}``) names the purchase order or
    order whose state refused it.
    """

    def __init__(self, status, message, subject=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.subject = subject


def refusal(record, message):
    """The 422 for an action the state of a purchase order or order does not allow."""
    data = record.get("data")  # a purchase order keeps what was sent under "data"
    subject = {
        "id": record["id"],
        "orderNo": data.get("purchaseOrderNo") if data else record["orderNo"],
        "externalId": (data or record).get("externalId"),
    }
    return SandboxError(422, message, subject)


def mutation(method):
    """Run ``method`` under the lock, then publish its events and save."""

    @functools.wraps(method)
    def run_locked(self, *args, **kwargs):
        with self.lock:
            try:
                return method(self, *args, **kwargs)
            finally:
                self._commit()

    return run_locked


def active(holds):
    return [hold for hold in holds if hold["cleared"] is None]


class Store:
    def __init__(self, settings, catalogue, state_file=None, clock=time.time):
        self.settings = settings
        self.lock = threading.RLock()
        self.listeners = []
        self.state_file = state_file
        self.clock = clock
        self._base_catalogue = normalize_catalogue(catalogue)
        self._events = []
        self._dirty = False
        self._rng = random.Random(settings.seed)
        self._stamping = True
        self._clear()
        if state_file and os.path.exists(state_file):
            self._load(state_file)

    # ----------------------------------------------------------------- whole state

    def _clear(self):
        self.purchase_orders = {}
        self.orders = {}
        self.webhooks = {}
        self.secrets = {}
        self.receivings, self.returns = {}, {}  # changed by their desks
        self._po_ids_by_external_id = {}
        self._next_ids = {
            "purchaseOrder": self.settings.first_purchase_order_id,
            "order": self.settings.first_order_id,
            "receiving": self.settings.first_receiving_id,
            "item": 1,
            "hold": 1,
            "tracking": 1,
            "webhook": 1,
            "secret": 1,
            "product": 1,
        }
        self._start_catalogue()

    @mutation
    def reset(self):
        self._clear()
        self._dirty = True

    @mutation
    def replace_catalogue(self, catalogue):
        """Use ``catalogue`` from now on, also after a reset.

        Its products replace every product, and stock restarts from it.
        """
        self._base_catalogue = normalize_catalogue(catalogue)
        self._start_catalogue()
        self._dirty = True

    def _start_catalogue(self):
        """Warehouses and products of the base catalogue, whose quantities are units
        in good condition."""
        base = self._base_catalogue
        self.warehouses = copy.deepcopy(base["warehouses"])
        self.products = {}
        self._product_ids_by_sku = {}
        for sku, levels in base["stock"].items():
            data = {"sku": sku}
            if sku in base["descriptions"]:
                data["description"] = base["descriptions"][sku]
            product = self._add_product(data)
            product["isBundle"] = int(sku in base["bundles"])
            product["isAlias"] = int(sku in base["aliases"])
            for code, quantity in levels.items():
                self._stock_row(product, code)["counters"]["good"] = quantity

    def catalogue_view(self):
        """The catalogue as it stands, in the format a sandbox starts from: its
        stock is the units in good condition."""
        with self.lock:
            products = self.products.values()
            return {
                "warehouses": self.warehouses,
                "stock": {
                    _sku(product): {
                        code: row["counters"].get("good") or 0
                        for code, row in product["stock"].items()
                    }
                    for product in products
                },
                "descriptions": {
                    _sku(product): product["data"]["description"]
                    for product in products
                    if "description" in product["data"]
                },
                "bundles": [_sku(p) for p in products if p["isBundle"]],
                "aliases": [_sku(p) for p in products if p["isAlias"]],
            }

    def to_state(self):
        with self.lock:
            return {
                "version": STATE_VERSION,
                "nextIds": self._next_ids,
                "baseCatalogue": self._base_catalogue,
                "warehouses": self.warehouses,
                "products": list(self.products.values()),
                "purchaseOrders": list(self.purchase_orders.values()),
                "orders": list(self.orders.values()),
                "webhooks": list(self.webhooks.values()),
                "secrets": list(self.secrets.values()),
                "receivings": list(self.receivings.values()),
                "returns": list(self.returns.values()),
            }

    def _load(self, path):
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
        if state.get("version") != STATE_VERSION:
            raise ValueError(
                f"{path} was written by another version of the sandbox: "
                "delete it or give another state file"
            )
        self._next_ids.update(state["nextIds"])
        self._base_catalogue = state["baseCatalogue"]
        self.warehouses = state["warehouses"]
        self.products = {record["id"]: record for record in state["products"]}
        self._product_ids_by_sku = {
            _sku(product): product["id"] for product in self.products.values()
        }
        self.purchase_orders = {r["id"]: r for r in state["purchaseOrders"]}
        self.orders = {record["id"]: record for record in state["orders"]}
        self.webhooks = {record["id"]: record for record in state["webhooks"]}
        self.secrets = {record["id"]: record for record in state["secrets"]}
        self.receivings = {r["id"]: r for r in state.get("receivings", ())}
        self.returns = {r["id"]: r for r in state.get("returns", ())}
        for po in self.purchase_orders.values():
            self._index_external_id(po)

    def save(self):
        if not self.state_file:
            return
        with self.lock:
            temporary = f"{self.state_file}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self.to_state(), handle, separators=(",", ":"))
            os.replace(temporary, self.state_file)

    def _commit(self):
        events, self._events = self._events, []
        if events:
            self._dirty = True
            for listener in self.listeners:
                listener(events)
        if self._dirty:
            self._dirty = False
            self.save()

    @contextlib.contextmanager
    def unstamped(self):
        """Changes made inside leave every ``lastUpdatedDate`` as it was, as
        Shipwire was seen to do when an order's status moved."""
        with self.lock:
            self._stamping = False
            try:
                yield
            finally:
                self._stamping = True

    def _emit(self, topic, kind, subject):
        self._events.append((topic, kind, subject))

    def _new_id(self, kind):
        value = self._next_ids[kind]
        self._next_ids[kind] = value + 1
        return value

    def stats(self):
        with self.lock:
            return {
                "purchaseOrders": len(self.purchase_orders),
                "orders": len(self.orders),
                "webhooks": len(self.webhooks),
                "secrets": len(self.secrets),
            }

    # ----------------------------------------------------------------- lookups

    @property
    def known_skus(self):
        return self._product_ids_by_sku.keys()

    def warehouse(self, code):
        """Warehouse ``code`` of the catalogue, or a stand-in named after it."""
        try:
            return self.known_warehouse(code)
        except SandboxError:
            return {"id": None, "externalId": code, "name": code, "region": code}

    def known_warehouse(self, code):
        for warehouse in self.warehouses:
            if warehouse["externalId"] == code:
                return warehouse
        raise SandboxError(404, f"Warehouse {code} not found.")

    def product(self, product_id):
        product = self.products.get(int(product_id))
        if product is None:
            raise SandboxError(404, "Product not found.")
        return product

    def product_by_sku(self, sku):
        return self.products.get(self._product_ids_by_sku.get(sku))

    def purchase_order(self, ref):
        """The purchase order for a path segment: its id, or ``E`` + its externalId."""
        ref = str(ref)
        if ref.isdigit():
            po = self.purchase_orders.get(int(ref))
        elif ref.startswith("E"):
            candidates = [
                self.purchase_orders[i]
                for i in self._po_ids_by_external_id.get(ref[1:], ())
            ]
            live = [po for po in candidates if not po["canceled"]]
            po = (live or candidates or [None])[-1]
        else:
            po = None
        if po is None:
            raise SandboxError(404, "Purchase order not found.")
        return po

    def order(self, ref):
        """The fulfillment order for a path segment.

        The segment is its id, or ``E`` + its externalId.
        """
        ref = str(ref)
        order = None
        if ref.isdigit():
            order = self.orders.get(int(ref))
        elif ref.startswith("E"):
            matches = [o for o in self.orders.values() if o["externalId"] == ref[1:]]
            order = matches[-1] if matches else None
        if order is None:
            raise SandboxError(404, "Order not found.")
        return order

    def orders_of(self, po):
        return [self.orders[order_id] for order_id in po["orderIds"]]

    def trackings_of(self, po):
        return [
            tracking for order in self.orders_of(po) for tracking in order["trackings"]
        ]

    def split_siblings(self, order):
        po = self.purchase_orders[order["purchaseOrderId"]]
        return [
            sibling for sibling in self.orders_of(po) if sibling["id"] != order["id"]
        ]

    def po_status(self, po):
        settings = self.settings
        if po["canceled"]:
            return settings.po_status_canceled
        if active(po["holds"]):
            return settings.po_status_on_hold
        if not po["approved"]:
            return settings.po_status_needs_approval
        live = [order for order in self.orders_of(po) if order["stage"] != "cancelled"]
        shipped = sum(1 for order in live if order["stage"] in SHIPPED_STAGES)
        if live and shipped == len(live):
            return settings.po_status_completed
        if shipped:
            return settings.po_status_partially_completed
        return settings.po_status_approved

    def order_status(self, order):
        stage, settings = order["stage"], self.settings
        if stage in OPEN_STAGES and active(order["holds"]):
            return "held"
        spelled = {
            "unprocessed": settings.order_status_unprocessed,
            "delivered": settings.order_status_delivered,
            "cancelled": settings.order_status_cancelled,
        }
        return spelled.get(stage, stage)

    def list_purchase_orders(self, filters, updated_after=None):
        """Purchase orders matching every filter.

        ``filters`` maps a name to allowed values.
        """
        fields = {
            "externalId": lambda po: po["data"].get("externalId"),
            "orderNo": lambda po: po["data"].get("purchaseOrderNo"),
            "purchaseOrderId": lambda po: po["id"],
            "transactionId": lambda po: po["transactionId"],
            "status": lambda po: status_key(self.po_status(po)),
        }
        return self._select(
            self.purchase_orders.values(), fields, filters, updated_after
        )

    def list_orders(self, filters, updated_after=None):
        fields = {
            "orderId": lambda order: order["id"],
            "externalId": lambda order: order["externalId"],
            "orderNo": lambda order: order["orderNo"],
            "purchaseOrderId": lambda order: order["purchaseOrderId"],
            "transactionId": lambda order: order["transactionId"],
            "status": lambda order: status_key(self.order_status(order)),
            "warehouseId": lambda order: self.warehouse(order["warehouse"])["id"],
            "warehouseExternalId": lambda order: order["warehouse"],
            "commerceName": lambda order: "Shipwire",
        }
        return self._select(self.orders.values(), fields, filters, updated_after)

    @staticmethod
    def _select(records, fields, filters, updated_after):
        wanted = {
            name: {value.lower() if name == "status" else value for value in values}
            for name, values in filters.items()
            if name in fields
        }
        selected = []
        for record in records:
            if updated_after is not None and record["updated"] < updated_after:
                continue
            if all(
                str(fields[name](record)) in values for name, values in wanted.items()
            ):
                selected.append(record)
        return selected

    # ----------------------------------------------------------------- purchase orders

    @mutation
    def create_purchase_order(self, body):
        reject_problems = is_flag_set(body.get("doNotPersistOnWarnings"))
        data = {
            key: value for key, value in body.items() if key not in SERVER_OWNED_FIELDS
        }
        errors, warnings = validate_purchase_order(data, self.known_skus, self.settings)
        duplicate = self._duplicate_error(data)
        if duplicate:
            errors.append(duplicate)
        warnings_block = (
            reject_problems and warnings and self.settings.warnings_block_do_not_persist
        )
        if duplicate or (errors and reject_problems) or warnings_block:
            return Outcome(None, errors, warnings)

        now = self.clock()
        po = {
            "id": self._new_id("purchaseOrder"),
            "transactionId": f"{int(now)}-{self._rng.randrange(100000, 999999)}-1",
            "data": self._normalised(data),
            "items": [],
            "approved": False,
            "canceled": False,
            "holds": [],
            "orderIds": [],
            "created": now,
            "approvedAt": None,
            "completedAt": None,
            "canceledAt": None,
            "updated": now,
            "status": None,
            "announced": [],
        }
        self.purchase_orders[po["id"]] = po
        self._set_items(po)
        self._index_external_id(po)
        self._record_errors(po, errors)
        options = self._options(po)
        if is_flag_set(options.get("hold")):
            self._add_hold(
                po,
                "customer",
                options.get("holdReason") or "Held on creation",
                "customer",
            )
        if is_flag_set(options.get("isApproved")):
            po["approved"], po["approvedAt"] = True, now
        self._advance(po)
        self._touch_po(po, created=True)
        return Outcome(po, errors, warnings)

    @mutation
    def update_purchase_order(self, ref, body):
        try:
            po = self.purchase_order(ref)
        except SandboxError:
            raise SandboxError(
                400,
                "Purchase order ID not detected. "
                "Please make a POST if you wish to create a purchase order.",
            ) from None
        if po["canceled"] or self._has_shipped(po):
            raise refusal(po, "Purchase order cannot be updated")
        reject_problems = is_flag_set(body.get("doNotPersistOnWarnings"))
        changes = {
            key: value for key, value in body.items() if key not in SERVER_OWNED_FIELDS
        }
        merged = {**copy.deepcopy(po["data"]), **changes}
        errors, warnings = validate_purchase_order(
            merged, self.known_skus, self.settings
        )
        duplicate = self._duplicate_error(merged, exclude_id=po["id"])
        if duplicate:
            errors.append(duplicate)
        if duplicate or (errors and reject_problems):
            if not self.settings.refused_update_carries_purchase_order:
                po = None
            return Outcome(po, errors, warnings)

        previous = po["data"]
        items_changed = merged.get("items") != previous.get("items")
        options_changed = merged.get("options") != previous.get("options")
        self._unindex_external_id(po)
        po["data"] = self._normalised(merged)
        self._index_external_id(po)
        if items_changed:
            self._set_items(po)
        if is_flag_set(self._options(po).get("isApproved")) and not po["approved"]:
            po["approved"], po["approvedAt"] = True, self.clock()
        self._record_errors(po, errors)
        if po["orderIds"] and not errors and (items_changed or options_changed):
            self._reallocate(po)
        self._sync_order_holds(po)
        self._advance(po)
        for order in self.orders_of(po):
            if order["stage"] in OPEN_STAGES:
                self._touch_order(order)
        self._touch_po(po)
        return Outcome(po, errors, warnings)

    @mutation
    def approve_purchase_order(self, ref):
        po = self.purchase_order(ref)
        if self.po_status(po) != self.settings.po_status_needs_approval:
            raise refusal(po, "Purchase order cannot be approved")
        po["approved"], po["approvedAt"] = True, self.clock()
        po["data"].setdefault("options", {})["isApproved"] = 1
        self._advance(po)
        self._touch_po(po)
        return po

    @mutation
    def cancel_purchase_order(self, ref):
        po = self.purchase_order(ref)
        if po["canceled"] or self._has_shipped(po):
            raise refusal(po, "Purchase order cannot be cancelled")
        for order in self.orders_of(po):
            if order["stage"] in OPEN_STAGES:
                self._cancel(order)
                self._touch_order(order)
        po["canceled"], po["canceledAt"] = True, self.clock()
        self._touch_po(po)
        return po

    @mutation
    def hold_purchase_order(self, ref, description=None):
        po = self.purchase_order(ref)
        if po["canceled"] or self.po_status(po) == self.settings.po_status_completed:
            raise refusal(po, "Purchase order cannot be held")
        self._add_hold(po, "customer", description or "Held by request", "customer")
        self._sync_order_holds(po)
        self._touch_po(po)
        return po

    @mutation
    def clear_purchase_order_hold(self, ref):
        po = self.purchase_order(ref)
        holds = [hold for hold in active(po["holds"]) if hold["source"] == "customer"]
        if not holds:
            raise refusal(po, "Purchase order is not on hold")
        now = self.clock()
        for hold in holds:
            hold["cleared"] = now
        self._sync_order_holds(po)
        self._advance(po)
        self._touch_po(po)
        return po

    def _normalised(self, data):
        if self.settings.uppercase_addresses:
            for key in ("shipTo", "billTo"):
                address = data.get(key)
                if isinstance(address, dict):
                    for name, value in address.items():
                        if isinstance(value, str) and name != "email":
                            address[name] = value.upper()
        return data

    def _options(self, po):
        options = po["data"].get("options")
        return options if isinstance(options, dict) else {}

    def _set_items(self, po):
        items = po["data"].get("items")
        po["items"] = [
            {**item, "id": self._new_id("item")}
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]

    def _index_external_id(self, po):
        external_id = po["data"].get("externalId")
        if isinstance(external_id, str):
            self._po_ids_by_external_id.setdefault(external_id, []).append(po["id"])

    def _unindex_external_id(self, po):
        external_id = po["data"].get("externalId")
        ids = (
            self._po_ids_by_external_id.get(external_id)
            if isinstance(external_id, str)
            else None
        )
        if ids and po["id"] in ids:
            ids.remove(po["id"])

    def _duplicate_error(self, data, exclude_id=None):
        external_id = data.get("externalId")
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        if (
            not isinstance(external_id, str)
            or is_flag_set(options.get("forceDuplicate"))
            or not self.settings.duplicate_external_ids_refused
        ):
            return None
        for po_id in self._po_ids_by_external_id.get(external_id, ()):
            other = self.purchase_orders[po_id]
            if po_id == exclude_id or (
                other["canceled"] and self.settings.canceled_external_ids_reusable
            ):
                continue
            return problem(
                "error",
                "duplicateExternalId",
                f"Duplicate purchase order: externalId {external_id} already exists",
                "externalId",
            )
        return None

    def _has_shipped(self, po):
        return any(order["stage"] in SHIPPED_STAGES for order in self.orders_of(po))

    def _add_hold(self, record, hold_type, description, source):
        hold = {
            "id": self._new_id("hold"),
            "type": hold_type,
            "description": description,
            "source": source,
            "applied": self.clock(),
            "cleared": None,
        }
        record["holds"].append(hold)

    def _record_errors(self, po, errors):
        """Replace the purchase order's error holds by one hold per blocking error."""
        now = self.clock()
        for hold in active(po["holds"]):
            if hold["source"] == "error":
                hold["cleared"] = now
        for error in errors:
            self._add_hold(po, "system", error["message"], "error")

    def _advance(self, po):
        """Create the fulfillment orders once the PO is approved and free of holds."""
        if (
            po["approved"]
            and not po["canceled"]
            and not active(po["holds"])
            and not po["orderIds"]
        ):
            self._allocate(po, reuse=[])

    def _reallocate(self, po):
        reusable = [
            order for order in self.orders_of(po) if order["stage"] in OPEN_STAGES
        ]
        for order in reusable:
            self._release_stock(order)
        self._allocate(po, reuse=reusable)

    def order_numbers(self, data, number, count):
        """``(externalId, orderNo)`` of fulfillment order ``number`` of ``count`` made
        of a purchase order: split ones get a ``.N`` suffix, and so does a lone
        one that could have split when ``suffix_unsplit`` is set."""
        external_id, order_no = data.get("externalId"), data.get("purchaseOrderNo")
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        can_split = is_flag_set(options.get("canSplit"))
        if not (count > 1 or (can_split and self.settings.suffix_unsplit)):
            return external_id, order_no
        if self.settings.split_suffix_on == "orderNo":
            return external_id, _with_suffix(order_no, number)
        return _with_suffix(external_id, number), order_no

    def _warehouse_preference(self, options):
        def preferred(warehouse):
            return (
                (
                    options.get("warehouseId") is not None
                    and str(options["warehouseId"]) == str(warehouse["id"])
                )
                or options.get("warehouseExternalId") == warehouse["externalId"]
                or options.get("warehouseRegion") == warehouse["region"]
            )

        warehouses = self.warehouses
        first = [w["externalId"] for w in warehouses if preferred(w)]
        return first + [
            w["externalId"] for w in warehouses if w["externalId"] not in first
        ]

    def plan_shipments(self, lines, options):
        """``[(warehouse, [(sku, quantity)])]``: how ``lines`` (``[(sku,
        quantity)]``) would ship with ``options`` (warehouse preference, canSplit)
        from today's stock, as a purchase order is allocated. Lines stock cannot
        serve ship from the preferred warehouse."""
        with self.lock:
            groups, _shortage = plan_fulfillment(
                lines,
                self._warehouse_preference(options),
                self._good_units(sku for sku, _quantity in lines),
                is_flag_set(options.get("canSplit")),
            )
            return [
                (
                    self.warehouse(code),
                    [(lines[index][0], quantity) for index, quantity in taken],
                )
                for code, taken in groups
            ]

    def _allocate(self, po, reuse):
        options = self._options(po)
        lines = [(item["sku"], item["quantity"]) for item in po["items"]]
        groups, shortage = plan_fulfillment(
            lines,
            self._warehouse_preference(options),
            self._good_units(sku for sku, _quantity in lines),
            is_flag_set(options.get("canSplit")),
        )
        for number, (warehouse, taken) in enumerate(groups, 1):
            reused = reuse[number - 1] if number <= len(reuse) else None
            order = reused or self._new_order(po)
            external_id, order_no = self.order_numbers(po["data"], number, len(groups))
            order.update(
                externalId=external_id,
                orderNo=order_no,
                warehouse=warehouse,
                stage="unprocessed",
            )
            order["items"] = [
                self._order_item(order, po["items"][index], quantity)
                for index, quantity in taken
            ]
            now = self.clock()
            for hold in active(order["holds"]):
                if hold["source"] == "stock":
                    hold["cleared"] = now
            if shortage:
                self._add_hold(order, "system", shortage, "stock")
            else:
                self._reserve_stock(order)
            self._touch_order(order, created=reused is None)
            if shortage:
                self._emit("order.hold.added", "orderHolds", order["id"])
        for surplus in reuse[len(groups) :]:
            self._cancel(surplus)
            self._touch_order(surplus)

    def _new_order(self, po):
        now = self.clock()
        order = {
            "id": self._new_id("order"),
            "purchaseOrderId": po["id"],
            "transactionId": po["transactionId"],
            "externalId": None,
            "orderNo": None,
            "warehouse": None,
            "stage": "unprocessed",
            # Units set aside for each item, or None while nothing is.
            "reserved": None,
            "items": [],
            "holds": [],
            "trackings": [],
            "carrierCode": None,
            "pricing": None,
            "created": now,
            "processedAt": now,
            "submittedAt": None,
            "completedAt": None,
            "deliveredAt": None,
            "cancelledAt": None,
            "updated": now,
            "status": None,
        }
        self.orders[order["id"]] = order
        po["orderIds"].append(order["id"])
        return order

    def _order_item(self, order, po_item, quantity):
        item = {key: value for key, value in po_item.items() if key != "id"}
        product = self.product_by_sku(item["sku"]) or {"id": None, "data": {}}
        description = product["data"].get("description")
        if description is not None:
            item.setdefault("description", description)
        item.update(
            id=self._new_id("item"),
            orderId=order["id"],
            productId=product["id"],
            purchaseOrderItemId=po_item["id"],
            quantity=quantity,
            ordered=quantity,
            shipped=0,
        )
        return item

    def _good_units(self, skus):
        """``{sku: {warehouse: units in good condition}}``, what allocation goes by."""
        units = {}
        for sku in skus:
            product = self.product_by_sku(sku)
            if product is not None:
                units[sku] = {
                    code: row["counters"].get("good") or 0
                    for code, row in product["stock"].items()
                }
        return units

    def _reserve_stock(self, order):
        """Move each item's units from good to reserved: all of them, unless the
        order was let through a shortage, then those there are."""
        warehouse = self.warehouse(order["warehouse"])
        reserved = []
        for item in order["items"]:
            product = self.products.get(item["productId"])
            row = product["stock"].get(order["warehouse"]) if product else None
            good = (row["counters"].get("good") or 0) if row else 0
            units = max(0, min(item["quantity"], good))
            self._move(order["id"], product, warehouse, "good", "reserved", units)
            reserved.append(units)
        order["reserved"] = reserved

    def _settle_stock(self, order, shipped):
        """Move the order's reserved units on: ``shipped[i]`` of item ``i`` to
        shipped, the others back to good."""
        if order["reserved"] is None:
            return
        warehouse = self.warehouse(order["warehouse"])
        for item, reserved, sent in zip(
            order["items"], order["reserved"], shipped, strict=True
        ):
            product = self.products.get(item["productId"])
            if product is None:  # gone with a replaced catalogue
                continue
            sent = min(sent, reserved)
            self._move(order["id"], product, warehouse, "reserved", "shipped", sent)
            self._move(
                order["id"], product, warehouse, "reserved", "good", reserved - sent
            )
        order["reserved"] = None

    def _release_stock(self, order):
        self._settle_stock(order, [0] * len(order["items"]))

    def _sync_order_holds(self, po):
        """Hold the open fulfillment orders while the purchase order itself is held."""
        held = bool(active(po["holds"]))
        now = self.clock()
        for order in self.orders_of(po):
            if order["stage"] not in OPEN_STAGES:
                continue
            inherited = [
                h for h in active(order["holds"]) if h["source"] == "purchaseOrder"
            ]
            if held and not inherited:
                self._add_order_hold(
                    order, "customer", "Purchase order is on hold", "purchaseOrder"
                )
                self._touch_order(order)
            elif inherited and not held:
                for hold in inherited:
                    hold["cleared"] = now
                self._emit("order.hold.cleared", "orderHolds", order["id"])
                self._touch_order(order)

    def _touch_po(self, po, created=False):
        settings = self.settings
        if self._stamping:
            po["updated"] = self.clock()
        status, previous = self.po_status(po), po["status"]
        po["status"] = status
        self._emit(
            "purchaseorder.created" if created else "purchaseorder.updated",
            "purchaseOrder",
            po["id"],
        )
        if status == previous:
            return
        if status == settings.po_status_completed:
            po["completedAt"] = self.clock()
        topic = {
            settings.po_status_needs_approval: "purchaseorder.needs-approval",
            settings.po_status_approved: "purchaseorder.approved",
            settings.po_status_partially_completed: "purchaseorder.partially-completed",
            settings.po_status_completed: "purchaseorder.completed",
            settings.po_status_canceled: "purchaseorder.canceled",
        }.get(status)
        # A status topic fires once per purchase order, not again when a hold is lifted.
        if topic and topic not in po["announced"]:
            po["announced"].append(topic)
            self._emit(topic, "purchaseOrder", po["id"])

    # --------------------------------------------------------------- fulfillment orders

    def _touch_order(self, order, created=False):
        if self._stamping:
            order["updated"] = self.clock()
        status, previous = self.order_status(order), order["status"]
        order["status"] = status
        self._emit(
            "order.created" if created else "order.updated", "order", order["id"]
        )
        if (
            status != previous
            and order["stage"] in ORDER_STATUS_TOPICS
            and status != "held"
        ):
            self._emit(ORDER_STATUS_TOPICS[order["stage"]], "order", order["id"])

    def _after_order_change(self, order):
        self._touch_order(order)
        po = self.purchase_orders[order["purchaseOrderId"]]
        if not po["canceled"] and all(
            o["stage"] == "cancelled" for o in self.orders_of(po)
        ):
            po["canceled"], po["canceledAt"] = True, self.clock()
        self._touch_po(po)

    def _add_order_hold(self, order, hold_type, description, source):
        self._add_hold(order, hold_type, description, source)
        self._emit("order.hold.added", "orderHolds", order["id"])

    def _cancel(self, order):
        self._release_stock(order)
        order["stage"], order["cancelledAt"] = "cancelled", self.clock()

    def _require_open(self, order, action):
        if order["stage"] not in OPEN_STAGES:
            raise refusal(order, f"Order cannot be {action}")

    @mutation
    def cancel_order(self, ref):
        order = self.order(ref)
        self._require_open(order, "cancelled")
        self._cancel(order)
        self._after_order_change(order)
        return order

    @mutation
    def add_order_hold(self, ref, description, hold_type="customer"):
        order = self.order(ref)
        self._require_open(order, "held")
        self._add_order_hold(
            order,
            hold_type,
            description,
            "customer" if hold_type == "customer" else "system",
        )
        self._after_order_change(order)
        return order

    @mutation
    def clear_order_holds(self, ref):
        """Clear the order's own holds; those inherited from a held PO stay."""
        order = self.order(ref)
        self._clear_holds(order, keep_sources=("purchaseOrder",))
        self._after_order_change(order)
        return order

    def _clear_holds(self, order, keep_sources=()):
        now = self.clock()
        cleared = [
            hold
            for hold in active(order["holds"])
            if hold["source"] not in keep_sources
        ]
        for hold in cleared:
            hold["cleared"] = now
        if cleared:
            self._emit("order.hold.cleared", "orderHolds", order["id"])
        if (
            order["stage"] in OPEN_STAGES
            and order["reserved"] is None
            and not active(order["holds"])
        ):
            self._reserve_stock(order)

    def _movable(self, ref, stage, action):
        """The order, once it is known that ``action`` may move it on to ``stage``:
        only processing moves a held order, and lifts its holds."""
        order = self.order(ref)
        held = stage != "processed" and active(order["holds"])
        if order["stage"] not in MOVES[stage] or held:
            raise refusal(order, f"Order cannot be {action}")
        return order

    @mutation
    def process_order(self, ref):
        """Lift every hold of an order that is not yet at the warehouse."""
        order = self._movable(ref, "processed", "processed")
        self._clear_holds(order)
        order["stage"], order["processedAt"] = "processed", self.clock()
        self._after_order_change(order)
        return order

    @mutation
    def submit_order(self, ref):
        order = self._movable(ref, "submitted", "submitted")
        order["stage"], order["submittedAt"] = "submitted", self.clock()
        self._after_order_change(order)
        return order

    @mutation
    def complete_order(self, ref, trackings=None, quantities=None):
        """Ship the order; ``quantities`` ({sku: quantity}) ships less than ordered,
        the units left over going back to good stock."""
        order = self._movable(ref, "completed", "completed")
        remaining = dict(quantities or {})
        for item in order["items"]:
            shipped = item["quantity"]
            if item["sku"] in remaining:
                shipped = max(0, min(shipped, int(remaining[item["sku"]])))
                remaining[item["sku"]] -= shipped
            item["shipped"] = shipped
        self._settle_stock(order, [item["shipped"] for item in order["items"]])
        now = self.clock()
        if trackings is None:
            trackings = [{"carrier": "USPS", "carrierCode": "USPS PM"}]
        for given in trackings:
            number = (
                given.get("tracking")
                or f"SWT{order['id']}{self._next_ids['tracking']:06d}"
            )
            order["trackings"].append(
                {
                    "id": self._new_id("tracking"),
                    "orderId": order["id"],
                    "orderExternalId": order["externalId"],
                    "tracking": number,
                    "carrier": given.get("carrier", "USPS"),
                    "carrierCode": given.get("carrierCode")
                    or given.get("carrier", "USPS PM"),
                    "url": given.get("url") or f"https://tracking.example.com/{number}",
                    "summary": given.get("summary", "Label created"),
                    "summaryDate": now,
                    "labelCreatedDate": now,
                    "createdDate": now,
                    "trackedDate": now,
                    "deliveredDate": None,
                }
            )
            self._emit("tracking.created", "orderTrackings", order["id"])
        if order["trackings"]:
            order["carrierCode"] = order["trackings"][0]["carrierCode"]
        order["pricing"] = shipped_cost(
            self,
            self.settings,
            self.purchase_orders[order["purchaseOrderId"]]["data"],
            order["warehouse"],
            [(item["sku"], item["shipped"]) for item in order["items"]],
        )
        order["stage"], order["completedAt"] = "completed", now
        self._after_order_change(order)
        return order

    @mutation
    def deliver_order(self, ref):
        order = self._movable(ref, "delivered", "delivered")
        now = self.clock()
        for tracking in order["trackings"]:
            tracking.update(summary="Delivered", summaryDate=now, deliveredDate=now)
        order["stage"], order["deliveredAt"] = "delivered", now
        if order["trackings"]:
            self._emit("tracking.updated", "orderTrackings", order["id"])
            self._emit("tracking.delivered", "orderTrackings", order["id"])
        self._after_order_change(order)
        return order

    # ----------------------------------------------------------------------- products

    def _add_product(self, data):
        product = {
            "id": self._new_id("product"),
            "data": data,
            "isBundle": 0,
            "isAlias": 0,
            "stock": {},  # {warehouse externalId: stock row}
        }
        self.products[product["id"]] = product
        self._product_ids_by_sku[data["sku"]] = product["id"]
        return product

    def list_products(self, skus, by_prefix=False):
        """Every product, by id; only those of ``skus`` when it is not empty, or
        with ``by_prefix`` those whose SKU starts with one of them."""
        products = list(self.products.values())
        if not skus:
            return products
        if by_prefix:
            prefixes = tuple(skus)
            return [
                product for product in products if _sku(product).startswith(prefixes)
            ]
        return [product for product in products if _sku(product) in skus]

    def _taken_sku(self, sku, product_id=None):
        """The error for ``sku`` when a product other than ``product_id`` has it."""
        owner = self._product_ids_by_sku.get(sku)
        if owner is None or owner == product_id:
            return None
        return problem("error", "duplicateSku", f"SKU {sku} already exists", "sku")

    @mutation
    def create_products(self, bodies):
        """Create the product of each body that is valid; with the setting
        ``product_list_refusal`` "whole", none when one is refused.

        Returns ``(products, errors)``; each error names its product as the setting
        ``refused_product_named_by`` says.
        """
        errors, valid, given = [], [], set()
        refusals = self.settings.refused_product_skus
        for number, body in enumerate(bodies, 1):
            problems = validate_product(body, self.settings)
            sku = body.get("sku") if isinstance(body, dict) else None
            if isinstance(sku, str) and sku.strip():
                taken = self._taken_sku(sku)
                if taken is None and sku in given:
                    taken = problem(
                        "error",
                        "duplicateSku",
                        f"SKU {sku} is given more than once",
                        "sku",
                    )
                problems += [taken] if taken else []
                if sku in refusals:
                    problems.append(
                        problem("error", "productSubmitFailed", refusals[sku])
                    )
                given.add(sku)
            errors += [self._named(number, body, found) for found in problems]
            if not problems:
                valid.append(body)
        if errors and self.settings.product_list_refusal == "whole":
            return [], errors
        self._dirty = True
        return [self._add_product(_product_data(body)) for body in valid], errors

    def _named(self, number, body, found):
        """A problem of the ``number``-th product, naming it as the settings say: by
        a field of the error, else by the start of its message."""
        key = self.settings.refused_product_named_by
        value = body.get(key) if isinstance(body, dict) and key != "message" else None
        if isinstance(value, str) and value:
            return {**found, key: value}
        sku = body.get("sku") if isinstance(body, dict) else None
        label = (
            f"Item {number} (sku {sku})"
            if isinstance(sku, str) and sku.strip()
            else f"Item {number}"
        )
        return _labelled(label, found)

    @mutation
    def update_product(self, product_id, body):
        """Change a product's fields to those given; returns ``(product, errors)``,
        the product None when refused."""
        product = self.product(product_id)
        merged = {**copy.deepcopy(product["data"]), **_product_data(body)}
        problems = validate_product(merged, self.settings)
        sku = merged.get("sku")
        if isinstance(sku, str):
            taken = self._taken_sku(sku, product["id"])
            problems += [taken] if taken else []
        if problems:
            label = f"Product {product['id']} (sku {_sku(product)})"
            return None, [_labelled(label, found) for found in problems]
        del self._product_ids_by_sku[_sku(product)]
        product["data"] = merged
        self._product_ids_by_sku[sku] = product["id"]
        self._dirty = True
        return product, []

    # -------------------------------------------------------------------------- stock

    def _stock_row(self, product, code):
        """The counters of ``product`` at warehouse ``code``, all 0 when new.

        Overrides of the recent activity counts sit apart, in "activityOverrides".
        """
        row = product["stock"].get(code)
        if row is None:
            counters = dict.fromkeys(STOCK_COUNTERS, 0)
            counters["availableDate"] = None
            row = product["stock"][code] = {
                "counters": counters,
                "activityOverrides": {},
            }
        return row

    def stock_items(self, filters):
        """``(product, warehouse)`` of each stock row matching every filter ("sku",
        "warehouseId", "warehouseExternalId": allowed values), by product id, then
        in the catalogue's order of warehouses."""
        skus = filters.get("sku")
        ids = filters.get("warehouseId")
        codes = filters.get("warehouseExternalId")
        warehouses = [
            warehouse
            for warehouse in self.warehouses
            if (not ids or str(warehouse["id"]) in ids)
            and (not codes or warehouse["externalId"] in codes)
        ]
        return [
            (product, warehouse)
            for product in self.list_products(skus)
            for warehouse in warehouses
            if warehouse["externalId"] in product["stock"]
        ]

    def recent_activity(self):
        """``{(product id, warehouse externalId): {"shippedLastDay": units, ...}}``
        from the orders: placed (and not cancelled) or shipped in each span."""
        now = self.clock()
        activity = defaultdict(Counter)
        for order in self.orders.values():
            moments = {
                "ordered": None if order["stage"] == "cancelled" else order["created"],
                "shipped": order["completedAt"],
            }
            for item in order["items"]:
                units = {"ordered": item["quantity"], "shipped": item["shipped"]}
                counts = activity[(item["productId"], order["warehouse"])]
                for name, (kind, span) in RECENT_ACTIVITY.items():
                    if moments[kind] is not None and now - moments[kind] <= span:
                        counts[name] += units[kind]
        return activity

    def _stock_subject(self, sku, code):
        """The product and warehouse of an existing stock row."""
        warehouse = self.known_warehouse(code)
        product = self.product_by_sku(sku)
        if product is None or code not in product["stock"]:
            raise SandboxError(404, f"No stock of {sku} at warehouse {code}.")
        return product, warehouse

    def _move(self, order_id, product, warehouse, from_state, to_state, units):
        if not units:
            return
        counters = product["stock"][warehouse["externalId"]]["counters"]
        counters[from_state] = (counters.get(from_state) or 0) - units
        counters[to_state] = (counters.get(to_state) or 0) + units
        self._emit_transition(order_id, product, warehouse, from_state, to_state, units)

    def _emit_transition(
        self, order_id, product, warehouse, from_state, to_state, units
    ):
        counters = product["stock"][warehouse["externalId"]]["counters"]
        body = {
            "orderId": order_id,
            "productId": product["id"],
            "warehouseId": warehouse["id"],
            "fromState": from_state,
            "toState": to_state,
            "delta": units,
            "fromStateStockAfterTransition": counters.get(from_state),
            "toStateStockAfterTransition": counters.get(to_state),
        }
        self._emit("stock.transition", "stock", body)

    @mutation
    def receive_stock(self, sku, code, quantity):
        """``quantity`` units of ``sku`` arrive in good condition at warehouse
        ``code``; a SKU never seen becomes a product. Returns the stock row's
        ``(product, warehouse)``."""
        _check_units(quantity)
        if not isinstance(sku, str) or not sku.strip():
            raise ValueError("sku must be a non-empty string")
        warehouse = self.known_warehouse(code)
        product = self.product_by_sku(sku) or self._add_product({"sku": sku})
        counters = self._stock_row(product, code)["counters"]
        # An arrival is reported as a move from "pending" (units on their way in)
        # to "good": our choice, as no recording shows one. The sandbox announces no
        # arrivals, so pending only drops by what an override put there.
        pending = counters.get("pending") or 0
        if pending > 0:
            counters["pending"] = pending - min(pending, quantity)
        counters["good"] = (counters.get("good") or 0) + quantity
        self._emit_transition(None, product, warehouse, "pending", "good", quantity)
        return product, warehouse

    @mutation
    def damage_stock(self, sku, code, quantity):
        """Move ``quantity`` units in good condition to damaged."""
        _check_units(quantity)
        product, warehouse = self._stock_subject(sku, code)
        good = product["stock"][code]["counters"].get("good") or 0
        if quantity > good:
            raise SandboxError(
                409,
                f"Only {good} units of {sku} at warehouse {code} are in good "
                f"condition; {quantity} cannot be marked damaged.",
            )
        self._move(None, product, warehouse, "good", "damaged", quantity)
        return product, warehouse

    @mutation
    def override_stock(self, sku, code, counters):
        """Set counters of a stock row as given, however wrong; None leaves one
        out of the answers. Bad data rather than a transition: no event."""
        if not isinstance(counters, dict):
            raise TypeError("counters must map counter names to values")
        for name, value in counters.items():
            if name not in STOCK_FIELDS:
                raise ValueError(f"Unknown stock counter: {name}")
            wanted = str if name == "availableDate" else int
            if value is not None and (
                not isinstance(value, wanted) or isinstance(value, bool)
            ):
                raise ValueError(f"{name} must be {wanted.__name__} or null")
        product, warehouse = self._stock_subject(sku, code)
        row = product["stock"][code]
        for name, value in counters.items():
            if name in RECENT_ACTIVITY:
                row["activityOverrides"][name] = value
            elif value is None:
                row["counters"].pop(name, None)
            else:
                row["counters"][name] = value
        self._dirty = True
        return product, warehouse

    # ------------------------------------------------------------- webhooks and secrets

    def subscriptions_for(self, topic):
        return [hook for hook in self.webhooks.values() if hook["topic"] == topic]

    def signing_secrets(self):
        with self.lock:
            return [
                (str(record["id"]), record["secret"])
                for record in self.secrets.values()
            ]

    @mutation
    def add_webhook(self, topic, url):
        hook = {"id": self._new_id("webhook"), "topic": topic, "url": url}
        self.webhooks[hook["id"]] = hook
        self._dirty = True
        return hook

    def webhook(self, hook_id):
        hook = self.webhooks.get(hook_id)
        if hook is None:
            raise SandboxError(404, "Subscription not found.")
        return hook

    @mutation
    def update_webhook(self, hook_id, topic, url):
        hook = self.webhook(hook_id)
        hook.update(topic=topic, url=url)
        self._dirty = True
        return hook

    @mutation
    def delete_webhook(self, hook_id):
        del self.webhooks[self.webhook(hook_id)["id"]]
        self._dirty = True

    @mutation
    def create_secret(self):
        record = {
            "id": self._new_id("secret"),
            "secret": secrets.token_hex(64),
            "expiration": None,
        }
        self.secrets[record["id"]] = record
        self._dirty = True
        return record

    def secret(self, secret_id):
        record = self.secrets.get(secret_id)
        if record is None:
            raise SandboxError(404, "Secret not found.")
        return record

    @mutation
    def delete_secret(self, secret_id):
        del self.secrets[self.secret(secret_id)["id"]]
        self._dirty = True


def _sku(product):
    return product["data"]["sku"]


def _product_data(body):
    return {
        key: copy.deepcopy(value)
        for key, value in body.items()
        if key not in SERVER_OWNED_PRODUCT_FIELDS
    }


def _labelled(label, found):
    """A product problem whose message names the product it is about."""
    return {**found, "message": f"{label}: {found['message']}"}


def _check_units(quantity):
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise ValueError("quantity must be a positive integer")


def _with_suffix(identifier, number):
    return None if identifier is None else f"{identifier}.{number}"
