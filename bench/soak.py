"""Fault soak: confirmed orders sent through every path users have while the sandbox
fails 20% of the requests, then the scheduled jobs until nothing moves; afterwards
Odoo and the sandbox must agree on every order.

Installs the addon in a throwaway database, starts the sandbox as a separate process
on a free 127.0.0.1 port with a fault mix over all five kinds at rate 0.2 (latency
= a read timeout longer than the client's, timeout_commit = handled and committed
but answered too late, server_error = 500/503, reset = connection reset,
malformed = handled and committed but truncated JSON). Faults last FAULT_SECONDS,
longer than the account's read timeout READ_TIMEOUT. Then --orders confirmed orders
are sent:

- run "single": one Odoo worker process. A third of the orders are single clicks
  (one ``action_shipwire_send()`` and one transaction per order), a third goes
  through the bulk action (50 orders per action and transaction), and the last third
  is left to the retry job: their bulk send meets a sandbox failing every request
  (HTTP 507, which the client does not retry itself), so they end "Send failed",
  and the retry job sends them once the 20% mix is back.
- run "concurrent": two Odoo worker processes on the same database and sandbox both
  go through every order, in the same direction but with opposite single/bulk
  phases (chunks of 50), so that they collide; both then run the jobs at once.

A click the addon refuses (another send holds the order, or it is already at
Shipwire) or that hits a database conflict is rolled back and counted; like a user
following the message ("wait a moment, then refresh the page"), the worker waits,
refreshes and sends again what is still not sent (at most USER_ATTEMPTS times).

Then each worker runs "scheduled jobs" rounds with the faults still on: the retry
job (after moving every failed order's next retry to now: time travel; repeated
while orders are due, as the cron scheduler does for a job that reports remaining
work) and the sync (repeated while it reports a backlog), each committed. Midway (at
the start of rounds 2 and 3 of the first worker, which does not stop before) the
sandbox ships 15% of the open fulfillment orders, so the sync has real work and
final states include "shipped". A worker stops after a round in which the sync
succeeded, no order changed (state, PO id, PO status, fulfillment orders) and no
order is failed or unsent; rounds run while the other worker is still sending, or
while process faults are pending, do not count against the cap of MAX_ROUNDS. If a
run does not converge with faults on, the faults are turned off for final rounds,
and the report says so.

Process faults, in both runs, once each (see ``ProcessFaults``): the parent
SIGKILLs a worker in the middle of a send (the sandbox kept the PO, Odoo had not
committed: the sandbox holds its answers to PO creates, a timeout_commit fault, and
the worker is killed while it waits), then one in the middle of a sync batch, and
then ends a worker's PostgreSQL session in a sync batch (pg_terminate_backend; the
sessions are found in pg_stat_activity by application_name, "odoo-<pid>"). A killed
worker is replaced at once by a fresh process for its share, as a crashed Odoo worker
is: like the users coming back, it sends what is still not sent, then runs the jobs.
A worker whose connection was dropped rolls back and connects again.

The final check runs with faults off and reads every PO and fulfillment order (with
its holds) from the sandbox. Report: POs at the sandbox against orders sent
(missing, extra), duplicates (externalIds with more than one PO), orders left failed
or unsent, orders whose Odoo record disagrees with the sandbox (the expected state
is the soak's own rule over the sandbox's statuses and holds: ``expected_state``).
Each run ends with one line ``SOAK RESULT <json>``: orders, missing, extra,
duplicates, left_failed, disagreeing, requests (API requests the sandbox answered),
faulted, killed_workers, dropped_connections, kept_unlinked_at_kill,
process_faults_missed, linked_repeats (repeated sends answered "duplicate" and
linked), wall_seconds. Target: every loss figure 0 and every process fault done;
exits 1 otherwise. Skips (exit 0) without Odoo 18.

    python3 bench/soak.py [--orders 1000] [--runs single|concurrent|both]
                          [--max-rounds 30] [--keep-db]
"""

import argparse
import collections
import contextlib
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from fixture import confirmed_orders, create_fixture
from odoo_env import DB_HOST, DB_PORT, DB_USER, odoo18_missing, throwaway_database

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent

SANDBOX_USER = "soak"
SANDBOX_PASSWORD = "soak-password"
READ_TIMEOUT = 1.0  # the Shipwire account's read timeout, in seconds
FAULT_SECONDS = 1.5  # latency and timeout_commit faults: longer than READ_TIMEOUT
FAULT_RATE = 0.2  # share of API requests that get a fault
FAULT_KINDS = ("latency", "timeout_commit", "server_error", "reset", "malformed")
# The sandbox tries its rules one after the other, each with its own rate: five rules
# at 0.04 fault 1 - 0.96**5 = 18.5% of requests. This per-kind rate makes it 20%.
PER_KIND_RATE = 1 - (1 - FAULT_RATE) ** (1 / len(FAULT_KINDS))
# Every request fails while the retry path's orders are first sent: a 5xx outside
# urllib3's retry list, so each order fails at once instead of after three retries.
FORCED_FAILURE_STATUS = 507
BULK_CHUNK = 50
# A refused user waits 0.5, 1, 2, 4, 8 s (jittered) before refreshing and sending
# again what is still not sent: long enough for another user's bulk send to finish.
USER_ATTEMPTS = 6
MAX_ROUNDS = 30
FINAL_ROUNDS = 10
SHIP_SHARE = 0.15
SHIP_ROUNDS = (2, 3)
WORKER_TIMEOUT = 45 * 60
SEEDS = {"single": 1, "concurrent": 2}
NOT_SENT = "not sent"
# Process faults (see ProcessFaults). Once this share of the orders is sent, the
# sandbox keeps every PO create and then holds its answer HOLD_SECONDS, and a worker
# whose click has waited SEND_KILL_DELAY on Shipwire is killed: its POST went out
# well before, and the client's retries are held as well.
KILL_SEND_AT = 0.15
HOLD_SECONDS = 5.0
SEND_KILL_DELAY = 2.0
# A sync batch is caught once it has been storing this long, uncommitted.
BATCH_FAULT_DELAY = 0.2
PROCESS_FAULT_TIMEOUT = 15 * 60  # how long a process fault waits for its moment
# While this file is in the run's directory, the workers' rounds do not count.
FAULTS_PENDING = "process-faults-pending"
# What a worker process tells the parent on stdout, besides its log lines.
ACTIVITY = "ACTIVITY "
RESULT = "RESULT "


