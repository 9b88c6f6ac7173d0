"""The API under /api/v3: one function per route, each returning a Reply."""

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import rates
from .dates import parse_date
from .resources import embedded, envelope, page_of, parse_expand
from .store import SandboxError
from .webhooks import url_answers_head

ROUTES = []
PAGING_PARAMS = ("offset", "limit")


@dataclass
class ApiRequest:
    api_path: str  # below /api/v3, without the leading slash: "purchaseOrders/12/holds"
    query: dict  # name -> [values]
    body: object
    links: object
    renderer: object
    headers: dict = field(default_factory=dict)  # names in lower case

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def values(self, name):
        """Every value of a filter, comma-separated lists included."""
        return {
            part.strip()
            for value in self.query.get(name, ())
            for part in value.split(",")
            if part.strip()
        }

    @property
    def expand(self):
        return parse_expand(self.query.get("expand", ()))


@dataclass
class Reply:
    status: int
    body: dict | bytes  # bytes go out as they are, with their own Content-Type
    headers: list = field(default_factory=list)


def route(method, pattern):
    def register(handler):
        ROUTES.append((method, re.compile(f"^{pattern}$"), handler))
        return handler

    return register


def resolve(method, api_path):
    """``(handler, path parameters)``.

    Raises SandboxError for unknown paths and methods.
    """
    allowed = False
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(api_path)
        if match:
            if route_method == method:
                return handler, match.groupdict()
            allowed = True
    if allowed:
        raise SandboxError(405, "Method not allowed")
    raise SandboxError(404, "Not found")


def ok(body):
    return Reply(200, body)


def action_reply(message):
    return ok(envelope(200, message))


def error_reply(error, settings):
    """The answer to a ``SandboxError``; a state refusal lists its errors in the
    shape the settings ask for."""
    extra = {}
    shape, subject = settings.state_refusal_errors, error.subject
    if subject and shape == "keyed":
        extra["errors"] = {
            str(subject["id"]): {
                "message": {"status": error.message},
                "type": {"status": "error"},
            }
        }
    elif subject and shape == "list":
        extra["errors"] = [
            {"type": "error", "code": "invalidState", "message": error.message}
            | subject
        ]
    return Reply(error.status, envelope(error.status, error.message, **extra))


def invalid_request(*errors):
    return Reply(400, envelope(400, "Invalid request", errors=list(errors)))


def page_bounds(request, settings):
    try:
        offset = int(request.param("offset", 0))
        limit = int(request.param("limit", settings.default_page_size))
    except ValueError:
        raise SandboxError(400, "offset and limit must be integers") from None
    if offset < 0 or limit < 0:
        raise SandboxError(400, "offset and limit must not be negative")
    return offset, min(limit, settings.max_page_size)


def list_reply(sandbox, request, records, render_entry, prefixed=True):
    """A page of ``records``.

    The previous/next links keep every query parameter of the request. Without
    ``prefixed`` (or with the setting ``prefixless_paging_links``) their path
    leaves out /api/v3, as Shipwire's links of /secret were recorded.
    """
    prefixed = prefixed and not sandbox.settings.prefixless_paging_links
    offset, limit = page_bounds(request, sandbox.settings)
    params = [
        (name, value)
        for name, values in request.query.items()
        if name not in PAGING_PARAMS
        for value in values
    ]

    def page_url(page_offset, page_limit):
        if sandbox.settings.looping_paging_links:
            page_offset = 0
        return request.links.page(
            request.api_path, page_offset, page_limit, params, prefixed
        )

    resource = page_of(records, offset, limit, render_entry, page_url)
    return ok(envelope(200, "Successful", page_url(offset, limit), resource))


def updated_after(request):
    value = request.param("updatedAfter")
    if not value:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise SandboxError(400, "updatedAfter must be an ISO-8601 date") from None


def filters(request, names):
    return {name: request.values(name) for name in names if request.values(name)}


def json_object(request):
    if not isinstance(request.body, dict):
        raise SandboxError(400, "The request body must be a JSON object")
    return request.body


# --------------------------------------------------------------------- purchase orders

