"""What every benchmark runs on: a throwaway Odoo 18 database with this addon, the
sandbox in a process of its own, Odoo's HTTP server, and Odoo worker processes
that report back to the benchmark.

    reason = odoo18_missing()          # None when Odoo 18 can be imported
    with throwaway_database() as registry, SandboxProcess(user="u") as sandbox:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})

The database lives on $PGHOST:$PGPORT (default 127.0.0.1:5432) as $PGUSER (default
root, trust auth); it is dropped on exit, also on error, unless ``keep`` is true.
Every server listens on 127.0.0.1 only.
"""

import collections
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ADDON = "sale_stock_shipwire"
REPOSITORY = Path(__file__).resolve().parents[1]
DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("PGUSER", "root")
LOOPBACK = "127.0.0.1"
SERVER_START_TIMEOUT = 120
# What a worker process tells the benchmark on stdout, besides its log lines.
ACTIVITY = "ACTIVITY "
RESULT = "RESULT "


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


# -- the throwaway database ------------------------------------------------------------


def odoo18_missing():
    """Why Odoo 18 cannot be used here, or None."""
    try:
        release = importlib.import_module("odoo.release")
    except ImportError as error:
        return f"python3 cannot import odoo ({error})"
    if release.version_info[0] != 18:
        return f"odoo is version {release.version}, not 18"
    return None


def _write_install_config(work):
    import odoo

    addons = work / "addons"
    addons.mkdir()
    # Odoo names an addon after its folder, whatever this checkout is called.
    (addons / ADDON).symlink_to(REPOSITORY)
    odoo_addons = Path(odoo.__path__[0]).parent / "addons"
    config = work / "odoo.conf"
    config.write_text(
        "[options]\n"
        f"addons_path = {addons},{odoo_addons}\n"
        f"data_dir = {work / 'data'}\n"
        f"db_host = {DB_HOST}\n"
        f"db_port = {DB_PORT}\n"
        f"db_user = {DB_USER}\n"
        "list_db = False\n"
    )
    return config


def _drop(database):
    import psycopg2
    from psycopg2 import sql

    import odoo

    odoo.modules.registry.Registry.delete(database)
    odoo.sql_db.close_all()
    connection = psycopg2.connect(
        host=DB_HOST, port=DB_PORT, user=DB_USER, dbname="postgres"
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database))
            )
    finally:
        connection.close()


@contextlib.contextmanager
def throwaway_database(prefix="shipwire_bench", keep=False, log=log):
    """Yield the registry of a new database holding the addon (no demo data)."""
    import odoo

    database = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as work:
        config = _write_install_config(Path(work))
        try:
            log(f"installing {ADDON} into the throwaway database {database} ...")
            # Odoo creates the database itself, the same way tools/test.sh does.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "odoo",
                    "-c",
                    str(config),
                    "-d",
                    database,
                    "-i",
                    ADDON,
                    "--stop-after-init",
                    "--without-demo=all",
                    "--log-level=warn",
                ],
                check=True,
                cwd=work,
            )
            odoo.tools.config.parse_config(
                ["-c", str(config), "-d", database, "--log-level=warn"]
            )
            yield odoo.modules.registry.Registry(database)
        finally:
            if keep:
                log(f"kept database {database}")
            else:
                _drop(database)


def write_config(workdir):
    """An Odoo config for child processes: this process's paths and database."""
    from odoo.tools import config

    path = workdir / "odoo-child.conf"
    lines = ["[options]"]
    for key in ("addons_path", "data_dir", "db_host", "db_port", "db_user"):
        if config.get(key):
            lines.append(f"{key} = {config[key]}")
    lines.append("list_db = False")
    path.write_text("\n".join(lines) + "\n")
    return path


def _stop_process(process, sig=signal.SIGTERM, timeout=10):
    if process and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the sandbox -------------------------------------------------------------------