def log(message):
    print(message, flush=True)


# -- the sandbox process ---------------------------------------------------------------


class SandboxControl:
    """The /_sandbox control endpoints of a running sandbox (never faulted)."""

    def __init__(self, url):
        self.url = url
        self.calls = 0  # they count in the sandbox's request total

    def control(self, method, path, body=None):
        import requests

        self.calls += 1
        response = requests.request(
            method, f"{self.url}/_sandbox{path}", json=body, timeout=60
        )
        response.raise_for_status()
        return response.json().get("resource")

    def faults_off(self):
        self.control("DELETE", "/faults")

    def faults_mix(self):
        """The 20% mix, spread evenly over the five kinds (as --fault-rate does)."""
        self.faults_off()
        for kind in FAULT_KINDS:
            self.control("POST", "/faults", {"kind": kind, "rate": PER_KIND_RATE})

    def fail_everything(self):
        self.faults_off()
        self.control(
            "POST", "/faults", {"kind": "server_error", "status": FORCED_FAILURE_STATUS}
        )

    def stats(self):
        return self.control("GET", "/stats")

    def fired(self):
        return collections.Counter(self.stats().get("faultsFired") or {})

    def complete(self, order_id):
        self.control("POST", f"/orders/{order_id}/complete", {})

    def hold_po_creates(self):
        """Every PO create from now on is kept, then answered HOLD_SECONDS late (on
        top of the mix, until the mix is set again)."""
        self.control(
            "POST",
            "/faults",
            {
                "kind": "timeout_commit",
                "method": "POST",
                "path": "/purchaseOrders",
                "seconds": HOLD_SECONDS,
            },
        )


class SandboxProcess(SandboxControl):
    """``python3 -m shipwire_api sandbox`` in a child process on a free port."""

    def __init__(self, log_path, seed):
        super().__init__(None)
        self.log_path = log_path
        self.seed = seed
        self.process = None

    def start(self):
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "shipwire_api",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--user",
            SANDBOX_USER,
            "--password",
            SANDBOX_PASSWORD,
            "--fault-rate",  # spread evenly over the kinds
            f"{PER_KIND_RATE * len(FAULT_KINDS):.6f}",
            "--fault-seconds",
            str(FAULT_SECONDS),
            "--seed",
            str(self.seed),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        banner = self.process.stdout.readline()
        if not banner.startswith("Shipwire sandbox:"):
            self.stop()
            raise RuntimeError(f"the sandbox did not start (see {self.log_path})")
        self.url = banner.split()[-1].removesuffix("/api/v3")
        # Keep reading its stdout so that it can never block on a full pipe.
        threading.Thread(
            target=self.process.stdout.read, daemon=True, name="sandbox-stdout"
        ).start()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


def sandbox_client(url, read_timeout=60):
    from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireClient

    return ShipwireClient(
        SANDBOX_USER, SANDBOX_PASSWORD, url, read_timeout=read_timeout
    )


def read_sandbox(url, read, attempts=20):
    """``read(client)`` while the faults are on: the 20% mix hits this bench's own
    reads too, so it reads again. None when every attempt failed."""
    from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireError

    client = sandbox_client(url, read_timeout=5)
    try:
        for _attempt in range(attempts):
            try:
                return read(client)
            except ShipwireError:
                continue
        return None
    finally:
        client.close()


# -- set-up (parent) ---------------------------------------------------------------


def set_up(env, sandbox_url, count):
    """The benchmarks' fixture (account with read timeout READ_TIMEOUT) and ``count``
    confirmed orders, committed. Returns the orders' ids and the externalId
    prefix."""
    fixture = create_fixture(
        env, sandbox_url, SANDBOX_USER, SANDBOX_PASSWORD, read_timeout=READ_TIMEOUT
    )
    orders = confirmed_orders(env, fixture, count)
    missing_backend = env["sale.order"].search_count(
        [("id", "in", orders.ids), ("shipwire_backend_id", "!=", fixture.backend.id)]
    )
    if missing_backend:
        raise RuntimeError(f"{missing_backend} orders have no Shipwire account")
    return orders.ids, fixture.backend.external_id_prefix


def write_worker_config(workdir):
    """An Odoo config for the worker processes: the parent's paths and database."""
    from odoo.tools import config

    path = workdir / "worker.conf"
    lines = ["[options]"]
    for key in ("addons_path", "data_dir", "db_host", "db_port", "db_user"):
        if config.get(key):
            lines.append(f"{key} = {config[key]}")
    lines.append("list_db = False")
    path.write_text("\n".join(lines) + "\n")
    return path


# -- what an Odoo process does (workers, and the parent's fault-free final rounds) --


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
            said = {"activity": activity, "ids": list(ids), "counts": self.totals()}
            print(ACTIVITY + json.dumps(said), flush=True)

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
        self.sandbox.fail_everything()
        try:
            self.send_bulk(retry, "retry_first_send")
        finally:
            self.sandbox.faults_mix()
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
            self.sandbox.url, lambda client: client.search_orders(status="unprocessed")
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
        SandboxControl(options.sandbox_url),
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
    print(RESULT + json.dumps(result), flush=True)
    return 0


