from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_compare

from ..const import FIX_PO_ACTIVITY, SHIPPED_STATUSES
from ..mapper import (
    fulfillment_order_values,
    hold_values,
    is_newer,
    is_older,
    order_moves_back,
    tracking_values,
)
from ..mapper.incoming import FULFILLMENT_STATES
from ..shipwire_api.envelope import collection_items
from .shipwire_message import DELIVERY_CODE


class ShipwireFulfillmentOrder(models.Model):
    """A warehouse order Shipwire made of a sales order's PO (one per warehouse)."""

    _name = "shipwire.fulfillment.order"
    _inherit = ["shipwire.order.document"]
    _description = "Shipwire fulfillment order"
    _order = "purchase_order_id, split_number, id"
    _check_company_auto = True

    purchase_order_id = fields.Many2one(
        "shipwire.purchase.order",
        string="Shipwire PO",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sale_order_id = fields.Many2one(
        related="purchase_order_id.sale_order_id",
        string="Sales Order",
        store=True,
        index=True,
    )
    company_id = fields.Many2one(related="purchase_order_id.company_id", store=True)
    backend_id = fields.Many2one(related="purchase_order_id.backend_id", store=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        check_company=True,
        ondelete="set null",
        index="btree_not_null",
    )
    shipwire_id = fields.Char(string="Shipwire id", required=True, index=True)
    external_id = fields.Char(string="External id")
    order_no = fields.Char(string="Order number")
    split_number = fields.Integer(
        aggregator=None,
        help="The .N suffix Shipwire added when it split the PO across warehouses.",
    )
    warehouse_name = fields.Char(string="Shipwire warehouse")
    status = fields.Selection(FULFILLMENT_STATES, default="unknown", required=True)
    shipwire_status = fields.Char(help="The status exactly as Shipwire sent it.")
    shipwire_updated = fields.Datetime(
        string="Updated at Shipwire",
        help="Shipwire's last update time; older updates are ignored.",
    )
    shipped_quantities = fields.Json(
        help="Units shipped per SKU, as Shipwire reported them."
    )
    delivery_done = fields.Boolean(
        help="Shipwire's shipment was applied to the Odoo delivery, or tried."
    )
    carrier_code = fields.Char(
        string="Carrier", help="The carrier and service that shipped it."
    )
    completed_date = fields.Datetime(string="Shipped on")
    delivery_problem = fields.Text(
        help="Why the shipment could not be validated on an Odoo delivery; "
        "cleared once the delivery is validated.",
    )
    cancel_handled = fields.Boolean()
    hold_ids = fields.One2many("shipwire.hold", "fulfillment_order_id", string="Holds")
    tracking_ids = fields.One2many(
        "shipwire.tracking", "fulfillment_order_id", string="Trackings"
    )
    active_hold_count = fields.Integer(compute="_compute_active_hold_count")
    shipwire_return_ids = fields.One2many(
        "shipwire.return", "fulfillment_order_id", string="Shipwire returns"
    )

    _sql_constraints = [
        (
            "shipwire_id_unique",
            "unique(purchase_order_id, shipwire_id)",
            "A fulfillment order is listed once per PO.",
        )
    ]

    @api.depends("order_no", "external_id", "warehouse_name")
    def _compute_display_name(self):
        for order in self:
            name = order.order_no or order.external_id or order.shipwire_id
            warehouse = f" ({order.warehouse_name})" if order.warehouse_name else ""
            order.display_name = f"{name}{warehouse}"

    @api.depends("hold_ids.cleared_date")
    def _compute_active_hold_count(self):
        for order in self:
            order.active_hold_count = len(
                order.hold_ids.filtered(lambda hold: not hold.cleared_date)
            )

    @api.model
    def _shipwire_upsert(self, resources_by_purchase_order, replayable=False):
        """Create or update fulfillment orders, with their trackings and holds.

        ``resources_by_purchase_order`` maps PO records to Shipwire order resources.
        An update older than what is stored is ignored. Returns the fulfillment
        orders that changed. Queries grow with the number of calls, not of records.
        """
        purchase_orders = self.env["shipwire.purchase.order"].union(
            *resources_by_purchase_order
        )
        known = {
            (fo.purchase_order_id.id, fo.shipwire_id): fo
            for fo in self.search([("purchase_order_id", "in", purchase_orders.ids)])
        }
        changed = self.browse()
        updated, new = [], {}
        for purchase_order, resources in resources_by_purchase_order.items():
            for resource in resources:
                values = fulfillment_order_values(resource)
                if not values["shipwire_id"]:
                    continue  # not an order Shipwire could name again
                key = (purchase_order.id, values["shipwire_id"])
                fulfillment_order = known.get(key)
                if fulfillment_order is None:
                    # Named twice (a burst of webhooks): the newer is created.
                    if key in new and is_older(
                        values.get("shipwire_updated"),
                        new[key][0].get("shipwire_updated"),
                    ):
                        continue
                    delivery = purchase_order.sale_order_id._shipwire_open_delivery()
                    values.update(
                        purchase_order_id=purchase_order.id, picking_id=delivery.id
                    )
                    new[key] = (values, resource)
                elif fulfillment_order._shipwire_is_newer(values, replayable):
                    fulfillment_order.write(values)
                    changed |= fulfillment_order
                    updated.append((fulfillment_order, resource))
        created = self.create([values for values, _resource in new.values()])
        self._shipwire_sync_children(
            updated
            + list(
                zip(
                    created,
                    [resource for _values, resource in new.values()],
                    strict=True,
                )
            )
        )
        return changed | created

    def _shipwire_is_newer(self, values, replayable):
        """Whether ``values`` from Shipwire are news for this fulfillment order. A
        replayable update (a webhook) that is not newer may move the order
        forward, never back."""
        incoming = values.get("shipwire_updated")
        if is_older(incoming, self.shipwire_updated):
            return False
        if (
            replayable
            and not is_newer(incoming, self.shipwire_updated)
            and order_moves_back(self.status, values["shipwire_status"])
        ):
            return False
        return any(self[name] != value for name, value in values.items())

    @api.model
    def _shipwire_sync_children(self, pairs):
        """Trackings and holds embedded in expanded order resources, in two creates."""
        for key, field_name, values_of, identity in (
            ("trackings", "tracking_ids", tracking_values, "tracking_number"),
            ("holds", "hold_ids", hold_values, "shipwire_id"),
        ):
            new_values = []
            for fulfillment_order, resource in pairs:
                embedded = resource.get(key)
                embedded = (
                    embedded.get("resource") if isinstance(embedded, dict) else None
                )
                if not isinstance(embedded, dict):
                    continue  # a link only: Shipwire did not expand it
                known = {r[identity]: r for r in fulfillment_order[field_name]}
                for item in collection_items(embedded):
                    if not isinstance(item, dict):
                        continue
                    values = values_of(item)
                    record = known.get(values[identity])
                    if not values[identity]:
                        continue
                    if record is None:
                        new_values.append(
                            {**values, "fulfillment_order_id": fulfillment_order.id}
                        )
                    elif any(record[name] != value for name, value in values.items()):
                        record.write(values)
                if key == "holds" and not embedded.get("next"):
                    fulfillment_order._shipwire_clear_unlisted_holds(embedded)
            self.env[self._fields[field_name].comodel_name].create(new_values)

    def _shipwire_clear_unlisted_holds(self, holds):
        """Shipwire may list active holds only: one missing from a complete list
        was cleared."""
        listed = {hold_values(item)["shipwire_id"] for item in collection_items(holds)}
        self.hold_ids.filtered(
            lambda hold: not hold.cleared_date and hold.shipwire_id not in listed
        ).cleared_date = fields.Datetime.now()

    def _shipwire_follow_up(self):
        """Move Odoo along after Shipwire changed these fulfillment orders: validate
        what shipped, cancel what was cancelled, and tell about holds."""
        shipped = self.browse()
        for fulfillment_order in self:
            if fulfillment_order.status in SHIPPED_STATUSES:
                if fulfillment_order.delivery_done:
                    continue
                if not isinstance(fulfillment_order.shipped_quantities, dict):
                    # A webhook says it shipped, not what: the sync will read it.
                    self.env.ref("sale_stock_shipwire.ir_cron_shipwire_sync")._trigger()
                else:
                    shipped |= fulfillment_order
            elif fulfillment_order.status == "cancelled":
                if not fulfillment_order.cancel_handled:
                    fulfillment_order._shipwire_handle_cancel()
            elif fulfillment_order.active_hold_count:
                holds = fulfillment_order.hold_ids.filtered(
                    lambda h: not h.cleared_date
                )
                title = self.env._(
                    "%(order)s on hold", order=fulfillment_order.display_name
                )
                purchase_order = fulfillment_order.purchase_order_id
                if purchase_order._schedule_activity(
                    title, holds.mapped("display_name"), FIX_PO_ACTIVITY
                ):
                    purchase_order._post("sync", title, holds.mapped("display_name"))
        shipped._shipwire_deliver()

    def _shipwire_deliver(self):
        """Validate the shipped quantities on the deliveries, all in one go, leaving
        a backorder for anything still to ship, and record the tracking numbers.
        What cannot be applied is told on the order, in an activity and by the PO's
        state; it does not hold back the other deliveries."""
        if not self:
            return
        self.delivery_done = True
        shipments = defaultdict(self.browse)
        for fulfillment_order in self:
            picking = fulfillment_order.picking_id
            if not picking or picking.state in ("done", "cancel"):
                picking = fulfillment_order.sale_order_id._shipwire_open_delivery()
            if picking:
                shipments[picking] |= fulfillment_order
            elif done := fulfillment_order._shipwire_validated_before():
                fulfillment_order.picking_id = done
                fulfillment_order._shipwire_update_tracking_reference()
                done._shipwire_note_tracking(fulfillment_order, beforehand=True)
            else:
                fulfillment_order._shipwire_not_delivered(
                    self.env._(
                        "The order has no open delivery left (it was cancelled, "
                        "validated or deleted in Odoo). Check the stock by hand."
                    )
                )
        units_by_move = {}
        for picking, fulfillment_orders in shipments.items():
            units, unmatched = fulfillment_orders._shipwire_units_on(picking)
            units_by_move.update(units)
            for fulfillment_order in unmatched:
                fulfillment_order._shipwire_not_delivered(
                    self.env._(
                        "none of the shipped SKUs (%(skus)s) is on %(picking)s.",
                        skus=", ".join(fulfillment_order.shipped_quantities) or "-",
                        picking=picking.name,
                    ),
                    picking,
                )
            fulfillment_orders.filtered(
                lambda fo, picking=picking: fo.picking_id != picking
            ).picking_id = picking
        picked = self.env["stock.move"].union(*units_by_move).picking_id
        self.filtered(
            lambda fo: fo.picking_id in picked
        )._shipwire_update_tracking_reference()
        refusals = picked._shipwire_ship(units_by_move)
        for picking in picked:
            fulfillment_orders = shipments[picking]
            if picking in refusals:
                for fulfillment_order in fulfillment_orders:
                    fulfillment_order._shipwire_not_delivered(
                        refusals[picking], picking
                    )
                continue
            picking._shipwire_note_tracking(fulfillment_orders)
            # Fulfillment orders still to ship now wait on the backorder.
            backorder = picking.backorder_ids[:1]
            if backorder:
                (
                    fulfillment_orders.purchase_order_id.fulfillment_order_ids
                    - fulfillment_orders
                ).filtered(
                    lambda fo, picking=picking: (
                        fo.picking_id == picking and not fo.delivery_done
                    )
                ).picking_id = backorder

    def _shipwire_validated_before(self):
        """The order's done delivery, when its done deliveries already hold every
        unit this fulfillment order shipped besides those of the order's other
        shipments: someone validated it in Odoo before Shipwire reported it."""
        self.ensure_one()
        done = self.sale_order_id.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )
        if not done or not self.shipped_quantities:
            return done.browse()
        room = defaultdict(float)
        for move in done.move_ids.filtered(lambda m: m.state == "done"):
            room[move.product_id.default_code] += move.product_uom._compute_quantity(
                move.quantity, move.product_id.uom_id
            )
        others = (self.purchase_order_id.fulfillment_order_ids - self).filtered(
            lambda fo: (
                fo.delivery_done and not fo.delivery_problem and fo.picking_id in done
            )
        )
        for fulfillment_order in others:
            for sku, shipped in fulfillment_order.shipped_quantities.items():
                room[sku] -= shipped
        if all(
            float_compare(shipped, room[sku], precision_digits=3) <= 0
            for sku, shipped in self.shipped_quantities.items()
        ):
            return (self.picking_id & done) or done[-1:]
        return done.browse()

    def _shipwire_units_on(self, picking):
        """Share what these fulfillment orders shipped among the delivery's open
        moves: ``({move: units}, fulfillment orders none of whose SKUs is on it)``.
        """
        moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        room = {move: move.product_qty for move in moves}
        units_by_move = defaultdict(float)
        unmatched = self.browse()
        for fulfillment_order in self:
            applied = 0
            for sku, shipped in fulfillment_order.shipped_quantities.items():
                for move in moves:
                    if move.product_id.default_code != sku or shipped <= 0:
                        continue
                    units = min(shipped, room[move])
                    room[move] -= units
                    shipped -= units
                    units_by_move[move] += units
                    applied += units
            if not applied:
                unmatched |= fulfillment_order
        return {
            move: units for move, units in units_by_move.items() if units
        }, unmatched

    def _shipwire_not_delivered(self, reason, picking=None):
        """Shipwire shipped this order but Odoo's delivery could not follow."""
        self.delivery_problem = reason
        name = picking.name if picking else self.display_name
        text = self.env._(
            "%(name)s shipped at Shipwire but no delivery was validated: %(reason)s",
            name=name,
            reason=reason,
        )
        purchase_order = self.purchase_order_id
        self.env["shipwire.message"].create(
            {
                "purchase_order_id": purchase_order.id,
                "severity": "error",
                "code": DELIVERY_CODE,
                "text": text,
            }
        )
        # Closed with the problem, once the delivery is validated.
        purchase_order._schedule_activity(
            self.env._("Validate %(name)s by hand", name=name), [text], FIX_PO_ACTIVITY
        )

    def _shipwire_handle_cancel(self):
        """Shipwire cancelled this order: say so, and cancel its delivery if nothing
        of it shipped and no other fulfillment order still needs it."""
        self.ensure_one()
        self.cancel_handled = True
        picking = self.picking_id
        still_needed = (self.purchase_order_id.fulfillment_order_ids - self).filtered(
            lambda fo: fo.picking_id == picking and fo.status != "cancelled"
        )
        if picking and picking.state not in ("done", "cancel") and not still_needed:
            picking.action_cancel()
        self.purchase_order_id._schedule_activity(
            self.env._("%(order)s cancelled", order=self.display_name),
            [self.env._("Shipwire cancelled this fulfillment order.")],
        )

    def _shipwire_update_tracking_reference(self):
        """Odoo's tracking reference lists every number shipped on the delivery."""
        shipped = self.picking_id.shipwire_fulfillment_order_ids.filtered(
            "delivery_done"
        )
        numbers = defaultdict(list)
        for fulfillment_order in shipped:
            numbers[fulfillment_order.picking_id] += (
                fulfillment_order.tracking_ids.mapped("tracking_number")
            )
        for picking, found in numbers.items():
            reference = ", ".join(found)
            if found and picking.carrier_tracking_ref != reference:
                picking.carrier_tracking_ref = reference
