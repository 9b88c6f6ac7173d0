"""The receiving soak: receipts of 1 to 3 products to two warehouses of one
account, announced by a clerk's Send to Shipwire while 20% of the API requests
fail (pressed again while a receipt shows Not confirmed), then counted at the
dock in rounds: partial arrivals, damaged units, units in review then reviewed,
cancellations before anything arrives (the manager's Cancel at Shipwire),
completes with shortages. Each round is followed by a receiving sync run and a
stock sync run of the account. At the end, with the faults off, the jobs run
until quiet and receiving_check.py compares Odoo with the sandbox."""

import random
import time

from harness import log
from probes import fresh_env
from receiving_check import soak_figures
from receiving_fixture import create_receipts, set_up, start_sandbox
from soak_sandbox import faults_mix
from soak_settings import FAULT_SECONDS, READ_TIMEOUT

SKUS = [f"SOAK-{index}" for index in range(1, 7)]
PRESSES = 6  # a clerk presses a button again this often at most
MULTI_SELECT = 10  # every tenth press sends five receipts at once
ROUNDS = 5
SETTLE_RUNS = 6
# Scenario, share: what the dock does to a receiving, round by round.
SCENARIOS = (
    ("cancelled", 0.10),
    ("steps", 0.30),
    ("damaged", 0.20),
    ("review", 0.20),
    ("short", 0.10),
    ("open", 0.10),
)


class Dock:
    """The sandbox's warehouse counting what arrives, per receiving, as each
    scenario says; tracks what is still pending per SKU."""

    def __init__(self, sandbox, rng):
        self.sandbox = sandbox
        self.rng = rng
        self.pending = {}  # receipt id: {sku: units}
        self.in_review = {}
        self.actions = 0

    def _control(self, shipwire_id, action, body=None):
        self.actions += 1
        return self.sandbox.control(
            "POST", f"/receivings/{shipwire_id}/{action}", body or {}
        )

    def _receive(self, shipwire_id, receipt, share, damaged=0, review=0.0):
        for sku, pending in self.pending[receipt].items():
            good = min(pending, round(pending * share))
            hurt = min(pending - good, damaged)
            checked = min(pending - good - hurt, round(pending * review))
            if good + hurt + checked:
                self._control(
                    shipwire_id,
                    "receive",
                    {"sku": sku, "good": good, "damaged": hurt, "inReview": checked},
                )
                self.pending[receipt][sku] -= good + hurt + checked
                self.in_review[receipt][sku] = (
                    self.in_review[receipt].get(sku, 0) + checked
                )

    def _review(self, shipwire_id, receipt):
        for sku, units in self.in_review[receipt].items():
            if units:
                hurt = min(units, 1)
                self._control(
                    shipwire_id,
                    "review",
                    {"sku": sku, "reviewedGood": units - hurt, "reviewedDamaged": hurt},
                )
                self.in_review[receipt][sku] = 0

    def step(self, scenario, round_, shipwire_id, receipt):
        """What the dock does to the receiving in this round."""
        ref = shipwire_id
        plan = {
            "steps": {
                0: lambda: (
                    self._control(ref, "holds/clear"),
                    self._control(ref, "submit"),
                ),
                1: lambda: self._receive(ref, receipt, 0.4),
                2: lambda: self._receive(ref, receipt, 0.5),
                3: lambda: self._receive(ref, receipt, 1.0),
                4: lambda: self._control(ref, "complete"),
            },
            "damaged": {
                0: lambda: self._control(ref, "holds/clear"),
                1: lambda: self._receive(ref, receipt, 0.5, damaged=2),
                3: lambda: self._receive(ref, receipt, 0.3, damaged=1),
                4: lambda: self._control(ref, "complete"),
            },
            "review": {
                1: lambda: self._receive(ref, receipt, 0.3, review=0.5),
                2: lambda: self._review(ref, receipt),
                4: lambda: self._control(ref, "complete"),
            },
            "short": {
                1: lambda: self._receive(ref, receipt, 0.6),
                3: lambda: self._control(ref, "complete"),
            },
            "open": {2: lambda: self._receive(ref, receipt, 0.3)},
        }.get(scenario, {})
        if round_ in plan:
            plan[round_]()


def pick_scenario(rng):
    draw = rng.random()
    for name, share in SCENARIOS:
        draw -= share
        if draw < 0:
            return name
    return SCENARIOS[-1][0]


def press(registry, user_id, receipt_ids, method):
    """One press of a receipt button by ``user_id``, committed as a web request
    is; False when it raised (rolled back)."""
    with fresh_env(registry) as env:
        receipts = env(user=user_id)["stock.picking"].browse(receipt_ids)
        try:
            getattr(receipts, method)()
        except Exception as error:  # noqa: BLE001 - the clerk reads it and goes on
            env.cr.rollback()
            log(f"  {method} on {receipt_ids}: {str(error)[:120]}")
            return False
        env.cr.commit()
        return True


def receiving_states(registry, receipt_ids):
    """``{receipt id: (state, shipwire id)}`` of the receipts' receivings."""
    with fresh_env(registry) as env:
        return {
            receipt.id: (
                receipt.shipwire_receiving_id.state,
                receipt.shipwire_receiving_id.shipwire_id,
            )
            for receipt in env["stock.picking"].browse(receipt_ids)
        }


def send_as_clerk(registry, account, receipt_ids, stats):
    """Single presses, every MULTI_SELECT-th a selection of five; whatever
    shows Not confirmed (or nothing) afterwards is pressed again, one by one."""
    chunks, index = [], 0
    while index < len(receipt_ids):
        size = 5 if len(chunks) % MULTI_SELECT == MULTI_SELECT - 1 else 1
        chunks.append(receipt_ids[index : index + size])
        index += size
    for chunk in chunks:
        stats["send_presses"] += 1
        press(registry, account.clerk.id, chunk, "action_shipwire_send_receiving")
    press_again_unsent(registry, account, receipt_ids, stats)