# -- the final check ---------------------------------------------------------------


# What the sandbox's statuses say about an order, written out here from the sandbox
# (shipwire_api/sandbox/store.py and settings.py), independently of the addon's mapper.
PO_STATUS_STATES = {
    "needsApproval": "needs_approval",
    "onHold": "held",
    "approved": "approved",
    "partiallyCompleted": "partially_shipped",
    "completed": "shipped",
    "canceled": "cancelled",
}
SHIPPED_STATUSES = ("completed", "delivered")
WAITING_STATUSES = ("unprocessed", "processed", "submitted")


def order_status(fulfillment_order):
    """A fulfillment order's status as the sandbox reads it, "canceled" spelled
    "cancelled" (list filters spell it one way, responses the other)."""
    status = (fulfillment_order.get("status") or "").lower()
    return "cancelled" if status == "canceled" else status


def active_holds(fulfillment_order):
    """The holds the sandbox lists for a fulfillment order read with expand=holds:
    only active ones."""
    holds = (fulfillment_order.get("holds") or {}).get("resource") or {}
    return holds.get("items") or []


def expected_state(purchase_order, fulfillment_orders):
    """The Shipwire state an order must show in Odoo, from what the sandbox holds:

    - no fulfillment orders (yet): the PO status says it (PO_STATUS_STATES);
    - every fulfillment order cancelled: cancelled;
    - of the others, every one shipped (completed or delivered): shipped;
      some of them: partially_shipped;
    - one of them held (status held, or an active hold), or the PO on hold: held;
    - all of them waiting or at the warehouse (unprocessed, processed, submitted):
      approved.

    None when the sandbox's statuses fit none of these: the order then disagrees.
    "not_delivered" (shipped, but Odoo's delivery not validated) is never expected:
    nothing in the soak stops Odoo's deliveries."""
    if not fulfillment_orders:
        return PO_STATUS_STATES.get(purchase_order.get("status"))
    live = [fo for fo in fulfillment_orders if order_status(fo) != "cancelled"]
    if not live:
        return "cancelled"
    shipped = [fo for fo in live if order_status(fo) in SHIPPED_STATUSES]
    if len(shipped) == len(live):
        return "shipped"
    if shipped:
        return "partially_shipped"
    if purchase_order.get("status") == "onHold" or any(
        order_status(fo) == "held" or active_holds(fo) for fo in live
    ):
        return "held"
    if all(order_status(fo) in WAITING_STATUSES for fo in live):
        return "approved"
    return None


def final_check(env, sandbox_url, ids, prefix):
    """Compare every order with the sandbox (faults off)."""
    client = sandbox_client(sandbox_url)
    try:
        purchase_orders = client.search_purchase_orders()
        fulfillment_orders = client.search_orders(expand="holds")
    finally:
        client.close()
    by_external_id = collections.defaultdict(list)
    for purchase_order in purchase_orders:
        by_external_id[purchase_order.get("externalId")].append(purchase_order)
    fos_by_po = collections.defaultdict(list)
    for fulfillment_order in fulfillment_orders:
        fos_by_po[fulfillment_order["purchaseOrderId"]].append(fulfillment_order)

    env.invalidate_all()
    orders = env["sale.order"].browse(ids)
    expected_ids = {f"{prefix}{order_id}" for order_id in ids}
    problems = collections.defaultdict(list)
    final_states = collections.Counter()
    for order in orders:
        state = order.shipwire_state or NOT_SENT
        final_states[state] += 1
        external_id = f"{prefix}{order.id}"
        if state in ("failed", NOT_SENT):
            problems["left"].append(f"{order.name} ({external_id}) is {state}")
        at_sandbox = by_external_id.get(external_id, [])
        if not at_sandbox:
            problems["missing"].append(f"{order.name} ({external_id}) has no PO")
            continue
        linked = next(
            (po for po in at_sandbox if str(po["id"]) == order.shipwire_po_id),
            at_sandbox[0],
        )
        remote_fos = fos_by_po.get(linked["id"], [])
        wanted = expected_state(linked, remote_fos)
        reasons = []
        if order.shipwire_state != wanted:
            delivery_problems = [
                problem
                for problem in order.shipwire_fulfillment_order_ids.mapped(
                    "delivery_problem"
                )
                if problem
            ]
            reasons.append(
                f"state {state}, sandbox says {wanted}"
                + "".join(f" (delivery: {problem})" for problem in delivery_problems)
            )
            problems["state"].append(order.id)
        if order.shipwire_po_id != str(linked["id"]):
            reasons.append(f"PO id {order.shipwire_po_id}, sandbox {linked['id']}")
            problems["po_id"].append(order.id)
        if order.shipwire_po_status != linked.get("status"):
            reasons.append(
                f"PO status {order.shipwire_po_status}, sandbox {linked.get('status')}"
            )
            problems["po_status"].append(order.id)
        if order.shipwire_external_id and order.shipwire_external_id != external_id:
            reasons.append(f"externalId {order.shipwire_external_id}")
            problems["external_id"].append(order.id)
        local = sorted(
            (fo.shipwire_id, fo.status) for fo in order.shipwire_fulfillment_order_ids
        )
        remote = sorted((str(fo["id"]), order_status(fo)) for fo in remote_fos)
        if local != remote:
            reasons.append(f"fulfillment orders {local}, sandbox {remote}")
            problems["fulfillment_orders"].append(order.id)
        if reasons:
            problems["disagreeing"].append(
                f"{order.name} ({external_id}): " + "; ".join(reasons)
            )
    extra = [
        f"PO {po['id']} ({external_id}) belongs to no order of this run"
        for external_id, pos in by_external_id.items()
        if external_id not in expected_ids
        for po in pos
    ]
    duplicates = [
        f"{external_id}: POs {', '.join(str(po['id']) for po in pos)}"
        for external_id, pos in by_external_id.items()
        if len(pos) > 1
    ]
    env.cr.execute(
        "SELECT count(*) FROM shipwire_message WHERE sale_order_id IN %s "
        "AND text LIKE %s",
        [tuple(ids), "Shipwire already had this PO%"],
    )
    recovered = env.cr.fetchone()[0]
    # Not part of the target: error messages still open on orders Shipwire holds.
    env.cr.execute(
        """
        SELECT CASE WHEN m.text LIKE 'Sync failed:%%' THEN 'Sync failed: ...'
                    ELSE left(m.text, 45) || '...' END,
               count(DISTINCT m.sale_order_id)
          FROM shipwire_message m JOIN sale_order so ON so.id = m.sale_order_id
         WHERE so.id IN %s AND m.severity = 'error' AND m.resolved IS NOT TRUE
           AND so.shipwire_state IN %s
         GROUP BY 1 ORDER BY 2 DESC
        """,
        [tuple(ids), ("approved", "partially_shipped", "shipped")],
    )
    open_errors = env.cr.fetchall()
    env.cr.execute(
        """
        SELECT a.summary, count(*) FROM mail_activity a
         WHERE a.res_model = 'sale.order' AND a.res_id IN %s
           AND a.summary LIKE 'Shipwire: %%'
         GROUP BY 1 ORDER BY 2 DESC
        """,
        [tuple(ids)],
    )
    open_activities = env.cr.fetchall()
    return {
        "purchase_orders": len(purchase_orders),
        "fulfillment_orders": len(fulfillment_orders),
        "missing": problems["missing"],
        "extra": extra,
        "duplicates": duplicates,
        "left": problems["left"],
        "disagreeing": problems["disagreeing"],
        "disagreeing_by_kind": {
            kind: len(problems[kind])
            for kind in (
                "state",
                "po_id",
                "po_status",
                "external_id",
                "fulfillment_orders",
            )
        },
        "final_states": final_states,
        "recovered": recovered,
        "open_errors": open_errors,
        "open_activities": open_activities,
    }