PO = r"purchaseOrders/(?P<ref>[^/]+)"


@route("GET", "purchaseOrders")
def list_purchase_orders(sandbox, request):
    store, expand = sandbox.store, request.expand
    names = ("externalId", "orderNo", "status", "purchaseOrderId", "transactionId")
    with store.lock:
        records = store.list_purchase_orders(
            filters(request, names), updated_after(request)
        )
        return list_reply(
            sandbox,
            request,
            records,
            lambda po: request.renderer.purchase_order_entry(po, expand),
        )


def reported_problems(store, outcome, data):
    """The keys reporting the problems of a create or update: ``v4Errors`` and
    ``v4Warnings``, or (setting ``purchase_order_messages`` "v3") ``errors`` and
    ``warnings`` as the Order API gives them, once for each fulfillment order (or
    the order it would have been), naming it. Call under the store lock."""
    kept = outcome.purchase_order is not None
    if store.settings.purchase_order_messages == "v4":
        keys = {"v4Warnings": outcome.warnings}
        if outcome.errors or not kept:
            keys["v4Errors"] = outcome.errors
        return keys
    orders = store.orders_of(outcome.purchase_order) if kept else []
    if orders:
        subjects = [
            (order["orderNo"], order["externalId"], order["id"]) for order in orders
        ]
    else:
        external_id, order_no = store.order_numbers(data, 1, 1)
        subjects = [(order_no, external_id, None)]
    keys = {}
    for key, code, problems in (
        ("errors", "orderSubmitFailed", outcome.errors),
        ("warnings", "orderSubmitWarnings", outcome.warnings),
    ):
        if problems:
            keys[key] = [
                {
                    "type": problem["type"],
                    "code": code,
                    "message": problem["message"],
                    "orderNo": order_no,
                    "externalId": external_id,
                    "id": order_id,
                }
                for order_no, external_id, order_id in subjects
                for problem in problems
            ]
    return keys


def not_kept(request, problems):
    """The answer to a PO write that was refused: no PO, only the problems."""
    empty = {"offset": 0, "total": 0, "previous": None, "next": None, "items": []}
    return ok(
        envelope(
            200,
            "Successful",
            request.links.page("purchaseOrders", 0, 0),
            empty,
            **problems,
        )
    )


@route("POST", "purchaseOrders")
def create_purchase_order(sandbox, request):
    store, links = sandbox.store, request.links
    body = json_object(request)
    outcome = store.create_purchase_order(body)
    with store.lock:
        problems = reported_problems(store, outcome, body)
        if outcome.purchase_order is None:
            return not_kept(request, problems)
        entry = request.renderer.purchase_order_entry(
            outcome.purchase_order, request.expand
        )
    if sandbox.settings.purchase_order_messages == "v3":
        entry = {**problems, **entry}  # v3 repeats them in each item
    created = {
        "offset": 0,
        "total": 1,
        "previous": None,
        "next": None,
        "items": [entry],
    }
    return ok(
        envelope(
            200, "Successful", links.page("purchaseOrders", 0, 1), created, **problems
        )
    )


@route("GET", PO)
def get_purchase_order(sandbox, request, ref):
    with sandbox.store.lock:
        entry = request.renderer.purchase_order_entry(
            sandbox.store.purchase_order(ref), request.expand
        )
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("PUT", PO)
def update_purchase_order(sandbox, request, ref):
    store, body = sandbox.store, json_object(request)
    outcome = store.update_purchase_order(ref, body)
    with store.lock:
        problems = reported_problems(store, outcome, body)
        if outcome.purchase_order is None:
            return not_kept(request, problems)
        entry = request.renderer.purchase_order_entry(
            outcome.purchase_order, request.expand
        )
    return ok(
        envelope(
            200, "Successful", entry["resourceLocation"], entry["resource"], **problems
        )
    )


@route("POST", f"{PO}/approve")
def approve_purchase_order(sandbox, request, ref):
    sandbox.store.approve_purchase_order(ref)
    return action_reply("Purchase order approved")


