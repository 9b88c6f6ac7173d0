"""What an Odoo process of the soak does first: send orders as users do, through
the form's button and the sales order list's action, the way the web client
calls them, as a Shipwire User working in both companies."""

import collections
import contextlib
import json
import os
import random
import signal
import time
import traceback

from harness import SandboxControl, announce, log
from soak_sandbox import fail_everything, faults_mix
from soak_settings import BULK_CHUNK, SEND_ACTION, USER_ATTEMPTS

# The run's accounts, as the parent set them up and the workers read them.
Account = collections.namedtuple("Account", "sandbox prefix ids backend_id")


def run_accounts(setup, sandboxes=None):
    """``Account``s of the run's set-up (``setup["accounts"]``); their sandbox
    controls are ``sandboxes`` or new ones."""
    return [
        Account(
            sandboxes[number]
            if sandboxes
            else SandboxControl(account["url"], account["user"], account["password"]),
            account["prefix"],
            frozenset(account["ids"]),
            account["backend_id"],
        )
        for number, account in enumerate(setup["accounts"])
    ]


class BulkCrash(Exception):
    """The injected crash after Shipwire answered a bulk action."""


class Driver:
    """Sends orders like users do, in one Odoo process with one cursor: one
    transaction per click or bulk action.

    A worker process (``announcing``) tells the parent on stdout what it is doing:
    "send" (with the orders), a job's name or "idle", with its counts so far. A
    ``resumed`` one replaces a killed worker: it sends only what is still not
    sent, as users coming back after the crash would. ``crashes`` (``{n: "rollback"
    or "kill"}``) are injected at its n-th bulk action that went through, after
    Shipwire answered, unless a process it replaces did that crash already: the
    orders are then left to the jobs (their ids in a ``crash-*.json`` of the run's
    directory), nobody sends them again."""

    def __init__(
        self,
        registry,
        setup,
        sandboxes=None,
        index=0,
        workdir=None,
        workers=1,
        resumed=False,
        announcing=False,
        crashes=None,
    ):
        self.registry = registry
        self.setup = setup
        self.connect()
        self.accounts = run_accounts(setup, sandboxes)
        self.sandboxes = [account.sandbox for account in self.accounts]
        self.ids = list(setup["ids"])
        self.index = index
        self.workdir = workdir
        self.workers = workers
        self.resumed = resumed
        self.announcing = announcing
        self.crashes = dict(crashes or {})
        self.bulk_through = 0
        self.counts = collections.Counter()
        self.errors = []
        self.rng = random.Random(1000 + index + 100 * resumed)
        self.prefix = f"[w{index}{' resumed' if resumed else ''}]"

    def connect(self):
        import odoo

        self.cr = self.registry.cursor()
        self.env = odoo.api.Environment(self.cr, odoo.SUPERUSER_ID, {})
        # The clerk's session in the web client, both companies selected.
        self.user_env = odoo.api.Environment(
            self.cr,
            self.setup["clerk"],
            {"allowed_company_ids": self.setup["companies"]},
        )

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
        control = sum(sandbox.calls for sandbox in self.sandboxes)
        return {**self.counts, "control_requests": control}

    def _error(self, text):
        self.counts["errors"] += 1
        if len(self.errors) < 20:
            self.errors.append(text)
            self.say(f"ERROR {text}")

    # -- one user action ---------------------------------------------------------

    def click(self, ids, path):
        """Press Send to Shipwire on ``ids`` in one transaction. Returns "ok",
        "locked", "already", "refused", "db_conflict", "crashed" or "error"."""
        self.counts[f"{path}_actions"] += 1
        with self.doing("send", ids):
            outcome = self._send_in_one_transaction(ids, path)
        self.counts[f"{path}_{outcome}"] += 1
        return outcome

    def _press(self, ids, path):
        """A single order's button on its form, or the list's action on the
        selected orders, as the web client calls them."""
        if path == "single":
            return self.user_env["sale.order"].browse(ids).action_shipwire_send()
        action = self.user_env.ref(SEND_ACTION).with_context(
            active_model="sale.order", active_ids=ids, active_id=ids[0]
        )
        return action.run()

    def _send_in_one_transaction(self, ids, path):
        import psycopg2

        from odoo.exceptions import UserError

        try:
            answer = self._press(ids, path)
            self._count_notification(path, answer)
            if path == "bulk":
                self._crash_if_planned(ids)
            self.cr.commit()
            outcome = "ok"
        except BulkCrash:
            self.cr.rollback()
            outcome = "crashed"
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

    def _count_notification(self, path, answer):
        """The kind of notification the web client shows after the send."""
        if isinstance(answer, dict) and answer.get("tag") == "display_notification":
            self.counts[f"{path}_told_{answer['params'].get('type')}"] += 1

    def _crash_if_planned(self, ids):
        """The planned crash of this bulk action, once Shipwire has answered and
        before Odoo commits: its orders are recorded as left to the jobs."""
        self.bulk_through += 1
        kind = self.crashes.get(self.bulk_through)
        if not kind or self.workdir is None:
            return
        if any(self.workdir.glob(f"crash-{kind}-w{self.index}-*.json")):
            return  # done by a process this one replaces
        self.env.flush_all()
        self.cr.execute(
            "SELECT count(*) FROM shipwire_purchase_order "
            "WHERE sale_order_id IN %s AND shipwire_id IS NOT NULL",
            [tuple(ids)],
        )
        kept = self.cr.fetchone()[0]
        record = {"kind": kind, "worker": self.index, "ids": ids}
        name = f"crash-{kind}-w{self.index}-{self.bulk_through}.json"
        (self.workdir / name).write_text(json.dumps(record))
        self.say(
            f"CRASH ({kind}) in a bulk action of {len(ids)} orders after Shipwire "
            f"answered {kept} with a PO"
        )
        if kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise BulkCrash

    def abandoned(self):
        """Orders of crashed bulk actions, in this process or another: nobody
        sends them again."""
        if self.workdir is None:
            return set()
        return {
            order_id
            for path in self.workdir.glob("crash-*.json")
            for order_id in json.loads(path.read_text())["ids"]
        }

    def still_unsent(self, ids):
        """Refresh the page: which of ``ids`` are still not sent at all (but for
        those left to the jobs)."""
        self.cr.rollback()  # a new snapshot
        self.cr.execute(
            "SELECT id FROM sale_order WHERE id IN %s AND shipwire_state IS NULL "
            "ORDER BY id",
            [tuple(ids)],
        )
        abandoned = self.abandoned()
        return [row[0] for row in self.cr.fetchall() if row[0] not in abandoned]

    def user_send(self, ids, path):
        """A user sends ``ids``; refused or conflicting, they wait a moment, refresh
        and send again what is still not sent (the failed ones are the retry job's)."""
        pending = list(ids)
        for attempt in range(USER_ATTEMPTS):
            outcome = self.click(pending, path)
            if outcome in ("ok", "error", "refused", "crashed"):
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
            if order_id in self.abandoned():
                continue  # a crashed bulk action of the other worker held it
            self.user_send([order_id], "single")
            if number % 100 == 0:
                self.say(f"single clicks: {number}/{len(ids)}")

    def send_bulk(self, ids, path="bulk"):
        for start in range(0, len(ids), BULK_CHUNK):
            self.user_send(ids[start : start + BULK_CHUNK], path)
        self.say(f"{path}: {len(ids)} orders in {-(-len(ids) // BULK_CHUNK)} actions")

    def to_send(self, ids):
        """All of ``ids`` but those left to the jobs; after a crash, those still
        not sent."""
        if self.resumed:
            return self.still_unsent(ids)
        abandoned = self.abandoned()
        return [order_id for order_id in ids if order_id not in abandoned]

    # -- the paths of the two runs -----------------------------------------------

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

    def fired(self):
        return sum(
            (sandbox.fired() for sandbox in self.sandboxes), start=collections.Counter()
        )

    def send_retry_path(self, retry):
        """The retry job's share: their first send meets sandboxes failing
        everything."""
        fired_before = self.fired()
        for sandbox in self.sandboxes:
            fail_everything(sandbox)
        try:
            self.send_bulk(retry, "retry_first_send")
        finally:
            for sandbox in self.sandboxes:
                faults_mix(sandbox)
        forced = self.fired() - fired_before
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
