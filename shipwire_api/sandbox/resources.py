"""Store records rendered as the JSON resources, collections and envelopes of the API.

Callers hold the store lock while rendering.
"""

from urllib.parse import urlencode

from .dates import format_date
from .store import RECENT_ACTIVITY, active

ABSENT = object()
EXPANDABLE = ("holds", "items", "trackings", "orders", "splitOrders")
# Fields of a purchase order body rendered on their own rather than echoed as sent.
RENDERED_APART = (
    "items",
    "options",
    "extendedAttributes",
    "holds",
    "trackings",
    "orders",
    "events",
    "routing",
)


def envelope(status, message, location=None, resource=ABSENT, **extra):
    body = {"status": status, "message": message, **extra, "resourceLocation": location}
    if resource is not ABSENT:
        body["resource"] = resource
    return body


def embedded(resource):
    return {"resourceLocation": None, "resource": resource}


def page_of(records, offset, limit, render_entry, page_url):
    """One page of a collection; ``page_url(offset, limit)`` builds previous/next."""
    total = len(records)
    return {
        "offset": offset,
        "total": total,
        "previous": page_url(max(0, offset - limit), limit) if offset > 0 else None,
        "next": page_url(offset + limit, limit)
        if limit and offset + limit < total
        else None,
        "items": [render_entry(record) for record in records[offset : offset + limit]],
    }


def parse_expand(values):
    names = {
        name.strip() for value in values for name in value.split(",") if name.strip()
    }
    return set(EXPANDABLE) if "all" in names else names


class Links:
    """Absolute URLs under a root: the one the client used (taken from its Host
    header), or the setting ``public_url``."""

    def __init__(self, root):
        self.root = root.rstrip("/")

    def url(self, path, params=(), prefixed=True):
        """``<root>/api/v3/<path>?<params>``; without /api/v3 unless ``prefixed``."""
        query = urlencode(list(params))
        base = f"{self.root}/api/v3" if prefixed else self.root
        return f"{base}/{path}" + (f"?{query}" if query else "")

    def page(self, path, offset, limit, params=(), prefixed=True):
        paged = [*params, ("offset", offset), ("limit", limit)]
        return self.url(path, paged, prefixed)


