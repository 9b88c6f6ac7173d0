import json
import logging

from werkzeug.wrappers import Response

from odoo import http
from odoo.http import request

from ..const import WEBHOOK_ROUTE
from ..models.shipwire_sync import webhook_kind
from ..models.shipwire_webhook_event import APPLY_JOB
from ..shipwire_api import SIGNATURE_HEADER, verify_signature

_logger = logging.getLogger(__name__)

ROUTE = f"{WEBHOOK_ROUTE}/<string:token>"
# Shipwire caps embedded lists at 20 items: real deliveries are far smaller.
MAX_BODY_BYTES = 1024 * 1024
BODY_KEY = "sale_stock_shipwire.webhook_body"


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


class ShipwireWebhookController(http.Controller):
    @http.route(
        ROUTE,
        type="http",
        auth="public",
        methods=["GET", "HEAD"],
        csrf=False,
        save_session=False,
    )
    def shipwire_webhook_check(self, token):
        """Shipwire checks the endpoint with HEAD (or GET) when subscribing."""
        backend = request.env["shipwire.backend"]._for_webhook_token(token)
        return _answer(200 if backend else 404, "ok" if backend else "unknown")

    @http.route(
        ROUTE,
        type="http",
        auth="public",
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
        backend = request.env["shipwire.backend"]._for_webhook_token(token)
        if not backend:
            return _answer(404, "unknown webhook")
        header = request.httprequest.headers.get(SIGNATURE_HEADER)
        if not header:
            return _answer(401, "signature missing")
        if verify_signature(body, header, backend._webhook_secrets()) is None:
            _logger.warning("Shipwire webhook for %s: bad signature", backend.name)
            return _answer(403, "signature does not match")
        try:
            payload = json.loads(body)
        except ValueError:
            return _answer(400, "body is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("topic"), str):
            return _answer(400, "no topic")
        if not isinstance(payload.get("body"), dict):
            return _answer(400, "no body")
        kind = webhook_kind(payload["topic"])
        if kind is None:
            return _answer(400, "unknown topic")
        if kind != "stock" and not isinstance(payload["body"].get("resource"), dict):
            return _answer(400, "no resource")
        # Stored now, applied by a job with the rest of the burst.
        request.env["shipwire.webhook.event"].sudo().create(
            {
                "backend_id": backend.id,
                "topic": payload["topic"],
                "body": payload["body"],
            }
        )
        request.env.ref(APPLY_JOB).sudo()._trigger()
        return _answer(200, "ok")