def press_again_unsent(registry, account, receipt_ids, stats):
    for _attempt in range(PRESSES):
        unsent = [
            receipt
            for receipt, (state, _id) in receiving_states(registry, receipt_ids).items()
            if state in (False, "unanswered", "refused")
        ]
        if not unsent:
            return
        for receipt in unsent:
            stats["send_presses"] += 1
            stats["send_presses_again"] += 1
            press(
                registry, account.clerk.id, [receipt], "action_shipwire_send_receiving"
            )


def cancel_as_manager(registry, account, receipt_id, stats):
    """Cancel at Shipwire, pressed again (after a Refresh) while the receiving
    stays open."""
    for _attempt in range(PRESSES):
        state, shipwire_id = receiving_states(registry, [receipt_id])[receipt_id]
        if state == "cancelled" or not shipwire_id:
            return
        stats["cancel_presses"] += 1
        press(
            registry,
            account.manager.id,
            [receipt_id],
            "action_shipwire_cancel_receiving",
        )
        if receiving_states(registry, [receipt_id])[receipt_id][0] != "cancelled":
            press(
                registry,
                account.clerk.id,
                [receipt_id],
                "action_shipwire_refresh_receiving",
            )


def run_jobs(registry, backend_id, stats):
    """A receiving sync run, then a stock sync run of the account (which runs the
    receiving sync first too); a run Shipwire failed is counted, not fatal."""
    for name, job in (
        ("receiving_sync", lambda env, b: env["shipwire.inbound.sync"]._sync(b)),
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
    """What a job run would change: the receivings' states and counts, the
    stock moves."""
    with fresh_env(registry) as env:
        env.cr.execute(
            "SELECT md5(string_agg(concat_ws(',', id, state, shipwire_id, good, "
            "damaged, booked), ';' ORDER BY id)) FROM shipwire_receiving "
            "WHERE backend_id = %s",
            [backend_id],
        )
        receivings = env.cr.fetchone()[0]
        env.cr.execute("SELECT COUNT(*) FROM stock_move")
        return receivings, env.cr.fetchone()[0]


def settle(registry, backend_id, stats):
    """The jobs, run until a run changes nothing; returns how many ran."""
    before = _footprint(registry, backend_id)
    for run in range(1, SETTLE_RUNS + 1):
        run_jobs(registry, backend_id, stats)
        after = _footprint(registry, backend_id)
        if after == before:
            return run
        before = after
    return SETTLE_RUNS


def soak(registry, workdir, count):
    started = time.perf_counter()
    rng = random.Random(13)
    stats = dict.fromkeys(
        (
            "send_presses",
            "send_presses_again",
            "cancel_presses",
            "receiving_sync_runs",
            "receiving_sync_failed",
            "stock_sync_runs",
            "stock_sync_failed",
        ),
        0,
    )
    sandbox = start_sandbox(workdir, "soak", SKUS, fault_seconds=FAULT_SECONDS, seed=5)
    try:
        sandbox.update_settings(
            receiving_holds_after_create=True, duplicate_external_ids_refused=False
        )
        with fresh_env(registry) as env:
            log(f"soak: {count} receipts ...")
            account = set_up(env, sandbox, "soak", SKUS, read_timeout=READ_TIMEOUT)
            backend_id = account.backend.id
            receipt_ids = create_receipts(env, account, count, seed=11, max_lines=3)
            expected = {
                receipt.id: {
                    m.product_id.default_code: int(m.product_uom_qty)
                    for m in receipt.move_ids
                }
                for receipt in env["stock.picking"].browse(receipt_ids)
            }
        run_jobs(registry, backend_id, stats)  # the stock baseline, no faults
        with fresh_env(registry) as env:
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM stock_move")
            baseline_move = env.cr.fetchone()[0]
        faults_mix(sandbox)
        send_as_clerk(registry, account, receipt_ids, stats)
        elapsed = time.perf_counter() - started
        log(f"  sent, {stats['send_presses']} presses ({elapsed:.0f} s)")
        dock = Dock(sandbox, rng)
        scenarios = {}
        for receipt in receipt_ids:
            scenarios[receipt] = pick_scenario(rng)
            dock.pending[receipt] = dict(expected[receipt])
            dock.in_review[receipt] = {}
        cancelled = set()
        for round_ in range(ROUNDS):
            states = receiving_states(registry, receipt_ids)
            for receipt, scenario in scenarios.items():
                shipwire_id = states[receipt][1]
                if not shipwire_id:
                    continue  # linked by a later sync; the dock waits for it
                if scenario == "cancelled" and receipt not in cancelled:
                    cancel_as_manager(registry, account, receipt, stats)
                    cancelled.add(receipt)
                else:
                    dock.step(scenario, round_, shipwire_id, receipt)
            run_jobs(registry, backend_id, stats)
            press_again_unsent(registry, account, receipt_ids, stats)
            log(f"  round {round_} done ({time.perf_counter() - started:.0f} s)")
        stats["dock_actions"] = dock.actions
        stats["faults_fired"] = sum(sandbox.fired().values())
        stats["requests"] = sandbox.request_count()
        sandbox.faults_off()
        stats["settle_runs"] = settle(registry, backend_id, stats)
        figures = soak_figures(registry, sandbox, account, receipt_ids, baseline_move)
    finally:
        sandbox.stop()
    stats["scenarios"] = {
        name: sum(1 for s in scenarios.values() if s == name) for name, _ in SCENARIOS
    }
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return {**stats, **figures}