@route("POST", f"{PO}/cancel")
def cancel_purchase_order(sandbox, request, ref):
    sandbox.store.cancel_purchase_order(ref)
    return action_reply("Purchase order cancelled")


@route("POST", f"{PO}/hold")
def hold_purchase_order(sandbox, request, ref):
    body = request.body if isinstance(request.body, dict) else {}
    sandbox.store.hold_purchase_order(
        ref, body.get("description") or body.get("reason")
    )
    return action_reply("Purchase order held")


@route("POST", f"{PO}/hold/clear")
def clear_purchase_order_hold(sandbox, request, ref):
    sandbox.store.clear_purchase_order_hold(ref)
    return action_reply("Purchase order hold cleared")


def include_cleared(request, holds):
    if request.param("includeCleared") in ("1", "true"):
        return holds
    return [hold for hold in holds if hold["cleared"] is None]


@route("GET", f"{PO}/holds")
def purchase_order_holds(sandbox, request, ref):
    with sandbox.store.lock:
        po = sandbox.store.purchase_order(ref)
        render = request.renderer.po_hold
        return list_reply(
            sandbox,
            request,
            include_cleared(request, po["holds"]),
            lambda h: embedded(render(po, h)),
        )


@route("GET", f"{PO}/items")
def purchase_order_items(sandbox, request, ref):
    with sandbox.store.lock:
        po = sandbox.store.purchase_order(ref)
        return list_reply(
            sandbox,
            request,
            po["items"],
            lambda item: embedded(request.renderer.po_item(po, item)),
        )


@route("GET", f"{PO}/trackings")
def purchase_order_trackings(sandbox, request, ref):
    store = sandbox.store
    with store.lock:
        trackings = store.trackings_of(store.purchase_order(ref))
        return list_reply(
            sandbox,
            request,
            trackings,
            lambda t: embedded(request.renderer.tracking(t)),
        )


@route("GET", f"{PO}/orders")
def purchase_order_orders(sandbox, request, ref):
    store, expand = sandbox.store, request.expand
    with store.lock:
        orders = store.orders_of(store.purchase_order(ref))
        return list_reply(
            sandbox,
            request,
            orders,
            lambda order: request.renderer.order_entry(order, expand),
        )


@route("GET", f"{PO}/extendedAttributes")
def purchase_order_extended_attributes(sandbox, request, ref):
    with sandbox.store.lock:
        attributes = sandbox.store.purchase_order(ref)["data"].get("extendedAttributes")
        return list_reply(
            sandbox,
            request,
            attributes if isinstance(attributes, list) else [],
            embedded,
        )


@route("GET", f"{PO}/commercialInvoice")
def purchase_order_commercial_invoice(sandbox, request, ref):
    with sandbox.store.lock:
        invoice = (
            sandbox.store.purchase_order(ref)["data"].get("commercialInvoice") or {}
        )
        return ok(
            envelope(200, "Successful", request.links.url(request.api_path), invoice)
        )


# ------------------------------------------------------------------- fulfillment orders

ORDER = r"orders/(?P<ref>[^/]+)"


@route("GET", "orders")
def list_orders(sandbox, request):
    store, expand = sandbox.store, request.expand
    names = (
        "orderId",
        "externalId",
        "orderNo",
        "purchaseOrderId",
        "transactionId",
        "status",
        "warehouseId",
        "warehouseExternalId",
        "commerceName",
    )
    with store.lock:
        records = store.list_orders(filters(request, names), updated_after(request))
        return list_reply(
            sandbox,
            request,
            records,
            lambda order: request.renderer.order_entry(order, expand),
        )


@route("GET", ORDER)
def get_order(sandbox, request, ref):
    with sandbox.store.lock:
        entry = request.renderer.order_entry(sandbox.store.order(ref), request.expand)
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("POST", f"{ORDER}/cancel")
def cancel_order(sandbox, request, ref):
    sandbox.store.cancel_order(ref)
    return action_reply("Order cancelled")


@route("GET", f"{ORDER}/holds")
def order_holds(sandbox, request, ref):
    with sandbox.store.lock:
        order = sandbox.store.order(ref)
        render = request.renderer.order_hold
        return list_reply(
            sandbox,
            request,
            include_cleared(request, order["holds"]),
            lambda h: embedded(render(order, h)),
        )


