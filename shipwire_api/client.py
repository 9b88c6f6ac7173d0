"""HTTP client for Shipwire's Purchase Order, Order, Product, Receiving, Return and
Webhook APIs."""

import itertools
import json
import logging
import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .envelope import (
    collect_messages,
    collection_items,
    is_collection,
    mentions_duplicate,
    single_resource,
)
from .errors import (
    ShipwireAuthError,
    ShipwireError,
    ShipwireInputError,
    ShipwireMessage,
    ShipwireNotFoundError,
    ShipwireRejectedError,
    ShipwireStateError,
    ShipwireTimeoutError,
    ShipwireTransientError,
)
from .identifiers import checked_id, validate_external_id, validate_order_no
from .rates import QUOTE_TIMEOUT, parse_rate_quote
from .receivings import ReceivingResult, validate_receiving, written_receiving
from .returns import (
    ReturnResult,
    already_reported,
    is_cancelled,
    of_order,
    validate_return,
    written_return,
)

_logger = logging.getLogger(__name__)

ENVIRONMENTS = {
    "production": "https://api.shipwire.com",
    "sandbox": "https://api.beta.shipwire.com",
}
API_PREFIX = "/api/v3"
RETRYABLE_STATUSES = (500, 502, 503, 504)
# Creates are retried too: the duplicate rule makes a repeated create harmless.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"})


@dataclass
class Exchange:
    """One call to Shipwire as it went over the wire, credentials left out."""

    operation: str
    method: str
    url: str
    request_body: str
    status: int = 0
    response_body: str = ""
    duration: float = 0.0
    error: str = ""


@dataclass
class PurchaseOrderResult:
    """A purchase order Shipwire holds, with what it said about it."""

    purchase_order: dict
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # True when a repeated create was answered "duplicate" and the PO was looked up.
    recovered: bool = False

    @property
    def id(self):
        return self.purchase_order.get("id")

    @property
    def status(self):
        return self.purchase_order.get("status")


@dataclass
class ProductsResult:
    """What Shipwire made of a list of products to create: it creates some and
    refuses others in one answer."""

    # The products created, with their ``id``, in the order they were sent.
    created: list = field(default_factory=list)
    # ``{sku: [ShipwireMessage, ...]}``: each product not created, with why.
    refused: dict = field(default_factory=dict)
    # Errors about none of the refused products (e.g. about a created one).
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# Ids or externalIds sent in one list request at most, so that its URL stays short;
# a longer list is searched a batch at a time.
VALUES_PER_REQUEST = 100


def _status_filter(status):
    """Statuses as list filters spell them: "canceled", though orders read
    "cancelled"."""
    statuses = [status] if isinstance(status, str) else status
    return ",".join(
        "canceled" if value.lower() in ("cancelled", "canceled") else value
        for value in statuses
    )


def _date_filter(value):
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def _checked_ids(values, what):
    return None if values is None else [checked_id(value, what) for value in values]


def _checked_external_ids(values):
    if values is None:
        return None
    values = list(values)
    for value in values:
        validate_external_id(value, can_split=False)
    return values


def _checked_skus(values):
    """SKUs for a filter, which lists them separated by commas."""
    if values is None:
        return None
    values = list(values)
    for value in values:
        if not isinstance(value, str) or not value or "," in value:
            raise ShipwireInputError(
                f"The SKU {value!r} cannot be searched for: a SKU filter takes "
                "non-empty SKUs without commas."
            )
    return values


# What the id in each collection's paths is called, for error messages.
_ID_NAMES = {
    "purchaseOrders": "purchase order id",
    "orders": "order id",
    "webhooks": "webhook id",
    "secret": "secret id",
    "products": "product id",
    "receivings": "receiving id",
    "returns": "return id",
}


def _path(collection, record_id, *tail):
    """``/orders/123/holds``; ``record_id`` must be a Shipwire id (digits)."""
    segments = (collection, checked_id(record_id, _ID_NAMES[collection]), *tail)
    return "/" + "/".join(segments)


def _external_id_path(collection, external_id):
    """``/purchaseOrders/E<externalId>``: a record addressed by its externalId."""
    validate_external_id(external_id, can_split=False)
    return f"/{collection}/E{external_id}"


