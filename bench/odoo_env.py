"""A throwaway Odoo 18 database with this addon installed, for benchmark scripts.

    reason = odoo18_missing()          # None when Odoo 18 can be imported
    with throwaway_database() as registry:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})

The database lives on $PGHOST:$PGPORT (default 127.0.0.1:5432) as $PGUSER (default
root, trust auth); it is dropped on exit, also on error, unless ``keep`` is true.
"""

import contextlib
import importlib
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ADDON = "sale_stock_shipwire"
REPOSITORY = Path(__file__).resolve().parents[1]
DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("PGUSER", "root")


def odoo18_missing():
    """Why Odoo 18 cannot be used here, or None."""
    try:
        release = importlib.import_module("odoo.release")
    except ImportError as error:
        return f"python3 cannot import odoo ({error})"
    if release.version_info[0] != 18:
        return f"odoo is version {release.version}, not 18"
    return None


def _write_config(work):
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
def throwaway_database(prefix="shipwire_bench", keep=False, log=print):
    """Yield the registry of a new database holding the addon (no demo data)."""
    import odoo

    database = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as work:
        config = _write_config(Path(work))
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
