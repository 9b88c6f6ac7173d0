from markupsafe import Markup, escape

from odoo import models

from ..const import FIX_PO_ACTIVITY, TODO_ACTIVITY
from .shipwire_message import CONNECTION_CODE

ACTIVITY_SUMMARY_PREFIX = "Shipwire: "


class ShipwirePurchaseOrderMessages(models.AbstractModel):
    """What ``shipwire.purchase.order`` tells people: its messages, notes in the
    sales order's chatter and activities on the sales order."""

    _name = "shipwire.purchase.order.messages"
    _description = "Messages, notes and activities of a Shipwire PO"

    def _replace_messages(self, errors, severity, warnings=()):
        """The answer supersedes earlier messages: resolve them, add the new ones."""
        self.message_ids.filtered(lambda m: not m.resolved).resolved = True
        self._add_messages(errors, severity)
        self._add_messages(warnings, "warning")

    def _add_messages(self, messages, severity="error"):
        self.env["shipwire.message"]._create_from_shipwire(self, messages, severity)

    def _resolve_connection_messages(self):
        """Shipwire answered after all: its PO was read. A send that seemed to fail
        had in fact reached it."""
        stale = self.message_ids.filtered(
            lambda m: not m.resolved and m.code == CONNECTION_CODE
        )
        if not stale:
            return
        stale.resolved = True
        if self.state == "failed":
            self._note_recovered()

    def _note_unknown_status(self, statuses):
        """Shipwire wrote a status this module does not know: the state does not
        follow it, and the order says so, once per status."""
        text = self.env._(
            "Shipwire reported a status this module does not know: %(statuses)s. "
            "The order's state does not follow it; look at the PO at Shipwire.",
            statuses=", ".join(sorted(set(statuses))),
        )
        open_texts = self.message_ids.filtered(lambda m: not m.resolved).mapped("text")
        if text not in open_texts:
            self._add_messages([text], severity="warning")

    def _note_recovered(self):
        self._add_messages(
            [
                self.env._(
                    "Shipwire already had this PO from an earlier attempt; it was "
                    "linked, not sent twice."
                )
            ],
            severity="info",
        )

    def _note_adopted(self):
        """The sync found at Shipwire a PO Odoo had not recorded: say so, on the
        PO and in the order's chatter."""
        text = self.env._(
            "Shipwire holds a PO for this order from a send whose outcome Odoo did "
            "not record (interrupted before it was saved). The sync linked it; it "
            "was not sent twice."
        )
        self._add_messages([text], severity="info")
        self._post("sync", text)

    def _post(self, operation, title, errors=(), warnings=()):
        """A note in the sales order's chatter, by whoever pressed the button."""
        items = Markup("").join(
            Markup("<li>%s</li>") % escape(str(message))
            for message in list(errors) + list(warnings)
        )
        body = Markup("<p>%s</p>") % title
        if items:
            body += Markup("<ul>%s</ul>") % items
        self.sale_order_id.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _schedule_activity(self, title, errors, activity_type=TODO_ACTIVITY):
        """One open activity per problem on the sales order, for its salesperson
        or whoever the account names: the same one is not scheduled twice.
        Returns the new activity, or an empty record."""
        order = self.sale_order_id
        return self.backend_id._shipwire_schedule_activity(
            order,
            activity_type,
            f"{ACTIVITY_SUMMARY_PREFIX}{title}",
            errors,
            preferred=order.user_id,
        )

    def _fix_activities(self):
        """The open activities asking to fix these POs."""
        fix_po = self.env.ref(FIX_PO_ACTIVITY)
        return self.sale_order_id.activity_ids.filtered(
            lambda a: a.activity_type_id == fix_po
        )

    def _close_activities(self, among=None):
        """The PO left its problem: what asked to fix it is done (``among``: only
        these activities)."""
        self.ensure_one()
        activities = self._fix_activities()
        if among is not None:
            activities &= among
        activities.action_feedback(
            feedback=self.env._(
                "Settled: the PO is now %(state)s.",
                state=dict(self._fields["state"].selection)[self.state],
            )
        )