class ShipwireClient:
    def __init__(
        self,
        username,
        password,
        environment="sandbox",
        *,
        connect_timeout=10,
        read_timeout=150,
        retries=3,
        backoff_factor=0.5,
        page_size=200,
        do_not_persist_on_warnings=True,
        exchange_hook=None,
    ):
        if not username or not password:
            raise ShipwireInputError(
                "Shipwire needs an API user and its password (token): fill in both."
            )
        if not (connect_timeout > 0 and read_timeout > 0):
            raise ShipwireInputError(
                "Timeouts must be more than 0 seconds (Shipwire asks for 150 to read)."
            )
        root = ENVIRONMENTS.get(environment, environment).rstrip("/")
        if not root.startswith(("http://", "https://")):
            raise ShipwireInputError(
                f"Unknown Shipwire environment {environment!r}: use 'production', "
                "'sandbox' or a URL such as http://127.0.0.1:8765."
            )
        self.base_url = root.removesuffix(API_PREFIX)
        self.username = username
        self._auth = (username, password)
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.page_size = page_size
        self.do_not_persist_on_warnings = do_not_persist_on_warnings
        self.exchange_hook = exchange_hook
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRYABLE_STATUSES,
            allowed_methods=RETRYABLE_METHODS,
            raise_on_status=False,
        )
        self._session = _session(retry)
        # For calls that must not be repeated, such as quotes a customer waits for.
        self._single_try_session = _session(0)

    def __repr__(self):
        return f"ShipwireClient(user={self.username!r}, url={self.base_url!r})"

    def close(self):
        self._session.close()
        self._single_try_session.close()

    # -- transport ---------------------------------------------------------------

    def _url(self, path_or_url):
        if path_or_url.startswith(("http://", "https://")):
            # Follow Shipwire's absolute paging links, but only ever on the host we
            # were given; some links (those of /secret) leave out /api/v3.
            parts = urlsplit(path_or_url)
            path = parts.path
            if not path.startswith("/api/"):
                path = f"{API_PREFIX}{path}"
            query = f"?{parts.query}" if parts.query else ""
            return f"{self.base_url}{path}{query}"
        return f"{self.base_url}{API_PREFIX}{path_or_url}"

    def request(
        self,
        method,
        path,
        *,
        params=None,
        payload=None,
        operation="",
        timeout=None,
        retry=True,
        accept=None,
    ):
        """Send one call and return the decoded answer of a 2xx response.

        Other answers raise the matching ``ShipwireError``. ``timeout`` (seconds)
        replaces the client's read timeout for this call; without ``retry`` it is
        tried once. With ``accept`` (a media type such as "application/pdf") a 2xx
        answer is returned as bytes.
        """
        url = self._url(path)
        data = None if payload is None else json.dumps(payload)
        exchange = Exchange(operation or method, method, url, data or "")
        session = self._session if retry else self._single_try_session
        if timeout is None:
            timeout = self.timeout
        else:
            timeout = (min(self.timeout[0], timeout), timeout)
        headers = {"Content-Type": "application/json"} if data else {}
        if accept:
            headers["Accept"] = accept
        started = time.monotonic()
        try:
            response = session.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                auth=self._auth,
                timeout=timeout,
            )
        except requests.RequestException as error:
            exchange.duration = time.monotonic() - started
            exchange.error = type(error).__name__
            self._record(exchange)
            raise _unreachable_error(
                error, retry and self.retries > 0, timeout[1]
            ) from None
        exchange.duration = time.monotonic() - started
        exchange.url = response.url
        exchange.status = response.status_code
        if accept and response.ok:
            kind = response.headers.get("Content-Type", "")
            exchange.response_body = f"({len(response.content)} bytes of {kind})"
            self._record(exchange)
            return response.content
        exchange.response_body = response.text
        try:
            body = response.json()
        except ValueError:
            body = None
        try:
            return self._check(response.status_code, body)
        except ShipwireError as error:
            exchange.error = str(error)
            raise
        finally:
            self._record(exchange)

    def _record(self, exchange):
        if self.exchange_hook:
            self.exchange_hook(exchange)

    @staticmethod
    def _check(status, body):
        if status == 401:
            raise ShipwireAuthError(
                "Shipwire refused the API user or password: check the credentials "
                "on the Shipwire account.",
                status=status,
            )
        if not isinstance(body, dict):
            raise ShipwireTransientError(
                f"Shipwire sent an unreadable answer (HTTP {status}); "
                "try again in a moment.",
                status=status,
            )
        if 200 <= status < 300:
            return body
        errors, warnings = collect_messages(body)
        said = body.get("message") if isinstance(body.get("message"), str) else ""
        if status >= 500:
            raise ShipwireTransientError(
                f"Shipwire is failing (HTTP {status}{f': {said}' if said else ''}); "
                "try again in a moment.",
                status=status,
                errors=errors,
                warnings=warnings,
            )
        # A refusal always carries what Shipwire said, even when it is no more than
        # the envelope's message.
        if not errors:
            reason = said or f"Shipwire answered HTTP {status} without a reason"
            errors = [ShipwireMessage("error", reason)]
        kwargs = {"status": status, "errors": errors, "warnings": warnings}
        if status == 404:
            raise ShipwireNotFoundError("Shipwire could not find it", **kwargs)
        if status == 422:
            raise ShipwireStateError(
                "Shipwire refused this in the current state", **kwargs
            )
        raise ShipwireRejectedError("Shipwire refused the request", **kwargs)

    def _search(self, path, lists, params, operation):
        """Every record matching all ``params`` and, for each ``lists`` filter that
        is not None, one of its values (an empty list matches nothing)."""
        pages = self._search_pages(path, lists, params, operation)
        return [record for page in pages for record in page]

    def _search_pages(self, path, lists, params, operation, page_size=None, offset=0):
        """The pages of records ``_search`` finds, one list at a time, from
        ``offset`` on in each."""
        if any(values == [] for values in lists.values()):
            return
        batches = [
            [
                (name, ",".join(values[start : start + VALUES_PER_REQUEST]))
                for start in range(0, len(values), VALUES_PER_REQUEST)
            ]
            for name, values in lists.items()
            if values is not None
        ]
        given = {name: value for name, value in params.items() if value is not None}
        for combination in itertools.product(*batches):
            yield from self._pages(
                path, {**given, **dict(combination)}, operation, page_size, offset
            )

    def _paginate(self, path, params=None, operation=""):
        """Every resource of a collection, following ``next`` links to the end."""
        return [
            resource
            for page in self._pages(path, params, operation)
            for resource in page
        ]

    def _pages(self, path, params=None, operation="", page_size=None, offset=0):
        """The resources of a collection a page at a time (``page_size`` of them,
        the client's own by default), from ``offset`` on, following ``next`` links
        to the end."""
        params = {
            **(params or {}),
            "offset": offset,
            "limit": page_size or self.page_size,
        }
        next_url, seen = path, set()
        while next_url:
            if next_url in seen:
                raise ShipwireTransientError(
                    f"Shipwire's paging of {path} leads back to a page it gave "
                    "already; the listing was stopped. Try again later."
                )
            seen.add(next_url)
            body = self.request("GET", next_url, params=params, operation=operation)
            page = body.get("resource") or {}
            yield collection_items(page)
            # ``next`` already carries every query parameter.
            next_url, params = page.get("next"), None

    # -- purchase orders ---------------------------------------------------------

    def create_purchase_order(self, payload):
        """Create a PO; repeat-safe thanks to the duplicate rule.

        Returns a ``PurchaseOrderResult``. A PO Shipwire refused (``total`` 0)
        raises ``ShipwireRejectedError`` carrying its ``v4Errors`` and warnings.
        """
        payload = dict(payload)
        external_id = payload.get("externalId")
        can_split = str((payload.get("options") or {}).get("canSplit") or 0) == "1"
        validate_external_id(external_id, can_split)
        validate_order_no(payload.get("purchaseOrderNo"), can_split)
        payload.setdefault(
            "doNotPersistOnWarnings", int(bool(self.do_not_persist_on_warnings))
        )
        try:
            body = self.request(
                "POST", "/purchaseOrders", payload=payload, operation="create"
            )
        except ShipwireRejectedError as error:
            if mentions_duplicate(error.errors + [error]):
                return self._recover(external_id)
            raise
        resource = body.get("resource") or {}
        errors, warnings = collect_messages(body)
        created = collection_items(resource)
        if resource.get("total") and created:
            return PurchaseOrderResult(created[0], errors, warnings)
        if mentions_duplicate(body):
            return self._recover(external_id)
        raise ShipwireRejectedError(
            f"Shipwire rejected purchase order {external_id}",
            status=body.get("status"),
            errors=errors,
            warnings=warnings,
        )

    def _recover(self, external_id):
        _logger.info("Shipwire already has purchase order %s; linking it", external_id)
        purchase_order = self.find_purchase_order(external_id)
        if purchase_order is None:
            raise ShipwireRejectedError(
                f"Shipwire reports purchase order {external_id} as a duplicate but "
                "cannot find it by its externalId; check the PO list at Shipwire."
            )
        return PurchaseOrderResult(purchase_order, recovered=True)

    def get_purchase_order(self, purchase_order_id, expand=None):
        params = {"expand": expand} if expand else None
        body = self.request(
            "GET", _path("purchaseOrders", purchase_order_id), params=params
        )
        return single_resource(body)

    def find_purchase_order(self, external_id):
        """The PO with this externalId, or ``None``."""
        path = _external_id_path("purchaseOrders", external_id)
        for purchase_order in self.search_purchase_orders(external_ids=[external_id]):
            if purchase_order.get("externalId") == external_id:
                return purchase_order
        try:
            return single_resource(self.request("GET", path))
        except ShipwireNotFoundError:
            return None

    def search_purchase_orders(
        self, *, ids=None, external_ids=None, status=None, updated_after=None
    ):
        """All POs matching every filter given, across every page: ``ids`` and
        ``external_ids`` are lists, ``status`` one status or a list,
        ``updated_after`` a datetime."""
        lists = {
            "purchaseOrderId": _checked_ids(ids, "purchase order id"),
            "externalId": _checked_external_ids(external_ids),
        }
        params = {
            "status": _status_filter(status) if status else None,
            "updatedAfter": _date_filter(updated_after),
        }
        return self._search("/purchaseOrders", lists, params, "search")

    def update_purchase_order(self, purchase_order_id, payload):
        body = self.request(
            "PUT",
            _path("purchaseOrders", purchase_order_id),
            payload=payload,
            operation="update",
        )
        errors, warnings = collect_messages(body)
        return PurchaseOrderResult(single_resource(body) or {}, errors, warnings)

    def _purchase_order_action(self, purchase_order_id, *action):
        path = _path("purchaseOrders", purchase_order_id, *action)
        return self.request("POST", path, operation=" ".join(action))

    def cancel_purchase_order(self, purchase_order_id):
        return self._purchase_order_action(purchase_order_id, "cancel")

    def approve_purchase_order(self, purchase_order_id):
        return self._purchase_order_action(purchase_order_id, "approve")

    def clear_purchase_order_hold(self, purchase_order_id):
        """Lift the hold put on the PO (the path says "hold", not "holds")."""
        return self._purchase_order_action(purchase_order_id, "hold", "clear")

    def _purchase_order_collection(self, purchase_order_id, name, params=None):
        path = _path("purchaseOrders", purchase_order_id, name)
        return self._paginate(path, params, name)

    def purchase_order_orders(self, purchase_order_id):
        """The fulfillment orders Shipwire made of this PO."""
        return self._purchase_order_collection(purchase_order_id, "orders")

    def purchase_order_items(self, purchase_order_id):
        return self._purchase_order_collection(purchase_order_id, "items")

    # -- fulfillment orders ------------------------------------------------------

    def get_order(self, order_id, expand=None):
        params = {"expand": expand} if expand else None
        body = self.request("GET", _path("orders", order_id), params=params)
        return single_resource(body)

    def search_orders(
        self,
        *,
        ids=None,
        purchase_order_ids=None,
        external_ids=None,
        status=None,
        updated_after=None,
        expand=None,
    ):
        """All fulfillment orders matching every filter given, across every page,
        as ``search_purchase_orders``; ``expand`` embeds sub-resources such as
        "holds,trackings"."""
        lists = {
            "orderId": _checked_ids(ids, "order id"),
            "purchaseOrderId": _checked_ids(purchase_order_ids, "purchase order id"),
            "externalId": _checked_external_ids(external_ids),
        }
        params = {
            "status": _status_filter(status) if status else None,
            "updatedAfter": _date_filter(updated_after),
            "expand": expand,
        }
        return self._search("/orders", lists, params, "search orders")

    def order_trackings(self, order_id):
        return self._paginate(_path("orders", order_id, "trackings"))

    def clear_order_holds(self, order_id):
        """Lift the order's holds that can be cleared through the API."""
        return self.request(
            "POST", _path("orders", order_id, "holds", "clear"), operation="clear holds"
        )

    def order_holds(self, order_id, include_cleared=False):
        return self._paginate(
            _path("orders", order_id, "holds"),
            {"includeCleared": int(include_cleared)},
        )

    # -- receivings --------------------------------------------------------------

    def create_receiving(self, payload, *, timeout=None):
        """Announce a receiving (an inbound shipment); returns a
        ``ReceivingResult``. Repeat-safe: a create answered "duplicate" finds the
        receiving by its externalId (``recovered``). A refusal raises
        ``ShipwireRejectedError`` with Shipwire's messages.

        ``timeout`` (seconds) makes it one try within that time, as for a person
        waiting on a button: ``ShipwireTimeoutError`` when no answer came.
        """
        validate_receiving(payload)
        external_id = payload["externalId"]
        patience = {}
        if timeout is not None:
            patience = {"timeout": min(timeout, self.timeout[1]), "retry": False}
        try:
            body = self.request(
                "POST",
                "/receivings",
                payload=payload,
                operation="receiving create",
                **patience,
            )
        except ShipwireRejectedError as error:
            if mentions_duplicate(error.errors + [error]):
                return self._recover_receiving(external_id)
            raise
        if mentions_duplicate(body):
            return self._recover_receiving(external_id)
        return written_receiving(body, external_id, created=True)

    def _recover_receiving(self, external_id):
        _logger.info("Shipwire already has receiving %s; linking it", external_id)
        receiving = self.find_receiving(external_id)
        if receiving is None:
            raise ShipwireRejectedError(
                f"Shipwire reports receiving {external_id} as a duplicate but cannot "
                "find it by its externalId; check the receivings at Shipwire."
            )
        return ReceivingResult(receiving, recovered=True)

    def find_receiving(self, external_id):
        """The receiving with exactly this externalId, or ``None``; of several,
        the newest one not cancelled."""
        found = [
            receiving
            for receiving in self.search_receivings(external_ids=[external_id])
            if receiving.get("externalId") == external_id
        ]
        if not found:
            return None
        return max(
            found,
            key=lambda r: (
                str(r.get("status")).lower() not in ("cancelled", "canceled"),
                int(r.get("id") or 0),
            ),
        )

    def get_receiving(self, receiving_id, expand=None):
        """The receiving; ``expand`` embeds sub-resources ("items,holds", "all")."""
        params = {"expand": expand} if expand else None
        body = self.request(
            "GET",
            _path("receivings", receiving_id),
            params=params,
            operation="receiving read",
        )
        return single_resource(body)

    def receiving_collection(self, receiving_id, name):
        """Every entry of one of the receiving's lists ("items", "holds",
        "trackings"), across its pages: an expanded receiving embeds only the
        first page of each."""
        return self._paginate(
            _path("receivings", receiving_id, name), None, f"receiving {name}"
        )

    def update_receiving(self, receiving_id, payload):
        """Replace the receiving with ``payload`` (the whole body again); returns a
        ``ReceivingResult``, or raises ``ShipwireRejectedError`` as a create."""
        validate_receiving(payload)
        body = self.request(
            "PUT",
            _path("receivings", receiving_id),
            payload=payload,
            operation="receiving update",
        )
        return written_receiving(body, payload["externalId"], created=False)

    def cancel_receiving(self, receiving_id):
        """Cancel the receiving; a receiving whose units started arriving raises
        ``ShipwireStateError``."""
        return self.request(
            "POST",
            _path("receivings", receiving_id, "cancel"),
            operation="receiving cancel",
        )

    def receiving_labels_pdf(self, receiving_id):
        """The receiving's labels as one PDF document (bytes)."""
        content = self.request(
            "GET",
            _path("receivings", receiving_id, "labels"),
            operation="receiving labels",
            accept="application/pdf",
        )
        if not content.startswith(b"%PDF"):
            raise ShipwireTransientError(
                f"Shipwire sent no PDF for the labels of receiving {receiving_id}; "
                "try again in a moment."
            )
        return content

    def receiving_pages(
        self,
        *,
        ids=None,
        external_ids=None,
        status=None,
        updated_after=None,
        expand=None,
        page_size=None,
    ):
        """Receivings matching every filter given, a page (a list) at a time:
        ``ids`` and ``external_ids`` are lists, ``status`` one status or a list,
        ``updated_after`` a datetime, ``expand`` as for ``get_receiving``."""
        lists = {
            "orderId": _checked_ids(ids, "receiving id"),
            "externalId": _checked_external_ids(external_ids),
        }
        params = {
            "status": _status_filter(status) if status else None,
            "updatedAfter": _date_filter(updated_after),
            "expand": expand,
        }
        return self._search_pages(
            "/receivings", lists, params, "receiving search", page_size
        )

    def search_receivings(self, **filters):
        """Every receiving ``receiving_pages`` finds with ``filters``, in one list."""
        return [record for page in self.receiving_pages(**filters) for record in page]

    # -- returns -----------------------------------------------------------------

    def create_return(self, payload, *, timeout=None):
        """Ask for a return (RMA) of a fulfillment order (``originalOrder.id``);
        returns a ``ReturnResult``. Repeat-safe: Shipwire refuses a second return
        of an order ("You have already reported this issue."), and the one made is
        found (``recovered``). An order not returnable yet raises
        ``ShipwireNotReturnableError``; another refusal ``ShipwireRejectedError``,
        both with Shipwire's messages, though Shipwire answers them with HTTP 200.

        ``timeout`` (seconds) makes it one try within that time, as for
        ``create_receiving``.
        """
        order_id = validate_return(payload)
        external_id = payload["externalId"]
        patience = {}
        if timeout is not None:
            patience = {"timeout": min(timeout, self.timeout[1]), "retry": False}
        try:
            body = self.request(
                "POST",
                "/returns",
                payload=payload,
                operation="return create",
                **patience,
            )
            return written_return(body, external_id)
        except ShipwireRejectedError as error:
            if already_reported(error):
                return self._recover_return(external_id, order_id, error)
            raise

    def _recover_return(self, external_id, order_id, refusal):
        """The return Shipwire "already" has for the order: the one with this
        externalId (unless it is another order's), else the order's return not
        cancelled with this externalId, else its only one not cancelled."""
        found = self.find_return(external_id)
        if found is None or is_cancelled(found) or not of_order(found, order_id):
            live = [r for r in self.order_returns(order_id) if not is_cancelled(r)]
            named = [r for r in live if r.get("externalId") == external_id]
            found = (named or (live if len(live) == 1 else [None]))[0]
        if found is None:
            raise refusal
        _logger.info("Shipwire already has return %s; linking it", external_id)
        return ReturnResult(found, recovered=True)

    def find_return(self, external_id):
        """The return with exactly this externalId, or ``None``; of several, the
        newest one not cancelled."""
        found = [
            record
            for record in self.search_returns(external_ids=[external_id])
            if record.get("externalId") == external_id
        ]
        if not found:
            return None
        return max(found, key=lambda r: (not is_cancelled(r), int(r.get("id") or 0)))

    def order_returns(self, order_id):
        """Every return of one fulfillment order, cancelled ones included."""
        return self._paginate(
            _path("orders", order_id, "returns"), None, "return search"
        )

    def get_return(self, return_id, expand=None):
        """The return; ``expand`` embeds sub-resources ("items,holds", "all")."""
        params = {"expand": expand} if expand else None
        body = self.request(
            "GET", _path("returns", return_id), params=params, operation="return read"
        )
        return single_resource(body)

    def return_collection(self, return_id, name):
        """Every entry of one of the return's lists ("items", "holds",
        "trackings", "labels"), across its pages."""
        return self._paginate(_path("returns", return_id, name), None, f"return {name}")

    def cancel_return(self, return_id):
        """Cancel the return; one whose units started arriving, or completed,
        raises ``ShipwireStateError``."""
        return self.request(
            "POST", _path("returns", return_id, "cancel"), operation="return cancel"
        )

    def return_labels_pdf(self, return_id):
        """The return's labels (its prepaid label) as one PDF document (bytes)."""
        content = self.request(
            "GET",
            _path("returns", return_id, "labels"),
            operation="return labels",
            accept="application/pdf",
        )
        if not content.startswith(b"%PDF"):
            raise ShipwireTransientError(
                f"Shipwire sent no PDF for the labels of return {return_id}; "
                "try again in a moment."
            )
        return content

    def return_pages(
        self,
        *,
        ids=None,
        external_ids=None,
        status=None,
        updated_after=None,
        expand=None,
        page_size=None,
    ):
        """Returns matching every filter given, a page (a list) at a time, with
        the filters of ``receiving_pages``."""
        lists = {
            "orderId": _checked_ids(ids, "return id"),
            "externalId": _checked_external_ids(external_ids),
        }
        params = {
            "status": _status_filter(status) if status else None,
            "updatedAfter": _date_filter(updated_after),
            "expand": expand,
        }
        return self._search_pages("/returns", lists, params, "return search", page_size)

    def search_returns(self, **filters):
        """Every return ``return_pages`` finds with ``filters``, in one list."""
        return [record for page in self.return_pages(**filters) for record in page]

    # -- catalogue ---------------------------------------------------------------

    def list_products(self, skus=None):
        """Every product across every page; only those of ``skus`` when given.
        Shipwire's search also answers the SKUs that start with one asked for:
        only exact matches are kept."""
        skus = _checked_skus(skus)
        found = self._search("/products", {"sku": skus}, {}, "search products")
        if skus is None:
            return found
        return [p for p in found if isinstance(p, dict) and p.get("sku") in skus]

    def create_products(self, products):
        """Create the products of the list; returns a ``ProductsResult``.

        Shipwire answers HTTP 200 when it creates some products of a list and
        refuses others, so the answer is matched to what was sent by SKU: each
        product must have a SKU of its own. A list refused as a whole raises
        ``ShipwireRejectedError``.
        """
        products = list(products)
        skus = [p.get("sku") if isinstance(p, dict) else None for p in products]
        distinct = len(set(skus)) == len(skus)
        if not distinct or not all(isinstance(sku, str) and sku for sku in skus):
            raise ShipwireInputError(
                "Each product sent to Shipwire's catalogue needs a SKU of its own: "
                "Shipwire's answer is matched to the products by SKU."
            )
        if not products:
            return ProductsResult()
        body = self.request(
            "POST", "/products", payload=products, operation="create products"
        )
        return _products_result(products, body)

    def update_product(self, product_id, product):
        """Change the product's fields to those of ``product``; returns it."""
        body = self.request(
            "PUT",
            _path("products", product_id),
            payload=product,
            operation="update product",
        )
        return single_resource(body)

    def stock_pages(
        self,
        *,
        skus=None,
        warehouse_id=None,
        warehouse_external_id=None,
        limit=None,
        offset=0,
    ):
        """Stock one page at a time: lists of ``limit`` items (the client's page
        size by default), each one SKU at one warehouse with its counters
        (``good``, ``reserved``, ``shipped``...), from the ``offset``-th item on
        (where an earlier read stopped). Filters: ``skus`` a list,
        ``warehouse_id`` and ``warehouse_external_id`` one warehouse."""
        params = {
            "warehouseId": None
            if warehouse_id is None
            else checked_id(warehouse_id, "warehouse id"),
            "warehouseExternalId": warehouse_external_id,
        }
        return self._search_pages(
            "/stock", {"sku": _checked_skus(skus)}, params, "stock", limit, offset
        )

    # -- rate quotes -------------------------------------------------------------

    def rate(self, payload, *, timeout=QUOTE_TIMEOUT):
        """Quote shipping for the rate request ``payload`` (``{"options",
        "order"}``); returns a ``RateQuote``.

        One try within ``timeout`` seconds: a late quote is of no use to the
        customer waiting for it, and ``ShipwireTimeoutError`` says so. An order
        Shipwire cannot quote (HTTP 422, e.g. an unknown SKU, named in the
        error's ``sku``) raises ``ShipwireRejectedError`` with its messages.
        """
        try:
            body = self.request(
                "POST",
                "/rate",
                payload=payload,
                operation="rate",
                timeout=timeout,
                retry=False,
            )
        except ShipwireStateError as error:
            raise ShipwireRejectedError(
                "Shipwire could not quote shipping for this order",
                status=error.status,
                errors=[_with_sku(message) for message in error.errors],
                warnings=error.warnings,
            ) from None
        return parse_rate_quote(body)

    # -- webhooks ----------------------------------------------------------------

    def list_webhooks(self):
        return self._paginate("/webhooks", operation="webhooks")

    def create_webhook(self, topic, url):
        body = self.request(
            "POST",
            "/webhooks",
            payload={"topic": topic, "url": url},
            operation="webhook",
        )
        return single_resource(body)

    def delete_webhook(self, webhook_id):
        self.request("DELETE", _path("webhooks", webhook_id), operation="webhook")

    def delete_secret(self, secret_id):
        self.request("DELETE", _path("secret", secret_id), operation="secret")

    def list_secrets(self):
        return self._paginate("/secret", operation="secret")

    def create_secret(self):
        """A new signing secret: ``{"id": ..., "secret": <128 hex characters>}``."""
        return single_resource(self.request("POST", "/secret", operation="secret"))


