import base64
import hashlib
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..mapper.incoming import as_text, hold_values, tracking_values
from ..mapper.receiving import (
    UPDATABLE_STATUSES,
    embedded_list,
    item_counts,
    receiving_items,
    receiving_payload,
    receiving_values,
)
from ..shipwire_api import ShipwireError, ShipwireTransientError

_logger = logging.getLogger(__name__)

RECEIVING_EXPANSIONS = "items,holds,trackings"


class ShipwireReceivingCalls(models.Model):
    """The calls to Shipwire for a receiving (create, update, cancel, read,
    labels), each logged, and how Shipwire's answer is stored. Callers have
    checked the user's rights and run as superuser."""

    _inherit = "shipwire.receiving"  # pylint: disable=consider-merging-classes-inherited

    sent_items = fields.Text(
        readonly=True, help="The items as last sent to Shipwire, to tell changes."
    )
    remote_fingerprint = fields.Char(
        readonly=True,
        help="Shipwire's receiving as last stored: one read again unchanged is "
        "not stored and booked again.",
    )
    is_changed = fields.Boolean(
        string="Changed since sent",
        compute="_compute_is_changed",
        help="The receipt's quantities differ from what Shipwire expects: press "
        "Update at Shipwire while Shipwire takes changes.",
    )

    @api.depends(
        "sent_items",
        "state",
        "picking_id.move_ids.product_uom_qty",
        "picking_id.move_ids.product_uom",
        "picking_id.move_ids.state",
    )
    def _compute_is_changed(self):
        for receiving in self:
            receiving.is_changed = bool(
                receiving.sent_items
                and receiving.state in UPDATABLE_STATUSES
                and receiving.sent_items
                != json.dumps(
                    receiving_items(receiving.sudo().picking_id), sort_keys=True
                )
            )

    def _call(self, operation, call):
        """Run ``call(client)``, log its exchanges on the receiving and return
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
            self.env["shipwire.exchange"]._record(
                self.backend_id, exchanges, receiving=self
            )

    def _send(self):
        """Announce the receipt, never twice: a receiving Shipwire already has
        under its externalId is linked instead of created."""
        self.ensure_one()
        payload, notes = receiving_payload(self.picking_id, self.backend_id)

        def find_or_create(client):
            warnings = []
            found = client.find_receiving(self.external_id)
            if found is None:
                result = client.create_receiving(payload)
                found, warnings = result.resource, result.warnings
            # A create answers the receiving without its items: read it whole.
            found = client.get_receiving(found.get("id"), RECEIVING_EXPANSIONS)
            return self._complete(client, found), warnings

        answer, error = self._call("create", find_or_create)
        if error is not None:
            self._failed(error)
            return
        resource, warnings = answer
        self.sent_items = json.dumps(payload["items"], sort_keys=True)
        self._note_messages(notes + [as_text(w.message) or str(w) for w in warnings])
        self._store_remote(resource)

    def _update(self):
        self.ensure_one()
        if self.state not in UPDATABLE_STATUSES:
            raise UserError(
                self.env._(
                    "%(receipt)s: Shipwire no longer takes changes to this receiving "
                    "(%(state)s).",
                    receipt=self.picking_id.name,
                    state=self._state_label(),
                )
            )
        payload, notes = receiving_payload(self.picking_id, self.backend_id)
        result, error = self._call(
            "update", lambda client: client.update_receiving(self.shipwire_id, payload)
        )
        if error is not None:
            self._failed(error)
            return
        self.sent_items = json.dumps(payload["items"], sort_keys=True)
        self._note_messages(
            notes + [as_text(w.message) or str(w) for w in result.warnings]
        )
        self._refresh()

    def _cancel(self):
        self.ensure_one()
        _result, error = self._call(
            "cancel", lambda client: client.cancel_receiving(self.shipwire_id)
        )
        if error is not None:
            self._failed(error)
            return
        self._refresh()

    def _refresh(self):
        """Read the receiving as Shipwire has it now, and book what it counts."""
        self.ensure_one()
        if not self.shipwire_id:
            return self._send()
        resource, error = self._call(
            "refresh",
            lambda client: self._complete(
                client, client.get_receiving(self.shipwire_id, RECEIVING_EXPANSIONS)
            ),
        )
        if error is not None:
            self._failed(error)
            return
        self._store_remote(resource, force=True)

    def _labels(self):
        self.ensure_one()
        pdf, error = self._call(
            "labels", lambda client: client.receiving_labels_pdf(self.shipwire_id)
        )
        if error is not None:
            self._failed(error)
            return None
        picking = self.picking_id
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{picking.name.replace('/', '-')}-shipwire-labels.pdf",
                "type": "binary",
                "datas": base64.b64encode(pdf),
                "mimetype": "application/pdf",
                "res_model": "stock.picking",
                "res_id": picking.id,
            }
        )
        picking.message_post(
            body=self.env._("Shipwire's receiving labels."),
            attachment_ids=attachment.ids,
        )
        return attachment

    @staticmethod
    def _complete(client, resource):
        """The receiving with every item, hold and tracking: Shipwire embeds at
        most a page of each."""
        for key in RECEIVING_EXPANSIONS.split(","):
            _items, complete = embedded_list(resource, key)
            if not complete:
                resource[key] = {
                    "resource": {
                        "items": client.receiving_collection(resource.get("id"), key)
                    }
                }
        return resource

    def _failed(self, error):
        """Keep Shipwire's refusal on the receiving; an unanswered create stays
        Not confirmed and is looked up by its externalId before any new try."""
        if isinstance(error, ShipwireTransientError):
            self.backend_id._shipwire_outage(error)
            text = self.env._(
                "Shipwire did not answer (%(error)s). Nothing is sent twice: press "
                "the button again later, or let the sync read what Shipwire did.",
                error=error,
            )
        else:
            text = str(error)
            if not self.shipwire_id and self.state == "unanswered":
                self.state = "refused"
        self.message = "\n".join(
            [
                text,
                *(
                    as_text(getattr(m, "message", ""))
                    for m in getattr(error, "errors", [])
                ),
            ]
        ).strip()
        self.picking_id.message_post(
            body=self.env._("Shipwire receiving: %(text)s", text=self.message)
        )

    def _note_messages(self, messages):
        messages = [message for message in messages if message]
        self.message = "\n".join(messages) or False
        if messages:
            self.picking_id.message_post(
                body=self.env._(
                    "Shipwire receiving: %(text)s", text="; ".join(messages)
                )
            )

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _store_remote(self, resource, force=False):
        """Store Shipwire's receiving: status, dates, holds, trackings and item
        counters; then book what it newly counts. A receiving read again as it
        was stored is left alone, unless ``force`` (a person asked)."""
        self.ensure_one()
        if not isinstance(resource, dict):
            return
        if self._fingerprint(resource) == self.remote_fingerprint and not force:
            self.last_sync = fields.Datetime.now()
            return
        values = receiving_values(resource)
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
            self._store_holds(holds)
        if trackings_complete or trackings:
            numbers = [tracking_values(t)["tracking_number"] for t in trackings]
            self.tracking_numbers = ", ".join(n for n in numbers if n) or False
        if items_complete or items:
            counts, unusable = item_counts(items)
            self._store_counts(counts)
            if unusable:
                self._note_messages(
                    [
                        self.env._(
                            "Shipwire sent unusable counters for %(skus)s: "
                            "stored as 0.",
                            skus=", ".join(sorted(set(unusable))),
                        )
                    ]
                )
        active_holds = self.hold_ids.filtered(lambda hold: not hold.cleared_date)
        if status in UPDATABLE_STATUSES and active_holds:
            status = "held"
        self.state = "processed" if status == "unprocessed" else status
        self._book()
        self.remote_fingerprint = self._fingerprint(resource)

    def _fingerprint(self, resource):
        """Shipwire's receiving and the state of its receipts: what Odoo did to
        the receipts counts too, so a receipt validated by hand is checked
        against Shipwire's counts again."""
        self.picking_ids.flush_recordset()
        self.picking_ids.invalidate_recordset(["write_date"])
        receipts = [(p.id, p.state, str(p.write_date)) for p in self.picking_ids]
        return hashlib.sha256(
            json.dumps([resource, receipts], sort_keys=True, default=str).encode()
        ).hexdigest()

    def _store_holds(self, holds):
        Hold = self.env["shipwire.receiving.hold"]
        known = {hold.shipwire_id: hold for hold in self.hold_ids if hold.shipwire_id}
        for resource in holds:
            if not isinstance(resource, dict):
                continue
            values = hold_values(resource)
            hold = known.get(values["shipwire_id"]) if values["shipwire_id"] else None
            if hold:
                hold.write(values)
            else:
                Hold.create({**values, "receiving_id": self.id})

    def _store_counts(self, counts):
        Line = self.env["shipwire.receiving.line"]
        lines = {line.sku: line for line in self.line_ids}
        products = {
            move.product_id.default_code: move.product_id
            for move in self.picking_ids.move_ids
        }
        for sku, counters in counts.items():
            line = lines.get(sku)
            if line:
                line.write(counters)
            else:
                Line.create(
                    {
                        **counters,
                        "receiving_id": self.id,
                        "sku": sku,
                        "product_id": products.get(sku, self.env["product.product"]).id,
                    }
                )
