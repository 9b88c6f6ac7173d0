"""The returns under /api/v3 (and the returns of one order), their rendering, their
webhook bodies, and the /_sandbox controls that count what comes back."""

from .control import control_route, object_body
from .dates import format_date
from .receiving_routes import (
    LIST_FILTERS,
    SUB_RESOURCE_NOT_FOUND,
    ReceivingRenderer,
    _as_is,
    _slow_write,
    label_pdf,
)
from .resources import Links, Renderer, embedded, envelope
from .returns import Refused
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
from .store import SandboxError

RETURN = r"returns/(?P<ref>[^/]+)"
SUB_RESOURCES = ("items", "holds", "trackings", "labels")
LABEL_NOT_FOUND = "Receiving Label not found."
CONTROL_ACTIONS = ("receive", "review", "submit", "complete", "hold", "holds/clear")


class ReturnRenderer(ReceivingRenderer):
    """Return records as the API shows them; callers hold the store lock."""

    collection = "returns"

    def receiving(self, record, expand=()):
        """The return (a receiving of Shipwire's back end, hence the name)."""
        desk, data = self.desk, record["data"]
        store = desk.store
        order = store.orders[record["orderId"]]
        po_data = store.purchase_orders[order["purchaseOrderId"]]["data"]
        warehouse = store.warehouse(record["warehouse"])
        resource = {
            "externalId": data.get("externalId"),
            "orderNo": data.get("orderNo"),
            "id": record["id"],
            "transactionId": record["transactionId"],
            "expectedDate": None,
            "commerceName": "Shipwire",
            "lastUpdatedDate": format_date(record["updated"]),
            "status": desk.status(record),
            "vendorId": po_data.get("vendorId"),
            "vendorExternalId": po_data.get("vendorExternalId"),
        }
        path = f"returns/{record['id']}"
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
        resource["originalOrder"] = {
            "resourceLocation": self.links.url(f"orders/{order['id']}")
        }
        if "originalOrder" in expand:
            resource["originalOrder"]["resource"] = self.renderer.order(order)
        routing = {
            "warehouseId": warehouse["id"],
            "warehouseExternalId": warehouse["externalId"],
            "warehouseName": warehouse["name"],
            "warehouseRegion": warehouse["region"],
        }
        options = {**data["options"], **routing}
        del options["warehouseName"]
        resource["options"] = embedded(options)
        resource["routing"] = embedded(
            {**routing, "physicalWarehouseId": routing["warehouseId"]}
        )
        resource["events"] = embedded(
            {
                "createdDate": format_date(record["created"]),
                "pickedUpDate": None,
                "submittedDate": format_date(record["submittedAt"]),
                "processedDate": format_date(record["processedAt"]),
                "completedDate": format_date(record["completedAt"]),
                "expectedDate": None,
                "deliveredDate": format_date(record["deliveredAt"]),
                "cancelledDate": format_date(record["cancelledAt"]),
                "returnedDate": None,
                "lastManualUpdateDate": None,
            }
        )
        return resource

    def entries(self, record, name, include_cleared=False):
        """Labels and trackings exist once a prepaid label was asked for."""
        if name not in ("labels", "trackings"):
            return super().entries(record, name, include_cleared)
        if not record["data"]["options"]["generatePrepaidLabel"]:
            return []
        row = {"id": record["id"], **self._owner(record)}
        if name == "labels":
            row["type"] = "label"
        else:
            row.update(tracking=f"RMA{record['id']}", carrier="USPS")
        return [embedded(row)]

    def webhook_body(self, kind, return_id):
        """A ``return.*`` webhook's body: the return with its items, or for a hold
        topic its holds (cleared ones included, as the orders' hold topics)."""
        record = self.desk.records[return_id]
        if kind == "return":
            return self.entry(record, ("items",))
        path = f"returns/{return_id}/holds"
        return {
            "resourceLocation": self.links.page(
                path, 0, self.desk.settings.default_page_size
            ),
            "resource": self.renderer.collection(
                path, self.entries(record, "holds", include_cleared=True), _as_is
            ),
        }


def _expand(request):
    """What ``expand`` names ("all": every sub-resource)."""
    names = request.values("expand")
    return set(SUB_RESOURCES) if "all" in names else names


