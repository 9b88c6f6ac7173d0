"""Webhook burst: Odoo's own HTTP server with two workers takes 2,000 signed webhooks
from 16 concurrent senders; afterwards every order must agree with the sandbox.

Installs the addon in a throwaway database, starts an in-process sandbox and sends
--orders confirmed orders to it (one fulfillment order each; 100 orders per send
and transaction), runs the sync job once (its cursor is then set, as on a live
database) and registers the account's webhooks (``action_register_webhooks``: a
new secret and one subscription per topic, the URL on Odoo's server). None of that
is measured. Odoo's server then runs in a child process: ``python3 -m odoo
--workers 2 --max-cron-threads 0`` on a free 127.0.0.1 port, so no scheduled job
runs during the burst.

The sandbox's own webhook delivery is turned off (its dispatcher only records
what it would send) while orders move at the sandbox, in two rounds a second
apart, so that every change has a newer lastUpdatedDate than the one before:
first some fulfillment orders are processed, submitted or held, then some are
completed with one tracking number each (some of them processed in the first
round) and a few cancelled. Each change yields the webhooks the sandbox sends for
it: ``order.processed``, ``order.submitted``, ``order.hold.added``,
``order.completed``, ``order.canceled``, ``purchaseorder.completed``,
``purchaseorder.canceled`` (the status changes) and ``tracking.created``, with the
payloads the sandbox renders at that moment and signed with the secret as the
sandbox signs them. The counts are chosen so that of --webhooks deliveries 30% are
``tracking.created`` and 70% status changes; 5% are repeated (the same delivery
again, 1 to 40 places later) and 5% come out of order (a processed fulfillment
order's ``order.processed`` is delivered after its ``order.completed``). The
account also subscribes to ``stock.transition``, which the same moves set off:
those deliveries belong to the stock sync and are left out (counted in the
report), unless --stock-webhooks sends them too, on top of the mix.

16 sender threads POST them in that order, each delivery once, as fast as Odoo
answers; a delivery answered with anything but a 2xx, or not within Shipwire's 5
s, is delivered again later (the sandbox's retry delays, 5 attempts in all), as
Shipwire retries. Measured: wall time from the first POST to the last answer,
throughput (deliveries per second), answer time of every request (p50, p95, p99,
max), answers by status, 5xx answers, timeouts; from Odoo's log, each request's
time in its worker (SQL and the rest) and the serialization failures Odoo retried,
with the time it waited before retrying.

Afterwards every order of the run is compared with the sandbox (read over its API
with holds and trackings): the Shipwire state (the soak's own rule,
``soak.expected_state``), the PO status, the fulfillment orders and their
statuses, active holds and tracking numbers, and the deliveries (validated for
what shipped, cancelled for what was cancelled, open otherwise). An order that
moved at the sandbox but shows nothing of it in Odoo is lost; any other
disagreement is wrong.

Odoo answers a verified delivery once it is stored; the job it triggers applies
the stored deliveries together (run here right after the burst, as the cron
worker would, timed and reported). What is judged is what a user sees after the
webhooks plus one run of the sync job: the comparison runs once after the
webhooks are applied (webhooks alone: reported, not a target) and once after
one run of the sync job as the scheduler runs it (the job is called again while
it reports work left, up to 10 times, as
``ir.cron`` does). One run is needed by design: a webhook that carries no more
than a status (an order completed without its shipped quantities, a hold) asks
for a catch-up sync instead of calling Shipwire inside the request.

Targets: 0 lost and 0 wrong orders after the webhooks and one sync job run, 0
answers 5xx, p99 answer time <= 2 s, and >= 50 webhooks/s (on a 2-core machine).
Prints the targets met or missed and one line ``WEBHOOK RESULT <json>`` with the
figures; exits 1 when a target is missed; skips (exit 0) without Odoo 18.

    python3 bench/webhooks.py [--orders 1000] [--webhooks 2000] [--senders 16]
                              [--workers 2] [--stock-webhooks] [--keep-db]
"""

import argparse
import collections
import contextlib
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from fixture import confirmed_orders, create_fixture
from odoo_env import odoo18_missing, throwaway_database
from soak import (
    SHIPPED_STATUSES,
    active_holds,
    expected_state,
    order_status,
    write_worker_config,
)

