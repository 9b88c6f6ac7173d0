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

INBOUND_JOB = "sale_stock_shipwire.ir_cron_shipwire_inbound_sync"
# Followed in this order: receivings, then returns.
INBOUND_MODELS = ("shipwire.receiving", "shipwire.return")


class ShipwireInboundSync(models.AbstractModel):
    """Follows the account's receivings and returns: what Shipwire changed since
    the cursor, then every open record again by id (Shipwire may change a status
    without a new lastUpdatedDate), in list calls a page at a time; each page is
    booked and committed on its own."""

    _name = "shipwire.inbound.sync"
    _description = "Shipwire receiving and return sync"

    @api.model
    def _cron_sync_inbound(self):
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
                _logger.exception("Shipwire inbound sync of %s failed", backend.name)
                backend.write(
                    {
                        "last_sync_error": str(error),
                        "last_sync_error_date": fields.Datetime.now(),
                    }
                )
                continue
            done += progress
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _sync(self, backend, budget=SYNC_TIME_BUDGET):
        """Returns how many records were stored; raises ``ShipwireError`` when
        Shipwire could not be read."""
        clock = time.monotonic()
        done = 0
        for model in INBOUND_MODELS:
            left = budget - (time.monotonic() - clock)
            done += self._sync_model(self.env[model], backend, left)
        return done

    def _sync_model(self, Inbound, backend, budget):
        Inbound._send_due(backend)
        if not Inbound._sync_needed(backend):
            return 0
        clock = time.monotonic()
        started = fields.Datetime.now()
        cursor = (
            backend[Inbound._sync_cursor_field]
            or Inbound.search(
                [("backend_id", "=", backend.id)], order="create_date", limit=1
            ).create_date
            or started
        )
        since = (cursor - SYNC_OVERLAP).replace(tzinfo=timezone.utc)
        seen = set()
        done = 0
        open_records = Inbound.search(
            [("backend_id", "=", backend.id), ("state", "in", OPEN_STATES)]
        )
        exchanges = []
        try:
            client = backend._make_client(exchanges.append)
            try:
                for page in Inbound._remote_pages(
                    client, updated_after=since, expand=INBOUND_EXPANSIONS
                ):
                    done += self._store_page(Inbound, backend, client, page, seen)
                # Past the budget the open records wait for the next run; the
                # changed ones are read first, every run.
                unseen = open_records.filtered(
                    lambda r: r.shipwire_id and r.shipwire_id not in seen
                )
                if unseen and time.monotonic() - clock < budget:
                    for page in Inbound._remote_pages(
                        client,
                        ids=unseen.mapped("shipwire_id"),
                        expand=INBOUND_EXPANSIONS,
                    ):
                        done += self._store_page(Inbound, backend, client, page, seen)
                unanswered = open_records.filtered(lambda r: not r.shipwire_id)
                if unanswered:
                    for page in Inbound._remote_pages(
                        client,
                        external_ids=unanswered.mapped("external_id"),
                        expand=INBOUND_EXPANSIONS,
                    ):
                        done += self._store_page(Inbound, backend, client, page, seen)
            finally:
                client.close()
        except (ShipwireError, UserError) as error:
            if isinstance(error, (*OUTAGE_ERRORS, UserError)):
                backend._shipwire_outage(error)
            raise
        finally:
            self.env["shipwire.exchange"]._record(backend, exchanges)
        backend[Inbound._sync_cursor_field] = started
        self.env["shipwire.sync"]._commit_progress()
        return done

    def _store_page(self, Inbound, backend, client, page, seen):
        """Store and book the records of one page that are this database's:
        those Shipwire changed together, their transfers validated in one go.
        The open records booked on the same transfers that this run has not read
        yet are read with them, not in a later page: a transfer is validated once
        with all its records newly count."""
        complete, strangers = {}, []
        stored = self._read_page(
            Inbound, backend, client, page, seen, complete, strangers
        )
        siblings = (
            Inbound.browse()
            .union(*complete)
            ._open_siblings()
            .filtered(lambda r: r.backend_id == backend and r.shipwire_id not in seen)
        )
        if siblings:
            for more in Inbound._remote_pages(
                client, ids=siblings.mapped("shipwire_id"), expand=INBOUND_EXPANSIONS
            ):
                stored += self._read_page(
                    Inbound, backend, client, more, seen, complete, []
                )
        changed = Inbound._note_unchanged(complete)
        if changed:
            self._store_changed(changed, complete)
        if strangers:
            Inbound._tell_strangers(backend, strangers)
        self.env["shipwire.sync"]._commit_progress()
        return stored

    def _read_page(self, Inbound, backend, client, page, seen, complete, strangers):
        """Add to ``complete`` (``{record: resource}``) the records of ``page``
        this run has not read yet, each with all its items, holds and trackings,
        and to ``strangers`` the resources of no record here; returns how many
        records were read."""
        resources = [r for r in page if isinstance(r, dict)]
        ids = [shipwire_id(r.get("id")) for r in resources]
        external_ids = [r.get("externalId") for r in resources if r.get("externalId")]
        known = Inbound.search(
            [
                ("backend_id", "=", backend.id),
                "|",
                ("shipwire_id", "in", [i for i in ids if i]),
                ("external_id", "in", external_ids),
            ]
        )
        by_id = {r.shipwire_id: r for r in known if r.shipwire_id}
        by_external_id = {r.external_id: r for r in known}
        read = 0
        for resource, remote_id in zip(resources, ids, strict=True):
            record = by_id.get(remote_id) or by_external_id.get(
                resource.get("externalId")
            )
            if not record:
                strangers.append(resource)
                continue
            if remote_id and remote_id in seen:
                continue
            seen.add(remote_id)
            read += 1
            try:
                complete[record] = record._complete(client, resource)
            except Exception as error:  # noqa: BLE001 - the others go on
                _logger.exception("%s could not be read", record.external_id)
                record._not_applied(error)
        return read

    def _store_changed(self, records, resources):
        """Store ``records`` of a page together; if that fails, the records of
        each transfer together, then, if that fails too, each on its own; a
        record that cannot be stored says so on its transfer."""
        if self._store_isolated(records, resources):
            return
        groups = dict.fromkeys(record._booking_group() & records for record in records)
        for group in groups:
            if len(groups) > 1 and len(group) > 1:
                if self._store_isolated(group, resources):
                    continue
            for record in group:
                self._store_isolated(record, resources, tell=True)

    def _store_isolated(self, records, resources, tell=False):
        """Store ``records`` together in a savepoint; returns whether they were
        stored. With ``tell``, a failure is said on the record's transfer."""
        try:
            with self.env.cr.savepoint():
                records._store_together(resources)
        except CONCURRENT_WRITES:
            raise
        except Exception as error:  # noqa: BLE001 - the others go on
            if not tell:
                _logger.info("Storing %s together failed", records, exc_info=True)
                return False
            _logger.exception("%s could not be stored", records.external_id)
            records._not_applied(error)
            return False
        return True