# -- one run (parent) ----------------------------------------------------------------


class WorkerProcess:
    """One Odoo worker process (``soak.py --worker``): relays its log lines and keeps
    what it last announced (activity, the orders it sends, its counts) and its
    RESULT."""

    def __init__(self, index, command, log_path):
        self.index = index
        with open(log_path, "a", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=log_path.parent,
            )
        # (activity, order ids, since when): replaced as a whole, read by the faults.
        self.activity = ("starting", [], time.monotonic())
        self.counts = {}
        self.result = None
        self.killed = False
        self.relay = threading.Thread(target=self._relay, daemon=True)
        self.relay.start()

    @property
    def application_name(self):
        """How Odoo names this process's database sessions (pg_stat_activity)."""
        return f"odoo-{self.process.pid}"

    def running(self):
        return self.process.poll() is None

    def _relay(self):
        for line in self.process.stdout:
            if line.startswith(RESULT):
                self.result = json.loads(line[len(RESULT) :])
            elif line.startswith(ACTIVITY):
                said = json.loads(line[len(ACTIVITY) :])
                self.activity = (said["activity"], said["ids"], time.monotonic())
                self.counts = said["counts"]
            else:
                log(line.rstrip())

    def kill(self):
        """SIGKILL: no cleanup, no rollback sent; the database sees the connection
        drop."""
        self.killed = True
        self.process.kill()
        self.process.wait()
        self.relay.join(10)

    def outcome(self):
        """Its RESULT; for a killed process, the counts it last announced."""
        if self.result is not None:
            return self.result
        outcome = {"worker": self.index, "converged": False, "counts": self.counts}
        if not self.killed:
            outcome["crash"] = f"worker {self.index} ended without a result"
        return {**outcome, "killed": self.killed}


class Workers:
    """The run's worker processes by index. A killed one is replaced by a fresh,
    resumed process for the same share of the work, as a crashed Odoo worker is."""

    def __init__(self, start_process):
        self.start_process = start_process  # (index, resumed) -> WorkerProcess
        self.current = {}
        self.killed = []
        self.lock = threading.Lock()

    def start(self, count):
        for index in range(count):
            self.current[index] = self.start_process(index, False)

    def alive(self):
        with self.lock:
            return [worker for worker in self.current.values() if worker.running()]

    def any_running(self):
        return bool(self.alive())

    def kill_and_replace(self, worker, before_restart=lambda: None):
        """SIGKILL ``worker``; ``before_restart()`` runs before its replacement
        starts. False when it had ended already."""
        with self.lock:
            if not worker.running():
                return False
            worker.kill()
            self.killed.append(worker)
            before_restart()
            self.current[worker.index] = self.start_process(worker.index, True)
            return True

    def stop(self):
        with self.lock:
            for worker in self.current.values():
                if worker.running():
                    worker.process.kill()
                    worker.process.wait()
                worker.relay.join(10)

    def outcomes(self):
        """Every process's outcome: the killed ones, then the last of each index."""
        return [worker.outcome() for worker in self.killed] + self.last_outcomes()

    def last_outcomes(self):
        return [self.current[index].outcome() for index in sorted(self.current)]


def worker_command(
    index, kind, workers, registry, sandbox, config, workdir, max_rounds, resumed
):
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(index),
        "--workers",
        str(workers),
        "--role",
        kind,
        "--db",
        registry.db_name,
        "--config",
        str(config),
        "--sandbox-url",
        sandbox.url,
        "--ids-file",
        str(workdir / "ids.json"),
        "--workdir",
        str(workdir),
        "--max-rounds",
        str(max_rounds),
    ] + (["--resumed"] if resumed else [])