SANDBOX_USER = "webhooks"
SANDBOX_PASSWORD = "webhooks-password"
SEND_CHUNK = 100
SEED = 13
TRACKING_SHARE = 0.3
REPEAT_SHARE = 0.05
LATE_SHARE = 0.05
REPEAT_DISTANCE = 40  # a repeat comes 1 to this many deliveries after the first
# Shipwire's rule: a 2xx within 5 s, else the delivery failed.
ANSWER_TIMEOUT = 5.0
SERVER_START_TIMEOUT = 120
WARM_UP_REQUESTS = 20
# ir.cron calls a job again while it reports work left, this many times at most.
CRON_CALLS = 10
P99_TARGET = 2.0
THROUGHPUT_TARGET = 50
SYNC_JOB = "sale_stock_shipwire.ir_cron_shipwire_sync"
# The topics of this benchmark's mix: what moves orders, POs and deliveries.
STATUS_TOPIC_KINDS = ("order", "purchaseorder")
ORDER_TOPIC_KINDS = (*STATUS_TOPIC_KINDS, "tracking")
# Odoo's log line of a webhook request ends with its query count, query time
# and the rest of its time in the worker.
SERVER_RETRY_WAIT = re.compile(r"tries left, try again in ([\d.]+) sec")
SERVER_REQUEST = re.compile(
    r'"POST /shipwire/webhook/\S+ HTTP/[\d.]+" \d{3} \S+ (\d+) ([\d.]+) ([\d.]+)'
)


def log(message):
    print(message, flush=True)


# -- set-up ------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_up(env, sandbox, count, base_url):
    """The fixture's account, ``count`` orders sent to the sandbox, a sync run
    (its cursor set) and the webhooks registered for ``base_url``. Returns the
    account's id and the orders' ids."""
    env["ir.config_parameter"].set_param("web.base.url", base_url)
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    fixture = create_fixture(env, sandbox.url, SANDBOX_USER, SANDBOX_PASSWORD)
    orders = confirmed_orders(env, fixture, count)
    started = time.perf_counter()
    for start in range(0, len(orders), SEND_CHUNK):
        orders[start : start + SEND_CHUNK].action_shipwire_send()
        env.cr.commit()
    log(f"  sent {len(orders)} orders in {time.perf_counter() - started:.0f} s")
    env["shipwire.sync"]._cron_sync()
    env.cr.commit()
    backend = fixture.backend
    admin = env.ref("base.user_admin")
    answer = backend.with_user(admin).action_register_webhooks()
    env.cr.commit()
    if answer["params"]["type"] != "success":
        raise RuntimeError(f"webhooks not registered: {answer['params']['message']}")
    not_approved = orders.filtered(lambda order: order.shipwire_state != "approved")
    if not_approved:
        raise RuntimeError(f"{len(not_approved)} orders not approved after the send")
    if len(orders.shipwire_fulfillment_order_ids) != len(sandbox.orders()):
        raise RuntimeError("Odoo and the sandbox differ in fulfillment orders")
    return backend.id, orders.ids


def topic_kind(topic):
    """ "order", "tracking", "purchaseorder", "stock"...: a topic's first word."""
    return topic.removeprefix("v1.").split(".", 1)[0]


class Recorder:
    """Stands in for the sandbox's dispatcher: keeps what it would send."""

    def __init__(self):
        self.events = []

    def enqueue(self, subscription, topic, body_json):
        self.events.append((subscription, topic, body_json))


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


def move_orders(sandbox, counts, rng):
    """Apply the plan at the sandbox in two rounds a second apart. Returns
    ``{fulfillment order id: role}``."""
    ids = sorted(order["id"] for order in sandbox.orders())
    rng.shuffle(ids)
    roles = {}
    for role, count in counts.items():
        for _ in range(count):
            roles[ids.pop()] = role

    def one_round(moves):
        chosen = [order_id for order_id, role in roles.items() if role in moves]
        rng.shuffle(chosen)
        # A second apart: the dates the API writes have second precision.
        time.sleep(1.1)
        for order_id in chosen:
            moves[roles[order_id]](order_id)

    def complete(order_id):
        sandbox.complete_order(
            order_id, trackings=[{"carrier": "FEDEX", "tracking": f"WH{order_id}"}]
        )

    one_round(
        {
            "process_then_complete": sandbox.process_order,
            "process": sandbox.process_order,
            "submit": sandbox.submit_order,
            "hold": lambda order_id: sandbox.add_order_hold(
                order_id, "Held by the benchmark"
            ),
        }
    )
    one_round(
        {
            "process_then_complete": complete,
            "complete": complete,
            "cancel": sandbox.cancel_order,
        }
    )
    return roles


