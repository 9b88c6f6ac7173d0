"""The soak's process faults: a worker killed in a send and in a sync batch, a
sync's database connection ended, seen through the parent's own connection to
the run's database; and the crashes the workers inject in the bulk action."""

import json
import re
import threading
import time
import traceback

from harness import DB_HOST, DB_PORT, DB_USER, log
from soak_sandbox import faults_mix, hold_po_creates, read_sandbox
from soak_settings import (
    BATCH_FAULT_DELAY,
    FAULTS_PENDING,
    KILL_SEND_AT,
    PROCESS_FAULT_TIMEOUT,
    SEND_KILL_DELAY,
    SHIP_ROUNDS,
)


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

    The crashes in the bulk action are the workers' own (``soak_driver``): a
    worker that killed itself is replaced here, and the crashes of the plan that
    did not happen are reported as missed.

    A killed worker is replaced at once by a resumed process (see ``Workers``). A
    fault whose moment does not come within PROCESS_FAULT_TIMEOUT is reported as
    missed. While faults are pending, the workers' rounds do not count (the
    FAULTS_PENDING file), so the jobs keep running until the faults happened."""

    KILL_IN_SEND = "kill during a send"
    KILL_IN_SYNC = "kill during a sync batch"
    DROP_IN_SYNC = "connection dropped during a sync batch"

    def __init__(self, workers, database, accounts, ids, workdir, crash_plan):
        super().__init__(daemon=True, name="process-faults")
        self.crash_plan = crash_plan  # soak_settings.BULK_CRASHES of the run
        self.workers = workers
        self.database = database
        self.accounts = accounts  # soak_driver.Account
        self.ids = ids
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
        self.on_every_sandbox(hold_po_creates)
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
                self.on_every_sandbox(faults_mix)  # the holds end with the kill
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
            self.on_every_sandbox(faults_mix)

    def click_waiting(self, held_from):
        """A worker in a click that began after the holds did and has waited
        SEND_KILL_DELAY since."""
        for worker in self.workers.alive():
            activity, _ids, since = worker.activity
            waited = time.monotonic() - since
            if activity == "send" and since >= held_from and waited >= SEND_KILL_DELAY:
                return worker
        return None

    def on_every_sandbox(self, change):
        for account in self.accounts:
            change(account.sandbox)

    def kept_unlinked(self, order_ids):
        """Of the killed click's orders, those a sandbox has a PO for and Odoo has
        not linked (read in this order, so that a later link cannot inflate it)."""
        kept = set()
        for account in self.accounts:
            external_ids = [
                f"{account.prefix}{order_id}"
                for order_id in order_ids
                if order_id in account.ids
            ]
            if not external_ids:
                continue
            at_sandbox = read_sandbox(
                account.sandbox,
                lambda client, wanted=external_ids: client.search_purchase_orders(
                    external_ids=wanted
                ),
            )
            if at_sandbox is None:
                return {"kept_unlinked": None}
            kept |= {po["externalId"] for po in at_sandbox}
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

    # -- crashes in the bulk action (injected by the workers themselves) ------------

    def replace_crashed(self):
        """Replace a worker that killed itself in a bulk action, once the database
        has ended its sessions."""
        for worker in self.workers.replace_crashed(self.database.wait_sessions_gone):
            self.say(f"worker {worker.index} (process {worker.process.pid}) crashed")

    def crashes(self):
        """The records of the bulk actions that crashed after Shipwire answered."""
        return [
            json.loads(path.read_text())
            for path in sorted(self.workdir.glob("crash-*.json"))
        ]

    def missed_crashes(self):
        done = {(crash["worker"], crash["kind"]) for crash in self.crashes()}
        return [
            f"bulk action crash ({kind}) of w{worker}"
            for worker, planned in self.crash_plan.items()
            for kind in planned.values()
            if (worker, kind) not in done
        ]

    def summary(self):
        done = [event for event in self.events if "missed" not in event]
        crashes = self.crashes()
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
            ]
            + self.missed_crashes(),
            "bulk_crashes": [crash["kind"] for crash in crashes],
        }
