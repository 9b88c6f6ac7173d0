import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..mapper.incoming import as_text
from ..mapper.receiving import UPDATABLE_STATUSES, receiving_items, receiving_payload
from .shipwire_inbound_store import INBOUND_EXPANSIONS


class ShipwireReceivingCalls(models.Model):
    """The calls to Shipwire for a receiving: create, update, cancel, labels.
    Callers have checked the user's rights and run as superuser."""

    _inherit = "shipwire.receiving"  # pylint: disable=consider-merging-classes-inherited
    _sync_cursor_field = "receiving_sync_cursor"

    sent_items = fields.Text(
        readonly=True, help="The items as last sent to Shipwire, to tell changes."
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

    def _send(self):
        """Announce the receipt, never twice: a receiving Shipwire already has
        under its externalId is linked instead of created."""
        self.ensure_one()
        payload, notes = receiving_payload(self.picking_id, self.backend_id)
        made = []

        def find_or_create(client):
            warnings = []
            found = client.find_receiving(self.external_id)
            if found is None:
                result = client.create_receiving(payload)
                found, warnings = result.resource, result.warnings
            made.append(found.get("id"))
            # A create answers the receiving without its items: read it whole.
            found = client.get_receiving(found.get("id"), INBOUND_EXPANSIONS)
            return self._complete(client, found), warnings

        answer, error = self._call("create", find_or_create)
        if error is not None and made:
            self._made_unread(made[0], error)
            return
        if error is not None:
            self._failed(error)
            return
        resource, warnings = answer
        self.sent_items = json.dumps(payload["items"], sort_keys=True)
        self._note_messages(notes + [as_text(w.message) or str(w) for w in warnings])
        self._store_remote(resource)
        self.picking_id.message_post(
            body=self.env._(
                "Announced to Shipwire: receiving %(id)s (externalId %(external_id)s).",
                id=self.shipwire_id,
                external_id=self.external_id,
            )
        )

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

    def _remote_get(self, client):
        return client.get_receiving(self.shipwire_id, INBOUND_EXPANSIONS)

    @staticmethod
    def _remote_collection(client, receiving_id, name):
        return client.receiving_collection(receiving_id, name)

    @staticmethod
    def _remote_pages(client, **filters):
        return client.receiving_pages(**filters)

    def _labels(self):
        self.ensure_one()
        pdf, error = self._call(
            "labels", lambda client: client.receiving_labels_pdf(self.shipwire_id)
        )
        if error is not None:
            self._failed(error)
            return None
        return self._attach_labels(
            pdf,
            f"{self.picking_id.name.replace('/', '-')}-shipwire-labels.pdf",
            self.env._("Shipwire's receiving labels."),
        )
