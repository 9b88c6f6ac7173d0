"""The return soak: shipped sales orders (a third split over two Shipwire
warehouses) returned by their customers while 20% of the API requests fail.
Half of the return pickings are sent by a clerk's Send return to Shipwire
(pressed again while a return shows Not confirmed), the other half once
confirmed, by the inbound sync job (the account's Send returns on confirmation).
The dock then counts what comes back, round by round: arrivals in several steps,
good, damaged and in review, holds, completions with what is missing, and
cancellations at Shipwire before anything arrived (the manager's Cancel at
Shipwire). Each round, the return webhooks the sandbox sent go to Odoo's server
twice and some out of order (return_webhooks.py) and the inbound sync and a
stock sync run, in turns before or after the webhooks. At the end, with the
faults off, the jobs run until quiet and return_check.py judges Odoo against the
sandbox."""

import collections
import random
import time

import requests
from harness import log
from probes import fresh_env
from receiving_soak import press
from return_check import soak_figures
from return_fixture import make_returns, set_up, shipped_orders, start_sandbox
from return_webhooks import Forwarder
from soak_sandbox import faults_mix
from soak_settings import FAULT_SECONDS, READ_TIMEOUT

PRESSES = 6
MULTI_SELECT = 10  # every tenth press sends five returns at once
SETTLE_RUNS = 6
# What the dock does to each return of a picking, one step a round once the
# return is linked to Shipwire's: (action, good share, damaged units, review
# share). The cancelled ones are cancelled by the manager instead.
RECEIVE = "receive"
SCENARIOS = {
    "steps": (
        0.30,
        [
            None,
            (RECEIVE, 0.4, 0, 0),
            (RECEIVE, 0.5, 1, 0),
            (RECEIVE, 1.0, 0, 0),
            ("complete",),
        ],
    ),
    "review": (0.20, [None, (RECEIVE, 0.3, 0, 0.5), ("review",), ("complete",)]),
    "damaged": (0.15, [None, (RECEIVE, 0.5, 1, 0), None, ("complete",)]),
    "held": (
        0.10,
        [
            ("hold",),
            (RECEIVE, 0.5, 0, 0),
            ("holds/clear",),
            (RECEIVE, 1.0, 0, 0),
            ("complete",),
        ],
    ),
    "cancelled": (0.15, []),
    "open": (0.10, [None, None, (RECEIVE, 0.3, 0, 0)]),
}
ROUNDS = 5


def pick_scenario(rng):
    draw = rng.random()
    for name, (share, _steps) in SCENARIOS.items():
        draw -= share
        if draw < 0:
            return name
    return "open"


