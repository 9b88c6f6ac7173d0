import json
import logging

from werkzeug.wrappers import Response

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..const import WEBHOOK_ROUTE
from ..shipwire_api import SIGNATURE_HEADER, verify_signature

_logger = logging.getLogger(__name__)

ROUTE = f"{WEBHOOK_ROUTE}/<string:token>"
# Shipwire caps embedded lists at 20 items: real deliveries are far smaller.
MAX_BODY_BYTES = 1024 * 1024


def _answer(status, text):
    return Response(text, status=status, content_type="text/plain")


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
    )
    def shipwire_webhook(self, token):
        """Verify, then apply one delivery; no call to Shipwire happens here."""
        length = request.httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            return _answer(413, "body too large")
        backend = request.env["shipwire.backend"]._for_webhook_token(token)
        if not backend:
            return _answer(404, "unknown webhook")
        body = request.httprequest.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return _answer(413, "body too large")
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
        resource = (payload.get("body") or {}).get("resource")
        # Applied as the scheduled jobs are, not as the public user: chatter,
        # followers and activities then look the same whichever brought the news.
        sync = (
            request.env["shipwire.sync"]
            .with_user(SUPERUSER_ID)
            .with_company(backend.company_id)
        )
        if not sync._handle_webhook(
            backend.with_env(sync.env), payload["topic"], resource
        ):
            return _answer(400, "unknown topic")
        return _answer(200, "ok")