class SandboxControl:
    """A running sandbox, driven through its /_sandbox endpoints (never faulted,
    no credentials) and read through its API with the account's credentials.

    The sandbox counts every request it answers, control requests too;
    ``request_count()`` leaves out the control requests made through this
    object, so that it counts what others asked."""

    def __init__(self, url, username="sandbox", password="sandbox"):
        self.url = url
        self.username = username
        self.password = password
        self.calls = 0  # control requests made through this object

    def control(self, method, path, body=None):
        import requests

        self.calls += 1
        response = requests.request(
            method, f"{self.url}/_sandbox{path}", json=body, timeout=120
        )
        response.raise_for_status()
        return response.json().get("resource")

    def stats(self):
        return self.control("GET", "/stats")

    def request_count(self):
        """Requests answered so far, but for this object's control requests."""
        return self.stats()["requests"] - self.calls

    def fired(self):
        return collections.Counter(self.stats().get("faultsFired") or {})

    def update_settings(self, **values):
        self.control("PATCH", "/settings", values)

    def set_latency(self, seconds):
        self.update_settings(latency=seconds)

    def faults_off(self):
        self.control("DELETE", "/faults")

    def add_fault(self, kind, **rule):
        self.control("POST", "/faults", {"kind": kind, **rule})

    def order_action(self, order_id, action, body=None):
        """process, submit, complete, deliver, cancel or hold a fulfillment order."""
        return self.control("POST", f"/orders/{order_id}/{action}", body or {})

    def complete(self, order_id, trackings=None):
        body = {"trackings": trackings} if trackings else {}
        return self.order_action(order_id, "complete", body)

    def receive(self, sku, code, quantity):
        self.control(
            "POST",
            "/stock/receive",
            {"sku": sku, "warehouse": code, "quantity": quantity},
        )

    def quantities(self):
        """``{sku: {warehouse code: units in good condition}}`` as it stands."""
        return self.control("GET", "/catalogue")["stock"]

    def client(self, read_timeout=60):
        """The addon's Shipwire client on this sandbox's API (needs Odoo)."""
        from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireClient

        return ShipwireClient(
            self.username, self.password, self.url, read_timeout=read_timeout
        )

    def read(self, read):
        """``read(client)`` with a client that is closed afterwards."""
        client = self.client()
        try:
            return read(client)
        finally:
            client.close()

    def purchase_orders(self):
        return self.read(lambda client: client.search_purchase_orders())

    def orders(self, **filters):
        return self.read(lambda client: client.search_orders(**filters))


class SandboxProcess(SandboxControl):
    """``python3 -m shipwire_api sandbox`` in a child process on a free port of
    127.0.0.1, so that its work neither holds the interpreter lock of the measured
    process nor counts in its memory.

    ``catalogue`` (warehouses and stock, see ``shipwire_api/sandbox/catalogue.py``)
    replaces the demo catalogue; ``fault_rate`` spreads random faults evenly over
    every kind. Its stderr goes to ``log_path``, or to this process's stderr."""

    def __init__(
        self,
        user="sandbox",
        password="sandbox",
        *,
        catalogue=None,
        fault_rate=0.0,
        fault_seconds=None,
        seed=None,
        log_path=None,
    ):
        super().__init__(None, user, password)
        self.catalogue = catalogue
        self.options = []
        if fault_rate:
            self.options += ["--fault-rate", f"{fault_rate:.6f}"]
        if fault_seconds is not None:
            self.options += ["--fault-seconds", str(fault_seconds)]
        if seed is not None:
            self.options += ["--seed", str(seed)]
        self.log_path = log_path
        self.process = None
        self._files = contextlib.ExitStack()

    def start(self):
        options = list(self.options)
        if self.catalogue is not None:
            path = self._files.enter_context(
                tempfile.NamedTemporaryFile("w", suffix=".json", prefix="catalogue_")
            )
            json.dump(self.catalogue, path)
            path.flush()
            options += ["--catalogue", path.name]
        stderr = None
        if self.log_path:
            stderr = self._files.enter_context(
                open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
            )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shipwire_api",
                "sandbox",
                "--host",
                LOOPBACK,
                "--port",
                "0",
                "--user",
                self.username,
                "--password",
                self.password,
                *options,
            ],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        banner = self.process.stdout.readline()
        if not banner.startswith("Shipwire sandbox:"):
            self.stop()
            raise RuntimeError(
                f"the sandbox did not start (see {self.log_path or 'stderr'})"
            )
        self.url = banner.split()[-1].removesuffix("/api/v3")
        # Keep reading its stdout so that it can never block on a full pipe.
        threading.Thread(
            target=self.process.stdout.read, daemon=True, name="sandbox-stdout"
        ).start()
        return self

    def stop(self):
        _stop_process(self.process)
        self._files.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