def _products_result(products, body):
    """The ``ProductsResult`` of ``body``, Shipwire's answer to creating
    ``products``.

    A product is created when an item of the answer carries its SKU and an id.
    Each error is given to the uncreated product it names, wherever it names it:
    its ``sku`` field or key, its ``externalId``, the item it sits in, or its text.
    Uncreated products no error names share the errors that name no product.
    """
    skus = [product["sku"] for product in products]
    created, refused = {}, {}
    resource = body.get("resource")
    for entry in resource["items"] if is_collection(resource) else ():
        item = entry.get("resource") if isinstance(entry, dict) else None
        item = item if isinstance(item, dict) else entry
        sku = item.get("sku") if isinstance(item, dict) else None
        if sku not in skus or sku in created:
            continue
        if item.get("id") is not None:
            created[sku] = item
        else:
            refused.setdefault(sku, []).extend(collect_messages(entry)[0])
    uncreated = [sku for sku in skus if sku not in created]
    sku_by_external_id = {
        product.get("externalId"): product["sku"]
        for product in products
        if product.get("externalId")
    }
    errors, warnings = collect_messages(body)
    about_created, unnamed = [], []
    for error in errors:
        if any(error in reasons for reasons in refused.values()):
            continue
        sku = _named_sku(error, skus, sku_by_external_id)
        if sku is None:
            unnamed.append(error)
        elif sku in created:
            about_created.append(error)
        else:
            refused.setdefault(sku, []).append(error)
    unexplained = [sku for sku in uncreated if not refused.get(sku)]
    for sku in unexplained:
        refused[sku] = unnamed or [
            ShipwireMessage(
                "error",
                "Shipwire's answer neither created this product nor said why",
            )
        ]
    return ProductsResult(
        created=[created[sku] for sku in skus if sku in created],
        refused={sku: refused[sku] for sku in uncreated},
        errors=about_created + ([] if unexplained else unnamed),
        warnings=warnings,
    )


