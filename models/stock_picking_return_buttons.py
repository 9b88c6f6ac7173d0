import psycopg2

from odoo import models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from ..const import GROUP_MANAGER, GROUP_USER
from ..mapper.returns import (
    return_external_id,
    return_plan,
)
from .shipwire_backend import ensure_group, nothing_selected, notification
from .stock_picking_return import RESENT_STATES, UNSENT_STATES


class StockPickingReturnButtons(models.Model):
    """The return picking's Shipwire buttons: send its returns, refresh them,
    their labels, cancel them at Shipwire."""

    # Kept apart from stock_picking_return.py by topic.
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    def action_shipwire_send_return(self):
        """Ask Shipwire for a return of each fulfillment order the returned units
        were shipped with, each once."""
        ensure_group(self.env, GROUP_USER)
        title = self.env._("Send return to Shipwire")
        if not self:
            return nothing_selected(self.env, title)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock_returns()
        problems, claimed = [], {}
        for picking in pickings:
            problems += picking._shipwire_return_problems(claimed)
        if problems:
            if len(pickings) > 1:
                problems.insert(
                    0,
                    self.env._(
                        "None of the %(count)s returns was sent. Fix or unselect "
                        "these, then send again:",
                        count=len(pickings),
                    ),
                )
            raise UserError("\n".join(problems))
        for picking in pickings:
            picking.with_company(picking.company_id)._shipwire_send_returns()
        return pickings._shipwire_return_outcome(title)

    def _shipwire_lock_returns(self):
        """Lock the pickings' rows before their returns are sent, failing fast
        when the sync or someone else is sending them right now."""
        if not self:
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM stock_picking WHERE id IN %s FOR UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "%(returns)s: being sent to Shipwire right now, by the sync or "
                    "someone else. Wait a moment, then refresh the page.",
                    returns=", ".join(self.mapped("name")),
                )
            ) from None
        self.invalidate_recordset()
        self.shipwire_return_ids.invalidate_recordset()

    def _shipwire_try_lock_returns(self):
        """The pickings whose rows could be locked now to send their returns;
        those being sent right now, or sent since this transaction began, are
        left out."""
        if not self:
            return self
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM stock_picking WHERE id IN %s "
                    "FOR UPDATE SKIP LOCKED",
                    [tuple(self.ids)],
                )
                locked = {row[0] for row in self.env.cr.fetchall()}
        except psycopg2.errors.SerializationFailure:
            locked = set()
        self.invalidate_recordset()
        self.shipwire_return_ids.invalidate_recordset()
        return self.filtered(lambda picking: picking.id in locked)

    def _shipwire_return_problems(self, claimed=None):
        """Why this picking cannot be sent to Shipwire, one sentence each.
        ``claimed`` (``{fulfillment order: picking}``) gathers the orders the
        pickings sent together return from: Shipwire takes one return of each."""
        self.ensure_one()
        _ = self.env._
        if self.backorder_id:
            return [
                _(
                    "%(picking)s is a backorder of %(origin)s, whose Shipwire "
                    "returns take its units: send %(origin)s.",
                    picking=self.name,
                    origin=self._shipwire_return_root().name,
                )
            ]
        returns = self.shipwire_return_ids
        if returns and not returns.filtered(lambda r: r.state in UNSENT_STATES):
            return [
                _(
                    "%(picking)s is already sent to Shipwire as %(returns)s.",
                    picking=self.name,
                    returns=", ".join(returns.mapped("external_id")),
                )
            ]
        if self.state in ("draft", "done", "cancel"):
            return [
                _(
                    "%(picking)s is not waiting for its units: confirm it first.",
                    picking=self.name,
                )
            ]
        plan, problems = return_plan(self)
        problems += self._shipwire_return_kept_problems(plan)
        for order in plan:
            taken = order.shipwire_return_ids.filtered(
                lambda r: r.picking_id != self and r.state not in ("cancelled",)
            )
            if taken:
                problems.append(
                    _(
                        "%(picking)s: %(order)s already has the Shipwire return of "
                        "%(other)s, and Shipwire takes one return per order: add "
                        "these units to %(other)s, or cancel it first.",
                        picking=self.name,
                        order=order.display_name,
                        other=taken[0].picking_id.name,
                    )
                )
            elif claimed is not None and claimed.setdefault(order, self) != self:
                problems.append(
                    _(
                        "%(picking)s and %(other)s both return units of %(order)s, "
                        "and Shipwire takes one return per order: put these units "
                        "on one return.",
                        picking=self.name,
                        order=order.display_name,
                        other=claimed[order].name,
                    )
                )
        return problems

    def _shipwire_return_kept_problems(self, plan):
        """The picking's returns Shipwire has, or may have, cannot change: the
        units the picking returns of their orders must be those they asked for."""
        _ = self.env._
        problems = []
        for record in self.shipwire_return_ids - self._shipwire_resent_returns():
            order = record.fulfillment_order_id
            wanted = plan.get(order, {})
            if record.state == "cancelled" and not record.shipwire_id:
                if wanted:
                    problems.append(
                        _(
                            "%(picking)s: its return of %(order)s was cancelled "
                            "without reaching Shipwire: return these units on a "
                            "new return.",
                            picking=self.name,
                            order=order.display_name,
                        )
                    )
                continue
            if record.state == "cancelled" or wanted == (record.order_items or {}):
                continue
            problems.append(
                _(
                    "%(picking)s: return %(external_id)s of %(order)s went to Shipwire "
                    "with %(sent)s, and Shipwire takes no change to a return: set "
                    "these quantities back, or cancel the return (Cancel at "
                    "Shipwire) and make it again.",
                    picking=self.name,
                    order=order.display_name,
                    sent=_items_text(record.order_items),
                    external_id=record.external_id,
                )
            )
        return problems

    def _shipwire_resent_returns(self):
        """The picking's returns Shipwire refused or could not take yet."""
        return self.shipwire_return_ids.filtered(
            lambda r: r.state in RESENT_STATES and not r.shipwire_id
        )

    def _shipwire_send_returns(self):
        """Make the picking's return records (their externalIds fixed from then
        on) and send those Shipwire does not have. Those Shipwire refused or
        could not take yet ask for the units the picking returns now, and go
        when it returns no units of their order any more; the caller checked
        the picking (``_shipwire_return_problems``)."""
        self.ensure_one()
        plan, _problems = return_plan(self)
        resent = self._shipwire_resent_returns()
        dropped = resent.filtered(lambda r: r.fulfillment_order_id not in plan)
        dropped.unlink()
        known = self.shipwire_return_ids.fulfillment_order_id
        for record in resent - dropped:
            items = plan[record.fulfillment_order_id]
            if record.order_items != items:
                record.order_items = items
        self.env["shipwire.return"].create(
            [
                {
                    "backend_id": order.backend_id.id,
                    "picking_id": self.id,
                    "fulfillment_order_id": order.id,
                    "warehouse_id": self.picking_type_id.warehouse_id.id,
                    "external_id": return_external_id(order.backend_id, self, order),
                    "order_no": order.order_no,
                    "order_items": items,
                }
                for order, items in plan.items()
                if order not in known
            ]
        )
        self.shipwire_return_queued = False
        for record in self.shipwire_return_ids.filtered(
            lambda r: r.state in UNSENT_STATES and not r.shipwire_id
        ):
            record._send()

    def _shipwire_returns(self, unanswered=False):
        """The pickings' Shipwire returns that Shipwire made, and with
        ``unanswered`` those whose create it did not answer."""

        def made(record):
            return record.shipwire_id or (unanswered and record.state == "unanswered")

        not_sent = self.filtered(
            lambda p: not p._shipwire_return_root().shipwire_return_ids.filtered(made)
        )
        if not_sent:
            raise UserError(
                self.env._(
                    "%(returns)s: not sent to Shipwire yet; press Send return to "
                    "Shipwire.",
                    returns=", ".join(not_sent.mapped("name")),
                )
            )
        return self.mapped(
            lambda p: p._shipwire_return_root().shipwire_return_ids
        ).filtered(made)

    def action_shipwire_cancel_return(self):
        ensure_group(self.env, GROUP_MANAGER)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        for record in pickings._shipwire_returns(unanswered=True).filtered("is_open"):
            record._cancel()
        return pickings._shipwire_return_outcome(self.env._("Cancel at Shipwire"))

    def action_shipwire_refresh_return(self):
        ensure_group(self.env, GROUP_USER)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        for picking in pickings:
            returns = picking._shipwire_return_root().shipwire_return_ids
            if not returns:
                raise UserError(
                    self.env._(
                        "%(picking)s is not sent to Shipwire.", picking=picking.name
                    )
                )
            # Read together: the picking is booked once with all they count.
            returns.filtered(
                lambda r: r.shipwire_id or r.state == "unanswered"
            )._refresh()
        return pickings._shipwire_return_outcome(self.env._("Refresh from Shipwire"))

    def action_shipwire_return_labels(self):
        ensure_group(self.env, GROUP_USER)
        pickings = self._shipwire_as_module()
        attached = {}
        for record in pickings._shipwire_returns():
            attachment = record._labels()
            if attachment is not None:
                attached[record] = attachment
        return pickings._shipwire_return_outcome(
            self.env._("Shipwire labels"), attached
        )

    def _shipwire_return_outcome(self, title, attached=None):
        """One line a Shipwire return: its state, Shipwire's messages, the holds
        still active and, after Labels, the file attached or that Shipwire has
        none."""
        lines, kind = [], "success"
        for picking in self:
            for record in picking._shipwire_return_root().shipwire_return_ids:
                line = (
                    f"{picking.name} - {record.fulfillment_order_id.display_name}: "
                    f"{record._state_label()}"
                )
                if record.state in UNSENT_STATES:
                    kind = "danger" if record.state != "waiting" else "warning"
                holds = record.is_open and record.hold_ids.filtered(
                    lambda hold: not hold.cleared_date
                )
                if holds:
                    kind = "warning" if kind == "success" else kind
                    line += " - " + self.env._(
                        "held at Shipwire: %(holds)s",
                        holds="; ".join(
                            hold.description or hold.hold_type or "-" for hold in holds
                        ),
                    )
                if record.message:
                    line += f" ({record.message})"
                if attached and record in attached:
                    if attached[record]:
                        line += " - " + self.env._(
                            "label attached: %(file)s", file=attached[record].name
                        )
                    else:
                        kind = "warning" if kind == "success" else kind
                        line += " - " + self.env._(
                            "Shipwire has no label for it: Shipwire makes a label "
                            "only for a return sent while the account's Prepaid "
                            "return label is on."
                        )
                lines.append(line)
        return notification(kind, "\n".join(lines), title=title, reload=True)


def _items_text(items):
    """``{sku: units}`` as Shipwire was asked for them, to read."""
    return ", ".join(f"{units} {sku}" for sku, units in sorted((items or {}).items()))