class Dock:
    """The sandbox's warehouse counting what comes back of each return."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.pending = {}  # shipwire id: {sku: units}
        self.in_review = collections.defaultdict(dict)
        self.done = collections.Counter()  # shipwire id: steps taken
        self.actions = 0
        self.refused = 0

    def _control(self, shipwire_id, action, body=None):
        self.actions += 1
        try:
            self.sandbox.control("POST", f"/returns/{shipwire_id}/{action}", body or {})
        except requests.HTTPError as error:
            self.refused += 1
            log(f"  dock {action} on return {shipwire_id}: {error}")

    def step(self, scenario, shipwire_id, items):
        """The return's next step of ``scenario``; ``items`` ({sku: units}) is
        what it expects."""
        steps = SCENARIOS[scenario][1]
        index = self.done[shipwire_id]
        if index >= len(steps):
            return
        self.done[shipwire_id] += 1
        self.pending.setdefault(shipwire_id, dict(items))
        step = steps[index]
        if step is None:
            return
        action, *shares = step
        if action == RECEIVE:
            self._receive(shipwire_id, *shares)
        elif action == "review":
            self._review(shipwire_id)
        elif action == "hold":
            self._control(shipwire_id, "hold", {"description": "Parcel opened"})
        else:
            self._control(shipwire_id, action)

    def _receive(self, shipwire_id, share, damaged, review):
        for sku, pending in self.pending[shipwire_id].items():
            good = min(pending, round(pending * share))
            hurt = min(pending - good, damaged)
            checked = min(pending - good - hurt, round(pending * review))
            if good + hurt + checked:
                self._control(
                    shipwire_id,
                    RECEIVE,
                    {"sku": sku, "good": good, "damaged": hurt, "inReview": checked},
                )
                self.pending[shipwire_id][sku] -= good + hurt + checked
                self.in_review[shipwire_id][sku] = (
                    self.in_review[shipwire_id].get(sku, 0) + checked
                )

    def _review(self, shipwire_id):
        for sku, units in self.in_review[shipwire_id].items():
            if units:
                hurt = min(units, 1)
                self._control(
                    shipwire_id,
                    "review",
                    {"sku": sku, "reviewedGood": units - hurt, "reviewedDamaged": hurt},
                )
                self.in_review[shipwire_id][sku] = 0


def return_records(registry, picking_ids):
    """``{picking id: [(state, shipwire id, {sku: units})]}`` of its returns."""
    with fresh_env(registry) as env:
        return {
            picking.id: [
                (record.state, record.shipwire_id, record.order_items or {})
                for record in picking.shipwire_return_ids
            ]
            for picking in env["stock.picking"].browse(picking_ids)
        }


def unsent(registry, picking_ids):
    """The pickings with no return yet, or one Shipwire has not confirmed."""
    return [
        picking
        for picking, records in return_records(registry, picking_ids).items()
        if not records
        or any(
            state in ("unanswered", "refused", "waiting") and not shipwire_id
            for state, shipwire_id, _items in records
        )
    ]


def send_as_clerk(registry, account, picking_ids, stats):
    chunks, index = [], 0
    while index < len(picking_ids):
        size = 5 if len(chunks) % MULTI_SELECT == MULTI_SELECT - 1 else 1
        chunks.append(picking_ids[index : index + size])
        index += size
    for chunk in chunks:
        stats["send_presses"] += 1
        press(registry, account.clerk.id, chunk, "action_shipwire_send_return")
    press_again_unsent(registry, account, picking_ids, stats)


def press_again_unsent(registry, account, picking_ids, stats, counter="send_presses"):
    for _attempt in range(PRESSES):
        left = unsent(registry, picking_ids)
        if not left:
            return
        for picking in left:
            stats[counter] += 1
            press(registry, account.clerk.id, [picking], "action_shipwire_send_return")


def cancel_as_manager(registry, account, picking_id, stats):
    """Cancel at Shipwire, pressed again after a Refresh while a return of the
    picking stays open. False while a return is not linked to Shipwire's yet."""
    records = return_records(registry, [picking_id])[picking_id]
    if not records or not all(shipwire_id for _s, shipwire_id, _i in records):
        return False
    for _attempt in range(PRESSES):
        states = [
            s for s, _id, _i in return_records(registry, [picking_id])[picking_id]
        ]
        if all(state == "cancelled" for state in states):
            return True
        stats["cancel_presses"] += 1
        press(
            registry, account.manager.id, [picking_id], "action_shipwire_cancel_return"
        )
        press(
            registry, account.clerk.id, [picking_id], "action_shipwire_refresh_return"
        )
    return True


def run_jobs(registry, backend_id, stats):
    """An inbound sync run, then a stock sync run of the account; a run Shipwire
    failed is counted, not fatal."""
    for name, job in (
        ("inbound_sync", lambda env, b: env["shipwire.inbound.sync"]._sync(b)),
        (
            "stock_sync",
            lambda env, b: env["shipwire.stock.sync"]._sync_stock(b, full=True),
        ),
    ):
        with fresh_env(registry) as env:
            backend = env["shipwire.backend"].browse(backend_id)
            stats[f"{name}_runs"] += 1
            try:
                job(env, backend)
                env.cr.commit()
            except Exception as error:  # noqa: BLE001 - the scheduler runs it again
                env.cr.rollback()
                stats[f"{name}_failed"] += 1
                log(f"  {name} failed: {str(error)[:120]}")