def shorten(statement, length=90):
    """A SQL statement on one line, cut after ``length`` characters."""
    text = " ".join(statement.split())
    return text if len(text) <= length else text[: length - 3] + "..."


class Database:
    """The parent's own connection to the run's database (autocommit): how far the
    sending is, and the workers' sessions in pg_stat_activity, to end one."""

    # A sync whose transaction has written (the API calls it logged, or a batch) and
    # whose statement is on these tables is storing a batch; before, it reads
    # Shipwire, with no statement on them.
    BATCH_TABLES = re.compile(r"\bshipwire_(purchase|fulfillment)_order\b")

    def __init__(self, name):
        import psycopg2

        self.connection = psycopg2.connect(
            host=DB_HOST, port=DB_PORT, user=DB_USER, dbname=name
        )
        self.connection.autocommit = True

    def close(self):
        self.connection.close()

    def rows(self, query, params=()):
        with self.connection.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def sent_count(self, ids):
        """Orders with a committed PO record: sent, failed or not."""
        return self.rows(
            "SELECT count(*) FROM shipwire_purchase_order WHERE sale_order_id IN %s",
            [tuple(ids)],
        )[0][0]

    def linked_external_ids(self, ids):
        """externalIds of the orders whose Shipwire PO is linked in Odoo."""
        return {
            external_id
            for (external_id,) in self.rows(
                "SELECT external_id FROM shipwire_purchase_order "
                "WHERE sale_order_id IN %s AND shipwire_id IS NOT NULL",
                [tuple(ids) or (0,)],
            )
        }

    def session_storing_batch(self, worker):
        """(backend pid, transaction id) of ``worker``'s session when it is storing a
        sync batch, else None."""
        for pid, transaction, statement in self.rows(
            "SELECT pid, backend_xid::text, query FROM pg_stat_activity "
            "WHERE application_name = %s AND backend_xid IS NOT NULL",
            [worker.application_name],
        ):
            if self.BATCH_TABLES.search(statement or ""):
                return pid, transaction
        return None

    def statement_in_transaction(self, pid, transaction):
        """The session's current (or last) statement if it is still in that
        transaction, else None."""
        found = self.rows(
            "SELECT query FROM pg_stat_activity "
            "WHERE pid = %s AND backend_xid::text = %s",
            [pid, transaction],
        )
        return found[0][0] if found else None

    def wait_sessions_gone(self, worker, timeout=60):
        """After a kill: wait until the database ended the process's sessions (and
        rolled back their transactions)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.rows(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                [worker.application_name],
            ):
                return True
            time.sleep(0.1)
        return False

    def terminate(self, pid):
        return self.rows("SELECT pg_terminate_backend(%s)", [pid])[0][0]


class ProcessFaults(threading.Thread):
    """The run's process faults, once each and in this order, while the workers
    work (the 20% mix stays on):

    1. kill during a send: once KILL_SEND_AT of the orders are sent, the sandbox
       holds every PO create after keeping it; a worker whose click has waited
       SEND_KILL_DELAY on Shipwire gets SIGKILL. The sandbox has the PO, Odoo never
       committed it: the clicked orders in that state are counted (kept_unlinked).
    2. kill during a sync batch: after the first ship wave, a worker whose sync has
       been storing a batch for BATCH_FAULT_DELAY, uncommitted (per
       pg_stat_activity), gets SIGKILL.
    3. connection dropped during a sync batch: at the same moment of a later sync,
       the worker's PostgreSQL session is ended (pg_terminate_backend); the worker
       rolls back, connects again and goes on.

    A killed worker is replaced at once by a resumed process (see ``Workers``). A
    fault whose moment does not come within PROCESS_FAULT_TIMEOUT is reported as
    missed. While faults are pending, the workers' rounds do not count (the
    FAULTS_PENDING file), so the jobs keep running until the faults happened."""

    KILL_IN_SEND = "kill during a send"
    KILL_IN_SYNC = "kill during a sync batch"
    DROP_IN_SYNC = "connection dropped during a sync batch"

    def __init__(self, workers, database, sandbox, ids, prefix, workdir):
        super().__init__(daemon=True, name="process-faults")
        self.workers = workers
        self.database = database
        self.sandbox = sandbox
        self.ids = ids
        self.prefix = prefix
        self.workdir = workdir
        self.started = time.monotonic()
        self.events = []  # one dict per fault, done or missed
        self.stopping = threading.Event()
        (workdir / FAULTS_PENDING).touch()

    def run(self):
        try:
            self.kill_during_send()
            self.kill_during_sync_batch()
            self.drop_connection_during_sync()
        except Exception:  # noqa: BLE001 - reported as a missed fault
            self.events.append(
                {"fault": "process faults", "missed": traceback.format_exc()[-1500:]}
            )
        finally:
            (self.workdir / FAULTS_PENDING).unlink(missing_ok=True)

    def stop(self):
        self.stopping.set()
        if self.is_alive():
            self.join(60)
        (self.workdir / FAULTS_PENDING).unlink(missing_ok=True)

    def say(self, message):
        log(f"[faults] {message}")

    def wait_for(self, moment, interval, timeout=PROCESS_FAULT_TIMEOUT):
        """``moment()``'s first true value, or None when the workers ended, the run
        stops or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping.is_set():
            if not self.workers.any_running():
                return None
            found = moment()
            if found:
                return found
            time.sleep(interval)
        return None

    def record(self, fault, **facts):
        event = {
            "fault": fault,
            "after_seconds": round(time.monotonic() - self.started),
            **facts,
        }
        self.events.append(event)
        self.say(
            f"{fault}: "
            + ", ".join(f"{key} {value}" for key, value in facts.items() if value != [])
        )

    def missed(self, fault, reason):
        self.record(fault, missed=reason)

    # -- 1. SIGKILL in the middle of a send -----------------------------------------

    def kill_during_send(self):
        fault = self.KILL_IN_SEND
        enough = int(len(self.ids) * KILL_SEND_AT)
        if not self.wait_for(lambda: self.database.sent_count(self.ids) >= enough, 0.5):
            self.missed(fault, f"{KILL_SEND_AT:.0%} of the orders never sent")
            return
        self.sandbox.hold_po_creates()
        held_from = time.monotonic()
        try:
            victim = self.wait_for(
                lambda: self.click_waiting(held_from), 0.05, timeout=120
            )
            if victim is None:
                self.missed(fault, "no click waited on Shipwire")
                return
            _activity, clicked, _since = victim.activity
            checked = {}

            def check_kept_unlinked():
                self.database.wait_sessions_gone(victim)
                self.sandbox.faults_mix()  # the holds end with the kill
                checked.update(self.kept_unlinked(clicked))

            if self.workers.kill_and_replace(victim, check_kept_unlinked):
                self.record(
                    fault,
                    worker=victim.index,
                    process=victim.process.pid,
                    clicked_orders=len(clicked),
                    **checked,
                )
            else:
                self.missed(fault, "kill: the worker had ended")
        finally:
            self.sandbox.faults_mix()

    def click_waiting(self, held_from):
        """A worker in a click that began after the holds did and has waited
        SEND_KILL_DELAY since."""
        for worker in self.workers.alive():
            activity, _ids, since = worker.activity
            waited = time.monotonic() - since
            if activity == "send" and since >= held_from and waited >= SEND_KILL_DELAY:
                return worker
        return None

    def kept_unlinked(self, order_ids):
        """Of the killed click's orders, those the sandbox has a PO for and Odoo has
        not linked (read in this order, so that a later link cannot inflate it)."""
        external_ids = [f"{self.prefix}{order_id}" for order_id in order_ids]
        at_sandbox = read_sandbox(
            self.sandbox.url,
            lambda client: client.search_purchase_orders(external_ids=external_ids),
        )
        if at_sandbox is None:
            return {"kept_unlinked": None}
        kept = {po["externalId"] for po in at_sandbox}
        unlinked = kept - self.database.linked_external_ids(order_ids)
        return {"kept_unlinked": len(unlinked), "kept_unlinked_ids": sorted(unlinked)}

    # -- 2. and 3. in the middle of a sync batch ------------------------------------

    def kill_during_sync_batch(self):
        fault = self.KILL_IN_SYNC
        if not self.wait_for(
            lambda: (self.workdir / f"ship-wave-{SHIP_ROUNDS[0]}").exists(), 0.5
        ):
            self.missed(fault, "no ship wave")
            return
        found = self.wait_for(self.sync_batch_under_way, 0.02)
        if found is None:
            self.missed(fault, "no sync batch seen")
            return
        victim, _backend, statement = found
        if self.workers.kill_and_replace(
            victim, lambda: self.database.wait_sessions_gone(victim)
        ):
            self.record(
                fault,
                worker=victim.index,
                process=victim.process.pid,
                statement=shorten(statement),
            )
        else:
            self.missed(fault, "kill: the worker had ended")

    def drop_connection_during_sync(self):
        fault = self.DROP_IN_SYNC
        found = self.wait_for(self.sync_batch_under_way, 0.02)
        if found is None:
            self.missed(fault, "no sync batch seen")
            return
        worker, backend, statement = found
        if self.database.terminate(backend):
            self.record(
                fault,
                worker=worker.index,
                backend=backend,
                statement=shorten(statement),
            )
        else:
            self.missed(fault, "pg_terminate_backend ended nothing")

    def sync_batch_under_way(self):
        """(worker, backend pid, statement) of a worker whose sync has been storing a
        batch for BATCH_FAULT_DELAY without committing it, else None."""
        for worker in self.workers.alive():
            if worker.activity[0] != "sync_job":
                continue
            session = self.database.session_storing_batch(worker)
            if session:
                time.sleep(BATCH_FAULT_DELAY)
                statement = self.database.statement_in_transaction(*session)
                if statement is not None:
                    return worker, session[0], statement
        return None

    def summary(self):
        done = [event for event in self.events if "missed" not in event]
        return {
            "killed_workers": len(self.workers.killed),
            "dropped_connections": sum(
                1 for event in done if event["fault"] == self.DROP_IN_SYNC
            ),
            "kept_unlinked_at_kill": sum(
                event.get("kept_unlinked") or 0 for event in done
            ),
            "process_faults_missed": [
                event["fault"] for event in self.events if "missed" in event
            ],
        }


