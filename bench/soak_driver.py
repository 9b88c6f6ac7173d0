"""What an Odoo process of the soak does: send orders as users do and run the
scheduled jobs. Each worker process of a run is this script; the soak's parent
drives its fault-free final rounds with the same ``Driver``.

    python3 bench/soak_driver.py --worker 0 --role single --db DB --config CONF \
        --sandbox-url URL --ids-file IDS --workdir DIR [--workers 1] [--resumed]
"""

import argparse
import collections
import contextlib
import json
import random
import sys
import time
import traceback
from pathlib import Path

from harness import SandboxControl, announce, log, report_result
from soak_sandbox import fail_everything, faults_mix, read_sandbox
from soak_settings import (
    BULK_CHUNK,
    FAULTS_PENDING,
    MAX_ROUNDS,
    NOT_SENT,
    SANDBOX_PASSWORD,
    SANDBOX_USER,
    SHIP_ROUNDS,
    SHIP_SHARE,
    USER_ATTEMPTS,
)


class Driver:
    """Sends orders like users do and runs the scheduled jobs, in one Odoo process
    with one cursor: one transaction per click, bulk action or job run.

    A worker process (``announcing``) tells the parent on stdout what it is doing:
    "send" (with the orders), "retry_job", "sync_job" or "idle", with its counts so
    far. A ``resumed`` one replaces a killed worker: it sends only what is still not
    sent, as users coming back after the crash would."""

    def __init__(
        self,
        registry,
        sandbox,
        ids,
        index=0,
        workdir=None,
        workers=1,
        resumed=False,
        announcing=False,
    ):
        self.registry = registry
        self.connect()
        self.sandbox = sandbox
        self.ids = list(ids)
        self.index = index
        self.workdir = workdir
        self.workers = workers
        self.resumed = resumed
        self.announcing = announcing
        self.counts = collections.Counter()
        self.errors = []
        self.rng = random.Random(1000 + index + 100 * resumed)
        self.prefix = f"[w{index}{' resumed' if resumed else ''}]"
        self.last_sync_error = ""

    def connect(self):
        import odoo

        self.cr = self.registry.cursor()
        self.env = odoo.api.Environment(self.cr, odoo.SUPERUSER_ID, {})

    def roll_back(self):
        """Roll back; a connection the database dropped is replaced by a new one, as
        an Odoo worker takes a new cursor for its next request or job. True when
        the connection was lost."""
        import psycopg2

        try:
            self.cr.rollback()
            return False
        except (psycopg2.InterfaceError, psycopg2.OperationalError):
            pass
        self.say("database connection lost: rolled back, connecting again")
        with contextlib.suppress(psycopg2.Error):
            self.cr.close()
        self.connect()
        return True

    def say(self, message):
        log(f"{self.prefix} {message}")

    def close(self):
        self.cr.rollback()
        self.cr.close()

    @contextlib.contextmanager
    def doing(self, activity, ids=()):
        self.announce(activity, ids)
        try:
            yield
        finally:
            self.announce("idle")

    def announce(self, activity, ids=()):
        if self.announcing:
            announce(activity, ids, self.totals())

    def totals(self):
        return {**self.counts, "control_requests": self.sandbox.calls}

    # -- one user action ---------------------------------------------------------

    def click(self, ids, path):
        """Press Send to Shipwire on ``ids`` in one transaction. Returns "ok",
        "locked", "already", "refused", "db_conflict" or "error"."""
        self.counts[f"{path}_actions"] += 1
        with self.doing("send", ids):
            outcome = self._send_in_one_transaction(ids, path)
        self.counts[f"{path}_{outcome}"] += 1
        return outcome

    def _send_in_one_transaction(self, ids, path):
        import psycopg2

        from odoo.exceptions import UserError

        try:
            self.env["sale.order"].browse(ids).action_shipwire_send()
            self.cr.commit()
            outcome = "ok"
        except UserError as error:
            self.cr.rollback()
            text = str(error)
            if "by someone else right now" in text:
                outcome = "locked"
            elif "already at Shipwire" in text:
                outcome = "already"
            else:
                outcome = "refused"
                self._error(f"{path} send refused: {text[:300]}")
        except psycopg2.Error as error:
            self.cr.rollback()
            outcome = "db_conflict"
            self.counts[f"pg_{getattr(error, 'pgcode', None)}"] += 1
        except Exception:  # noqa: BLE001 - counted and reported, never hidden
            self.cr.rollback()
            outcome = "error"
            self._error(f"{path} send crashed: {traceback.format_exc()[-1500:]}")
        return outcome

    def _error(self, text):
        self.counts["errors"] += 1
        if len(self.errors) < 20:
            self.errors.append(text)
            self.say(f"ERROR {text}")

    def still_unsent(self, ids):
        """Refresh the page: which of ``ids`` are still not sent at all."""
        self.cr.rollback()  # a new snapshot
        self.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s AND shipwire_state IS NULL "
            "ORDER BY id",
            [tuple(ids)],
        )
        return [row[0] for row in self.cr.fetchall()]

    def user_send(self, ids, path):
        """A user sends ``ids``; refused or conflicting, they wait a moment, refresh
        and send again what is still not sent (the failed ones are the retry job's)."""
        pending = list(ids)
        for attempt in range(USER_ATTEMPTS):
            outcome = self.click(pending, path)
            if outcome in ("ok", "error", "refused"):
                return
            if attempt + 1 == USER_ATTEMPTS:
                self.counts[f"{path}_gave_up"] += 1
                return
            time.sleep(self.rng.uniform(0.25, 0.75) * 2**attempt)
            pending = self.still_unsent(pending)
            if not pending:
                return
            self.counts[f"{path}_user_retries"] += 1

    def send_singles(self, ids):
        for number, order_id in enumerate(ids, 1):
            self.user_send([order_id], "single")
            if number % 100 == 0:
                self.say(f"single clicks: {number}/{len(ids)}")

    def send_bulk(self, ids, path="bulk"):
        for start in range(0, len(ids), BULK_CHUNK):
            self.user_send(ids[start : start + BULK_CHUNK], path)
        self.say(f"{path}: {len(ids)} orders in {-(-len(ids) // BULK_CHUNK)} actions")

    def to_send(self, ids):
        """All of ``ids``; after a crash, those still not sent."""
        return self.still_unsent(ids) if self.resumed else list(ids)

    # -- the three paths of run 1 ------------------------------------------------

    def single_run_sends(self):
        third = len(self.ids) // 3
        singles = self.ids[:third]
        bulk = self.ids[third : 2 * third]
        retry = self.ids[2 * third :]
        if not self.resumed:
            self.counts.update(
                path_single=len(singles), path_bulk=len(bulk), path_retry=len(retry)
            )
        self.send_singles(self.to_send(singles))
        self.send_bulk(self.to_send(bulk))
        retry = self.to_send(retry)
        if retry:
            self.send_retry_path(retry)

    def send_retry_path(self, retry):
        """The retry job's share: their first send meets a sandbox failing
        everything."""
        fired_before = self.sandbox.fired()
        fail_everything(self.sandbox)
        try:
            self.send_bulk(retry, "retry_first_send")
        finally:
            faults_mix(self.sandbox)
        forced = self.sandbox.fired() - fired_before
        self.counts["forced_server_errors"] = forced["server_error"]
        self.cr.rollback()
        self.cr.execute(
            "SELECT count(*) FROM sale_order WHERE id IN %s "
            "AND shipwire_state IS DISTINCT FROM 'failed'",
            [tuple(retry)],
        )
        self.counts["retry_path_not_failed"] = self.cr.fetchone()[0]
        self.say(
            f"retry path: {len(retry) - self.counts['retry_path_not_failed']}"
            f"/{len(retry)} orders now 'Send failed', left to the retry job"
        )

    def concurrent_sends(self):
        """Every order, in chunks of 50 in id order; this worker clicks the chunks
        the other sends in bulk and the other way round."""
        for number, start in enumerate(range(0, len(self.ids), BULK_CHUNK)):
            chunk = self.to_send(self.ids[start : start + BULK_CHUNK])
            if not chunk:
                continue
            if (number + self.index) % 2:
                self.send_bulk(chunk)
            else:
                self.send_singles(chunk)
                self.say(f"singles: chunk {number + 1} done")

    # -- scheduled jobs ------------------------------------------------------------

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

    def retry_job(self):
        """The retry job, again while orders are due and it makes progress (it
        handles 50 per run and reports the rest as remaining)."""
        due = self.due_count()
        for _ in range(len(self.ids) // 50 + 5):
            if not due:
                return
            self.run_job(
                "retry_job",
                lambda: self.env["shipwire.purchase.order"]._cron_retry_failed_sends(),
            )
            now_due = self.due_count()
            if now_due >= due:
                return  # the rest is locked by another process, or failing
            due = now_due

    def sync_job(self):
        """The sync, again while it leaves a backlog. True when a run succeeded."""
        from odoo import fields

        succeeded = False
        for _ in range(5):
            # The account keeps when the last sync ran or failed, to the second:
            # start in a later second than both, so that they tell about this run
            # (or, in the concurrent run, about the other worker's at the same time).
            self.cr.rollback()
            backend = self.env["shipwire.backend"].search([], limit=1)
            stamps = [
                stamp
                for stamp in (backend.last_sync_date, backend.last_sync_error_date)
                if stamp
            ]
            while stamps and fields.Datetime.now() <= max(stamps):
                time.sleep(0.1)
            started = fields.Datetime.now()
            ran = self.run_job(
                "sync_job", lambda: self.env["shipwire.sync"]._cron_sync()
            )
            self.cr.rollback()
            backend = self.env["shipwire.backend"].search([], limit=1)
            failed_now = (
                backend.last_sync_error_date and backend.last_sync_error_date >= started
            )
            if ran and failed_now:
                self.counts["sync_shipwire_failures"] += 1
                self.last_sync_error = (backend.last_sync_error or "")[:160]
            succeeded = bool(
                ran
                and not failed_now
                and backend.last_sync_date
                and backend.last_sync_date >= started
            )
            if not (ran and backend.sync_resume_key):
                break
        return succeeded

    def sync_failure(self):
        text, self.last_sync_error = self.last_sync_error, ""
        return f"FAILED ({text})" if text else "FAILED"

    def ship_wave(self, wave):
        """The sandbox ships SHIP_SHARE of the open fulfillment orders."""
        # Accepted and waiting at the warehouse: nothing else moves them on.
        open_orders = read_sandbox(
            self.sandbox, lambda client: client.search_orders(status="unprocessed")
        )
        if open_orders is None:
            self.say(f"ship wave {wave}: could not list the open orders")
            return
        rng = random.Random(wave)
        chosen = rng.sample(open_orders, int(len(open_orders) * SHIP_SHARE))
        shipped = 0
        for fulfillment_order in chosen:
            try:
                self.sandbox.complete(fulfillment_order["id"])
                shipped += 1
            except Exception:  # noqa: BLE001 - e.g. 422: no longer open
                self.counts["ship_refused"] += 1
        self.counts["shipped_at_sandbox"] += shipped
        (self.workdir / f"ship-wave-{wave}").touch()
        self.say(f"ship wave {wave}: the sandbox shipped {shipped} fulfillment orders")

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
            synced = self.sync_job()
            current = self.signature()
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
                f"sync {sync}, {moved} orders moved, "
                + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
            )
            if (
                not not_counted
                and (not ship or all(map(self.wave_done, SHIP_ROUNDS)))
                and synced
                and not moved
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
    ids = json.loads(Path(options.ids_file).read_text())
    workdir = Path(options.workdir)
    driver = Driver(
        registry,
        SandboxControl(options.sandbox_url, SANDBOX_USER, SANDBOX_PASSWORD),
        ids,
        index=options.worker,
        workdir=workdir,
        workers=options.workers,
        resumed=options.resumed,
        announcing=True,
    )
    result = {"worker": options.worker, "resumed": options.resumed}
    try:
        started = time.perf_counter()
        if options.role == "single":
            driver.single_run_sends()
        else:
            driver.concurrent_sends()
        (workdir / f"sent-{options.worker}").touch()
        result["send_seconds"] = time.perf_counter() - started
        after_send = collections.Counter(
            value[0] or NOT_SENT for value in driver.signature().values()
        )
        result["after_send"] = dict(after_send)
        driver.say(
            f"sending done in {result['send_seconds']:.0f} s: "
            + ", ".join(f"{state} {n}" for state, n in sorted(after_send.items()))
        )
        started = time.perf_counter()
        result["converged"] = driver.jobs_loop(
            max_rounds=options.max_rounds, ship=options.worker == 0
        )
        result["jobs_seconds"] = time.perf_counter() - started
    except Exception:  # noqa: BLE001 - reported to the parent
        (workdir / f"sent-{options.worker}").touch()
        result["converged"] = False
        result["crash"] = traceback.format_exc()[-3000:]
    finally:
        result["counts"] = driver.totals()
        result["errors"] = driver.errors
        driver.close()
    report_result(result)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--role", choices=("single", "concurrent"), required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--ids-file", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS)
    parser.add_argument("--resumed", action="store_true")
    return worker_main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
