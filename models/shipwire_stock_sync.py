import contextlib
import logging
import time
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..mapper import shipwire_id
from ..shipwire_api import ShipwireError

_logger = logging.getLogger(__name__)

STOCK_JOB = "sale_stock_shipwire.ir_cron_shipwire_stock_sync"
# Past this, a run stops after its page and the scheduler runs it again.
STOCK_TIME_BUDGET = 60
# A scheduled run reads every page when the last complete read is this old; runs
# brought on by webhooks in between read only the SKUs that moved.
FULL_READ_AGE = timedelta(minutes=55)
# Held by the run syncing an account's stock (with the account's id), across its
# commits: a second run of the same account waits its turn.
STOCK_LOCK = 0x53574B  # "SWK"
# A page that met a concurrent update is read again this much later.
CONFLICT_DELAY = timedelta(minutes=1)
# Stock levels Shipwire's webhooks named, read again at most this many per call.
REFRESH_BATCH_SIZE = 100


class ShipwireStockSync(models.AbstractModel):
    """Makes Odoo's on-hand quantities in the mapped warehouses what Shipwire's
    warehouses hold, page by page, through inventory adjustments."""

    _name = "shipwire.stock.sync"
    _description = "Shipwire stock sync"

    @api.model
    def _cron_sync_stock(self):
        """Every account's stock: a complete read when the last one is old,
        otherwise the SKUs Shipwire's webhooks named. One failing account never
        stops the others."""
        done = remaining = 0
        clock = time.monotonic()
        for backend in self.env["shipwire.backend"].search(
            [("warehouse_ids", "!=", False)]
        ):
            budget = STOCK_TIME_BUDGET - (time.monotonic() - clock)
            if budget <= 0:
                remaining += 1
                continue
            try:
                progress = self.with_company(backend.company_id)._sync_stock(
                    backend, budget
                )
            except Exception as error:  # noqa: BLE001 - the next accounts go on
                _logger.exception("Shipwire stock sync of %s failed", backend.name)
                self._failed(backend, str(error))
                continue
            if progress is None:
                continue  # another run is at it
            done += progress[0]
            remaining += progress[1]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _sync_stock(self, backend, budget=STOCK_TIME_BUDGET, full=False):
        """Bring shipments in, read again what webhooks named, then read
        everything when due. Returns ``(items stored, 1 if a complete read is
        left unfinished)``, or None when another run holds the account."""
        # Held on a connection of its own, which runs nothing else: released
        # whatever becomes of the run's transactions. A session lock outlives the
        # lock's transaction, so the connection waits idle, not idle in a
        # transaction that a server timeout would end under the run.
        lock_cr = self.env.registry.cursor()
        try:
            lock_cr.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [STOCK_LOCK, backend.id]
            )
            locked = lock_cr.fetchone()[0]
            lock_cr.commit()  # pylint: disable=invalid-commit
            if not locked:
                return None
            try:
                # Shipped units leave Shipwire's counters and Odoo's deliveries at
                # once: deliveries first, so that no shipment is counted twice.
                self.env["shipwire.sync"]._sync(backend)
                # Received and returned units reach Odoo through their transfers,
                # before the stock levels are compared.
                self.env["shipwire.inbound.sync"]._sync(backend)
                return self._read_stock(
                    backend, budget, full, lambda: _connection_alive(lock_cr)
                )
            finally:
                with contextlib.suppress(psycopg2.Error):
                    lock_cr.execute(
                        "SELECT pg_advisory_unlock(%s, %s)", [STOCK_LOCK, backend.id]
                    )
                    lock_cr.commit()  # pylint: disable=invalid-commit
        finally:
            with contextlib.suppress(psycopg2.Error):
                lock_cr.close()

    def _read_stock(self, backend, budget, full, lock_held):
        clock = time.monotonic()
        problems = []
        done = self._refresh_requested(backend, budget, problems)
        due = (
            full
            or backend.stock_read_offset
            or not backend.stock_synced_at
            or fields.Datetime.now() - backend.stock_synced_at >= FULL_READ_AGE
        )
        if not due or time.monotonic() - clock > budget:
            self._tell(backend, problems)
            return done, int(bool(due))
        started = backend.stock_read_started or fields.Datetime.now()
        offset = backend.stock_read_offset
        exchanges = []
        client = backend._make_client(exchanges.append)
        try:
            for page in client.stock_pages(offset=offset):
                stored = self._store_safely(backend, page, problems)
                if stored:
                    offset += len(page)
                    done += len(page)
                self.env["shipwire.exchange"]._record(backend, exchanges)
                exchanges.clear()
                if not stored or time.monotonic() - clock > budget or not lock_held():
                    backend.write(
                        {"stock_read_offset": offset, "stock_read_started": started}
                    )
                    self._tell(backend, problems)
                    return done, 1
                self.env["shipwire.sync"]._commit_progress()
        except (ShipwireError, UserError) as error:
            self.env["shipwire.exchange"]._record(backend, exchanges)
            # Pages stored so far are kept; the next run starts over from the
            # first: what was already in step costs little to read again.
            backend.write({"stock_read_offset": 0, "stock_read_started": False})
            self._failed(backend, str(error))
            return done, 0
        finally:
            client.close()
        backend.write(
            {
                "stock_read_offset": 0,
                "stock_read_started": False,
                "stock_synced_at": started,
            }
        )
        self._tell(backend, problems, complete=True)
        return done, 0

    def _tell(self, backend, problems, complete=False):
        """Show on the account the items Shipwire sent that could not be stored;
        a complete read without any clears what an earlier run told."""
        if problems:
            self._failed(
                backend,
                self.env._(
                    "Some of Shipwire's stock could not be brought into Odoo:\n"
                    "%(items)s",
                    items="\n".join(problems),
                ),
            )
        else:
            if complete:
                backend.stock_sync_error = False
            self.env["shipwire.sync"]._commit_progress()

    def _failed(self, backend, error):
        backend.write(
            {
                "stock_sync_error": error,
                "stock_sync_error_date": fields.Datetime.now(),
            }
        )
        self.env["shipwire.sync"]._commit_progress()

    @api.model
    def _refresh_requested(self, backend, budget, problems):
        """Read again the SKUs Shipwire's webhooks said moved, within ``budget``
        seconds."""
        Level = self.env["shipwire.stock.level"]
        clock = time.monotonic()
        done = 0
        while time.monotonic() - clock < budget:
            levels = Level.search(
                [("backend_id", "=", backend.id), ("refresh_requested", "=", True)],
                limit=REFRESH_BATCH_SIZE,
            )
            if not levels:
                break
            skus = sorted(set(levels.mapped("sku")))
            exchanges = []
            client = backend._make_client(exchanges.append)
            try:
                items = [
                    item for page in client.stock_pages(skus=skus) for item in page
                ]
            except ShipwireError as error:
                # Never asked again alone: the complete read, due now, brings
                # them with the rest.
                problems.append(
                    self.env._(
                        "SKUs %(skus)s could not be read alone (%(error)s); the "
                        "complete read brings them.",
                        skus=", ".join(skus),
                        error=error,
                    )
                )
                levels.refresh_requested = False
                backend.stock_synced_at = False
                break
            finally:
                client.close()
                self.env["shipwire.exchange"]._record(backend, exchanges)
            if not self._store_safely(backend, items, problems):
                break
            # Read, whatever became of each: a bad one is told, not read forever.
            levels.refresh_requested = False
            self.env["shipwire.sync"]._commit_progress()
            done += len(items)
        return done

    def _store_safely(self, backend, items, problems):
        """Store ``items`` in a savepoint. Returns False when a concurrent update
        undid them: they are read again by a run a minute later. An item Odoo
        cannot store is left out, named in ``problems``, and the others are
        stored."""
        try:
            with self.env.cr.savepoint():
                self._store_page(backend, items)
            return True
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            self.env.ref(STOCK_JOB)._trigger(fields.Datetime.now() + CONFLICT_DELAY)
            return False
        except Exception:  # noqa: BLE001 - one bad item never stops the read
            _logger.info("Shipwire stock page not stored whole, item by item now")
        for item in items:
            try:
                with self.env.cr.savepoint():
                    self._store_page(backend, [item])
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                self.env.ref(STOCK_JOB)._trigger(fields.Datetime.now() + CONFLICT_DELAY)
                return False
            except Exception as error:  # noqa: BLE001 - told on the account
                _logger.warning("Shipwire stock item %r not stored: %s", item, error)
                sku = item.get("sku") if isinstance(item, dict) else None
                warehouse = item.get("warehouseId") if isinstance(item, dict) else None
                problems.append(
                    self.env._(
                        "%(sku)r @ %(warehouse)r was left out: %(error)s",
                        sku=sku,
                        warehouse=warehouse,
                        error=error,
                    )
                )
        return True

    # -- webhooks ------------------------------------------------------------------

    @api.model
    def _handle_stock_webhook(self, backend, body):
        """``stock.transition``: read the moved SKU again soon. A product the
        account has not listed yet makes the next run read everything."""
        product = shipwire_id(body.get("productId"))
        warehouse = shipwire_id(body.get("warehouseId"))
        levels = self.env["shipwire.stock.level"].search(
            [
                ("backend_id", "=", backend.id),
                ("shipwire_product_id", "=", product),
                ("shipwire_warehouse_id", "=", warehouse),
            ]
        )
        if levels and product and warehouse:
            levels.filtered(lambda level: not level.refresh_requested).write(
                {"refresh_requested": True}
            )
        elif backend.stock_synced_at:
            backend.stock_synced_at = False
        self.env.ref(STOCK_JOB)._trigger()


def _connection_alive(cr):
    """Whether ``cr``'s connection, and so the session lock it holds, is still
    there: ended by the server or an administrator, another run may have taken
    the account, and this one stops after its page."""
    try:
        cr.execute("SELECT 1")
        cr.commit()  # pylint: disable=invalid-commit
    except psycopg2.Error:
        _logger.warning("Shipwire stock sync lost its lock; stopping after the page")
        return False
    return True
