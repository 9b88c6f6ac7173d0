import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from shipwire_api.sandbox import Sandbox
from shipwire_api.sandbox.samples import sample_purchase_order


@pytest.fixture
def sandbox():
    with Sandbox() as running:
        yield running


def purchase_order_body(*args, **kwargs):
    """A valid create body as sent on the wire, rejecting POs with problems."""
    return {**sample_purchase_order(*args, **kwargs), "doNotPersistOnWarnings": 1}


@pytest.fixture
def po_body():
    return purchase_order_body


class SandboxApi:
    """A keep-alive session against a sandbox's /api/v3, with its credentials."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.auth = (sandbox.username, sandbox.password)

    def url(self, path):
        return path if path.startswith("http") else f"{self.sandbox.api_url}{path}"

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def create(self, body):
        """POST a purchase order; return the envelope."""
        response = self.post("/purchaseOrders", body)
        assert response.status_code == 200, response.text
        return response.json()

    def create_ok(self, body):
        """POST a purchase order that must be accepted; return its resource."""
        envelope = self.create(body)
        assert envelope["resource"]["total"] == 1, envelope
        return envelope["resource"]["items"][0]["resource"]

    def orders_of(self, po_id):
        response = self.get(f"/purchaseOrders/{po_id}/orders")
        return [entry["resource"] for entry in response.json()["resource"]["items"]]

    def control(self, method, path, body=None):
        response = requests.request(
            method, f"{self.sandbox.url}/_sandbox{path}", json=body, timeout=5
        )
        return response


@pytest.fixture
def api(sandbox):
    client = SandboxApi(sandbox)
    yield client
    client.session.close()


class WebhookReceiver:
    """A local HTTP endpoint recording what it is sent.

    ``statuses`` lists the codes to answer POSTs with, in order; once used up, 200.
    ``head_status`` answers HEAD requests.
    """

    def __init__(self):
        self.received = []
        self.statuses = []
        self.head_status = 200
        self._condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._condition:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        {
                            "headers": dict(self.headers),
                            "raw": raw,
                            "json": json.loads(raw),
                        }
                    )
                    receiver._condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self):
                self.send_response(receiver.head_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def wait_for(self, count, timeout=5):
        """The first ``count`` deliveries, once they arrived.

        Fails after ``timeout``.
        """
        with self._condition:
            arrived = self._condition.wait_for(
                lambda: len(self.received) >= count, timeout
            )
            assert arrived, f"expected {count} deliveries, got {len(self.received)}"
            return list(self.received)

    def topics(self):
        with self._condition:
            return [delivery["json"]["topic"] for delivery in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()
