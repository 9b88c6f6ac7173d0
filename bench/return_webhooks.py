"""The return webhooks of the return soak: the sandbox delivers its signed
``return.*`` webhooks to a recorder standing in for Odoo; after each round of
the dock they go to Odoo's own server on the real webhook route, each twice and
some out of order, and the job that applies them runs as the cron worker would.

Of each round's deliveries, one in LATE_SHARE comes only in the next round,
after what changed since; the others may swap places with their neighbour
(SWAP_SHARE). Every delivery comes a second time: half of the repeats later in
the same round, the others in the next round, once the first was applied."""

import collections
import random

from harness import OdooServer, log
from webhook_burst import Burst, warm_up
from webhook_check import run_apply_job
from webhook_deliveries import Recorder, recorded_deliveries, wait_delivered

LATE_SHARE = 0.1
SWAP_SHARE = 0.1
REPEAT_DISTANCE = 20
SENDERS = 2
SERVER_WORKERS = 2


def register(env, account, recorder_url):
    """The account's webhooks, registered by the administrator for the recorder.
    Returns ``(token, secrets)``."""
    env["ir.config_parameter"].set_param("web.base.url", recorder_url)
    env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
    backend = account.backend
    answer = (
        backend.with_user(env.ref("base.user_admin"))
        .with_company(backend.company_id)
        .action_register_webhooks()
    )
    env.cr.commit()
    if answer["params"]["type"] != "success":
        raise RuntimeError(f"webhooks: {answer['params']['message']}")
    return backend.webhook_token, [
        (secret.shipwire_id, secret.secret)
        for secret in backend.sudo().webhook_secret_ids
    ]


class Forwarder:
    """Takes what the recorder caught since the last round and sends it to
    Odoo's server, as the module says above; counts what it sent."""

    def __init__(self, registry, workdir, sandbox, seed):
        self.registry = registry
        self.sandbox = sandbox
        self.rng = random.Random(seed)
        self.recorder = Recorder()
        self.server = OdooServer(workdir, registry.db_name, SERVER_WORKERS)
        self.token = None
        self.started = False
        self.secrets = None
        self.taken = 0  # recorder deliveries looked at so far
        self.carried = []  # for the next round: late firsts and repeats
        self.stats = collections.Counter()
        self.topics = collections.Counter()

    def start(self, env, account):
        self.recorder.__enter__()
        self.started = True
        self.token, self.secrets = register(env, account, self.recorder.url)
        log(f"starting Odoo's server with {SERVER_WORKERS} workers ...")
        self.server.start()
        url = f"{self.server.url}/shipwire/webhook/{self.token}"
        self.server.wait_ready(url)
        warm_up(url, self.secrets)
        settings = self.sandbox.control("GET", "/settings")
        self.retry_delays = settings["webhook_retry_delays"]
        self.max_attempts = settings["webhook_max_attempts"]
        return self

    def stop(self):
        self.server.stop()
        if self.started:
            self.recorder.__exit__(None, None, None)

    def _new_deliveries(self):
        wait_delivered([self.sandbox])
        received = self.recorder.received[self.taken :]
        self.taken += len(received)
        deliveries, _others = recorded_deliveries(received, ("return",), [self.token])
        for delivery in deliveries:
            self.topics[delivery.topic] += 1
        return deliveries

    def forward(self, last=False):
        """One round: this round's deliveries and what the last one carried
        over, sent and applied. ``last``: nothing is carried further."""
        rng = self.rng
        batch, carried = [], []
        for delivery in self._new_deliveries():
            if not last and rng.random() < LATE_SHARE:
                carried.append(delivery._replace(late=True))
            else:
                batch.append(delivery)
        for index in range(len(batch) - 1):
            if rng.random() < SWAP_SHARE:
                batch[index], batch[index + 1] = batch[index + 1], batch[index]
                self.stats["swapped"] += 1
        carried += [d._replace(repeat=True) for d in carried]
        for delivery in list(batch):
            repeat = delivery._replace(repeat=True)
            if last or rng.random() < 0.5:
                place = batch.index(delivery) + rng.randint(1, REPEAT_DISTANCE)
                batch.insert(min(place, len(batch)), repeat)
            else:
                carried.append(repeat)
        for delivery in self.carried:
            batch.insert(rng.randint(0, len(batch)), delivery)
        self.carried = [] if last else carried
        self.stats["late"] += sum(1 for d in batch if d.late and not d.repeat)
        self.stats["repeats"] += sum(1 for d in batch if d.repeat)
        self.stats["deliveries"] += len(batch)
        if batch:
            burst = Burst(
                self.server.url, batch, SENDERS, self.retry_delays, self.max_attempts
            )
            burst.run()
            statuses = collections.Counter(status for _s, status in burst.answers)
            for status, count in statuses.items():
                self.stats[f"answered_{status}"] += count
            self.stats["failed"] += len(burst.failed)
        applied = run_apply_job(self.registry)
        self.stats["apply_runs"] += applied["calls"]
        self.stats["apply_failed"] = applied["failed"]
        return len(batch)

    def figures(self):
        return {**self.stats, "topics": dict(self.topics)}
