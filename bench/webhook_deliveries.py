"""The webhook benchmark's deliveries: orders moved at the sandbox, the signed
deliveries the sandbox sends for them (caught by a recorder standing in for
Odoo), then placed for the burst with repeats and late ones."""

import collections
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import LOOPBACK

TRACKING_SHARE = 0.3
REPEAT_SHARE = 0.05
LATE_SHARE = 0.05
REPEAT_DISTANCE = 40  # a repeat comes 1 to this many deliveries after the first
DELIVERY_WAIT = 120  # seconds for the sandbox to deliver everything to the recorder
# The topics of this benchmark's mix: what moves orders, POs and deliveries, and
# the stock transitions Shipwire sends with every stock movement.
STATUS_TOPIC_KINDS = ("order", "purchaseorder")
ORDER_TOPIC_KINDS = (*STATUS_TOPIC_KINDS, "tracking")
TOPIC_KINDS = (*ORDER_TOPIC_KINDS, "stock")


def topic_kind(topic):
    """ "order", "tracking", "purchaseorder", "stock"...: a topic's first word."""
    return topic.removeprefix("v1.").split(".", 1)[0]


class Recorder:
    """An HTTP server on 127.0.0.1 that the accounts' webhooks point at while
    orders move: it answers every delivery 200 and keeps it as it came (path,
    headers, body), in the order of arrival."""

    def __init__(self):
        self.received = []  # (path, headers, body)
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                self._answer()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with recorder.lock:
                    recorder.received.append((self.path, dict(self.headers), body))
                self._answer()

            def _answer(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                return None

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="recorder"
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


def wait_delivered(sandboxes):
    """Until every sandbox has delivered what it queued."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while time.monotonic() < deadline:
        if not any(s.stats()["pendingWebhookDeliveries"] for s in sandboxes):
            return
        time.sleep(0.2)
    raise RuntimeError("the sandbox did not deliver its webhooks in time")


# -- what moves at the sandbox ---------------------------------------------------------


def plan(webhooks, fulfillment_order_count):
    """How many fulfillment orders take each move so that ``webhooks`` deliveries
    are 30% tracking.created with 5% repeats and 5% late. A completion yields 3
    deliveries (tracking.created, order.completed, purchaseorder.completed), a
    cancel 2 (order.canceled, purchaseorder.canceled), the others 1."""
    repeats = round(webhooks * REPEAT_SHARE)
    unique = webhooks - repeats
    late = round(webhooks * LATE_SHARE)
    completions = round(unique * TRACKING_SHARE)
    others = unique - 3 * completions - late
    if others < 0 or late > completions:
        raise ValueError("no mix of moves gives these shares")
    cancels = holds = others // 9
    submits = others * 2 // 9
    processes = others - 2 * cancels - holds - submits
    counts = {
        "process_then_complete": late,
        "complete": completions - late,
        "process": processes,
        "submit": submits,
        "hold": holds,
        "cancel": cancels,
    }
    if sum(counts.values()) > fulfillment_order_count:
        raise ValueError(
            f"{webhooks} webhooks need {sum(counts.values())} fulfillment orders, "
            f"there are {fulfillment_order_count}"
        )
    return counts, repeats


def move_orders(sandboxes, plans, rng):
    """Apply each account's plan at its sandbox, in two rounds a second apart, the
    accounts' moves mixed. Returns ``{(account, fulfillment order id): role}``
    (an account is its index in ``sandboxes``)."""
    roles = {}
    for account, (sandbox, counts) in enumerate(zip(sandboxes, plans, strict=True)):
        ids = sorted(order["id"] for order in sandbox.orders())
        rng.shuffle(ids)
        for role, count in counts.items():
            for _ in range(count):
                roles[account, ids.pop()] = role

    def one_round(moves):
        chosen = [key for key, role in roles.items() if role in moves]
        rng.shuffle(chosen)
        # A second apart: the dates the API writes have second precision.
        time.sleep(1.1)
        for account, order_id in chosen:
            moves[roles[account, order_id]](sandboxes[account], order_id)

    def complete(sandbox, order_id):
        sandbox.complete(
            order_id, trackings=[{"carrier": "FEDEX", "tracking": f"WH{order_id}"}]
        )

    def action(name, body=None):
        return lambda sandbox, order_id: sandbox.order_action(order_id, name, body)

    one_round(
        {
            "process_then_complete": action("process"),
            "process": action("process"),
            "submit": action("submit"),
            "hold": action("hold", {"description": "Held by the benchmark"}),
        }
    )
    one_round(
        {
            "process_then_complete": complete,
            "complete": complete,
            "cancel": action("cancel"),
        }
    )
    return roles


# -- the deliveries --------------------------------------------------------------------


Delivery = collections.namedtuple(
    "Delivery",
    "number account topic order_id purchase_order_id body headers path repeat late",
)
# What Shipwire's delivery carries besides the body, sent again as it came.
KEPT_HEADERS = ("content-type", "user-agent", "x-shipwire-signature")


def subject(topic, body):
    """``(fulfillment order id, PO id)`` a payload is about (either may be None)."""
    resource = body.get("resource") or {}
    if topic.startswith("purchaseorder."):
        return None, resource.get("id")
    if topic.startswith("tracking."):
        items = resource.get("items") or [{}]
        return items[0].get("resource", {}).get("orderId"), None
    if topic.startswith("order.hold"):
        items = resource.get("items") or [{}]
        return items[0].get("resource", {}).get("orderId"), None
    return resource.get("id"), resource.get("purchaseOrderId")


def recorded_deliveries(received, kinds, tokens):
    """The recorder's deliveries of topics of ``kinds``, in the order they came,
    and ``{topic: count}`` of the others. ``tokens`` are the accounts' webhook
    tokens: a delivery's account is the index of the token its path ends with."""
    deliveries, left_out = [], collections.Counter()
    for path, headers, body in received:
        account = tokens.index(path.rsplit("/", 1)[-1])
        payload = json.loads(body)
        topic = payload["topic"]
        if topic_kind(topic) not in kinds:
            left_out[topic] += 1
            continue
        order_id, purchase_order_id = subject(topic, payload["body"])
        deliveries.append(
            Delivery(
                len(deliveries),
                account,
                topic,
                order_id,
                purchase_order_id,
                body,
                {
                    name: value
                    for name, value in headers.items()
                    if name.lower() in KEPT_HEADERS
                },
                path,
                False,
                False,
            )
        )
    return deliveries, left_out


def place_deliveries(deliveries, roles, repeats, rng):
    """The deliveries with the late and repeated ones placed."""
    deliveries = list(deliveries)
    # Out of order: a processed then completed order's order.processed comes 1 to
    # 20 deliveries after its order.completed.
    late = (key for key, role in roles.items() if role == "process_then_complete")
    for account, order_id in late:
        processed = next(
            d
            for d in deliveries
            if (d.account, d.order_id, d.topic)
            == (account, order_id, "order.processed")
        )
        deliveries.remove(processed)
        completed = next(
            index
            for index, d in enumerate(deliveries)
            if (d.account, d.order_id, d.topic)
            == (account, order_id, "order.completed")
        )
        deliveries.insert(completed + rng.randint(1, 20), processed._replace(late=True))
    # Repeats: 30% of them tracking.created, as of the first deliveries.
    tracking = [d for d in deliveries if topic_kind(d.topic) == "tracking"]
    status = [d for d in deliveries if topic_kind(d.topic) in STATUS_TOPIC_KINDS]
    tracking_repeats = round(repeats * TRACKING_SHARE)
    chosen = rng.sample(tracking, tracking_repeats) + rng.sample(
        status, repeats - tracking_repeats
    )
    for original in chosen:
        index = deliveries.index(original)
        deliveries.insert(
            index + rng.randint(1, REPEAT_DISTANCE), original._replace(repeat=True)
        )
    return deliveries
