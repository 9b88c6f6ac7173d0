"""The webhook benchmark's burst: deliveries POSTed to Odoo's server from
concurrent senders, as Shipwire delivers and retries them, and what Odoo's log
says of the requests."""

import collections
import json
import queue
import re
import threading
import time

# Shipwire's rule: a 2xx within 5 s, else the delivery failed.
ANSWER_TIMEOUT = 5.0
WARM_UP_REQUESTS = 20
# Odoo's log line of a webhook request ends with its query count, query time
# and the rest of its time in the worker.
SERVER_RETRY_WAIT = re.compile(r"tries left, try again in ([\d.]+) sec")
SERVER_REQUEST = re.compile(
    r'"POST /shipwire/webhook/\S+ HTTP/[\d.]+" \d{3} \S+ (\d+) ([\d.]+) ([\d.]+)'
)


class Burst:
    """Sends the deliveries from ``senders`` threads, in order; what is not answered
    with a 2xx within ANSWER_TIMEOUT is delivered again after the sandbox's retry
    delays, as Shipwire does, up to ``max_attempts`` in all. ``method`` GET sends
    the requests without their bodies."""

    def __init__(
        self, base_url, deliveries, senders, retry_delays, max_attempts, method="POST"
    ):
        self.base_url = base_url
        self.method = method
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
            response = session.request(
                self.method,
                self.base_url + delivery.path,
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


def bare_requests(count, path):
    """``count`` requests of ``path`` without body, to send as deliveries are."""
    from webhook_deliveries import Delivery

    return [
        Delivery(number, None, None, None, None, None, {}, path, False, False)
        for number in range(count)
    ]


def warm_up(url, secrets):
    """Load both workers' registries and the webhook path, not measured: signed
    deliveries of a topic no Shipwire account sends, answered 400 without
    changing anything. Returns the answers by status."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from odoo.addons.sale_stock_shipwire.shipwire_api.signature import (
        SIGNATURE_HEADER,
        build_signature_header,
    )

    body = json.dumps({"topic": "bench.warm-up", "body": {}}).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: build_signature_header(body, secrets),
    }

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
