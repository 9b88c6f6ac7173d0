from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..const import GROUP_USER
from .shipwire_message import DELIVERY_CODE
from .shipwire_purchase_order import LIVE_STATES


class StockPicking(models.Model):
    _inherit = "stock.picking"

    shipwire_fulfillment_order_ids = fields.One2many(
        "shipwire.fulfillment.order",
        "picking_id",
        string="Shipwire fulfillment orders",
        readonly=True,
    )
    shipwire_purchase_order_id = fields.Many2one(
        "shipwire.purchase.order",
        string="Shipwire PO",
        compute="_compute_shipwire_purchase_order_id",
        groups=GROUP_USER,
        help="Shipwire's warehouse ships this delivery.",
    )
    # What every employee may know of the delivery, without the order's PO.
    shipwire_ships = fields.Boolean(
        compute="_compute_shipwire_purchase_order_id",
        groups="base.group_user",
        help="Shipwire's warehouse ships this delivery.",
    )
    shipwire_live = fields.Boolean(
        compute="_compute_shipwire_purchase_order_id",
        groups="base.group_user",
        help="Shipwire may still ship this delivery.",
    )

    @api.depends("sale_id.shipwire_purchase_order_id.state", "picking_type_code")
    def _compute_shipwire_purchase_order_id(self):
        for picking in self:
            purchase_order = (
                picking.sudo().sale_id.shipwire_purchase_order_id
                if picking.picking_type_code == "outgoing"
                else self.env["shipwire.purchase.order"]
            )
            if purchase_order.state in (False, "rejected", "cancelled"):
                purchase_order = self.env["shipwire.purchase.order"]
            picking.shipwire_purchase_order_id = purchase_order
            picking.shipwire_ships = bool(purchase_order)
            picking.shipwire_live = purchase_order.state in LIVE_STATES

    @api.depends("shipwire_fulfillment_order_ids.tracking_ids.url")
    def _compute_carrier_tracking_url(self):
        """Shipwire's tracking links, also on a delivery Shipwire shipped under
        another delivery method or none."""
        result = super()._compute_carrier_tracking_url()
        for picking in self:
            if picking.carrier_tracking_ref and not picking.carrier_tracking_url:
                picking.carrier_tracking_url = self.env[
                    "delivery.carrier"
                ].shipwire_get_tracking_link(picking)
        return result

    def _action_done(self):
        """A delivery Shipwire shipped, validated by hand after all: the PO's
        problem is solved."""
        result = super()._action_done()
        unapplied = self.sudo().shipwire_fulfillment_order_ids.filtered(
            "delivery_problem"
        )
        if unapplied:
            unapplied.delivery_problem = False
            purchase_orders = unapplied.purchase_order_id
            purchase_orders.message_ids.filtered(
                lambda m: m.code == DELIVERY_CODE and not m.resolved
            ).resolved = True
            purchase_orders._update_state()
        return result

    def _shipwire_ship(self, units_by_move):
        """Pick the units Shipwire shipped (``{move: units}``) and validate these
        deliveries in one go, making backorders of the rest. Picking and validating
        share a savepoint, so the chatter shows one change of state. What Odoo
        refuses, or stops to ask about, is tried again one by one so that one
        delivery does not hold back the others; a refused one keeps its picked
        units for whoever validates it by hand. Returns the reason of each delivery
        left unvalidated."""
        if not self:
            return {}
        try:
            with self.env.cr.savepoint():
                self._shipwire_pick(units_by_move)
                self.with_context(skip_backorder=True, skip_sms=True).button_validate()
        except UserError as error:
            if len(self) == 1:
                self._shipwire_pick(units_by_move)
                return {self: error.args[0]}
            unfinished = self
        else:
            # A wizard asking for more stops the validation and its action is
            # returned either way, so only the state tells.
            unfinished = self.filtered(lambda picking: picking.state != "done")
            if len(self) == 1:
                return {
                    picking: self.env._(
                        "Odoo needs more details to validate this delivery."
                    )
                    for picking in unfinished
                }
        refusals = {}
        for picking in unfinished:
            refusals.update(picking._shipwire_ship(units_by_move))
        return refusals

    def _shipwire_pick(self, units_by_move):
        """Pick the shipped units on these deliveries' moves; their other open
        moves stay unpicked, reservations kept, for the backorder."""
        moves = self.env["stock.move"].union(*units_by_move) & self.move_ids
        # One write per quantity: Odoo then makes the move lines in one go.
        to_set = defaultdict(self.env["stock.move"].browse)
        for move in moves:
            quantity = move.product_id.uom_id._compute_quantity(
                units_by_move[move], move.product_uom
            )
            rounding = move.product_uom.rounding
            if float_compare(move.quantity, quantity, precision_rounding=rounding):
                to_set[quantity] |= move
        for quantity, unset in to_set.items():
            unset.quantity = quantity
        moves.filtered(lambda move: not move.picked).picked = True
        (self.move_ids - moves).filtered(
            lambda move: move.picked and move.state not in ("done", "cancel")
        ).picked = False

    def _shipwire_note_tracking(self, fulfillment_orders, beforehand=False):
        """Say on the delivery that Shipwire shipped it, with what to track it by;
        ``beforehand``: it had been validated in Odoo before Shipwire said so."""
        numbers = ", ".join(
            fulfillment_orders.tracking_ids.mapped("tracking_number")
        ) or self.env._("none given")
        orders = ", ".join(fulfillment_orders.mapped("display_name"))
        if beforehand:
            body = self.env._(
                "Validated in Odoo before Shipwire reported its shipment of "
                "%(orders)s. Tracking numbers: %(numbers)s",
                orders=orders,
                numbers=numbers,
            )
        else:
            body = self.env._(
                "Validated from Shipwire's shipment of %(orders)s. Tracking numbers: "
                "%(numbers)s",
                orders=orders,
                numbers=numbers,
            )
        self.message_post(body=body)