# -- Odoo's HTTP server ------------------------------------------------------------


class OdooServer:
    """``python3 -m odoo`` serving ``database`` on a free port of 127.0.0.1 with
    ``workers`` HTTP workers and no cron thread, so that no scheduled job runs
    unless the benchmark runs it. ``request_log`` logs each request with its
    query count, query time and the rest of its time in the worker, and the
    serialization failures Odoo retries."""

    def __init__(self, workdir, database, workers, request_log=False):
        self.workdir = workdir
        self.database = database
        self.workers = workers
        self.request_log = request_log
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = workdir / "odoo-server.log"
        self.process = None

    def start(self):
        config = write_config(self.workdir)
        command = [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            str(config),
            "-d",
            self.database,
            f"--db-filter=^{self.database}$",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            f"--http-interface={LOOPBACK}",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
            "--log-level=warn",
            f"--logfile={self.log_path}",
        ]
        if self.request_log:
            command += [
                "--log-handler=odoo.service.model:INFO",
                "--log-handler=werkzeug:INFO",
            ]
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, url):
        """Until ``url`` answers HEAD with 200 (the server and a worker are up)."""
        import requests

        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo's server stopped: see {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                if requests.head(url, timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"Odoo's server did not answer: see {self.log_path}")

    def stop(self):
        _stop_process(self.process, signal.SIGINT, timeout=30)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# -- Odoo worker processes ---------------------------------------------------------


def announce(activity, ids=(), counts=None):
    """In a worker process: tell the benchmark what it is doing now."""
    said = {"activity": activity, "ids": list(ids), "counts": counts or {}}
    print(ACTIVITY + json.dumps(said), flush=True)


def report_result(result):
    """In a worker process: its last word to the benchmark."""
    print(RESULT + json.dumps(result), flush=True)


class WorkerProcess:
    """One Odoo worker process the benchmark started: relays its log lines and
    keeps what it last announced (activity, the orders it works on, its counts)
    and its result."""

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

    def crashed(self):
        """Ended by a SIGKILL the benchmark did not send: its own."""
        return not self.killed and self.process.poll() == -signal.SIGKILL

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
        """Its result; for a killed process, the counts it last announced."""
        if self.result is not None:
            return self.result
        killed = self.killed or self.crashed()
        outcome = {"worker": self.index, "converged": False, "counts": self.counts}
        if not killed:
            outcome["crash"] = f"worker {self.index} ended without a result"
        return {**outcome, "killed": killed}


class Workers:
    """The worker processes by index. A killed one, or one that killed itself, is
    replaced by a fresh, resumed process for the same share of the work, as
    Odoo's server replaces a worker that died."""

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
        """Whether a worker runs, or died and waits for its replacement."""
        with self.lock:
            return any(
                worker.running() or worker.crashed() for worker in self.current.values()
            )

    def kill_and_replace(self, worker, before_restart=lambda: None):
        """SIGKILL ``worker``; ``before_restart()`` runs before its replacement
        starts. False when it had ended already."""
        with self.lock:
            if not worker.running():
                return False
            worker.kill()
            self._replace(worker, before_restart)
            return True

    def replace_crashed(self, before_restart=lambda _worker: None):
        """Replace the workers that killed themselves; ``before_restart(worker)``
        runs before each replacement starts. Returns them."""
        with self.lock:
            crashed = [w for w in self.current.values() if w.crashed()]
            for worker in crashed:
                worker.relay.join(10)
                self._replace(worker, lambda worker=worker: before_restart(worker))
            return crashed

    def _replace(self, worker, before_restart):
        self.killed.append(worker)
        before_restart()
        self.current[worker.index] = self.start_process(worker.index, True)

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
