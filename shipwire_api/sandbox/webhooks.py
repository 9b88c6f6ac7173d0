"""Webhook delivery: a background worker POSTs signed events and retries failures."""

import heapq
import http.client
import itertools
import json
import random
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, replace

from ..signature import SIGNATURE_HEADER, build_signature_header
from .dates import format_date

# Loopback receivers must not be sent through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Delivery:
    subscription_id: int
    url: str
    topic: str
    event_id: str
    timestamp: float
    body_json: str
    attempt: int = 1

    def payload(self, topic_prefix):
        head = json.dumps(
            {
                "topic": f"{topic_prefix}{self.topic}",
                "attempt": self.attempt,
                "timestamp": format_date(self.timestamp),
                "uniqueEventID": self.event_id,
                "webhookSubscriptionID": self.subscription_id,
            }
        )
        # The body was serialised when the event happened, so it shows the state of
        # then.
        return f'{head[:-1]}, "body": {self.body_json}}}'.encode()


def url_answers_head(url, timeout):
    """Whether ``url`` answers a HEAD request with a 2xx.

    Shipwire checks that on subscribe.
    """
    try:
        with _OPENER.open(
            urllib.request.Request(url, method="HEAD"), timeout=timeout
        ) as response:
            return 200 <= response.status < 300
    except (OSError, http.client.HTTPException, ValueError):
        return False


class WebhookDispatcher:
    def __init__(self, settings, signing_secrets):
        """``signing_secrets()`` returns the ``(id, secret)`` pairs.

        Each POST is signed with every one of them.
        """
        self.settings = settings
        self._signing_secrets = signing_secrets
        self._condition = threading.Condition()
        self._queue = []
        self._sequence = itertools.count()
        self._in_flight = 0
        self._running = False
        self._thread = None
        self._rng = random.Random(settings.seed)
        self.delivered = 0
        self.failed = 0
        self.attempts = 0

    def start(self):
        self._running = True
        self._thread = threading.Thread(
            target=self._run, name="sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self, timeout=2.0):
        with self._condition:
            self._running = False
            self._condition.notify_all()
        if self._thread:
            self._thread.join(timeout)

    def enqueue(self, subscription, topic, body_json):
        """Queue one POST of ``body_json`` (the serialised payload resource)."""
        delivery = Delivery(
            subscription["id"],
            subscription["url"],
            topic,
            uuid.uuid4().hex,
            time.time(),
            body_json,
        )
        with self._condition:
            self._push(delivery, 0.0)
            if self._rng.random() < self.settings.webhook_duplicate_rate:
                self._push(replace(delivery), 0.01)
            self._condition.notify_all()

    def clear(self):
        with self._condition:
            self._queue.clear()
            self._condition.notify_all()

    @property
    def pending(self):
        with self._condition:
            return len(self._queue) + self._in_flight

    def wait_idle(self, timeout):
        """Wait until nothing is queued or being sent.

        False if ``timeout`` ran out first.
        """
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._queue and not self._in_flight, timeout
            )

    def _push(self, delivery, delay):
        heapq.heappush(
            self._queue, (time.monotonic() + delay, next(self._sequence), delivery)
        )

    def _take_due(self):
        with self._condition:
            while self._running:
                now = time.monotonic()
                if self._queue and self._queue[0][0] <= now:
                    break
                self._condition.wait(self._queue[0][0] - now if self._queue else None)
            if not self._running:
                return None
            due = []
            while self._queue and self._queue[0][0] <= time.monotonic():
                due.append(heapq.heappop(self._queue)[2])
            self._in_flight += len(due)
            return due

    def _run(self):
        while (due := self._take_due()) is not None:
            if self.settings.webhook_reorder:
                self._rng.shuffle(due)
            for delivery in due:
                succeeded = self._send(delivery)
                with self._condition:
                    self._in_flight -= 1
                    self.attempts += 1
                    if succeeded:
                        self.delivered += 1
                    elif delivery.attempt < self.settings.webhook_max_attempts:
                        delays = self.settings.webhook_retry_delays or [0.0]
                        delay = delays[min(delivery.attempt, len(delays)) - 1]
                        delivery.attempt += 1
                        self._push(delivery, delay)
                    else:
                        self.failed += 1
                    self._condition.notify_all()

    def _send(self, delivery):
        body = delivery.payload(self.settings.webhook_payload_topic_prefix)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shipwire-Sandbox-Webhooks",
        }
        secrets = self._signing_secrets()
        if secrets:
            headers[SIGNATURE_HEADER] = build_signature_header(body, secrets)
        request = urllib.request.Request(
            delivery.url, data=body, headers=headers, method="POST"
        )
        try:
            with _OPENER.open(
                request, timeout=self.settings.webhook_timeout
            ) as response:
                response.read()
                return 200 <= response.status < 300
        except (OSError, http.client.HTTPException, ValueError):
            return False