# -- the deliveries --------------------------------------------------------------------


Delivery = collections.namedtuple(
    "Delivery", "number topic order_id purchase_order_id body headers url repeat late"
)


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


def build_deliveries(sandbox, events, roles, repeats, rng):
    """Signed requests for the recorded events, in event order, with the late and
    repeated deliveries placed. ``events`` are ``(subscription, topic, body)``."""
    from odoo.addons.sale_stock_shipwire.shipwire_api.sandbox.webhooks import (
        Delivery as SandboxDelivery,
    )
    from odoo.addons.sale_stock_shipwire.shipwire_api.signature import (
        SIGNATURE_HEADER,
        build_signature_header,
    )

    secrets = sandbox.store.signing_secrets()
    prefix = sandbox.settings.webhook_payload_topic_prefix
    deliveries = []
    for number, (subscription, topic, body_json) in enumerate(events):
        payload = SandboxDelivery(
            subscription["id"],
            subscription["url"],
            topic,
            uuid.uuid4().hex,
            time.time(),
            body_json,
        ).payload(prefix)
        order_id, purchase_order_id = subject(topic, json.loads(body_json))
        deliveries.append(
            Delivery(
                number,
                topic,
                order_id,
                purchase_order_id,
                payload,
                {
                    "Content-Type": "application/json",
                    "User-Agent": "Shipwire-Sandbox-Webhooks",
                    SIGNATURE_HEADER: build_signature_header(payload, secrets),
                },
                subscription["url"],
                False,
                False,
            )
        )
    # Out of order: a processed then completed order's order.processed comes 1 to
    # 20 deliveries after its order.completed.
    for order_id in (o for o, role in roles.items() if role == "process_then_complete"):
        processed = next(
            d
            for d in deliveries
            if d.order_id == order_id and d.topic == "order.processed"
        )
        deliveries.remove(processed)
        completed = next(
            index
            for index, d in enumerate(deliveries)
            if d.order_id == order_id and d.topic == "order.completed"
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


# -- Odoo's HTTP server ----------------------------------------------------------------


class OdooServer:
    """``python3 -m odoo`` with its HTTP workers, in a child process."""

    def __init__(self, workdir, database, workers):
        self.workdir = workdir
        self.database = database
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "odoo-server.log"
        self.process = None

    def start(self):
        config = write_worker_config(self.workdir)
        command = [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            str(config),
            "-d",
            self.database,
            f"--db-filter=^{self.database}$",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
            "--log-level=warn",
            # Odoo logs the serialization failures it retries at INFO, and each
            # request with its query count, query time and other time.
            "--log-handler=odoo.service.model:INFO",
            "--log-handler=werkzeug:INFO",
            f"--logfile={self.log_path}",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, url):
        """Until ``url`` answers HEAD with 200 (the server and a worker are up)."""
        import requests

        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo's server stopped: see {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                if requests.head(url, timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"Odoo's server did not answer: see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# -- the burst -------------------------------------------------------------------------


class Burst:
    """Sends the deliveries from ``senders`` threads, in order; what is not answered
    with a 2xx within ANSWER_TIMEOUT is delivered again after the sandbox's retry
    delays, as Shipwire does, up to ``max_attempts`` in all."""

    def __init__(self, deliveries, senders, retry_delays, max_attempts):
        self.deliveries = deliveries
        self.senders = senders
        self.retry_delays = retry_delays or [0.0]
        self.max_attempts = max_attempts
        self.queue = queue.PriorityQueue()
        self.lock = threading.Lock()
        self.pending = len(deliveries)
        self.answers = []  # (seconds, status or None)
        self.failed = []  # deliveries never answered with a 2xx
        self.errors = collections.Counter()

    def run(self):
        start = time.monotonic()
        for index in range(len(self.deliveries)):
            self.queue.put((start, index, 1))
        threads = [
            threading.Thread(target=self._send_loop, name=f"sender-{n}", daemon=True)
            for n in range(self.senders)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def _send_loop(self):
        import requests

        session = requests.Session()
        session.trust_env = False  # no proxy for loopback
        try:
            while True:
                with self.lock:
                    if not self.pending:
                        return
                try:
                    due, index, attempt = self.queue.get(timeout=0.05)
                except queue.Empty:
                    continue
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                delivery = self.deliveries[index]
                status = self._post(session, delivery)
                with self.lock:
                    if status is not None and 200 <= status < 300:
                        self.pending -= 1
                    elif attempt >= self.max_attempts:
                        self.pending -= 1
                        self.failed.append(delivery)
                    else:
                        delay = self.retry_delays[
                            min(attempt, len(self.retry_delays)) - 1
                        ]
                        self.queue.put((time.monotonic() + delay, index, attempt + 1))
        finally:
            session.close()

    def _post(self, session, delivery):
        import requests

        started = time.perf_counter()
        try:
            response = session.post(
                delivery.url,
                data=delivery.body,
                headers=delivery.headers,
                timeout=ANSWER_TIMEOUT,
            )
            status = response.status_code
        except requests.Timeout:
            status = None
            with self.lock:
                self.errors["timeout"] += 1
        except requests.RequestException as error:
            status = None
            with self.lock:
                self.errors[type(error).__name__] += 1
        seconds = time.perf_counter() - started
        with self.lock:
            self.answers.append((seconds, status))
        return status


def warm_up(url, headers, sign):
    """Load both workers' registries and the webhook path, not measured: signed
    deliveries of a topic no Shipwire account sends, answered 400 without
    changing anything. Returns the answers by status."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from odoo.addons.sale_stock_shipwire.shipwire_api.signature import (
        SIGNATURE_HEADER,
    )

    body = json.dumps({"topic": "bench.warm-up", "body": {}}).encode()
    headers = {**headers, SIGNATURE_HEADER: sign(body)}

    def one(_number):
        return requests.post(url, data=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(4) as pool:
        return collections.Counter(pool.map(one, range(WARM_UP_REQUESTS)))


def server_figures(text):
    """What Odoo's log says of the webhook requests: time spent in the worker
    (SQL and the rest), queries, and the warnings and errors it logged."""
    requests = [
        (int(queries), float(sql), float(other))
        for queries, sql, other in SERVER_REQUEST.findall(text)
    ]
    problems = [
        line
        for line in text.splitlines()
        if " ERROR " in line or " CRITICAL " in line or " WARNING " in line
    ]
    waits = [float(seconds) for seconds in SERVER_RETRY_WAIT.findall(text)]
    worker = [sql + other for _queries, sql, other in requests]
    count = max(1, len(requests))
    return {
        "requests": len(requests),
        "worker_p50": round(percentile(worker, 0.5), 3),
        "worker_p95": round(percentile(worker, 0.95), 3),
        "worker_p99": round(percentile(worker, 0.99), 3),
        "worker_seconds": round(sum(worker), 2),
        "sql_seconds": round(sum(sql for _q, sql, _o in requests), 2),
        "queries_per_request": round(sum(q for q, _s, _o in requests) / count, 1),
        "serialization_retries": len(waits),
        "retry_wait_seconds": round(sum(waits), 2),
        "warnings_and_errors": len(problems),
        "first_problems": [line[:300] for line in problems[:3]],
    }


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# -- comparing with the sandbox --------------------------------------------------------


def sandbox_state(sandbox):
    """The sandbox's POs and fulfillment orders (with holds and trackings), read
    over its API."""
    from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireClient

    client = ShipwireClient(SANDBOX_USER, SANDBOX_PASSWORD, sandbox.url)
    try:
        purchase_orders = client.search_purchase_orders()
        fulfillment_orders = client.search_orders(expand="holds,trackings")
    finally:
        client.close()
    by_po = collections.defaultdict(list)
    for fulfillment_order in fulfillment_orders:
        by_po[str(fulfillment_order["purchaseOrderId"])].append(fulfillment_order)
    return {str(po["id"]): po for po in purchase_orders}, by_po


def trackings_of(fulfillment_order):
    embedded = (fulfillment_order.get("trackings") or {}).get("resource") or {}
    return sorted(
        str(item.get("resource", item).get("tracking"))
        for item in embedded.get("items") or []
    )


def compare(env, sandbox, order_ids, moved):
    """Every order against the sandbox: ``{"lost": [...], "wrong": [...],
    "by_kind": Counter, "states": Counter}``. ``moved`` holds the PO ids whose
    orders changed at the sandbox."""
    purchase_orders, fos_by_po = sandbox_state(sandbox)
    env.invalidate_all()
    result = {"lost": [], "wrong": [], "by_kind": collections.Counter()}
    states = collections.Counter()
    for order in env["sale.order"].browse(order_ids):
        purchase_order = order.shipwire_purchase_order_id
        states[order.shipwire_state or "not sent"] += 1
        remote = purchase_orders.get(purchase_order.shipwire_id)
        if remote is None:
            result["by_kind"]["no PO at the sandbox"] += 1
            result["wrong"].append(f"{order.name}: no PO at the sandbox")
            continue
        remote_fos = fos_by_po.get(purchase_order.shipwire_id, [])
        reasons = order_disagreements(order, remote, remote_fos)
        for kind, _text in reasons:
            result["by_kind"][kind] += 1
        if not reasons:
            continue
        text = f"{order.name} (PO {purchase_order.shipwire_id}): " + "; ".join(
            text for _kind, text in reasons
        )
        untouched = all(
            fo.status == "unprocessed" and not fo.tracking_ids
            for fo in purchase_order.fulfillment_order_ids
        ) and purchase_order.shipwire_status in ("approved", False)
        if purchase_order.shipwire_id in moved and untouched:
            result["lost"].append(text)
        else:
            result["wrong"].append(text)
    result["states"] = states
    return result


def order_disagreements(order, remote, remote_fos):
    """``[(kind, text)]``: where the Odoo order differs from the sandbox's PO."""
    purchase_order = order.shipwire_purchase_order_id
    reasons = []
    wanted = expected_state(remote, remote_fos)
    if order.shipwire_state != wanted:
        reasons.append(("state", f"state {order.shipwire_state}, expected {wanted}"))
    if purchase_order.shipwire_status != remote.get("status"):
        reasons.append(
            (
                "PO status",
                f"PO status {purchase_order.shipwire_status}, sandbox "
                f"{remote.get('status')}",
            )
        )
    local = {fo.shipwire_id: fo for fo in purchase_order.fulfillment_order_ids}
    remote_by_id = {str(fo["id"]): fo for fo in remote_fos}
    if set(local) != set(remote_by_id):
        reasons.append(
            (
                "fulfillment orders",
                f"FOs {sorted(local)}, sandbox {sorted(remote_by_id)}",
            )
        )
    for fo_id in sorted(set(local) & set(remote_by_id)):
        reasons += fulfillment_order_disagreements(local[fo_id], remote_by_id[fo_id])
    return reasons


def fulfillment_order_disagreements(local, remote):
    reasons = []
    status = order_status(remote)
    if local.status != status:
        reasons.append(
            ("FO status", f"FO {local.shipwire_id} {local.status}, {status}")
        )
    holds = len(active_holds(remote))
    local_holds = len(local.hold_ids.filtered(lambda hold: not hold.cleared_date))
    if local_holds != holds:
        reasons.append(
            ("holds", f"FO {local.shipwire_id} {local_holds} holds, {holds}")
        )
    numbers = sorted(local.tracking_ids.mapped("tracking_number"))
    if numbers != trackings_of(remote):
        reasons.append(
            (
                "tracking numbers",
                f"FO {local.shipwire_id} trackings {numbers}, {trackings_of(remote)}",
            )
        )
    picking = local.picking_id
    if status in SHIPPED_STATUSES:
        if not (local.delivery_done and picking.state == "done"):
            reasons.append(
                (
                    "delivery not validated",
                    f"FO {local.shipwire_id} shipped, delivery {picking.name} "
                    f"{picking.state}"
                    + (
                        f" ({local.delivery_problem})" if local.delivery_problem else ""
                    ),
                )
            )
    elif status == "cancelled":
        if picking.state != "cancel":
            reasons.append(
                (
                    "delivery not cancelled",
                    f"FO {local.shipwire_id} cancelled, delivery {picking.name} "
                    f"{picking.state}",
                )
            )
    elif picking.state in ("done", "cancel"):
        reasons.append(
            (
                "delivery closed",
                f"FO {local.shipwire_id} {status}, delivery {picking.name} "
                f"{picking.state}",
            )
        )
    return reasons


def run_sync_job(registry, backend_id):
    """One run of the sync job as ``ir.cron`` runs it: called again while it
    reports work left (an unfinished account), CRON_CALLS times at most."""
    import odoo
    import odoo.sql_db

    queries, started = odoo.sql_db.sql_counter, time.perf_counter()
    calls = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = env["shipwire.backend"].browse(backend_id)
        while calls < CRON_CALLS:
            env["shipwire.sync"]._cron_sync()
            cr.commit()
            calls += 1
            if not backend.sync_resume_key:
                break
        left = bool(backend.sync_resume_key)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "queries": odoo.sql_db.sql_counter - queries,
        "calls": calls,
        "work_left": left,
    }


def run_apply_job(registry):
    """The job that applies the stored deliveries, as the cron worker the burst
    triggered runs it: again while deliveries wait."""
    import odoo
    import odoo.sql_db

    queries, started = odoo.sql_db.sql_counter, time.perf_counter()
    calls = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Event = env["shipwire.webhook.event"]
        while calls < CRON_CALLS:
            Event._cron_apply()
            cr.commit()
            calls += 1
            if not Event.search_count([("state", "=", "pending")]):
                break
        failed = Event.search_count([("state", "=", "failed")])
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "queries": odoo.sql_db.sql_counter - queries,
        "calls": calls,
        "failed": failed,
    }