@route("POST", f"{ORDER}/holds/clear")
def clear_order_holds(sandbox, request, ref):
    sandbox.store.clear_order_holds(ref)
    return action_reply("Holds cleared")


@route("GET", f"{ORDER}/trackings")
def order_trackings(sandbox, request, ref):
    with sandbox.store.lock:
        trackings = sandbox.store.order(ref)["trackings"]
        return list_reply(
            sandbox,
            request,
            trackings,
            lambda t: embedded(request.renderer.tracking(t)),
        )


@route("GET", f"{ORDER}/items")
def order_items(sandbox, request, ref):
    with sandbox.store.lock:
        return list_reply(sandbox, request, sandbox.store.order(ref)["items"], embedded)


@route("GET", f"{ORDER}/splitOrders")
def split_orders(sandbox, request, ref):
    store = sandbox.store
    with store.lock:
        siblings = store.split_siblings(store.order(ref))
        return list_reply(sandbox, request, siblings, request.renderer.order_entry)


# --------------------------------------------------------------------- products

# A product is read and updated at /products/<id>, and located at
# /products/baseProducts/<id> (recorded).
PRODUCT = r"products(?:/baseProducts)?/(?P<product_id>\d+)"


def refused_products(errors):
    return Reply(400, envelope(400, "Invalid request", errors=errors))


@route("GET", "products")
def list_products(sandbox, request):
    """Filtered by SKU, the list also holds the SKUs that start with one asked for,
    as recorded."""
    with sandbox.store.lock:
        products = sandbox.store.list_products(request.values("sku"), by_prefix=True)
        return list_reply(sandbox, request, products, request.renderer.product_entry)


@route("POST", "products")
def create_products(sandbox, request):
    """Products come as a list. As recorded, the answer is 200 with the products
    created, in another order than sent (here the reverse), and an error for each
    one refused; with the setting ``product_list_refusal`` "whole", a 400 that
    creates none."""
    bodies = request.body
    if not isinstance(bodies, list) or not bodies:
        raise SandboxError(400, "The request body must be a JSON list of products")
    store = sandbox.store
    products, errors = store.create_products(bodies)
    if errors and sandbox.settings.product_list_refusal == "whole":
        return refused_products(errors)
    with store.lock:
        created = {
            "offset": 0,
            "total": len(products),
            "previous": None,
            "next": None,
            "items": [request.renderer.product_entry(p) for p in reversed(products)],
        }
    location = request.links.page("products", 0, len(products))
    extra = {"errors": errors} if errors else {}
    return ok(envelope(200, "Successful", location, created, **extra))


@route("GET", PRODUCT)
def get_product(sandbox, request, product_id):
    with sandbox.store.lock:
        entry = request.renderer.product_entry(sandbox.store.product(product_id))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("PUT", PRODUCT)
def update_product(sandbox, request, product_id):
    store = sandbox.store
    product, errors = store.update_product(product_id, json_object(request))
    if errors:
        return refused_products(errors)
    with store.lock:
        entry = request.renderer.product_entry(product)
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


# ------------------------------------------------------------------------ stock


@route("GET", "stock")
def list_stock(sandbox, request):
    """One item per SKU per warehouse it has stock rows at."""
    store = sandbox.store
    names = ("sku", "warehouseId", "warehouseExternalId")
    with store.lock:
        items = store.stock_items(filters(request, names))
        activity = store.recent_activity()
        return list_reply(
            sandbox,
            request,
            items,
            lambda item: embedded(request.renderer.stock_item(*item, activity)),
        )


@route("POST", "rate")
def rate(sandbox, request):
    if sandbox.settings.rate_latency:
        time.sleep(sandbox.settings.rate_latency)
    body = json_object(request)
    try:
        with sandbox.store.lock:
            resource, warnings = rates.quote(sandbox.store, sandbox.settings, body)
    except rates.RateRefused as refused:
        return Reply(422, envelope(422, rates.FAILED, errors=refused.errors))
    extra = {"warnings": warnings} if warnings else {}
    return ok(envelope(200, "Successful", None, resource, **extra))