def _named_sku(error, skus, sku_by_external_id):
    """The SKU among ``skus`` that ``error`` is about, or None. ``id`` holds the
    key of an error filed under a key."""
    for sku in (error.sku, error.id, sku_by_external_id.get(error.external_id)):
        if sku and sku in skus:
            return sku
    # The longest SKU the text names as a whole word: "OPAL-1" is not named by
    # "OPAL-10", though "OPAL-1." at the end of a sentence names it.
    named = [
        sku
        for sku in skus
        if re.search(rf"(?<![\w-]){re.escape(sku)}(?![\w-])", error.message)
    ]
    return max(named, key=len) if named else None


def _session(retries):
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retries, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {"Accept": "application/json", "User-Agent": "sale_stock_shipwire"}
    )
    return session


_UNKNOWN_SKU = re.compile(r"unknown SKU '(?P<sku>[^']+)'", re.IGNORECASE)


def _with_sku(message):
    """``message`` with the SKU it names as unknown in its ``sku``."""
    match = None if message.sku else _UNKNOWN_SKU.search(message.message)
    return replace(message, sku=match["sku"]) if match else message


def _unreachable_error(error, retried, seconds):
    timed_out = isinstance(error, requests.Timeout) or "timed out" in str(error).lower()
    if not retried:
        if timed_out:
            return ShipwireTimeoutError(
                f"Shipwire did not answer within {seconds:g} seconds."
            )
        return ShipwireTransientError(
            "Shipwire could not be reached; check the network and the account's URL."
        )
    if timed_out:
        return ShipwireTimeoutError(
            "Shipwire did not answer in time, even after retrying; "
            "the request may still have gone through. Try again: "
            "a repeated send is recognised and not duplicated."
        )
    return ShipwireTransientError(
        "Shipwire could not be reached, even after retrying; "
        "check the network and the account's URL, then try again."
    )
