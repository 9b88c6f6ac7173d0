"""Fault injection: which API requests misbehave, and how.

Kinds:
  latency         sleep ``seconds`` before handling
  timeout_commit  handle and commit, then sleep ``seconds`` before answering;
                  ``on_fire`` (Python only) runs in between, to stage a race
  server_error    answer 500 or 503 without handling
  reset           close the connection without answering or handling
  malformed       handle and commit, then answer with truncated JSON
  bad_request     answer 400 with a body that is not the envelope,
                  {"error": "Bad request"}, without handling
"""

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

# The faults a retry gets past, which a random mix is made of.
TRANSIENT_KINDS = ("latency", "timeout_commit", "server_error", "reset", "malformed")
FAULT_KINDS = (*TRANSIENT_KINDS, "bad_request")
API_PREFIX = "/api/v3"


@dataclass
class FaultRule:
    kind: str
    count: int | None = None
    rate: float | None = None
    seconds: float | None = None
    method: str | None = None
    path: str | None = None
    status: int | None = None
    on_fire: Callable | None = None

    def matches(self, method, path):
        if self.method and self.method.upper() != method:
            return False
        return not self.path or path.startswith((self.path, API_PREFIX + self.path))


@dataclass(frozen=True)
class Fault:
    """The fault picked for one request."""

    kind: str
    seconds: float
    status: int
    on_fire: Callable | None = None


class Faults:
    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._rules = []
        self._rng = random.Random(settings.seed)
        self.fired = Counter()

    def inject(
        self,
        kind,
        *,
        count=None,
        rate=None,
        seconds=None,
        method=None,
        path=None,
        status=None,
        on_fire=None,
    ):
        """Add a rule. Without ``count`` or ``rate`` it hits every matching request.

        ``count`` limits it to the next N matching requests, ``rate`` to a random share
        of them; ``method`` and ``path`` (a prefix, with or without "/api/v3") narrow
        which requests match. ``status`` fixes the code of a server_error.
        ``on_fire`` is called once a timeout_commit request is handled, before
        it is answered: what it changes is missing from that answer.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"Unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 1
        ):
            raise ValueError("count must be a positive integer")
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must not be negative")
        if status is not None and not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        rule = FaultRule(
            kind,
            count,
            rate,
            seconds,
            method.upper() if method else None,
            path,
            status,
            on_fire,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def inject_mix(self, rate, seconds=None):
        """Spread ``rate`` evenly over every kind of transient fault."""
        for kind in TRANSIENT_KINDS:
            self.inject(kind, rate=rate / len(TRANSIENT_KINDS), seconds=seconds)

    def clear(self):
        with self._lock:
            self._rules.clear()
            self._rng = random.Random(self.settings.seed)

    @property
    def rules(self):
        with self._lock:
            return [
                {k: v for k, v in asdict(rule).items() if k != "on_fire"}
                for rule in self._rules
            ]

    def pick(self, method, path):
        """The fault for a request, or None; consumes one use of a counted rule."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.rate is not None and self._rng.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                self.fired[rule.kind] += 1
                seconds = (
                    self.settings.fault_seconds
                    if rule.seconds is None
                    else rule.seconds
                )
                status = rule.status or self._rng.choice(
                    self.settings.server_error_statuses
                )
                return Fault(rule.kind, seconds, status, rule.on_fire)
        return None