# ----------------------------------------------------------------- webhooks and secrets


def webhook_problems(sandbox, body):
    topic, url = body.get("topic"), body.get("url")
    if not isinstance(topic, str) or not topic.strip():
        return ["Invalid topic"]
    schemes = ("https", "http") if sandbox.settings.allow_http_webhooks else ("https",)
    parts = urlsplit(url) if isinstance(url, str) else None
    if not parts or parts.scheme not in schemes or not parts.netloc:
        return ["Invalid URL"]
    if sandbox.settings.check_webhook_url and not url_answers_head(
        url, sandbox.settings.webhook_timeout
    ):
        return ["Invalid URL"]
    return []


def plain_topic(topic):
    """Topics are stored as subscribed.

    That is without the version prefix they are read back with.
    """
    return re.sub(r"^v\d+\.", "", topic.strip())


def webhook_entry(request, hook):
    return {
        "resourceLocation": request.links.url(f"webhooks/{hook['id']}"),
        "resource": request.renderer.webhook(hook),
    }


@route("GET", "webhooks")
def list_webhooks(sandbox, request):
    with sandbox.store.lock:
        hooks = list(sandbox.store.webhooks.values())
        return list_reply(
            sandbox, request, hooks, lambda hook: webhook_entry(request, hook)
        )


@route("POST", "webhooks")
def create_webhook(sandbox, request):
    body = json_object(request)
    problems = webhook_problems(sandbox, body)
    if problems:
        return invalid_request(*problems)
    hook = sandbox.store.add_webhook(plain_topic(body["topic"]), body["url"])
    created = {
        "offset": 0,
        "total": 1,
        "previous": None,
        "next": None,
        "items": [webhook_entry(request, hook)],
    }
    return ok(
        envelope(200, "Successful", request.links.page("webhooks", 0, 1), created)
    )


@route("GET", r"webhooks/(?P<hook_id>\d+)")
def get_webhook(sandbox, request, hook_id):
    with sandbox.store.lock:
        entry = webhook_entry(request, sandbox.store.webhook(int(hook_id)))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("PUT", r"webhooks/(?P<hook_id>\d+)")
def update_webhook(sandbox, request, hook_id):
    body = json_object(request)
    if int(hook_id) not in sandbox.store.webhooks:
        return invalid_request("Not found")
    problems = webhook_problems(sandbox, body)
    if problems:
        return invalid_request(*problems)
    hook = sandbox.store.update_webhook(
        int(hook_id), plain_topic(body["topic"]), body["url"]
    )
    entry = webhook_entry(request, hook)
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("DELETE", r"webhooks/(?P<hook_id>\d+)")
def delete_webhook(sandbox, request, hook_id):
    sandbox.store.delete_webhook(int(hook_id))
    return ok(envelope(200, "OK"))


def secret_entry(request, record):
    # Shipwire's own resourceLocation for secrets leaves out /api/v3.
    return {
        "resourceLocation": request.links.url(f"secret/{record['id']}", prefixed=False),
        "resource": dict(record),
    }


@route("POST", "secret")
def create_secret(sandbox, request):
    entry = secret_entry(request, sandbox.store.create_secret())
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("GET", "secret")
def list_secrets(sandbox, request):
    with sandbox.store.lock:
        records = list(sandbox.store.secrets.values())
        return list_reply(
            sandbox,
            request,
            records,
            lambda record: secret_entry(request, record),
            prefixed=False,
        )


@route("GET", r"secret/(?P<secret_id>\d+)")
def get_secret(sandbox, request, secret_id):
    with sandbox.store.lock:
        entry = secret_entry(request, sandbox.store.secret(int(secret_id)))
    return ok(envelope(200, "Successful", entry["resourceLocation"], entry["resource"]))


@route("DELETE", r"secret/(?P<secret_id>\d+)")
def delete_secret(sandbox, request, secret_id):
    sandbox.store.delete_secret(int(secret_id))
    return ok(envelope(200, "OK"))
