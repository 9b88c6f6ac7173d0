from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..mapper.returns import (
    RETURNABLE_STATUSES,
    shipping_fulfillment_orders,
)
from .shipwire_inbound import OPEN_STATES
from .shipwire_inbound_sync import INBOUND_JOB

# The pickings Odoo is making backorders of right now, in this transaction.
BACKORDERED = "shipwire_backordered_pickings"
# A return in these states has not reached Shipwire: Send tries it again.
UNSENT_STATES = ("unanswered", "refused", "waiting")
# Shipwire refused these, or could not take them yet: sent again, they ask for
# the units the picking returns then. One whose create Shipwire did not answer
# may be at Shipwire already, with the units first sent.
RESENT_STATES = ("refused", "waiting")


class StockPickingReturn(models.Model):
    """A return picking of a delivery Shipwire shipped, announced to Shipwire as
    one return per fulfillment order concerned: what it refuses while Shipwire
    may expect its units (its buttons are in stock_picking_return_buttons.py)."""

    # Kept apart from stock_picking.py by feature.
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    shipwire_return_ids = fields.One2many(
        "shipwire.return", "picking_id", string="Shipwire returns", readonly=True
    )
    shipwire_return_queued = fields.Boolean(
        string="Return queued for Shipwire",
        readonly=True,
        copy=False,
        help="Confirmed on an account that sends returns on confirmation: the "
        "sync job sends it.",
    )
    shipwire_can_return = fields.Boolean(
        compute="_compute_shipwire_can_return",
        help="A return of a delivery Shipwire shipped, not sent to Shipwire yet, "
        "whose fulfillment orders Shipwire makes returns from.",
    )

    @api.depends(
        "return_id",
        "state",
        "shipwire_return_ids.can_send",
        "shipwire_return_ids.state",
    )
    def _compute_shipwire_can_return(self):
        for picking in self:
            sudo = picking.sudo()
            returns = sudo.shipwire_return_ids
            if returns:
                can = any(returns.mapped("can_send"))
            else:
                orders = (
                    shipping_fulfillment_orders(sudo)
                    if picking.picking_type_code == "incoming" and picking.return_id
                    else ()
                )
                can = any(order.status in RETURNABLE_STATUSES for order in orders)
            picking.shipwire_can_return = can and picking.state not in (
                "draft",
                "done",
                "cancel",
            )

    def _shipwire_return_root(self):
        """The return picking whose Shipwire returns this backorder shares."""
        self.ensure_one()
        root, seen = self, {self.id}
        while root.backorder_id and root.backorder_id.id not in seen:
            root = root.backorder_id
            seen.add(root.id)
        return root

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("shipwire_return_queued") for vals in vals_list
        ):
            self._shipwire_refuse_queueing()
        if not self.env.su:
            made = self.env.cr.cache.get(BACKORDERED, set())
            self.browse()._shipwire_refuse_backorder_link(
                [
                    vals["backorder_id"]
                    for vals in vals_list
                    if vals.get("backorder_id") and vals["backorder_id"] not in made
                ]
            )
        return super().create(vals_list)

    def _create_backorder(self, backorder_moves=None):
        """Odoo's backorders of these pickings are theirs: only they may be made
        backorders of a return picking sent to Shipwire."""
        made = self.env.cr.cache.setdefault(BACKORDERED, set())
        added = set(self.ids) - made
        made |= added
        try:
            return super()._create_backorder(backorder_moves)
        finally:
            made -= added

    def write(self, vals):
        if "shipwire_return_queued" in vals and not self.env.su:
            self._shipwire_refuse_queueing()
        self._shipwire_refuse_moving_return(vals)
        if "backorder_id" in vals and not self.env.su:
            self._shipwire_refuse_backorder_link(vals["backorder_id"])
        return super().write(vals)

    def _shipwire_refuse_backorder_link(self, backorder_of):
        """Shipwire's returns follow a return picking's backorders: which
        transfer is a backorder of which is set by validating, not by hand,
        where Shipwire's returns are concerned."""
        target = self.browse(backorder_of).sudo()
        involved = (self.sudo() | target).filtered(
            lambda p: p._shipwire_return_root().shipwire_return_ids
        )
        if involved:
            raise UserError(
                self.env._(
                    "%(returns)s: sent to Shipwire, whose returns follow the "
                    "return picking and its backorders; a transfer is made a "
                    "backorder by validating, not by hand.",
                    returns=", ".join(involved.mapped("name")),
                )
            )

    def _shipwire_refuse_queueing(self):
        raise AccessError(
            self.env._("Returns are queued for Shipwire by the module only.")
        )

    def _shipwire_refuse_moving_return(self, vals):
        """Shipwire's warehouse expects the returned units: the return picking
        stays in the Odoo warehouse it was sent for."""
        if not ({"picking_type_id", "location_dest_id"} & set(vals)):
            return
        new_warehouses = (
            self.env["stock.picking.type"]
            .sudo()
            .browse(vals.get("picking_type_id"))
            .warehouse_id
            | self.env["stock.location"]
            .sudo()
            .browse(vals.get("location_dest_id"))
            .warehouse_id
        )
        moved = self.filtered(
            lambda p: (
                p.state not in ("done", "cancel")
                and any(
                    record.warehouse_id != new_warehouses
                    for record in p._shipwire_open_returns()
                )
            )
        )
        if moved:
            raise UserError(
                self.env._(
                    "%(returns)s: sent to Shipwire, whose warehouse expects the "
                    "returned units for %(warehouse)s. Keep the return's operation "
                    "type and destination in that warehouse; to receive elsewhere, "
                    "press Cancel at Shipwire and make a new return.",
                    returns=", ".join(moved.mapped("name")),
                    warehouse=moved._shipwire_open_returns().warehouse_id[:1].name,
                )
            )

    def action_confirm(self):
        result = super().action_confirm()
        self._shipwire_queue_returns()
        return result

    def _shipwire_queue_returns(self):
        """Returns of an account that sends them on confirmation: the sync job
        sends them now, in the background."""
        queued = self.sudo().filtered(
            lambda p: (
                p.return_id
                and not p.backorder_id
                and not p.shipwire_return_ids
                and shipping_fulfillment_orders(p)
                .backend_id[:1]
                .return_send_on_confirmation
            )
        )
        if queued:
            queued.shipwire_return_queued = True
            self.env.ref(INBOUND_JOB).sudo()._trigger()

    def _shipwire_open_returns(self):
        """The Shipwire returns that may still receive units of these pickings:
        those Shipwire made, and those whose create it did not answer."""
        return (
            self.sudo()
            .mapped(lambda p: p._shipwire_return_root().shipwire_return_ids)
            .filtered(lambda r: r.state in OPEN_STATES)
        )

    def action_cancel(self):
        """While Shipwire may still receive the returned units, the return is
        cancelled at Shipwire first; the rest here follows. Returns Shipwire
        never made are cancelled with their picking, and no longer sent."""
        if not self._shipwire_booking():
            self._shipwire_refuse_cancel_return(
                self.filtered(lambda p: p.state not in ("done", "cancel"))
            )
        result = super().action_cancel()
        cancelled = self.sudo().filtered(lambda p: p.state == "cancel")
        cancelled.filtered("shipwire_return_queued").shipwire_return_queued = False
        # Shipwire's last answer (e.g. "the sync sends the return again") no
        # longer holds: the message says what became of the return.
        for record in cancelled.shipwire_return_ids.filtered(
            lambda r: r.state in UNSENT_STATES and not r.shipwire_id
        ):
            record.write(
                {
                    "state": "cancelled",
                    "message": self.env._(
                        "Cancelled with %(picking)s before Shipwire took it: it is "
                        "not sent again.",
                        picking=record.picking_id.name,
                    ),
                }
            )
        return result

    def _action_done(self):
        """Validating without a backorder cancels the rest: refused like Cancel."""
        if self.env.context.get("cancel_backorder") and not self._shipwire_booking():
            self._shipwire_refuse_cancel_return(
                self.filtered(lambda picking: picking._shipwire_leaves_remainder())
            )
        return super()._action_done()

    def _shipwire_refuse_cancel_return(self, pickings):
        expected = pickings.filtered(lambda p: p._shipwire_open_returns())
        if expected:
            raise UserError(
                self.env._(
                    "%(returns)s: Shipwire's warehouse expects the returned units. "
                    "Press Cancel at Shipwire; the return is cancelled here once "
                    "Shipwire has cancelled it.",
                    returns=", ".join(expected.mapped("name")),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_shipwire_return(self):
        """A return picking whose returns reached Shipwire, or may have, keeps
        them; the returns of one Shipwire never took go with it."""
        pickings = self.sudo()
        kept = pickings.filtered(
            lambda p: (
                p.shipwire_return_ids.filtered(
                    lambda r: r.shipwire_id or r.state in OPEN_STATES
                )
                or p._shipwire_open_returns()
            )
        )
        if kept:
            raise UserError(
                self.env._(
                    "%(returns)s: sent to Shipwire, whose returns keep their "
                    "picking. Cancel it instead (Cancel at Shipwire while Shipwire "
                    "may still receive).",
                    returns=", ".join(kept.mapped("name")),
                )
            )
        pickings.shipwire_return_ids.unlink()
