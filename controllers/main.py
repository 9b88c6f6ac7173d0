import json
import logging
import math

from werkzeug.wrappers import Response

from odoo import http
from odoo.http import request

from ..const import WEBHOOK_ROUTE
from ..models.shipwire_sync_webhooks import webhook_kind
from ..shipwire_api import SIGNATURE_HEADER, verify_signature

_logger = logging.getLogger(__name__)

ROUTE = f"{WEBHOOK_ROUTE}/<string:token>"
# Shipwire caps embedded lists at 20 items: real deliveries are far smaller.
MAX_BODY_BYTES = 1024 * 1024
BODY_KEY = "sale_stock_shipwire.webhook_body"
# An expanded order delivery nests 8 levels (body, resource, items, resource...).
MAX_DEPTH = 64


def _events():
    """The deliveries' model as the public user, who records them as under
    auth="public", without the query that auth spends on every request checking
    that the public user exists."""
    env = request.env
    public = env["ir.model.data"]._xmlid_to_res_id("base.public_user")
    return env(user=public)["shipwire.webhook.event"]


def _answer(status, text):
    return Response(text, status=status, content_type="text/plain")


def _body():
    """The raw body, or None when it is too large. A chunked body has no length to
    check first: at most one byte more than allowed is read. The body is kept on
    the request, so that Odoo's retry after a serialization failure verifies the
    same bytes again."""
    httprequest = request.httprequest
    environ = httprequest.environ
    if BODY_KEY not in environ:
        length = httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            environ[BODY_KEY] = None
        else:
            # Odoo's request wrapper hides the input stream, and the Werkzeug
            # Odoo 18 pins on Python 3.11 reads a chunked body whole whatever the
            # route's max_content_length says: read it from Werkzeug's request.
            stream = httprequest._HTTPRequest__wrapped.stream
            body = stream.read(MAX_BODY_BYTES + 1)
            environ[BODY_KEY] = body if len(body) <= MAX_BODY_BYTES else None
    return environ[BODY_KEY]


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text):
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number")
    return number


def _parse(body):
    """``(payload, None)``, or ``(None, why)`` for a body that is not JSON the
    database can keep as it came: UTF-8, finite numbers, no NUL character nor
    lone surrogate, at most MAX_DEPTH levels deep."""
    try:
        payload = json.loads(
            body.decode(), parse_constant=_refuse_constant, parse_float=_finite
        )
    except UnicodeDecodeError:
        return None, "body is not UTF-8"
    except RecursionError:
        return None, "body is nested too deep"
    except ValueError:
        return None, "body is not JSON"
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _storable_text(value):
                return None, "body holds a NUL character or a lone surrogate"
            continue
        if isinstance(value, dict):
            children = [*value, *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return None, "body is nested too deep"
        stack.extend((child, depth + 1) for child in children)
    return payload, None


def _storable_text(text):
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class ShipwireWebhookController(http.Controller):
    @http.route(
        ROUTE,
        type="http",
        auth="none",
        methods=["GET", "HEAD"],
        csrf=False,
        save_session=False,
    )
    def shipwire_webhook_check(self, token):
        """Shipwire checks the endpoint with HEAD (or GET) when subscribing."""
        account = _events()._account_for_token(token)
        return _answer(200 if account else 404, "ok" if account else "unknown")

    @http.route(
        ROUTE,
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY_BYTES,
    )
    def shipwire_webhook(self, token):
        """Verify one delivery and keep it for the job that applies them; no call
        to Shipwire happens here."""
        body = _body()
        if body is None:
            return _answer(413, "body too large")
        Event = _events()
        account = Event._account_for_token(token)
        if account is None:
            return _answer(404, "unknown webhook")
        header = request.httprequest.headers.get(SIGNATURE_HEADER)
        if not header:
            return _answer(401, "signature missing")
        if verify_signature(body, header, account.secrets) is None:
            _logger.warning("Shipwire webhook for %s: bad signature", account.name)
            return _answer(403, "signature does not match")
        payload, problem = _parse(body)
        if problem:
            return _answer(400, problem)
        if not isinstance(payload, dict) or not isinstance(payload.get("topic"), str):
            return _answer(400, "no topic")
        if not isinstance(payload.get("body"), dict):
            return _answer(400, "no body")
        kind = webhook_kind(payload["topic"])
        if kind is None:
            return _answer(400, "unknown topic")
        if kind != "stock" and not isinstance(payload["body"].get("resource"), dict):
            return _answer(400, "no resource")
        # Stored now, applied by a job with the rest of the burst; a delivery
        # already waiting is not stored twice.
        Event._store(account, payload["topic"], payload["body"])
        return _answer(200, "ok")
