import base64
import hashlib
import json
import logging

from odoo import api, fields, models
from odoo.tools import plaintext2html

from ..const import TODO_ACTIVITY
from ..mapper.incoming import as_text, hold_values, is_older, tracking_values
from ..mapper.receiving import (
    UPDATABLE_STATUSES,
    embedded_list,
    item_counts,
    receiving_values,
)
from ..shipwire_api import ShipwireError, ShipwireTransientError

_logger = logging.getLogger(__name__)

# The lists read with each record, in the same call.
INBOUND_EXPANSIONS = "items,holds,trackings"


class ShipwireInboundStore(models.AbstractModel):
    """The calls to Shipwire for goods it expects, each logged, and how
    Shipwire's answer is stored. Callers have checked the user's rights and run
    as superuser.

    Inheriting models say how the client reads their records:
    ``_remote_get(client)``, ``_remote_collection(client, id, name)`` and
    ``_remote_pages(client, **filters)``, and which account field holds their
    sync cursor (``_sync_cursor_field``)."""

    _inherit = "shipwire.inbound"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _sync_needed(self, backend):
        """Whether the sync reads this kind of record of ``backend``: once it has
        one."""
        return bool(self.search([("backend_id", "=", backend.id)], limit=1))

    @api.model
    def _tell_strangers(self, backend, resources):
        """Records Shipwire listed that were not made from this database: left
        alone by default."""

    @api.model
    def _send_due(self, backend):
        """Send what waits to be sent of ``backend`` before its records are read;
        nothing by default."""

    def _call(self, operation, call):
        """Run ``call(client)``, log its exchanges on the record and return
        ``(result, error)``: Shipwire's refusal or silence is returned, not
        raised."""
        self.ensure_one()
        exchanges = []
        client = self.backend_id._make_client(exchanges.append)
        try:
            return call(client), None
        except ShipwireError as error:
            _logger.info("Shipwire %s of %s: %s", operation, self.external_id, error)
            return None, error
        finally:
            client.close()
            self.env["shipwire.exchange"]._record(self.backend_id, exchanges).write(
                {self._fields["exchange_ids"].inverse_name: self.id}
            )

    def _refresh(self):
        """Read the records as Shipwire has them now, and book what they count;
        one Shipwire has not confirmed yet is sent (``_send`` of the inheriting
        model), which links what Shipwire already has instead of making it twice.
        The open records booked on the same transfer are read with them: the
        transfer is validated once with all they newly count."""
        resources = {}
        for record in self | self._open_siblings():
            if not record.shipwire_id:
                record._send()
                continue
            resource, error = record._call(
                "refresh",
                lambda client, record=record: record._complete(
                    client, record._remote_get(client)
                ),
            )
            if error is not None:
                record._failed(error)
            elif isinstance(resource, dict):
                resources[record] = resource
        if resources:
            self.browse().union(*resources)._store_together(resources, force=True)

    def _complete(self, client, resource):
        """The record with every item, hold and tracking: Shipwire embeds at
        most a page of each."""
        for key in INBOUND_EXPANSIONS.split(","):
            _items, complete = embedded_list(resource, key)
            if not complete:
                entries = self._remote_collection(client, resource.get("id"), key)
                resource[key] = {"resource": {"items": entries}}
        return resource

    def _failed(self, error, refused_hint=None):
        """Keep Shipwire's refusal on the record; an unanswered create stays Not
        confirmed and is looked up by its externalId before any new try.
        ``refused_hint`` follows Shipwire's messages when it refused a create:
        what to do next."""
        if isinstance(error, ShipwireTransientError):
            self.backend_id._shipwire_outage(error)
            text = self.env._(
                "Shipwire did not answer (%(error)s). Nothing is sent twice: press "
                "the button again later, or let the sync read what Shipwire did.",
                error=error,
            )
        else:
            # Shipwire's own messages follow, one a line: not twice.
            text = error.message
            if not self.shipwire_id and self.state in ("unanswered", "waiting"):
                self.state = "refused"
        details = [
            as_text(getattr(message, "message", ""))
            for message in getattr(error, "errors", [])
        ]
        if (
            refused_hint
            and self.state == "refused"
            and not isinstance(error, ShipwireTransientError)
        ):
            details.append(refused_hint)
        self.message = "\n".join([text, *details]).strip()
        self._tell_transfer(self.message)

    def _made_unread(self, made_id, error):
        """Shipwire made (or already had) the record as ``made_id``, then failed
        the read that follows: the record is not refused, it stays Not
        confirmed, kept like one whose create Shipwire did not answer, and the
        sync links it by its externalId."""
        self.state = "unanswered"
        self.message = self.env._(
            "Shipwire has it as %(id)s (externalId %(external_id)s) but the read "
            "that followed failed (%(error)s). Nothing is sent twice: the sync "
            "links it, or press the button again later.",
            id=made_id,
            external_id=self.external_id,
            error=error,
        )
        self._tell_transfer(self.message)

    def _attach_labels(self, pdf, name, note):
        """Shipwire's labels (``pdf``) on the transfer as the file ``name``, one
        copy: pressing Labels again keeps the file, or replaces its content when
        Shipwire's labels changed. The chatter shows ``note`` with the file each
        time it is attached or replaced."""
        picking = self.picking_id
        copies = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("name", "=", name),
            ],
            order="id",
        )
        attachment = copies[:1]
        (copies - attachment).unlink()
        if attachment and attachment.raw == pdf:
            return attachment
        if attachment:
            attachment.datas = base64.b64encode(pdf)
        else:
            attachment = attachment.create(
                {
                    "name": name,
                    "type": "binary",
                    "datas": base64.b64encode(pdf),
                    "mimetype": "application/pdf",
                    "res_model": "stock.picking",
                    "res_id": picking.id,
                }
            )
        picking.message_post(body=note, attachment_ids=attachment.ids)
        return attachment

    def _tell_transfer(self, text):
        """``text``, Shipwire's answer in the module's words, in the transfer's
        chatter: a message a line, named as Shipwire's unless it says so."""
        if not text.startswith("Shipwire"):
            text = self.env._("Shipwire: %(text)s", text=text)
        self.picking_id.message_post(body=plaintext2html(text))

    def _not_applied(self, error):
        """Shipwire's record could not be stored: said on the transfer, with an
        activity."""
        self.picking_id.message_post(
            body=self.env._(
                "%(record)s could not be stored: %(error)s",
                record=self._description,
                error=error,
            )
        )
        self.backend_id._shipwire_schedule_activity(
            self.picking_id,
            TODO_ACTIVITY,
            self.env._("%(record)s not applied", record=self._description),
            [str(error)],
        )

    def _note_messages(self, messages):
        """What was said when the record was sent: Shipwire's messages until the
        next read, and kept beside what each read says."""
        messages = [message for message in messages if message]
        self.send_notes = self.message = "\n".join(messages) or False
        if messages:
            self._tell_transfer("\n".join(messages))

    def _note_read(self, notes=()):
        """Shipwire answered a read: its messages are what was said when the
        record was sent and what this read says (``notes``); what an earlier call
        or read said no longer shows."""
        message = "\n".join(filter(None, [self.send_notes, *notes])) or False
        if self.message != message:
            self.message = message

    def _read_notes(self, resource):
        """What a read of Shipwire's record says beyond its values: the items
        whose counters cannot be used."""
        items, complete = embedded_list(resource, "items")
        if not (complete or items):
            return []
        _counts, unusable = item_counts(items)
        return self._unusable_notes(unusable)

    def _unusable_notes(self, unusable):
        if not unusable:
            return []
        return [
            self.env._(
                "Shipwire sent unusable counters for %(skus)s: stored as 0.",
                skus=", ".join(sorted(set(unusable))),
            )
        ]

    def _store_remote(self, resource, force=False):
        """Store Shipwire's record: status, dates, holds, trackings and item
        counters; then book what it newly counts. A record read again as it was
        stored is left alone, and so is one older than what is stored (a late
        webhook), unless ``force`` (a person asked)."""
        self.ensure_one()
        if not isinstance(resource, dict):
            return
        if force:
            self._store_together({self: resource}, force=True)
        else:
            self._store_remotes({self: resource})

    @api.model
    def _store_remotes(self, resources):
        """Store Shipwire's records (``{record: resource}``) as ``_store_remote``
        does each, their transfers validated together."""
        changed = self._note_unchanged(resources)
        if changed:
            changed._store_together(resources)

    @api.model
    def _note_unchanged(self, resources):
        """Of ``{record: resource}``, the records Shipwire sent as they were
        stored only get their sync date; returns the others."""
        records = self.browse().union(*resources)
        fingerprints = records._fingerprints(resources)
        unchanged = records.filtered(
            lambda record: fingerprints[record] == record.remote_fingerprint
        )
        unchanged.last_sync = fields.Datetime.now()
        for record in unchanged:
            record._note_read(record._read_notes(resources[record]))
        return records - unchanged

    def _store_together(self, resources, force=False):
        """Store these records from ``{record: resource}`` and book what they
        newly count, their transfers validated together."""
        stored = self.browse()
        for record in self:
            if record._store_changes(resources[record], force):
                stored |= record
        self._book_groups(dict.fromkeys(record._booking_group() for record in stored))
        fingerprints = stored._fingerprints(resources)
        for record in stored:
            record.remote_fingerprint = fingerprints[record]

    def _store_changes(self, resource, force):
        """Store Shipwire's record; False when it is older than what is stored
        and not ``force``."""
        values = receiving_values(resource)
        if not force and is_older(values["shipwire_updated"], self.shipwire_updated):
            return False
        self.backend_id._shipwire_outage_over()
        items, items_complete = embedded_list(resource, "items")
        holds, holds_complete = embedded_list(resource, "holds")
        trackings, trackings_complete = embedded_list(resource, "trackings")
        status = values.pop("status")
        self.write(
            {
                **{name: value for name, value in values.items() if value},
                "last_sync": fields.Datetime.now(),
            }
        )
        if holds_complete or holds:
            self._store_holds(holds, complete=holds_complete)
        if trackings_complete or trackings:
            numbers = [tracking_values(t)["tracking_number"] for t in trackings]
            self.tracking_numbers = ", ".join(n for n in numbers if n) or False
        notes = []
        if items_complete or items:
            counts, unusable = item_counts(items)
            self._store_counts(counts)
            notes = self._unusable_notes(unusable)
        self._note_read(notes)
        if notes:
            self._tell_transfer("\n".join(notes))
        active_holds = self.hold_ids.filtered(lambda hold: not hold.cleared_date)
        if status in UPDATABLE_STATUSES and active_holds:
            status = "held"
        self.state = "processed" if status == "unprocessed" else status
        return True

    def _fingerprints(self, resources):
        """``{record: fingerprint}`` of Shipwire's record (``{record:
        resource}``) and the state of its transfers: what Odoo did to them
        counts too, so a transfer validated by hand is checked against
        Shipwire's counts again."""
        chains = {record: record._picking_chain() for record in self}
        transfers = self.env["stock.picking"].union(*chains.values())
        transfers.flush_recordset()
        transfers.invalidate_recordset(["write_date"])
        return {
            record: hashlib.sha256(
                json.dumps(
                    [
                        resources[record],
                        [(p.id, p.state, str(p.write_date)) for p in chain],
                    ],
                    sort_keys=True,
                    default=str,
                ).encode()
            ).hexdigest()
            for record, chain in chains.items()
        }

    def _store_holds(self, holds, complete=False):
        """Store Shipwire's holds; with ``complete`` (every hold Shipwire lists,
        which a read gives without the cleared ones), an active hold missing
        from the list was cleared."""
        Hold = self.hold_ids.browse()
        inverse = self._fields["hold_ids"].inverse_name
        known = {hold.shipwire_id: hold for hold in self.hold_ids if hold.shipwire_id}
        # A hold Shipwire sends without its id is known by what it says.
        unnamed = {
            _hold_key(hold): hold for hold in self.hold_ids if not hold.shipwire_id
        }
        listed = set()
        for resource in holds:
            if not isinstance(resource, dict):
                continue
            values = hold_values(resource)
            listed.add(values["shipwire_id"])
            hold = (
                known.get(values["shipwire_id"])
                if values["shipwire_id"]
                else unnamed.get(_hold_key(values))
            )
            if hold:
                hold.write(values)
            else:
                Hold.create({**values, inverse: self.id})
        if complete:
            self.hold_ids.filtered(
                lambda hold: not hold.cleared_date and hold.shipwire_id not in listed
            ).cleared_date = fields.Datetime.now()

    def _store_counts(self, counts):
        Line = self.line_ids.browse()
        inverse = self._fields["line_ids"].inverse_name
        lines = {line.sku: line for line in self.line_ids}
        products = {
            move.product_id.default_code: move.product_id
            for move in self._picking_chain().move_ids
        }
        for sku, counters in counts.items():
            line = lines.get(sku)
            if line:
                line.write(counters)
            else:
                Line.create(
                    {
                        **counters,
                        inverse: self.id,
                        "sku": sku,
                        "product_id": products.get(sku, self.env["product.product"]).id,
                    }
                )


def _hold_key(hold):
    """What tells a hold without Shipwire id from another (a record or values)."""
    return tuple(
        (hold.get(name) if isinstance(hold, dict) else hold[name]) or False
        for name in ("hold_type", "description", "applied_date")
    )