def _footprint(registry, backend_id):
    with fresh_env(registry) as env:
        env.cr.execute(
            "SELECT md5(string_agg(concat_ws(',', id, state, shipwire_id, good, "
            "damaged, booked), ';' ORDER BY id)) FROM shipwire_return "
            "WHERE backend_id = %s",
            [backend_id],
        )
        returns = env.cr.fetchone()[0]
        env.cr.execute(
            "SELECT COUNT(*), COALESCE(MAX(write_date), now()) FROM stock_move"
        )
        return returns, env.cr.fetchone()


def settle(registry, backend_id, forwarder, stats):
    """The last webhooks, then the jobs, until a run changes nothing."""
    forwarder.forward(last=True)
    before = _footprint(registry, backend_id)
    for run in range(1, SETTLE_RUNS + 1):
        run_jobs(registry, backend_id, stats)
        forwarder.forward(last=True)
        after = _footprint(registry, backend_id)
        if after == before:
            return run
        before = after
    return SETTLE_RUNS


def soak(registry, workdir, count):
    started = time.perf_counter()
    rng = random.Random(17)
    stats = collections.Counter()
    sandbox = start_sandbox(workdir, "returns", fault_seconds=FAULT_SECONDS, seed=7)
    forwarder = Forwarder(registry, workdir, sandbox, seed=19)
    try:
        with fresh_env(registry) as env:
            log(f"returns: {count} sales orders shipped ...")
            account = set_up(env, sandbox, read_timeout=READ_TIMEOUT)
            backend_id = account.backend.id
            order_ids, split_ids = shipped_orders(
                registry, env, account, sandbox, count, seed=3
            )
            forwarder.start(env, account)
        run_jobs(registry, backend_id, stats)  # the stock baseline, no faults
        with fresh_env(registry) as env:
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM stock_move")
            baseline_move = env.cr.fetchone()[0]
        log(f"  set up in {time.perf_counter() - started:.0f} s")
        faults_mix(sandbox)
        half = count // 2
        with fresh_env(registry) as env:
            pressed = make_returns(env, account, order_ids[:half], split_ids, seed=5)
        send_as_clerk(registry, account, list(pressed), stats)
        log(f"  {len(pressed)} sent by the clerk, {stats['send_presses']} presses")
        with fresh_env(registry) as env:
            env["shipwire.backend"].browse(
                backend_id
            ).return_send_on_confirmation = True
            env.cr.commit()
            queued = make_returns(env, account, order_ids[half:], split_ids, seed=6)
        returned = {**pressed, **queued}
        picking_ids = list(returned)
        scenarios = {picking: pick_scenario(rng) for picking in picking_ids}
        dock = Dock(sandbox)
        cancelled = set()
        for round_ in range(ROUNDS):
            if round_ % 2:
                run_jobs(registry, backend_id, stats)
            for picking, records in return_records(registry, picking_ids).items():
                scenario = scenarios[picking]
                if scenario == "cancelled":
                    if round_ and picking not in cancelled:
                        if cancel_as_manager(registry, account, picking, stats):
                            cancelled.add(picking)
                    continue
                for _state, shipwire_id, items in records:
                    if shipwire_id:
                        dock.step(scenario, shipwire_id, items)
            forwarder.forward()
            if not round_ % 2:
                run_jobs(registry, backend_id, stats)
            press_again_unsent(registry, account, list(pressed), stats)
            log(f"  round {round_} done ({time.perf_counter() - started:.0f} s)")
        stats["queued_unsent_after_rounds"] = len(unsent(registry, list(queued)))
        stats["dock_actions"] = dock.actions
        stats["dock_refused"] = dock.refused
        stats["faults_fired"] = sum(sandbox.fired().values())
        stats["requests"] = sandbox.request_count()
        sandbox.faults_off()
        press_again_unsent(
            registry, account, list(queued), stats, counter="queued_presses"
        )
        stats["settle_runs"] = settle(registry, backend_id, forwarder, stats)
        figures = soak_figures(registry, sandbox, account, returned, baseline_move)
    finally:
        forwarder.stop()
        sandbox.stop()
    stats["scenarios"] = dict(collections.Counter(scenarios.values()))
    stats["split_orders"] = len(split_ids)
    stats["webhooks"] = forwarder.figures()
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return {**stats, **figures}