def sync_triggers(env):
    """Pending triggers of the sync job: catch-up syncs the webhooks asked for."""
    job = env.ref(SYNC_JOB)
    return env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)])


# -- main ------------------------------------------------------------------------------


def run(registry, sandbox, options, workdir):
    import odoo

    server = OdooServer(workdir, registry.db_name, options.workers)
    recorder = Recorder()
    # The sandbox's own delivery is off: it only records what it would send.
    sandbox.webhook_dispatcher.enqueue = recorder.enqueue
    rng = random.Random(SEED)
    log("set-up (not measured) ...")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend_id, order_ids = set_up(env, sandbox, options.orders, server.url)
        token = env["shipwire.backend"].browse(backend_id).sudo().webhook_token
    counts, repeats = plan(options.webhooks, len(sandbox.orders()))
    log(f"  moves at the sandbox: {counts}")
    roles = move_orders(sandbox, counts, rng)
    # The account also subscribes to stock topics, which the moves set off too:
    # they belong to the stock sync, not to this benchmark's mix, unless asked.
    kinds = ORDER_TOPIC_KINDS + (("stock",) if options.stock_webhooks else ())
    events = [event for event in recorder.events if topic_kind(event[1]) in kinds]
    left_out = collections.Counter(
        topic
        for _subscription, topic, _body in recorder.events
        if topic_kind(topic) not in kinds
    )
    if left_out:
        log(f"  left out: {dict(left_out)}")
    moved = {
        str(order["purchaseOrderId"])
        for order in sandbox.orders()
        if order["id"] in roles
    }
    deliveries = build_deliveries(sandbox, events, roles, repeats, rng)
    by_topic = collections.Counter(delivery.topic for delivery in deliveries)
    log(
        f"  {len(deliveries)} deliveries: "
        + ", ".join(f"{count} {topic}" for topic, count in sorted(by_topic.items()))
    )

    log(f"starting Odoo's server with {options.workers} workers on {server.url} ...")
    server.start()
    try:
        server.wait_ready(f"{server.url}/shipwire/webhook/{token}")
        answers = warm_up(
            deliveries[0].url,
            deliveries[0].headers,
            lambda body: sign(sandbox, body),
        )
        log(f"  warm-up answers: {dict(answers)}")
        log(f"burst: {len(deliveries)} webhooks from {options.senders} senders ...")
        burst = Burst(
            deliveries,
            options.senders,
            sandbox.settings.webhook_retry_delays,
            sandbox.settings.webhook_max_attempts,
        )
        load_before = os.getloadavg()[0]
        wall = burst.run()
        load_after = os.getloadavg()[0]
    finally:
        server.stop()
    server_log = server.log_text()

    log("applying the stored deliveries, as the triggered job does ...")
    applied = run_apply_job(registry)
    log(f"  {applied}")
    log("comparing every order with the sandbox: webhooks alone ...")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        triggers = sync_triggers(env)
        after_webhooks = compare(env, sandbox, order_ids, moved)
    log("one run of the sync job, then comparing again ...")
    cron = run_sync_job(registry, backend_id)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        after_cron = compare(env, sandbox, order_ids, moved)
    return report(
        options,
        deliveries,
        burst,
        wall,
        server_log,
        triggers,
        after_webhooks,
        after_cron,
        cron,
        applied,
        (load_before, load_after),
        left_out,
    )


