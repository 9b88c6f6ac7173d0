import logging
import time
from datetime import timezone

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..mapper import shipwire_id
from ..shipwire_api import ShipwireError
from .shipwire_backend_attention import OUTAGE_ERRORS
from .shipwire_inbound import OPEN_STATES
from .shipwire_inbound_store import INBOUND_EXPANSIONS
from .shipwire_sync import CONCURRENT_WRITES, SYNC_OVERLAP, SYNC_TIME_BUDGET

_logger = logging.getLogger(__name__)

RECEIVING_JOB = "sale_stock_shipwire.ir_cron_shipwire_receiving_sync"


class ShipwireReceivingSync(models.AbstractModel):
    """Follows the account's receivings: what Shipwire changed since the cursor,
    then every open receiving again by id (Shipwire may change a status without a
    new lastUpdatedDate), in list calls a page at a time; each page is booked and
    committed on its own."""

    _name = "shipwire.receiving.sync"
    _description = "Shipwire receiving sync"

    @api.model
    def _cron_sync_receivings(self):
        done = remaining = 0
        clock = time.monotonic()
        for backend in self.env["shipwire.backend"].search([]):
            budget = SYNC_TIME_BUDGET - (time.monotonic() - clock)
            if budget <= 0:
                remaining += 1
                continue
            try:
                progress = self.with_company(backend.company_id)._sync(backend, budget)
            except CONCURRENT_WRITES:
                raise
            except Exception as error:  # noqa: BLE001 - the next accounts go on
                _logger.exception("Shipwire receiving sync of %s failed", backend.name)
                backend.write(
                    {
                        "last_sync_error": str(error),
                        "last_sync_error_date": fields.Datetime.now(),
                    }
                )
                continue
            done += progress[0]
            remaining += progress[1]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _sync(self, backend, budget=SYNC_TIME_BUDGET):
        """Returns ``(receivings stored, 0)``; raises
        ``ShipwireError`` when Shipwire could not be read."""
        Receiving = self.env["shipwire.receiving"]
        ours = Receiving.search([("backend_id", "=", backend.id)], limit=1)
        if not ours:
            return 0, 0
        clock = time.monotonic()
        started = fields.Datetime.now()
        cursor = (
            backend.receiving_sync_cursor
            or Receiving.search(
                [("backend_id", "=", backend.id)], order="create_date", limit=1
            ).create_date
        )
        since = (cursor - SYNC_OVERLAP).replace(tzinfo=timezone.utc)
        seen = set()
        done = 0
        open_receivings = Receiving.search(
            [("backend_id", "=", backend.id), ("state", "in", OPEN_STATES)]
        )
        exchanges = []
        try:
            client = backend._make_client(exchanges.append)
            try:
                for page in client.receiving_pages(
                    updated_after=since, expand=INBOUND_EXPANSIONS
                ):
                    done += self._store_page(backend, client, page, seen)
                # Past the budget the open receivings wait for the next run; the
                # changed ones are read first, every run.
                unseen = open_receivings.filtered(
                    lambda r: r.shipwire_id and r.shipwire_id not in seen
                )
                if unseen and time.monotonic() - clock < budget:
                    for page in client.receiving_pages(
                        ids=unseen.mapped("shipwire_id"), expand=INBOUND_EXPANSIONS
                    ):
                        done += self._store_page(backend, client, page, seen)
                unanswered = open_receivings.filtered(lambda r: not r.shipwire_id)
                if unanswered:
                    for page in client.receiving_pages(
                        external_ids=unanswered.mapped("external_id"),
                        expand=INBOUND_EXPANSIONS,
                    ):
                        done += self._store_page(backend, client, page, seen)
            finally:
                client.close()
        except (ShipwireError, UserError) as error:
            if isinstance(error, (*OUTAGE_ERRORS, UserError)):
                backend._shipwire_outage(error)
            raise
        finally:
            self.env["shipwire.exchange"]._record(backend, exchanges)
        backend.receiving_sync_cursor = started
        self.env["shipwire.sync"]._commit_progress()
        return done, 0

    def _store_page(self, backend, client, page, seen):
        """Store and book the receivings of one page that are this database's,
        each in a savepoint; a receiving that fails says so on its receipt."""
        Receiving = self.env["shipwire.receiving"]
        resources = [r for r in page if isinstance(r, dict)]
        ids = [shipwire_id(r.get("id")) for r in resources]
        external_ids = [r.get("externalId") for r in resources if r.get("externalId")]
        known = Receiving.search(
            [
                ("backend_id", "=", backend.id),
                "|",
                ("shipwire_id", "in", [i for i in ids if i]),
                ("external_id", "in", external_ids),
            ]
        )
        by_id = {r.shipwire_id: r for r in known if r.shipwire_id}
        by_external_id = {r.external_id: r for r in known}
        stored = 0
        for resource, remote_id in zip(resources, ids, strict=True):
            receiving = by_id.get(remote_id) or by_external_id.get(
                resource.get("externalId")
            )
            if not receiving or (remote_id and remote_id in seen):
                continue
            seen.add(remote_id)
            try:
                with self.env.cr.savepoint():
                    receiving._store_remote(receiving._complete(client, resource))
            except CONCURRENT_WRITES:
                raise
            except Exception as error:  # noqa: BLE001 - the others go on
                _logger.exception(
                    "Receiving %s could not be stored", receiving.external_id
                )
                receiving.picking_id.message_post(
                    body=self.env._(
                        "Shipwire's receiving could not be stored: %(error)s",
                        error=error,
                    )
                )
                backend._shipwire_schedule_activity(
                    receiving.picking_id,
                    "mail.mail_activity_data_todo",
                    self.env._("Shipwire receiving not applied"),
                    [str(error)],
                )
            stored += 1
        self.env["shipwire.sync"]._commit_progress()
        return stored
