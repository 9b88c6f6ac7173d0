"""An Odoo worker process of the soak: it sends its share of the orders
(``soak_driver.Driver``), then runs the scheduled jobs as Odoo's cron does until
nothing moves. The soak's parent runs its fault-free final rounds with the same
class.

    python3 bench/soak_worker.py --worker 0 --role single --db DB --config CONF \
        --setup-file SETUP --workdir DIR [--workers 1] [--resumed]
"""

import argparse
import collections
import json
import random
import sys
import time
import traceback
from pathlib import Path

from harness import report_result
from soak_driver import Driver
from soak_sandbox import read_sandbox
from soak_settings import (
    BULK_CRASHES,
    CRON_CALLS,
    FAULTS_PENDING,
    MAX_ROUNDS,
    NOT_SENT,
    SHIP_ROUNDS,
    SHIP_SHARE,
)


class Worker(Driver):
    """Sends (see ``Driver``), then runs rounds of the scheduled jobs: the retry
    job, the sync and the job that applies stored webhooks, each as ir.cron runs
    it, until a round changes nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_sync_error = ""
        self._count_webhook_batches()

    def _count_webhook_batches(self):
        """Count the batches the webhook job takes, and those holding deliveries
        of more than one account."""
        model_class = self.registry["shipwire.webhook.event"]
        original = model_class._lock_pending
        counts = self.counts

        def lock_pending(events_model):
            events = original(events_model)
            if events:
                counts["webhook_batches"] += 1
                counts["webhook_events_taken"] += len(events)
                if len(events.backend_id) > 1:
                    counts["webhook_mixed_batches"] += 1
            return events

        model_class._lock_pending = lock_pending

    def signature(self):
        """What moves, per order: state, PO id and status, fulfillment orders. An
        order without PO record counts as not sent."""
        self.cr.rollback()
        self.cr.execute(
            """
            SELECT so.id, po.state, po.shipwire_id, po.shipwire_status,
                   string_agg(fo.shipwire_id || ':' || fo.status, ','
                              ORDER BY fo.shipwire_id)
              FROM sale_order so
              LEFT JOIN shipwire_purchase_order po ON po.sale_order_id = so.id
              LEFT JOIN shipwire_fulfillment_order fo ON fo.purchase_order_id = po.id
             WHERE so.id IN %s
             GROUP BY so.id, po.id
            """,
            [tuple(self.ids)],
        )
        return {row[0]: row[1:] for row in self.cr.fetchall()}

    def time_travel(self):
        """Failed orders are due now instead of in 5 minutes to 6 hours."""
        import psycopg2

        from odoo import fields

        try:
            self.cr.execute(
                """
                UPDATE shipwire_purchase_order SET next_retry = %s
                 WHERE id IN (SELECT id FROM shipwire_purchase_order
                               WHERE sale_order_id IN %s AND state = 'failed'
                                 AND next_retry > %s
                                 FOR UPDATE SKIP LOCKED)
                """,
                [fields.Datetime.now(), tuple(self.ids), fields.Datetime.now()],
            )
            self.cr.commit()
        except psycopg2.Error:
            self.cr.rollback()
            self.counts["time_travel_conflicts"] += 1

    def due_count(self):
        from odoo import fields

        self.cr.rollback()
        return self.env["shipwire.purchase.order"].search_count(
            [
                ("sale_order_id", "in", self.ids),
                ("state", "=", "failed"),
                ("next_retry", "<=", fields.Datetime.now()),
            ]
        )

    def pending_webhooks(self):
        self.cr.rollback()
        self.cr.execute(
            "SELECT count(*) FROM shipwire_webhook_event WHERE state = 'pending'"
        )
        return self.cr.fetchone()[0]

    def run_job(self, name, call):
        """One run of a scheduled job, as ir.cron runs it: commit, or roll back."""
        import psycopg2

        self.counts[f"{name}_runs"] += 1
        with self.doing(name):
            try:
                call()
                self.cr.commit()
                return True
            except psycopg2.Error as error:
                if self.roll_back():
                    self.counts[f"{name}_connections_lost"] += 1
                else:
                    self.counts[f"{name}_db_conflicts"] += 1
                    self.counts[f"pg_{getattr(error, 'pgcode', None)}"] += 1
                if name == "sync_job":
                    first_line = str(error).strip().splitlines()[0][:120]
                    self.last_sync_error = f"database: {first_line}"
            except Exception:  # noqa: BLE001 - the job failed: counted and reported
                self.roll_back()
                self._error(f"{name} crashed: {traceback.format_exc()[-1500:]}")
        return False

    def repeated_job(self, name, call, left, calls):
        """A job run again while it leaves work (``left()``) and makes progress, as
        ir.cron runs a job that reports remaining work."""
        remaining = left()
        for _ in range(calls):
            if not remaining:
                return
            self.run_job(name, call)
            now_left = left()
            if now_left >= remaining:
                return  # the rest is locked by another process, or failing
            remaining = now_left

    def retry_job(self):
        """The retry job (50 orders a run)."""
        self.repeated_job(
            "retry_job",
            lambda: self.env["shipwire.purchase.order"]._cron_retry_failed_sends(),
            self.due_count,
            len(self.ids) // 50 + 5,
        )

    def apply_job(self):
        """The job that applies the stored webhooks (the deliveries' trigger has
        no cron thread to run it on Odoo's server: the workers are its cron)."""
        self.repeated_job(
            "apply_job",
            lambda: self.env["shipwire.webhook.event"]._cron_apply(),
            self.pending_webhooks,
            CRON_CALLS,
        )

    def backends(self):
        self.cr.rollback()
        return self.env["shipwire.backend"].search([])

    def sync_job(self):
        """The sync of every account, again while one leaves a backlog. True when
        a run succeeded for every account."""
        from odoo import fields

        succeeded = False
        for _ in range(5):
            # An account keeps when its last sync ran or failed, to the second:
            # start in a later second than all, so that they tell about this run
            # (or, in the concurrent run, about the other worker's at the same time).
            backends = self.backends()
            stamps = [
                stamp
                for backend in backends
                for stamp in (backend.last_sync_date, backend.last_sync_error_date)
                if stamp
            ]
            while stamps and fields.Datetime.now() <= max(stamps):
                time.sleep(0.1)
            started = fields.Datetime.now()
            ran = self.run_job(
                "sync_job", lambda: self.env["shipwire.sync"]._cron_sync()
            )
            backends = self.backends()
            failed = backends.filtered(
                lambda backend, started=started: (
                    backend.last_sync_error_date
                    and backend.last_sync_error_date >= started
                )
            )
            if ran and failed:
                self.counts["sync_shipwire_failures"] += 1
                self.last_sync_error = "; ".join(
                    f"{backend.name}: {(backend.last_sync_error or '')[:120]}"
                    for backend in failed
                )
            succeeded = bool(
                ran
                and not failed
                and all(
                    backend.last_sync_date and backend.last_sync_date >= started
                    for backend in backends
                )
            )
            if not (ran and any(backends.mapped("sync_resume_key"))):
                break
        return succeeded

    def sync_failure(self):
        text, self.last_sync_error = self.last_sync_error, ""
        return f"FAILED ({text})" if text else "FAILED"

    def ship_wave(self, wave):
        """Each sandbox ships SHIP_SHARE of its open fulfillment orders."""
        rng = random.Random(wave)
        shipped = 0
        for account in self.accounts:
            # Accepted and waiting at the warehouse: nothing else moves them on.
            open_orders = read_sandbox(
                account.sandbox,
                lambda client: client.search_orders(status="unprocessed"),
            )
            if open_orders is None:
                self.say(f"ship wave {wave}: could not list the open orders")
                return
            chosen = rng.sample(open_orders, int(len(open_orders) * SHIP_SHARE))
            for fulfillment_order in chosen:
                try:
                    account.sandbox.complete(fulfillment_order["id"])
                    shipped += 1
                except Exception:  # noqa: BLE001 - e.g. 422: no longer open
                    self.counts["ship_refused"] += 1
        self.counts["shipped_at_sandbox"] += shipped
        (self.workdir / f"ship-wave-{wave}").touch()
        self.say(f"ship wave {wave}: the sandboxes shipped {shipped} orders")

    def ship_wave_due(self, round_number):
        """The first ship wave not done yet whose round has come (waves are named
        after their round; one that could not list the open orders comes again)."""
        for wave in SHIP_ROUNDS:
            if wave <= round_number and not self.wave_done(wave):
                self.ship_wave(wave)
                return

    def wave_done(self, wave):
        """Whether ship wave ``wave`` happened, in this process or a killed one."""
        return (self.workdir / f"ship-wave-{wave}").exists()

    def why_round_does_not_count(self):
        """Why this round does not count against the cap: another worker is still
        sending, or the run's process faults have not all happened yet."""
        if self.workdir is None:
            return ""
        if any(
            not (self.workdir / f"sent-{other}").exists()
            for other in range(self.workers)
            if other != self.index
        ):
            return "other worker still sending"
        if (self.workdir / FAULTS_PENDING).exists():
            return "process faults pending"
        return ""

    def jobs_loop(self, max_rounds=MAX_ROUNDS, ship=False):
        """Scheduled jobs rounds until nothing moves. Returns True if converged."""
        previous = self.signature()
        counted = total = 0
        while counted < max_rounds:
            total += 1
            not_counted = self.why_round_does_not_count()
            if not not_counted:
                counted += 1
            if ship:
                self.ship_wave_due(total)
            self.time_travel()
            self.retry_job()
            self.apply_job()
            synced = self.sync_job()
            self.apply_job()
            current = self.signature()
            waiting = self.pending_webhooks()
            moved = sum(
                1 for key, value in current.items() if previous.get(key) != value
            )
            states = collections.Counter(
                value[0] or NOT_SENT for value in current.values()
            )
            previous = current
            self.counts["rounds"] = counted
            self.counts["uncounted_rounds"] = total - counted
            sync = "ok" if synced else self.sync_failure()
            self.say(
                f"round {total}{f' ({not_counted})' if not_counted else ''}: "
                f"sync {sync}, {moved} orders moved, {waiting} webhooks waiting, "
                + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
            )
            if (
                not not_counted
                and (not ship or all(map(self.wave_done, SHIP_ROUNDS)))
                and synced
                and not moved
                and not waiting
                and not states["failed"]
                and not states[NOT_SENT]
            ):
                return True
            if not_counted:
                time.sleep(1)
        return False


def worker_main(options):
    """A worker process: its own registry on the run's database."""
    import odoo

    odoo.tools.config.parse_config(
        ["-c", options.config, "-d", options.db, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(options.db)
    setup = json.loads(Path(options.setup_file).read_text())
    workdir = Path(options.workdir)
    worker = Worker(
        registry,
        setup,
        index=options.worker,
        workdir=workdir,
        workers=options.workers,
        resumed=options.resumed,
        announcing=True,
        crashes=BULK_CRASHES[options.role].get(options.worker),
    )
    result = {"worker": options.worker, "resumed": options.resumed}
    try:
        started = time.perf_counter()
        if options.role == "single":
            worker.single_run_sends()
        else:
            worker.concurrent_sends()
        (workdir / f"sent-{options.worker}").touch()
        result["send_seconds"] = time.perf_counter() - started
        after_send = collections.Counter(
            value[0] or NOT_SENT for value in worker.signature().values()
        )
        result["after_send"] = dict(after_send)
        worker.say(
            f"sending done in {result['send_seconds']:.0f} s: "
            + ", ".join(f"{state} {n}" for state, n in sorted(after_send.items()))
        )
        started = time.perf_counter()
        result["converged"] = worker.jobs_loop(
            max_rounds=options.max_rounds, ship=options.worker == 0
        )
        result["jobs_seconds"] = time.perf_counter() - started
    except Exception:  # noqa: BLE001 - reported to the parent
        (workdir / f"sent-{options.worker}").touch()
        result["converged"] = False
        result["crash"] = traceback.format_exc()[-3000:]
    finally:
        result["counts"] = worker.totals()
        result["errors"] = worker.errors
        worker.close()
    report_result(result)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--role", choices=("single", "concurrent"), required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--setup-file", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS)
    parser.add_argument("--resumed", action="store_true")
    return worker_main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