def log_summary(path):
    """Counts of ERROR and WARNING lines in a worker's Odoo log, and a few of them."""
    if not path.exists():
        return 0, 0, []
    errors = warnings = 0
    samples = []
    for line in path.read_text(errors="replace").splitlines():
        if " ERROR " in line:
            errors += 1
            if len(samples) < 3:
                samples.append(line[:300])
        elif " WARNING " in line:
            warnings += 1
    return errors, warnings, samples


def run(kind, options):
    import odoo

    started = time.perf_counter()
    worker_count = 1 if kind == "single" else 2
    workdir = Path(tempfile.mkdtemp(prefix=f"shipwire_soak_{kind}_"))
    sandbox = SandboxProcess(workdir / "sandbox.log", SEEDS[kind]).start()
    log(
        f"== run {kind}: {options.orders} orders, {worker_count} Odoo worker "
        f"process{'es' if worker_count > 1 else ''}, sandbox {sandbox.url} "
        f"(faults {FAULT_RATE:.0%} over {', '.join(FAULT_KINDS)}; "
        f"{FAULT_SECONDS} s against a {READ_TIMEOUT} s read timeout) =="
    )
    try:
        with throwaway_database(
            prefix="shipwire_soak", keep=options.keep_db
        ) as registry:
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                ids, prefix = set_up(env, sandbox.url, options.orders)
            setup_seconds = time.perf_counter() - started
            log(f"set-up: {len(ids)} confirmed orders in {setup_seconds:.0f} s")
            fired_at_start = sandbox.fired()
            (workdir / "ids.json").write_text(json.dumps(ids))
            config = write_worker_config(workdir)
            database = Database(registry.db_name)
            sending_started = time.perf_counter()
            workers = Workers(
                lambda index, resumed: WorkerProcess(
                    index,
                    worker_command(
                        index,
                        kind,
                        worker_count,
                        registry,
                        sandbox,
                        config,
                        workdir,
                        options.max_rounds,
                        resumed,
                    ),
                    workdir / f"worker-{index}.log",
                )
            )
            process_faults = ProcessFaults(
                workers, database, sandbox, ids, prefix, workdir
            )
            try:
                workers.start(worker_count)
                process_faults.start()
                deadline = sending_started + WORKER_TIMEOUT
                while workers.any_running() and time.perf_counter() < deadline:
                    time.sleep(0.5)
            finally:
                process_faults.stop()
                workers.stop()
                database.close()
            results = workers.outcomes()
            workers_seconds = time.perf_counter() - sending_started
            converged_with_faults = all(
                result.get("converged") for result in workers.last_outcomes()
            )

            final_rounds = None
            if not converged_with_faults:
                log("not converged with faults on: faults off for final rounds")
                sandbox.faults_off()
                driver = Driver(registry, sandbox, ids, index=9)
                driver.prefix = "[final]"
                try:
                    converged = driver.jobs_loop(max_rounds=FINAL_ROUNDS)
                    final_rounds = (driver.counts["rounds"], converged, driver.counts)
                finally:
                    driver.close()

            fired = sandbox.fired() - fired_at_start
            sandbox.faults_off()
            stats = sandbox.stats()
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                check = final_check(env, sandbox.url, ids, prefix)
            wall = time.perf_counter() - started
            return report(
                kind,
                options,
                check,
                results,
                fired,
                stats,
                sandbox.calls,
                converged_with_faults,
                final_rounds,
                {
                    "wall": wall,
                    "setup": setup_seconds,
                    "workers": workers_seconds,
                },
                workdir,
                process_faults,
            )
    finally:
        sandbox.stop()
        if options.keep_db:
            log(f"kept logs in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def report(
    kind,
    options,
    check,
    results,
    fired,
    stats,
    sandbox_calls,
    converged,
    final_rounds,
    times,
    workdir,
    process_faults,
):
    counts = collections.Counter()
    for result in results:
        counts.update(result.get("counts") or {})
    if final_rounds:  # the jobs of the fault-free final rounds count too
        counts.update({k: v for k, v in final_rounds[2].items() if "job" in k})
    forced = counts["forced_server_errors"]
    mix = fired.copy()
    mix["server_error"] -= forced
    mix_total = sum(mix.values())
    sent = options.orders
    missing, extra = len(check["missing"]), len(check["extra"])
    duplicates, left = len(check["duplicates"]), len(check["left"])
    disagreeing = len(check["disagreeing"])
    crashes = [r["crash"] for r in results if r.get("crash")]
    faults_done = process_faults.summary()
    met = (
        missing + extra == 0
        and duplicates == 0
        and left == 0
        and disagreeing == 0
        and not crashes
        and not faults_done["process_faults_missed"]
    )
    if kind == "single":
        paths = (
            f"single clicks {counts['path_single']}, bulk {counts['path_bulk']} "
            f"(chunks of {BULK_CHUNK}), retry job {counts['path_retry']} "
            f"(first send forced to fail: {forced} HTTP {FORCED_FAILURE_STATUS}; "
            f"{counts['retry_path_not_failed']} did not end failed)"
        )
    else:
        paths = (
            "each of 2 workers sends all: "
            f"{counts['single_actions']} single clicks, {counts['bulk_actions']} "
            "bulk actions in all"
        )
    rounds = ", ".join(
        f"w{r.get('worker', '?')}{' resumed' if r.get('resumed') else ''} "
        f"{r.get('counts', {}).get('rounds', 0)}"
        + (
            f" (+{r['counts']['uncounted_rounds']} not counted)"
            if r.get("counts", {}).get("uncounted_rounds")
            else ""
        )
        + (" killed" if r.get("killed") else "")
        for r in results
    )
    if converged:
        convergence = "converged with faults on"
    elif final_rounds:
        convergence = (
            f"NOT converged with faults on; faults off for final rounds: "
            f"{final_rounds[0]} more, {'converged' if final_rounds[1] else 'still not'}"
        )
    else:
        convergence = "NOT converged"
    outcomes = ", ".join(
        f"{name} {counts[name]}"
        for name in sorted(counts)
        if name.startswith(("single_", "bulk_", "retry_first_send_"))
        and not name.endswith("_actions")
    )
    jobs = ", ".join(
        f"{name} {counts[name]}"
        for name in (
            "retry_job_runs",
            "retry_job_db_conflicts",
            "sync_job_runs",
            "sync_shipwire_failures",
            "sync_job_db_conflicts",
            "sync_job_connections_lost",
            "time_travel_conflicts",
        )
    )
    pg_codes = ", ".join(
        f"{name[3:]} {counts[name]}"
        for name in sorted(counts)
        if name.startswith("pg_")
    )
    log("")
    log(f"---- report: run {kind} ----")
    log(f"orders sent              : {sent} ({paths})")
    log(f"send outcomes            : {outcomes or '-'}")
    for result in results:
        if not result.get("after_send"):
            continue
        resumed = " (resumed)" if result.get("resumed") else ""
        log(
            f"after w{result.get('worker')}{resumed}'s sending: "
            + ", ".join(
                f"{state} {n}"
                for state, n in sorted((result.get("after_send") or {}).items())
            )
            + f" ({result.get('send_seconds', 0):.0f} s)"
        )
    log(
        f"POs at sandbox           : {check['purchase_orders']} for {sent} orders "
        f"(missing {missing}, extra {extra}); "
        f"{check['fulfillment_orders']} fulfillment orders"
    )
    log(f"duplicates               : {duplicates}")
    log(f"left failed/unknown      : {left}")
    log(
        f"disagreeing with sandbox : {disagreeing} ("
        + ", ".join(f"{k} {v}" for k, v in check["disagreeing_by_kind"].items())
        + ")"
    )
    log(
        "final Odoo states        : "
        + ", ".join(f"{s} {n}" for s, n in sorted(check["final_states"].items()))
    )
    for event in process_faults.events:
        log(
            f"process fault            : {event['fault']} "
            + ", ".join(
                f"{key} {value}"
                for key, value in event.items()
                if key != "fault" and value != []
            )
        )
    log(f"rounds                   : {rounds}; {convergence}")
    log(f"jobs                     : {jobs}")
    log(f"db conflicts (pgcode)    : {pg_codes or 'none'}")
    log(
        f"shipped at sandbox       : {counts['shipped_at_sandbox']} fulfillment "
        f"orders (waves at rounds {', '.join(map(str, SHIP_ROUNDS))})"
    )
    log(f"repeated sends linked    : {check['recovered']} (duplicate answer: linked)")
    log(
        "open error messages      : "
        + (
            "; ".join(f"{n} orders: {text!r}" for text, n in check["open_errors"])
            or "none"
        )
        + " (on approved/shipped orders; not part of the target)"
    )
    log(
        "open Shipwire activities : "
        + (
            "; ".join(f"{n} {summary!r}" for summary, n in check["open_activities"])
            or "none"
        )
        + " (not part of the target)"
    )
    log(
        f"wall time                : {times['wall']:.0f} s "
        f"(set-up {times['setup']:.0f} s, workers {times['workers']:.0f} s)"
    )
    # API requests: all requests but the bench's control calls. Under the mix: but
    # the forced failures too (each of which fired a fault).
    api_requests = (stats.get("requests") or 0) - counts["control_requests"]
    api_requests -= sandbox_calls
    mix_requests = api_requests - forced
    log(
        f"faults fired (20% mix)   : {mix_total} of {mix_requests} API requests "
        f"({mix_total / max(mix_requests, 1):.1%}): "
        + ", ".join(f"{k} {mix[k]}" for k in FAULT_KINDS)
        + " (timeout_commit includes the creates held for the kill)"
    )
    for index in sorted({result.get("worker") for result in results}):
        errors, warnings, samples = log_summary(workdir / f"worker-{index}.log")
        refused = sum(
            result.get("counts", {}).get("errors", 0)
            for result in results
            if result.get("worker") == index
        )
        log(
            f"worker {index} log          : {errors} ERROR, {warnings} WARNING "
            f"lines; {refused} crashed or refused actions"
        )
        for sample in samples:
            log(f"    {sample}")
    sandbox_log = (workdir / "sandbox.log").read_text(errors="replace").splitlines()
    log(f"sandbox log              : {len(sandbox_log)} lines")
    for line in sandbox_log[:5]:
        log(f"    {line[:300]}")
    for crash in crashes:
        log(f"worker crashed:\n{crash}")
    for name in ("missing", "extra", "duplicates", "left", "disagreeing"):
        for line in check[name][:10]:
            log(f"  {name}: {line}")
        if len(check[name]) > 10:
            log(f"  {name}: ... {len(check[name]) - 10} more")
    log(f"target 0,0,0,0           : {'met' if met else 'missed'}")
    summary = {
        "run": kind,
        "orders": sent,
        "missing": missing,
        "extra": extra,
        "duplicates": duplicates,
        "left_failed": left,
        "disagreeing": disagreeing,
        "requests": api_requests,
        "faulted": sum(fired.values()),
        **faults_done,
        "linked_repeats": check["recovered"],
        "converged_with_faults": converged,
        "wall_seconds": round(times["wall"]),
        "met": met,
    }
    log("SOAK RESULT " + json.dumps(summary))
    return 0 if met else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument(
        "--runs", choices=("single", "concurrent", "both"), default="both"
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the databases and logs"
    )
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=MAX_ROUNDS,
        help="cap of scheduled jobs rounds with faults on (default %(default)s)",
    )
    # Internal: one Odoo worker process of a run.
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-url", help=argparse.SUPPRESS)
    parser.add_argument("--ids-file", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--resumed", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker is not None:
        return worker_main(options)
    if options.orders < 6:
        parser.error("--orders must be at least 6")

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    if options.runs != "both":
        return run(options.runs, options)
    # Each run in its own process: its own Odoo configuration and registry.
    codes = []
    for kind in ("single", "concurrent"):
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--orders",
            str(options.orders),
            "--runs",
            kind,
            "--max-rounds",
            str(options.max_rounds),
        ] + (["--keep-db"] if options.keep_db else [])
        codes.append(subprocess.run(command, check=False).returncode)
    log(
        "both runs: "
        + ", ".join(
            f"{kind} {'met' if code == 0 else 'missed'}"
            for kind, code in zip(("single", "concurrent"), codes, strict=True)
        )
    )
    return 0 if not any(codes) else 1


if __name__ == "__main__":
    sys.exit(main())
