"""The HTTP side of the sandbox.

A threaded HTTP/1.1 server and the ``Sandbox`` facade.
"""

import base64
import binascii
import contextlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import control, receiving_routes, return_routes  # noqa: F401 - their routes
from .catalogue import DEMO_CATALOGUE
from .faults import Faults
from .receivings import ReceivingDesk
from .resources import Links, Renderer, envelope
from .return_routes import ReturnRenderer
from .returns import ReturnDesk
from .routes import ApiRequest, Reply, error_reply, resolve
from .settings import SandboxSettings
from .store import SandboxError, Store
from .webhooks import WebhookDispatcher

API_PREFIX = "/api/v3/"
CONTROL_PREFIX = "/_sandbox"
UNAUTHORIZED = envelope(401, "Please include a valid Authorization header (Basic)")
UNAUTHORIZED_HEADERS = [
    ("WWW-Authenticate", 'Basic realm="Shipwire API"'),
    ("WWW-Authenticate", 'OAuth realm="Shipwire API"'),
]
# Shipwire's answer to a request it cannot read: not the envelope.
BAD_REQUEST = {"error": "Bad request"}
SERVER_ERROR_MESSAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ShipwireSandbox/1.0"
    # Headers and body go out in two writes; without this, Nagle's algorithm and
    # delayed ACKs add ~40 ms to every keep-alive exchange.
    disable_nagle_algorithm = True

    def setup(self):
        result = super().setup()
        self.server.sandbox._track_connection(self.connection, open_=True)
        return result

    def finish(self):
        try:
            return super().finish()
        finally:
            self.server.sandbox._track_connection(self.connection, open_=False)

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        if self.server.sandbox.settings.log_requests:
            return super().log_message(format, *args)
        return None

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        sandbox = self.server.sandbox
        started = time.perf_counter()
        sandbox._count_request()
        parts = urlsplit(self.path)
        if parts.path == CONTROL_PREFIX or parts.path.startswith(CONTROL_PREFIX + "/"):
            reply = self._control_reply(parts.path[len(CONTROL_PREFIX) :])
            self._send(reply, started)
            return

        if self.command == "POST" and parts.path.rstrip("/") == API_PREFIX + "rate":
            sandbox._count_rate_request()
        fault = sandbox.faults.pick(self.command, parts.path)
        if fault and fault.kind == "reset":
            self._reset_connection()
            return
        raw_body = self._read_body()
        if fault and fault.kind == "latency":
            time.sleep(fault.seconds)
        if sandbox.settings.latency:
            time.sleep(sandbox.settings.latency)
        if fault and fault.kind == "server_error":
            message = SERVER_ERROR_MESSAGES.get(fault.status, "Server Error")
            self._send(Reply(fault.status, envelope(fault.status, message)), started)
            return
        if fault and fault.kind == "bad_request":
            self._send(Reply(400, BAD_REQUEST), started)
            return
        reply = self._api_reply(parts, raw_body)
        if fault and fault.kind == "timeout_commit":
            if fault.on_fire:
                fault.on_fire()
            time.sleep(fault.seconds)
        self._send(reply, started, truncate=bool(fault and fault.kind == "malformed"))

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _control_reply(self, path):
        try:
            raw_body = self._read_body()
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return Reply(400, envelope(400, "Invalid JSON"))
        return control.dispatch(self.server.sandbox, self.command, path, body)

    def _api_reply(self, parts, raw_body):
        sandbox = self.server.sandbox
        if not sandbox._authorized(self.headers.get("Authorization")):
            return Reply(401, UNAUTHORIZED, UNAUTHORIZED_HEADERS)
        if not parts.path.startswith(API_PREFIX):
            return Reply(404, envelope(404, "Not found"))
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return Reply(400, BAD_REQUEST)
        links = Links(
            sandbox.settings.public_url
            or f"http://{self.headers.get('Host') or sandbox.netloc}"
        )
        api_path = parts.path[len(API_PREFIX) :].rstrip("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        request = ApiRequest(
            api_path,
            query,
            body,
            links,
            Renderer(sandbox.store, links),
            {name.lower(): value for name, value in self.headers.items()},
        )
        try:
            handler, params = resolve(self.command, unquote(api_path))
            return handler(
                sandbox,
                request,
                **{name: unquote(value) for name, value in params.items()},
            )
        except SandboxError as error:
            return error_reply(error, sandbox.settings)
        except Exception:  # noqa: BLE001 - a sandbox bug must answer 500, not drop the connection
            traceback.print_exc()
            return Reply(500, envelope(500, "Internal Server Error"))

    def _send(self, reply, started, truncate=False):
        headers = reply.headers
        if isinstance(reply.body, bytes):
            data = reply.body
        else:
            data = json.dumps(reply.body, separators=(",", ":")).encode()
            headers = [("Content-Type", "application/json"), *headers]
        if truncate:
            data = data[: max(1, len(data) // 2)]
        self.send_response(reply.status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", os.urandom(16).hex())
        self.send_header(
            "X-Process-Time-Seconds", f"{time.perf_counter() - started:.3f}"
        )
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (timeout faults)
            self.close_connection = True

    def _reset_connection(self):
        """Drop the connection with a TCP reset instead of an answer."""
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.close_connection = True


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sandbox):
        self.sandbox = sandbox
        super().__init__(address, SandboxHandler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Sandbox:
    """A local imitation of Shipwire's REST API, faults included.

    ``url`` is the server root and ``api_url`` the base of the API
    (``url + "/api/v3"``).
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        username="sandbox",
        password="sandbox",
        settings=None,
        catalogue=None,
        state_file=None,
    ):
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.settings = settings or SandboxSettings()
        self.store = Store(self.settings, catalogue or DEMO_CATALOGUE, state_file)
        self.receiving_desk = ReceivingDesk(self.store)
        self.return_desk = ReturnDesk(self.store)
        self.faults = Faults(self.settings)
        self.webhook_dispatcher = WebhookDispatcher(
            self.settings, self.store.signing_secrets
        )
        self.store.listeners.append(self._publish)
        self._server = None
        self._thread = None
        self._requests = 0
        self._rate_requests = 0
        self._counter_lock = threading.Lock()
        self._connections = set()

    # ----------------------------------------------------------------- lifecycle

    @property
    def netloc(self):
        return (
            f"[{self.host}]:{self.port}"
            if ":" in self.host
            else f"{self.host}:{self.port}"
        )

    @property
    def url(self):
        return f"http://{self.netloc}"

    @property
    def api_url(self):
        return f"{self.url}/api/v3"

    @property
    def request_count(self):
        return self._requests

    @property
    def rate_request_count(self):
        """POST /rate requests received, answered or not."""
        return self._rate_requests

    def start(self):
        self._server = SandboxHTTPServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self.webhook_dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sandbox-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._counter_lock:
            connections = list(self._connections)
        # Idle keep-alive connections would outlive the server.
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        self._server = None
        self.webhook_dispatcher.stop()
        self.store.save()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def reset(self):
        """Forget every purchase order, order, subscription and secret; clear faults."""
        self.faults.clear()
        self.webhook_dispatcher.clear()
        self.store.reset()

    def stats(self):
        return {
            **self.store.stats(),
            # Receiving creates, updates, cancels, lists and reads received.
            **self.receiving_desk.stats(),
            # Returns, and return creates, cancels, lists and reads received.
            **self.return_desk.stats(),
            "requests": self.request_count,
            # POST /rate requests received, answered or not (for the rate bench).
            "rateRequests": self.rate_request_count,
            "pendingWebhookDeliveries": self.webhook_dispatcher.pending,
            "webhookDeliveries": self.webhook_dispatcher.delivered,
            "failedWebhookDeliveries": self.webhook_dispatcher.failed,
            "faultsFired": dict(self.faults.fired),
        }

    def wait_for_deliveries(self, timeout=5):
        """True once no webhook is queued or being sent.

        False if ``timeout`` runs out.
        """
        return self.webhook_dispatcher.wait_idle(timeout)

    # ---------------------------------------------------------- state helpers for tests

    def _renderer(self):
        return Renderer(self.store, Links(self.settings.public_url or self.url))

    def _moved_order(self, change, *args):
        """Apply a status change from outside the API and render the order;
        ``silent_status_changes`` keeps the lastUpdatedDates as they were."""
        silently = self.settings.silent_status_changes
        with self.store.unstamped() if silently else self.store.lock:
            return self._renderer().order(change(*args))

    def process_order(self, order_id):
        return self._moved_order(self.store.process_order, order_id)

    def submit_order(self, order_id):
        return self._moved_order(self.store.submit_order, order_id)

    def complete_order(self, order_id, trackings=None, quantities=None):
        return self._moved_order(
            self.store.complete_order, order_id, trackings, quantities
        )

    def deliver_order(self, order_id):
        return self._moved_order(self.store.deliver_order, order_id)

    def cancel_order(self, order_id):
        return self._moved_order(self.store.cancel_order, order_id)

    def add_order_hold(self, order_id, description, type="customer"):
        return self._moved_order(self.store.add_order_hold, order_id, description, type)

    def _changed_stock(self, change, *args):
        """Apply a stock change from outside the API and render its stock item."""
        with self.store.lock:
            product, warehouse = change(*args)
            return self._renderer().stock_item(
                product, warehouse, self.store.recent_activity()
            )

    def receive_stock(self, sku, warehouse, quantity):
        """``quantity`` units arrive at ``warehouse`` (its externalId) in good
        condition."""
        return self._changed_stock(self.store.receive_stock, sku, warehouse, quantity)

    def damage_stock(self, sku, warehouse, quantity):
        return self._changed_stock(self.store.damage_stock, sku, warehouse, quantity)

    def override_stock(self, sku, warehouse, counters):
        """Set counters as given (``None`` leaves one out), for tests of bad data."""
        return self._changed_stock(self.store.override_stock, sku, warehouse, counters)

    def purchase_orders(self):
        with self.store.lock:
            renderer = self._renderer()
            return [
                renderer.purchase_order(po)
                for po in self.store.purchase_orders.values()
            ]

    def orders(self, purchase_order_id=None):
        with self.store.lock:
            renderer = self._renderer()
            return [
                renderer.order(order)
                for order in self.store.orders.values()
                if purchase_order_id is None
                or order["purchaseOrderId"] == int(purchase_order_id)
            ]

    # -------------------------------------------------------------- used by the handler

    def _count_request(self):
        with self._counter_lock:
            self._requests += 1

    def _count_rate_request(self):
        with self._counter_lock:
            self._rate_requests += 1

    def _track_connection(self, connection, open_):
        with self._counter_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _authorized(self, header):
        scheme, _space, credentials = (header or "").strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            expected = f"{self.username}:{self.password}"
            return hmac.compare_digest(decoded.encode(), expected.encode())
        if scheme == "shipwirekey" and self.settings.accept_shipwire_key:
            return hmac.compare_digest(credentials.encode(), self.password.encode())
        return False

    def _publish(self, events):
        """Queue a webhook per subscription for each event.

        Called under the store lock.
        """
        if not self.store.webhooks:
            return
        renderer = self._renderer()
        returns = ReturnRenderer(self.return_desk, renderer)
        for topic, kind, subject in events:
            subscriptions = self.store.subscriptions_for(topic)
            if subscriptions:
                if kind.startswith("return"):
                    body = returns.webhook_body(kind, subject)
                else:
                    body = renderer.webhook_body(kind, subject)
                body_json = json.dumps(body)
                for subscription in subscriptions:
                    self.webhook_dispatcher.enqueue(subscription, topic, body_json)
