"""The receivings under /api/v3, their rendering, and the /_sandbox controls that
count what arrives at the dock."""

import time

from .control import control_route, object_body
from .dates import format_date
from .receivings import local_midnight
from .resources import Links, Renderer, embedded, envelope
from .routes import (
    Reply,
    action_reply,
    filters,
    json_object,
    list_reply,
    ok,
    route,
    updated_after,
)
from .store import SandboxError, active

RECEIVING = r"receivings/(?P<ref>[^/]+)"
SUB_RESOURCES = (
    "items",
    "holds",
    "trackings",
    "shipments",
    "labels",
    "instructionsRecipients",
)
# Sub-resources read at their own path; the receiving links to SUB_RESOURCES.
READABLE = (*SUB_RESOURCES, "extendedAttributes")
LIST_FILTERS = (
    "externalId",
    "orderId",
    "orderNo",
    "transactionId",
    "status",
    "warehouseId",
    "warehouseExternalId",
)
SUB_RESOURCE_NOT_FOUND = "Receiving Order not found."
NO_ID = "Order ID not detected. Please make a POST if you wish to create an order."
CONTROL_ACTIONS = ("receive", "review", "submit", "complete", "holds/clear")


def label_pdf(receiving_id):
    """A one-page PDF standing in for a receiving's labels."""
    return (
        b"%PDF-1.4\n"
        + f"% Labels of receiving {receiving_id}\n".encode()
        + b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class ReceivingRenderer:
    """Receiving records as the API shows them; callers hold the store lock."""

    collection = "receivings"

    def __init__(self, desk, renderer):
        self.desk = desk
        self.renderer = renderer
        self.links = renderer.links

    def entry(self, record, expand=()):
        return {
            "resourceLocation": self.links.url(f"{self.collection}/{record['id']}"),
            "resource": self.receiving(record, expand),
        }

    def receiving(self, record, expand=()):
        desk, data = self.desk, record["data"]
        warehouse = desk.store.known_warehouse(record["warehouse"])
        resource = {
            "id": record["id"],
            "externalId": data.get("externalId"),
            "transactionId": record["transactionId"],
            "expectedDate": format_date(local_midnight(data.get("expectedDate"))),
            "commerceName": "Shipwire",
            "lastUpdatedDate": format_date(record["updated"]),
            "status": desk.status(record),
        }
        if desk.settings.receiving_echo_order_no:
            resource["orderNo"] = data.get("orderNo")
        path = f"receivings/{record['id']}"
        for name in SUB_RESOURCES:
            linked = {
                "resourceLocation": self.links.page(
                    f"{path}/{name}", 0, desk.settings.default_page_size
                )
            }
            if name in expand:
                linked["resource"] = self.renderer.collection(
                    f"{path}/{name}", self.entries(record, name), _as_is
                )
            resource[name] = linked
        routing = {
            "warehouseId": warehouse["id"],
            "warehouseExternalId": warehouse["externalId"],
            "warehouseName": warehouse["name"],
            "warehouseRegion": warehouse["region"],
            "physicalWarehouseId": warehouse["id"],
        }
        options = {**data["options"], **routing}
        del options["warehouseName"], options["physicalWarehouseId"]
        resource["options"] = embedded(options)
        resource["arrangement"] = embedded(data.get("arrangement") or {"type": "none"})
        resource["shipFrom"] = embedded(data.get("shipFrom") or {})
        resource["routing"] = embedded(routing)
        resource["events"] = embedded(
            {
                "createdDate": format_date(record["created"]),
                "pickedUpDate": None,
                "submittedDate": format_date(record["submittedAt"]),
                "processedDate": format_date(record["processedAt"]),
                "completedDate": format_date(record["completedAt"]),
                "expectedDate": resource["expectedDate"],
                "deliveredDate": format_date(record["deliveredAt"]),
                "cancelledDate": format_date(record["cancelledAt"]),
                "returnedDate": None,
                "lastManualUpdateDate": None,
            }
        )
        return resource

    def entries(self, record, name, include_cleared=False):
        """The embedded entries of sub-resource ``name``."""
        data, owner = record["data"], self._owner(record)
        if name == "items":
            rows = [{**item, **owner} for item in record["items"]]
        elif name == "holds":
            holds = record["holds"] if include_cleared else active(record["holds"])
            rows = [self._hold(record, hold) for hold in holds]
        elif name == "shipments":
            rows = [
                {**shipment, **_dimensions(shipment), **owner}
                for shipment in _listed(data, "shipments")
            ]
        elif name == "labels":
            rows = [
                {"id": number, **owner, "type": "label"}
                for number, _shipment in enumerate(_listed(data, "shipments"), 1)
            ]
        else:  # trackings, instructionsRecipients, extendedAttributes: as sent
            rows = [{**row, **owner} for row in _listed(data, name)]
        return [embedded(row) for row in rows]

    @staticmethod
    def _owner(record):
        return {
            "orderId": record["id"],
            "orderExternalId": record["data"].get("externalId"),
        }

    @staticmethod
    def _hold(record, hold):
        return {
            "id": hold["id"],
            "orderId": record["id"],
            "externalOrderId": record["data"].get("externalId"),
            "type": hold["type"],
            "description": hold["description"],
            "appliedDate": format_date(hold["applied"]),
            "clearedDate": format_date(hold["cleared"]),
        }


def _listed(data, name):
    value = data.get(name)
    return (
        [row for row in value if isinstance(row, dict)]
        if isinstance(value, list)
        else []
    )


def _dimensions(shipment):
    """Dimensions read back as text, as recorded ("0.0")."""
    return {
        name: str(float(shipment.get(name) or 0))
        for name in ("length", "width", "height", "weight")
    }


def _as_is(entry):
    return entry


def _expand(request):
    """The sub-resources ``expand`` names ("all": every one)."""
    names = {
        name.strip()
        for value in request.query.get("expand", ())
        for name in value.split(",")
    }
    return set(SUB_RESOURCES) if "all" in names else names


def _parts(sandbox, request):
    desk = sandbox.receiving_desk
    return desk, ReceivingRenderer(desk, request.renderer)


def _slow_write(sandbox):
    if sandbox.settings.receiving_write_latency:
        time.sleep(sandbox.settings.receiving_write_latency)


def _refused(request, errors):
    """A write Shipwire did not make: HTTP 200, no receiving, the errors (as a
    refused purchase order is answered)."""
    empty = {"offset": 0, "total": 0, "previous": None, "next": None, "items": []}
    location = request.links.page("receivings", 0, 0)
    return ok(envelope(200, "Successful", location, empty, errors=errors))


# ------------------------------------------------------------------------ /api/v3


@route("GET", "receivings")
def list_receivings(sandbox, request):
    desk, render = _parts(sandbox, request)
    desk.count("receivingLists")
    with desk.lock:
        records = desk.list(filters(request, LIST_FILTERS), updated_after(request))
        return list_reply(
            sandbox,
            request,
            records,
            lambda record: render.entry(record, _expand(request)),
        )


@route("POST", "receivings")
def create_receiving(sandbox, request):
    desk, render = _parts(sandbox, request)
    desk.count("receivingCreates")
    body = json_object(request)
    _slow_write(sandbox)
    record, errors = desk.add(body)
    if record is None:
        return _refused(request, errors)
    with desk.lock:
        entry = render.entry(record, _expand(request))
    if sandbox.settings.receiving_holds_after_create:
        desk.add_holds_after_create(record["id"])
    created = {"offset": 0, "total": 1, "previous": None, "next": None}
    created["items"] = [entry]
    location = request.links.page("receivings", 0, 1)
    return ok(envelope(200, "Successful", location, created))


@route("PUT", "receivings")
def update_without_id(sandbox, request):
    raise SandboxError(400, NO_ID)


@route("GET", RECEIVING)
def get_receiving(sandbox, request, ref):
    desk, render = _parts(sandbox, request)
    desk.count("receivingReads")
    with desk.lock:
        entry = render.entry(desk.receiving(ref), _expand(request))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("PUT", RECEIVING)
def update_receiving(sandbox, request, ref):
    desk, render = _parts(sandbox, request)
    desk.count("receivingUpdates")
    body = json_object(request)
    _slow_write(sandbox)
    record, errors = desk.update(ref, body)
    if record is None:
        return ok(envelope(200, "Successful", None, errors=errors))
    with desk.lock:
        entry = render.entry(record, _expand(request))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("POST", f"{RECEIVING}/cancel")
def cancel_receiving(sandbox, request, ref):
    desk = sandbox.receiving_desk
    desk.count("receivingCancels")
    _slow_write(sandbox)
    desk.cancel(ref)
    return action_reply("Receiving was cancelled")


@route("POST", f"{RECEIVING}/labels/cancel")
def cancel_labels(sandbox, request, ref):
    return action_reply("Labels cancelled")


@route("GET", rf"{RECEIVING}/(?P<name>{'|'.join(READABLE)})")
def receiving_sub_resource(sandbox, request, ref, name):
    desk, render = _parts(sandbox, request)
    desk.count("receivingReads")
    with desk.lock:
        record = desk.receiving(ref, SUB_RESOURCE_NOT_FOUND)
        if name == "labels" and "application/pdf" in request.headers.get("accept", ""):
            pdf = label_pdf(record["id"])
            return Reply(200, pdf, [("Content-Type", "application/pdf")])
        cleared = request.param("includeCleared") in ("1", "true")
        entries = render.entries(record, name, include_cleared=cleared)
        return list_reply(sandbox, request, entries, _as_is)


# ----------------------------------------------------------------------- /_sandbox


@control_route(
    "POST", rf"/receivings/(?P<ref>[^/]+)/(?P<action>{'|'.join(CONTROL_ACTIONS)})"
)
def receiving_action(sandbox, body, ref, action):
    """Count units at the dock (receive, review), move the receiving on (submit,
    complete) or lift its holds; answers the receiving, items and holds
    expanded."""
    desk, body = sandbox.receiving_desk, object_body(body)
    if action == "receive":
        record = desk.receive(
            ref,
            body.get("sku"),
            body.get("good"),
            body.get("damaged"),
            body.get("inReview"),
        )
    elif action == "review":
        record = desk.review(
            ref, body.get("sku"), body.get("reviewedGood"), body.get("reviewedDamaged")
        )
    elif action == "holds/clear":
        record = desk.clear_holds(ref)
    else:
        record = getattr(desk, action)(ref)
    links = Links(sandbox.settings.public_url or sandbox.url)
    render = ReceivingRenderer(desk, Renderer(desk.store, links))
    with desk.lock:
        return render.receiving(record, ("items", "holds"))