def _parts(sandbox, request):
    desk = sandbox.return_desk
    return desk, ReturnRenderer(desk, request.renderer)


# ------------------------------------------------------------------------ /api/v3


@route("GET", "returns")
def list_returns(sandbox, request):
    desk, render = _parts(sandbox, request)
    desk.count("returnLists")
    with desk.lock:
        records = desk.list(filters(request, LIST_FILTERS), updated_after(request))
        return list_reply(
            sandbox,
            request,
            records,
            lambda record: render.entry(record, _expand(request)),
        )


@route("POST", "returns")
def create_return(sandbox, request):
    desk, render = _parts(sandbox, request)
    desk.count("returnCreates")
    body = json_object(request)
    _slow_write(sandbox)
    try:
        record, warnings = desk.add(body)
    except Refused as refusal:
        empty = {"offset": 0, "total": 0, "previous": None, "next": None, "items": []}
        location = request.links.page("returns", 0, 0)
        return ok(envelope(200, "Successful", location, empty, errors=[refusal.error]))
    with desk.lock:
        entry = render.entry(record, _expand(request))
    if warnings:
        entry["warnings"] = warnings
    created = {"offset": 0, "total": 1, "previous": None, "next": None}
    created["items"] = [entry]
    location = request.links.page("returns", 0, 1)
    extra = {"warnings": warnings} if warnings else {}
    return ok(envelope(200, "Successful", location, created, **extra))


@route("GET", RETURN)
def get_return(sandbox, request, ref):
    desk, render = _parts(sandbox, request)
    desk.count("returnReads")
    with desk.lock:
        entry = render.entry(desk.receiving(ref), _expand(request))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("POST", f"{RETURN}/cancel")
def cancel_return(sandbox, request, ref):
    desk = sandbox.return_desk
    desk.count("returnCancels")
    _slow_write(sandbox)
    desk.cancel(ref)
    return action_reply("Return Order cancelled")


@route("GET", rf"{RETURN}/(?P<name>{'|'.join(SUB_RESOURCES)})")
def return_sub_resource(sandbox, request, ref, name):
    desk, render = _parts(sandbox, request)
    desk.count("returnReads")
    missing = LABEL_NOT_FOUND if name == "labels" else SUB_RESOURCE_NOT_FOUND
    with desk.lock:
        record = desk.receiving(ref, missing)
        entries = render.entries(
            record,
            name,
            include_cleared=request.param("includeCleared") in ("1", "true"),
        )
        if name == "labels" and "application/pdf" in request.headers.get("accept", ""):
            if not entries:
                raise SandboxError(404, LABEL_NOT_FOUND)
            return Reply(
                200, label_pdf(record["id"]), [("Content-Type", "application/pdf")]
            )
        return list_reply(sandbox, request, entries, _as_is)


@route("GET", r"orders/(?P<ref>[^/]+)/returns")
def order_returns(sandbox, request, ref):
    desk, render = _parts(sandbox, request)
    desk.count("returnLists")
    with desk.lock:
        order = desk.store.order(ref)
        records = sorted(desk.of_order(order), key=lambda r: r["id"])
        return list_reply(
            sandbox,
            request,
            records,
            lambda record: render.entry(record, _expand(request)),
        )


# ----------------------------------------------------------------------- /_sandbox


@control_route(
    "POST", rf"/returns/(?P<ref>[^/]+)/(?P<action>{'|'.join(CONTROL_ACTIONS)})"
)
def return_action(sandbox, body, ref, action):
    """Count units back at the dock (receive, review), move the return on (submit,
    complete), hold it or lift its holds; answers the return, items and holds
    expanded."""
    desk, body = sandbox.return_desk, object_body(body)
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
    elif action == "hold":
        record = desk.hold(
            ref,
            body.get("description") or "Held by request",
            body.get("type", "customer"),
        )
    elif action == "holds/clear":
        record = desk.clear_holds(ref)
    else:
        record = getattr(desk, action)(ref)
    links = Links(sandbox.settings.public_url or sandbox.url)
    render = ReturnRenderer(desk, Renderer(desk.store, links))
    with desk.lock:
        return render.receiving(record, ("items", "holds"))