class Renderer:
    def __init__(self, store, links):
        self.store = store
        self.links = links
        self.settings = store.settings

    # ----------------------------------------------------------------- helpers

    def _sub_resource(self, path, expanded, records, render_entry):
        """A link to the first page of a collection, with the page when ``expanded``."""
        linked = {
            "resourceLocation": self.links.page(
                path, 0, self.settings.default_page_size
            )
        }
        if expanded:
            linked["resource"] = self.collection(path, records, render_entry)
        return linked

    def collection(self, path, records, render_entry):
        """First page of an embedded collection, as webhooks and ``expand`` show it."""
        return page_of(
            records,
            0,
            self.settings.default_page_size,
            render_entry,
            lambda offset, limit: self.links.page(path, offset, limit),
        )

    # ----------------------------------------------------------------- purchase orders

    def purchase_order_entry(self, po, expand=()):
        return {
            "resourceLocation": self.links.url(f"purchaseOrders/{po['id']}"),
            "resource": self.purchase_order(po, expand),
        }

    def purchase_order(self, po, expand=()):
        store, data = self.store, po["data"]
        status = store.po_status(po)
        orders = store.orders_of(po)
        path = f"purchaseOrders/{po['id']}"
        resource = {
            "id": po["id"],
            "externalId": data.get("externalId"),
            "purchaseOrderNo": data.get("purchaseOrderNo"),
            "transactionId": po["transactionId"],
            "status": status,
            "needsReview": 0,
            "hasFulfillmentHolds": int(
                any(store.order_status(order) == "held" for order in orders)
            ),
            "lastUpdatedDate": format_date(po["updated"]),
        }
        for key, value in data.items():
            if key not in resource and key not in RENDERED_APART:
                resource[key] = embedded(value) if isinstance(value, dict) else value
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        resource["options"] = embedded(
            {
                **options,
                "isHeld": int(status == self.settings.po_status_on_hold),
                "isApproved": int(po["approved"]),
            }
        )
        attributes = data.get("extendedAttributes")
        resource["extendedAttributes"] = self._sub_resource(
            f"{path}/extendedAttributes",
            True,
            attributes if isinstance(attributes, list) else [],
            embedded,
        )
        routed = next(
            (order for order in orders if order["stage"] != "cancelled"), None
        )
        resource["routing"] = embedded(
            self._routing(routed["warehouse"] if routed else None)
        )
        resource["events"] = embedded(
            {
                "purchaseOrderDate": data.get("purchaseOrderDate"),
                "requestedShipDate": data.get("requestedShipDate"),
                "createdDate": format_date(po["created"]),
                "approvalDate": format_date(po["approvedAt"]),
                "completedDate": format_date(po["completedAt"]),
                "canceledDate": format_date(po["canceledAt"]),
                "lastManualUpdate": None,
                "lastUpdatedDate": format_date(po["updated"]),
            }
        )
        resource["holds"] = self._sub_resource(
            f"{path}/holds",
            "holds" in expand,
            active(po["holds"]),
            lambda hold: embedded(self.po_hold(po, hold)),
        )
        resource["items"] = self._sub_resource(
            f"{path}/items",
            "items" in expand,
            po["items"],
            lambda item: embedded(self.po_item(po, item)),
        )
        resource["trackings"] = self._sub_resource(
            f"{path}/trackings",
            "trackings" in expand,
            store.trackings_of(po),
            lambda tracking: embedded(self.tracking(tracking)),
        )
        resource["orders"] = self._sub_resource(
            f"{path}/orders", "orders" in expand, orders, self.order_entry
        )
        return resource

    def po_item(self, po, item):
        return {**item, "purchaseOrderId": po["id"]}

    def po_hold(self, po, hold):
        return {
            "id": hold["id"],
            "purchaseOrderId": po["id"],
            "purchaseOrderExternalId": po["data"].get("externalId"),
            "type": hold["type"],
            "description": hold["description"],
            "appliedDate": format_date(hold["applied"]),
            "clearedDate": format_date(hold["cleared"]),
        }

    def _routing(self, code):
        if code is None:
            return {
                "warehouseId": None,
                "warehouseExternalId": None,
                "warehouseName": None,
                "physicalWarehouseId": None,
            }
        warehouse = self.store.warehouse(code)
        return {
            "warehouseId": warehouse["id"],
            "warehouseExternalId": warehouse["externalId"],
            "warehouseName": warehouse["name"],
            "warehouseRegion": warehouse["region"],
            "physicalWarehouseId": warehouse["id"],
        }

    # --------------------------------------------------------------- fulfillment orders

    def order_entry(self, order, expand=()):
        return {
            "resourceLocation": self.links.url(f"orders/{order['id']}"),
            "resource": self.order(order, expand),
        }

    def order(self, order, expand=()):
        store = self.store
        po = store.purchase_orders[order["purchaseOrderId"]]
        data = po["data"]
        path = f"orders/{order['id']}"
        routing = self._routing(order["warehouse"])
        resource = {
            "id": order["id"],
            "externalId": order["externalId"],
            "orderNo": order["orderNo"],
            "transactionId": order["transactionId"],
            "purchaseOrderId": po["id"],
            "purchaseOrderExternalId": data.get("externalId"),
            "purchaseOrderNo": data.get("purchaseOrderNo"),
            "commerceName": "Shipwire",
            "vendorId": data.get("vendorId"),
            "vendorExternalId": data.get("vendorExternalId"),
            "status": store.order_status(order),
            "needsReview": 0,
            "lastUpdatedDate": format_date(order["updated"]),
        }
        options = data.get("options") if isinstance(data.get("options"), dict) else {}
        resource["options"] = embedded(
            {
                **options,
                "warehouseId": routing["warehouseId"],
                "warehouseExternalId": routing["warehouseExternalId"],
                "warehouseRegion": routing["warehouseRegion"],
                # The carrier it shipped with, once it has.
                "carrierCode": order.get("carrierCode") or options.get("carrierCode"),
            }
        )
        for key in ("shipFrom", "shipTo", "billTo", "commercialInvoice", "packingList"):
            if isinstance(data.get(key), dict):
                resource[key] = embedded(data[key])
        resource["routing"] = embedded(routing)
        if self.settings.order_pricing and order.get("pricing"):
            resource["pricing"] = embedded(order["pricing"])
        resource["events"] = embedded(
            {
                "createdDate": format_date(order["created"]),
                "processedDate": format_date(order["processedAt"]),
                "submittedDate": format_date(order["submittedAt"]),
                "completedDate": format_date(order["completedAt"]),
                "deliveredDate": format_date(order["deliveredAt"]),
                "cancelledDate": format_date(order["cancelledAt"]),
                "lastManualUpdateDate": None,
                "lastUpdatedDate": format_date(order["updated"]),
            }
        )
        resource["holds"] = self._sub_resource(
            f"{path}/holds",
            "holds" in expand,
            active(order["holds"]),
            lambda hold: embedded(self.order_hold(order, hold)),
        )
        resource["items"] = self._sub_resource(
            f"{path}/items", "items" in expand, order["items"], embedded
        )
        resource["trackings"] = self._sub_resource(
            f"{path}/trackings",
            "trackings" in expand,
            order["trackings"],
            lambda tracking: embedded(self.tracking(tracking)),
        )
        resource["splitOrders"] = self._sub_resource(
            f"{path}/splitOrders",
            "splitOrders" in expand,
            store.split_siblings(order),
            self.order_entry,
        )
        return resource

    def order_hold(self, order, hold):
        return {
            "id": hold["id"],
            "orderId": order["id"],
            "externalOrderId": order["externalId"],
            "type": hold["type"],
            "description": hold["description"],
            "appliedDate": format_date(hold["applied"]),
            "clearedDate": format_date(hold["cleared"]),
        }

    def tracking(self, tracking):
        rendered = dict(tracking)
        for key in (
            "summaryDate",
            "labelCreatedDate",
            "createdDate",
            "trackedDate",
            "deliveredDate",
        ):
            rendered[key] = format_date(tracking[key])
        return rendered

    # ----------------------------------------------------------------- webhook payloads

    def webhook_body(self, kind, subject):
        """What a webhook for an event carries: the GET of its resource, or for a
        stock transition the flat body it came with."""
        store = self.store
        if kind == "stock":
            return subject
        if kind == "purchaseOrder":
            return self.purchase_order_entry(store.purchase_orders[subject])
        order = store.orders[subject]
        if kind == "order":
            return self.order_entry(order)
        if kind == "orderHolds":
            # Cleared holds included, or an order.hold.cleared payload would be empty.
            path = f"orders/{subject}/holds"
            entries = [
                embedded(self.order_hold(order, hold)) for hold in order["holds"]
            ]
        else:
            path = f"orders/{subject}/trackings"
            entries = [
                embedded(self.tracking(tracking)) for tracking in order["trackings"]
            ]
        location = self.links.page(path, 0, self.settings.default_page_size)
        return {
            "resourceLocation": location,
            "resource": self.collection(path, entries, _as_is),
        }

    # ----------------------------------------------------------------- other resources

    def webhook(self, hook):
        return {
            "id": hook["id"],
            "topic": f"{self.settings.webhook_topic_read_prefix}{hook['topic']}",
            "url": hook["url"],
        }

    def product_entry(self, product):
        return {
            "resourceLocation": self.links.url(
                f"products/baseProducts/{product['id']}"
            ),
            "resource": self.product(product),
        }

    def product(self, product):
        """The product as it was sent, with its id, status and units in good
        condition per warehouse."""
        data, stock = product["data"], []
        for warehouse in self.store.warehouses:
            row = product["stock"].get(warehouse["externalId"])
            stock.append(
                {
                    "warehouseId": warehouse["id"],
                    "warehouseExternalId": warehouse["externalId"],
                    "warehouseRegion": warehouse["region"],
                    "quantity": (row["counters"].get("good") or 0) if row else 0,
                }
            )
        resource = {
            "id": product["id"],
            "externalId": None,
            "classification": "baseProduct",
            **data,
            "description": data.get("description") or data["sku"],
            "status": "instock"
            if any(level["quantity"] > 0 for level in stock)
            else "outofstock",
            "stock": embedded(stock),
        }
        if self.settings.product_details_as_links:
            for key in ("values", "dimensions", "flags"):
                resource[key] = {"resourceLocation": None}
        return resource

    def stock_item(self, product, warehouse, activity):
        """One SKU at one warehouse; ``activity`` is the store's recent_activity()."""
        code = warehouse["externalId"]
        row = product["stock"][code]
        item = {
            "productId": product["id"],
            "productExternalId": product["data"].get("externalId"),
            "sku": product["data"]["sku"],
            "isBundle": product["isBundle"],
            "isAlias": product["isAlias"],
            "warehouseRegion": warehouse["region"],
            "warehouseId": warehouse["id"],
            "warehouseExternalId": code,
            **row["counters"],
        }
        recent = activity.get((product["id"], code), {})
        for name in RECENT_ACTIVITY:
            value = row["activityOverrides"].get(name, recent.get(name, 0))
            if value is not None:
                item[name] = value
        return item


def _as_is(entry):
    return entry
