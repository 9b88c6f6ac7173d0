from collections import defaultdict

from odoo import api, models

from ..const import TODO_ACTIVITY
from ..mapper import shipwire_id
from ..mapper.incoming import as_text, is_older
from ..mapper.receiving import embedded_list, receiving_updated
from ..mapper.returns import (
    RETURNABLE_STATUSES,
    original_order_id,
    return_payload,
    shipping_fulfillment_orders,
)
from ..shipwire_api import ShipwireNotFoundError, ShipwireNotReturnableError
from ..shipwire_api.envelope import collection_items
from ..shipwire_api.returns import is_cancelled
from .shipwire_inbound_store import INBOUND_EXPANSIONS
from .shipwire_inbound_sync import INBOUND_JOB
from .shipwire_sync import CONCURRENT_WRITES


class ShipwireReturnCalls(models.Model):
    """The calls to Shipwire for a return: create, cancel, labels. Callers have
    checked the user's rights and run as superuser."""

    _inherit = "shipwire.return"  # pylint: disable=consider-merging-classes-inherited
    _sync_cursor_field = "return_sync_cursor"

    def _send(self):
        """Ask Shipwire for the return, never twice: Shipwire refuses a second
        return of an order, and the client then finds and links the one it has."""
        self.ensure_one()
        payload = return_payload(self, self.order_items)
        made = []

        def create(client):
            result = client.create_return(payload)
            made.append(result)
            # A create answers the return without its items: read it whole.
            found = client.get_return(result.id, INBOUND_EXPANSIONS)
            return self._complete(client, found), result

        answer, error = self._call("create", create)
        if isinstance(error, ShipwireNotReturnableError):
            self._not_returnable_yet(error)
            return
        if error is not None and made:
            self._made_unread(made[0].id, error)
            return
        if error is not None:
            self._failed(
                error,
                refused_hint=self.env._(
                    "Fix what Shipwire names (the Demand may be changed), then press "
                    "Send return to Shipwire again; or cancel the return."
                ),
            )
            return
        resource, result = answer
        if result.recovered and self._linked_elsewhere(str(result.id)):
            return
        notes = [as_text(w.message) or str(w) for w in result.warnings]
        if result.recovered:
            notes.insert(
                0,
                self.env._(
                    "Shipwire already had a return of %(order)s: return %(id)s is "
                    "linked, no second one was made.",
                    order=self.fulfillment_order_id.display_name,
                    id=result.id,
                ),
            )
        self._note_messages(notes)
        self._store_remote(resource)
        self.picking_id.message_post(
            body=self.env._(
                "Sent to Shipwire: return %(id)s of %(order)s (externalId "
                "%(external_id)s).",
                id=self.shipwire_id,
                order=self.fulfillment_order_id.display_name,
                external_id=self.external_id,
            )
        )

    def _linked_elsewhere(self, return_id):
        """Whether the return Shipwire already has of the order is another
        picking's: it is then not linked twice, which would book its units on
        both pickings."""
        other = self.search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("shipwire_id", "=", return_id),
                ("id", "!=", self.id),
            ],
            limit=1,
        )
        if not other:
            return False
        self.state = "refused"
        self.message = self.env._(
            "Shipwire takes one return of %(order)s and has it as return %(id)s "
            "of %(other)s: add these units to %(other)s, or cancel it first.",
            order=self.fulfillment_order_id.display_name,
            id=return_id,
            other=other.picking_id.name,
        )
        self._tell_transfer(self.message)
        return True

    def _not_returnable_yet(self, error):
        self.state = "waiting"
        self.message = self.env._(
            "Shipwire cannot take a return of %(order)s yet; it answered: "
            "%(reason)s. Nothing to do: the sync sends the return again until "
            "Shipwire takes it.",
            order=self.fulfillment_order_id.display_name,
            reason="; ".join(m.message for m in error.errors) or error,
        )
        self._tell_transfer(self.message)

    def _cancel(self):
        self.ensure_one()
        if not self.shipwire_id and not self._find_unanswered():
            return
        _result, error = self._call(
            "cancel", lambda client: client.cancel_return(self.shipwire_id)
        )
        if error is not None:
            self._failed(error)
            return
        self._refresh()

    def _find_unanswered(self):
        """Whether Shipwire made the return whose create it did not answer, which
        is then stored; one it never made is cancelled here, with the rest of
        the picking once no other return of it stays open."""
        found, error = self._call(
            "find",
            lambda client: (
                (resource := client.find_return(self.external_id))
                and self._complete(client, resource)
            ),
        )
        if error is not None:
            self._failed(error)
            return False
        if found:
            self._store_remote(found, force=True)
            return bool(self.shipwire_id) and self.is_open
        self.write(
            {
                "state": "cancelled",
                "message": self.env._(
                    "Shipwire never made return %(id)s: cancelled here, nothing "
                    "was sent.",
                    id=self.external_id,
                ),
            }
        )
        self._booking_group()._book()
        return False

    def _remote_get(self, client):
        return client.get_return(self.shipwire_id, INBOUND_EXPANSIONS)

    @staticmethod
    def _remote_collection(client, return_id, name):
        return client.return_collection(return_id, name)

    @staticmethod
    def _remote_pages(client, **filters):
        return client.return_pages(**filters)

    def _booking_group(self):
        """Every return of the picking: they are booked on it together."""
        return self.picking_id.shipwire_return_ids

    def _damaged_move(self, move, quantity):
        """Damaged units come back on a move of their own that is not to refund:
        the sales order's delivered quantity, which the credit note follows, is
        lowered by the good units only."""
        damaged = self.env["stock.move"].create(move._split(quantity))
        damaged._action_confirm(merge=False)
        damaged.to_refund = False
        return damaged

    def _labels(self):
        """The label attached to the return picking; no attachment when Shipwire
        has no label of the return, None when the call failed."""
        self.ensure_one()
        pdf, error = self._call(
            "labels", lambda client: client.return_labels_pdf(self.shipwire_id)
        )
        if isinstance(error, ShipwireNotFoundError):
            # Shipwire makes a label only for a return asked with a prepaid one.
            return self.env["ir.attachment"]
        if error is not None:
            self._failed(error)
            return None
        return self._attach_labels(
            pdf,
            f"{self.picking_id.name.replace('/', '-')}-{self.external_id}-"
            "shipwire-label.pdf",
            self.env._(
                "Shipwire's return label of %(order)s.",
                order=self.fulfillment_order_id.display_name,
            ),
        )

    @api.model
    def _send_due(self, backend):
        """Returns queued on confirmation, those Shipwire could not take yet
        whose fulfillment order it now makes returns from, and those whose create
        it did not answer (sent again: Shipwire's refusal of a second return of
        the order links the one it made); each in a savepoint, a picking that
        cannot be sent says why with an activity. A picking someone is sending
        right now, or sent since the run began, is left to them."""
        for picking in self._due_pickings(backend):
            try:
                with self.env.cr.savepoint():
                    locked = picking._shipwire_try_lock_returns()
                    if not self._due_pickings(backend, locked):
                        continue
                    problems = picking._shipwire_return_problems()
                    if not problems:
                        picking._shipwire_send_returns()
            except CONCURRENT_WRITES:
                raise
            except Exception as error:  # noqa: BLE001 - the others go on
                problems = [str(error)]
            if problems:
                picking.shipwire_return_queued = False
                backend._shipwire_schedule_activity(
                    picking,
                    TODO_ACTIVITY,
                    self.env._("Return not sent to Shipwire"),
                    problems,
                )
            self.env["shipwire.sync"]._commit_progress()

    @api.model
    def _due_pickings(self, backend, pickings=None):
        """The return pickings of ``backend`` the sync sends, of ``pickings``
        when given."""
        among = [("id", "in", pickings.ids)] if pickings is not None else []
        queued = (
            self.env["stock.picking"]
            .search(
                [
                    *among,
                    ("shipwire_return_queued", "=", True),
                    ("company_id", "=", backend.company_id.id),
                ]
            )
            .filtered(lambda p: shipping_fulfillment_orders(p).backend_id == backend)
        )
        among = [("picking_id", "in", pickings.ids)] if pickings is not None else []
        waiting = self.search(
            [
                *among,
                ("backend_id", "=", backend.id),
                ("state", "=", "waiting"),
                ("fulfillment_order_id.status", "in", RETURNABLE_STATUSES),
                ("picking_id.state", "not in", ("draft", "done", "cancel")),
            ]
        )
        unanswered = self.search(
            [
                *among,
                ("backend_id", "=", backend.id),
                ("state", "=", "unanswered"),
                ("shipwire_id", "=", False),
                ("picking_id.state", "not in", ("draft", "done", "cancel")),
            ]
        )
        return queued | waiting.picking_id | unanswered.picking_id

    @api.model
    def _sync_needed(self, backend):
        """Once the account shipped an order: returns made at Shipwire are shown
        on their sales order even before Odoo sent one."""
        return super()._sync_needed(backend) or bool(
            self.env["shipwire.fulfillment.order"].search_count(
                [("backend_id", "=", backend.id), ("shipped_quantities", "!=", False)],
                limit=1,
            )
        )

    @api.model
    def _tell_strangers(self, backend, resources):
        """Returns made at Shipwire, not from Odoo (in its own UI): shown on the
        sales order they return from, with an activity. A return picking of the
        delivery links one with Send return to Shipwire, as Shipwire refuses a
        second return of an order."""
        by_order = defaultdict(list)
        for resource in resources:
            order_id = original_order_id(resource)
            if order_id and not is_cancelled(resource):
                by_order[order_id].append(resource)
        if not by_order:
            return
        _ = self.env._
        for fulfillment in self.env["shipwire.fulfillment.order"].search(
            [("backend_id", "=", backend.id), ("shipwire_id", "in", list(by_order))]
        ):
            for resource in by_order[fulfillment.shipwire_id]:
                return_id = shipwire_id(resource.get("id")) or "?"
                backend._shipwire_schedule_activity(
                    fulfillment.sale_order_id,
                    TODO_ACTIVITY,
                    _("Shipwire return %(id)s made outside Odoo", id=return_id),
                    [
                        _(
                            "Shipwire has return %(id)s of %(order)s, which no "
                            "return in Odoo sent. Make the return of the delivery "
                            "with the units the customer sends back and press Send "
                            "return to Shipwire: Shipwire's return is linked to "
                            "it, not made twice.",
                            id=return_id,
                            order=fulfillment.display_name,
                        )
                    ],
                    preferred=fulfillment.sale_order_id.user_id,
                )

    @api.model
    def _store_webhooks(self, backend, events):
        """``return.*`` deliveries: a return with all its items and its date
        stored as any read of it (an older one changes nothing), a hold list
        stored on its return; anything else (a return without its date, which
        may be older than what is stored), or a return this database does not
        have, brings the sync forward, which reads it again. The returns are
        stored together, each as its latest delivery has it: a return picking
        split over several returns is booked once with all they newly count."""
        resources = {}
        for event in events:
            resource = (
                event.body.get("resource") if isinstance(event.body, dict) else None
            )
            if not isinstance(resource, dict):
                continue
            if ".hold." in event.topic:
                holds = collection_items(resource)
                ids = {
                    shipwire_id(hold.get("orderId"))
                    for hold in holds
                    if isinstance(hold, dict)
                }
                for record in self._of_backend(backend, ids - {""}):
                    record._store_holds(
                        [
                            h
                            for h in holds
                            if shipwire_id(h.get("orderId")) == record.shipwire_id
                        ]
                    )
                self.env.ref(INBOUND_JOB)._trigger()
                continue
            record = self._of_backend(backend, {shipwire_id(resource.get("id"))} - {""})
            # Without every item, a closing status would close the return picking
            # before Shipwire's last counts are booked; without its date, the
            # delivery may be older than what is stored, and would overwrite it:
            # the sync reads the return again instead.
            _items, complete = embedded_list(resource, "items")
            if (
                record
                and "status" in resource
                and complete
                and (updated := receiving_updated(resource))
            ):
                if record not in resources or not is_older(
                    updated, receiving_updated(resources[record])
                ):
                    resources[record] = resource
            else:
                self.env.ref(INBOUND_JOB)._trigger()
        if resources:
            self._store_remotes(resources)

    @api.model
    def _webhook_returns(self, backend, events):
        """The account's returns that ``return.*`` deliveries name."""
        ids = set()
        for event in events:
            resource = (
                event.body.get("resource") if isinstance(event.body, dict) else None
            )
            if not isinstance(resource, dict):
                continue
            if ".hold." in event.topic:
                ids |= {
                    shipwire_id(hold.get("orderId"))
                    for hold in collection_items(resource)
                    if isinstance(hold, dict)
                }
            else:
                ids.add(shipwire_id(resource.get("id")))
        return self._of_backend(backend, ids - {""})

    @api.model
    def _of_backend(self, backend, ids):
        return (
            self.search(
                [("backend_id", "=", backend.id), ("shipwire_id", "in", list(ids))]
            )
            if ids
            else self.browse()
        )