def sign(sandbox, body):
    from odoo.addons.sale_stock_shipwire.shipwire_api.signature import (
        build_signature_header,
    )

    return build_signature_header(body, sandbox.store.signing_secrets())


def comparison_figures(result):
    return {
        "lost": len(result["lost"]),
        "wrong": len(result["wrong"]),
        "by_kind": dict(result["by_kind"]),
        "states": dict(result["states"]),
    }


def report(
    options,
    deliveries,
    burst,
    wall,
    server_log,
    triggers,
    after_webhooks,
    after_cron,
    cron,
    applied,
    load,
    left_out,
):
    times = [seconds for seconds, _status in burst.answers]
    statuses = collections.Counter(
        str(status) if status is not None else "no answer"
        for _seconds, status in burst.answers
    )
    answers_5xx = sum(
        count for status, count in statuses.items() if status.startswith("5")
    )
    throughput = len(deliveries) / wall if wall else 0.0
    p50, p95, p99 = (percentile(times, share) for share in (0.5, 0.95, 0.99))
    server = server_figures(server_log)
    retried = server["serialization_retries"]
    gave_up = server_log.count("maximum number of tries reached")
    tracking = sum(1 for d in deliveries if topic_kind(d.topic) == "tracking")
    stock = sum(1 for d in deliveries if topic_kind(d.topic) == "stock")
    figures = {
        "orders": options.orders,
        "webhooks": len(deliveries),
        "tracking_created": tracking,
        "status_changes": len(deliveries) - tracking - stock,
        "stock_transitions": stock,
        "left_out": dict(left_out),
        "repeated": sum(1 for d in deliveries if d.repeat),
        "out_of_order": sum(1 for d in deliveries if d.late and not d.repeat),
        "senders": options.senders,
        "workers": options.workers,
        "load_average": [round(value, 2) for value in load],
        "requests": len(burst.answers),
        "redeliveries": len(burst.answers) - len(deliveries),
        "failed_deliveries": len(burst.failed),
        "wall_seconds": round(wall, 2),
        "throughput": round(throughput, 1),
        "p50": round(p50, 3),
        "p95": round(p95, 3),
        "p99": round(p99, 3),
        "max": round(max(times, default=0.0), 3),
        "answers": dict(statuses),
        "answers_5xx": answers_5xx,
        "client_errors": dict(burst.errors),
        "server": server,
        "serialization_gave_up": gave_up,
        "sync_triggers": triggers,
        "after_webhooks": comparison_figures(after_webhooks),
        "sync_job": cron,
        "apply_job": applied,
        "after_sync_job": comparison_figures(after_cron),
    }

    print()
    print(
        f"{figures['webhooks']} webhooks ({tracking} tracking.created, "
        f"{figures['status_changes']} status changes"
        + (f", {stock} stock transitions" if stock else "")
        + f"; {figures['repeated']} repeated, "
        f"{figures['out_of_order']} out of order) for {options.orders} orders, "
        f"{options.senders} senders, Odoo with {options.workers} workers; load "
        f"average {load[0]:.2f} before the burst, {load[1]:.2f} after"
    )
    print(
        f"  wall {wall:.2f} s, {throughput:.1f} webhooks/s; answer time p50 "
        f"{p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {figures['max'] * 1000:.0f} ms"
    )
    print(
        f"  {len(burst.answers)} requests ({figures['redeliveries']} redeliveries); "
        f"answers {dict(sorted(statuses.items()))}; client errors "
        f"{dict(burst.errors) or 'none'}; {len(burst.failed)} deliveries never "
        "answered 2xx"
    )
    print(
        f"  in Odoo's workers ({server['requests']} requests logged): p50 "
        f"{server['worker_p50'] * 1000:.0f} ms, p95 {server['worker_p95'] * 1000:.0f}"
        f" ms, p99 {server['worker_p99'] * 1000:.0f} ms; {server['worker_seconds']} s"
        f" in all, {server['sql_seconds']} s of it in SQL; "
        f"{server['queries_per_request']} queries per request"
    )
    for line in server["first_problems"]:
        print(f"  Odoo logged: {line}")
    print(
        f"  Odoo retried {retried} requests after a serialization failure, waiting "
        f"{server['retry_wait_seconds']} s in all before the retries ({gave_up} gave "
        f"up); {triggers} catch-up syncs asked for"
    )
    for title, result in (
        ("after the webhooks alone (not a target)", after_webhooks),
        ("after one run of the sync job", after_cron),
    ):
        print(
            f"  {title}: {len(result['lost'])} lost, {len(result['wrong'])} wrong "
            f"orders; states {dict(sorted(result['states'].items()))}"
        )
        if result["by_kind"]:
            print(f"    disagreements: {dict(result['by_kind'].most_common())}")
        for text in (result["lost"] + result["wrong"])[:5]:
            print(f"    e.g. {text}")
    print(
        f"  apply job: {applied['calls']} call(s), {applied['seconds']} s, "
        f"{applied['queries']} queries, {applied['failed']} deliveries not applied"
    )
    print(
        f"  sync job: {cron['calls']} call(s), {cron['seconds']} s, "
        f"{cron['queries']} queries" + (", work left" if cron["work_left"] else "")
    )

    bad = len(after_cron["lost"]) + len(after_cron["wrong"])
    checks = [
        (
            f"lost or wrong orders after the webhooks and one sync job run: "
            f"{len(after_cron['lost'])} lost, {len(after_cron['wrong'])} wrong "
            "(target 0)",
            bad == 0,
        ),
        (f"answers 5xx: {answers_5xx} (target 0)", answers_5xx == 0),
        (f"p99 answer time: {p99:.2f} s (target <= {P99_TARGET} s)", p99 <= P99_TARGET),
        (
            f"throughput: {throughput:.1f} webhooks/s (target >= {THROUGHPUT_TARGET})",
            throughput >= THROUGHPUT_TARGET,
        ),
    ]
    print()
    for text, met in checks:
        print(f"{'met   ' if met else 'MISSED'} {text}")
    ok = all(met for _text, met in checks)
    print(f"targets: {'all met' if ok else 'NOT all met'}")
    figures["ok"] = ok
    print("WEBHOOK RESULT " + json.dumps(figures, sort_keys=True), flush=True)
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--stock-webhooks",
        action="store_true",
        help="also send the stock.transition webhooks the moves set off",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if min(options.orders, options.webhooks, options.senders, options.workers) < 1:
        parser.error("every count must be at least 1")
    try:
        plan(options.webhooks, options.orders)
    except ValueError as error:
        parser.error(str(error))

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    with (
        tempfile.TemporaryDirectory(prefix="shipwire_webhooks_") as work,
        throwaway_database(
            prefix="shipwire_webhooks", keep=options.keep_db, log=log
        ) as registry,
    ):
        from odoo.addons.sale_stock_shipwire.shipwire_api.sandbox import Sandbox

        sandbox = Sandbox(username=SANDBOX_USER, password=SANDBOX_PASSWORD).start()
        try:
            return run(registry, sandbox, options, Path(work))
        finally:
            sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
