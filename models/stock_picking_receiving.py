from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from ..const import GROUP_MANAGER, GROUP_USER
from ..mapper.receiving import (
    receiving_external_id,
    receiving_order_no,
    receiving_problems,
)
from .shipwire_backend import ensure_group, nothing_selected, notification
from .shipwire_inbound import OPEN_STATES


class StockPickingReceiving(models.Model):
    """A receipt announced to Shipwire as a receiving, and its buttons."""

    # Kept apart from stock_picking.py by feature.
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    shipwire_receiving_id = fields.Many2one(
        "shipwire.receiving",
        string="Shipwire receiving",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    shipwire_receiving_state = fields.Selection(
        related="shipwire_receiving_id.state", string="Shipwire receiving state"
    )
    shipwire_can_receive = fields.Boolean(
        compute="_compute_shipwire_can_receive",
        help="An incoming receipt to a warehouse Shipwire runs, not a customer's "
        "return (Send return to Shipwire takes those).",
    )

    @api.depends("picking_type_id", "shipwire_receiving_id", "shipwire_is_return")
    def _compute_shipwire_can_receive(self):
        for picking in self:
            picking.shipwire_can_receive = bool(
                picking.picking_type_code == "incoming"
                and not picking.shipwire_is_return
                and picking._shipwire_receiving_backend()
            )

    def _shipwire_receiving_backend(self):
        self.ensure_one()
        warehouse = self.picking_type_id.warehouse_id
        if not warehouse:
            return self.env["shipwire.backend"]
        return (
            self.env["shipwire.warehouse"]
            .sudo()
            .search([("warehouse_id", "=", warehouse.id)], limit=1)
            .backend_id
        )

    @api.model_create_multi
    def create(self, vals_list):
        """A receipt is linked to its receiving by the module; a backorder made by
        hand takes its receipt's."""
        if not self.env.su:
            for vals in vals_list:
                linked = vals.get("shipwire_receiving_id")
                origin = self.browse(vals.get("backorder_id")).sudo()
                if linked and linked != origin.shipwire_receiving_id.id:
                    self._shipwire_refuse_link()
        return super().create(vals_list)

    def write(self, vals):
        if "shipwire_receiving_id" in vals and not self.env.su:
            self._shipwire_refuse_link()
        self._shipwire_refuse_moving_warehouse(vals)
        return super().write(vals)

    def _shipwire_refuse_moving_warehouse(self, vals):
        """Shipwire's warehouse expects the goods: the receipt stays in the Odoo
        warehouse it was announced for."""
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
        moved = self.sudo().filtered(
            lambda p: (
                p.shipwire_receiving_id.state in OPEN_STATES
                and p.state not in ("done", "cancel")
                and new_warehouses != p.shipwire_receiving_id.warehouse_id
            )
        )
        if moved:
            raise UserError(
                self.env._(
                    "%(receipts)s: announced to Shipwire for %(warehouse)s, whose "
                    "goods they are. Keep the receipt's operation type and "
                    "destination in that warehouse; to receive elsewhere, press "
                    "Cancel at Shipwire and make a new receipt.",
                    receipts=", ".join(moved.mapped("name")),
                    warehouse=moved.shipwire_receiving_id.warehouse_id[:1].name,
                )
            )

    def _shipwire_refuse_link(self):
        raise AccessError(
            self.env._(
                "A receipt is linked to its Shipwire receiving by Send to Shipwire "
                "only."
            )
        )

    def copy_data(self, default=None):
        """A backorder belongs to its receipt's receiving; a copy does not."""
        default = dict(default or {})
        vals_list = super().copy_data(default)
        if default.get("backorder_id"):
            for picking, vals in zip(self, vals_list, strict=True):
                vals["shipwire_receiving_id"] = picking.shipwire_receiving_id.id
        return vals_list

    def action_cancel(self):
        """While Shipwire may still receive the goods, the receipt is cancelled
        at Shipwire first: Cancel at Shipwire, which cancels the rest here."""
        self._shipwire_refuse_cancel(self)
        return super().action_cancel()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_shipwire_receiving(self):
        """The receiving keeps its receipt; a backorder goes only once Shipwire
        no longer receives."""
        kept = self.sudo().filtered(
            lambda p: (
                p.shipwire_receiving_id.picking_id == p
                or p.shipwire_receiving_id.state in OPEN_STATES
            )
        )
        if kept:
            raise UserError(
                self.env._(
                    "%(receipts)s: announced to Shipwire, whose receiving keeps its "
                    "receipt and, while Shipwire may still receive, its backorders. "
                    "Cancel the receipt instead (Cancel at Shipwire while Shipwire "
                    "may still receive).",
                    receipts=", ".join(kept.mapped("name")),
                )
            )

    def _action_done(self):
        """Validating without a backorder cancels the rest: refused like Cancel."""
        if self.env.context.get("cancel_backorder"):
            self._shipwire_refuse_cancel(
                self.filtered(lambda picking: picking._shipwire_leaves_remainder())
            )
        return super()._action_done()

    def _shipwire_leaves_remainder(self):
        return any(
            float_compare(
                move.quantity if move.picked else 0,
                move.product_uom_qty,
                precision_rounding=move.product_uom.rounding,
            )
            < 0
            for move in self.move_ids
            if move.state not in ("done", "cancel")
        )

    def _shipwire_booking(self):
        """Whether the module itself books or closes the transfer as Shipwire
        counted (it does so as superuser): the context key alone, which any
        caller can send, does not lift the refusals."""
        return self.env.su and bool(self.env.context.get("shipwire_booking"))

    def _shipwire_refuse_cancel(self, pickings):
        if self._shipwire_booking():
            return
        announced = pickings.sudo().filtered(
            lambda p: (
                p.shipwire_receiving_id.state in OPEN_STATES
                and p.state not in ("done", "cancel")
            )
        )
        if announced:
            raise UserError(
                self.env._(
                    "%(receipts)s: Shipwire's warehouse expects these goods. "
                    "Press Cancel at Shipwire; the receipt is cancelled once "
                    "Shipwire has cancelled its receiving.",
                    receipts=", ".join(announced.mapped("name")),
                )
            )

    # -- buttons -------------------------------------------------------------------

    def _shipwire_as_module(self):
        """After the caller's Shipwire group was checked: receipts are handled by
        Inventory users; the module does the rest."""
        ensure_group(self.env, "stock.group_stock_user")
        self.check_access("read")
        return self.sudo().with_context(shipwire_click=True)

    def action_shipwire_send_receiving(self):
        """Announce the receipts to Shipwire, each once, ever."""
        ensure_group(self.env, GROUP_USER)
        title = self.env._("Send to Shipwire")
        if not self:
            return nothing_selected(self.env, title)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        problems = []
        for picking in pickings:
            receiving = picking.shipwire_receiving_id
            if receiving and receiving.state not in ("unanswered", "refused"):
                problems.append(
                    self.env._(
                        "%(receipt)s is already announced to Shipwire as "
                        "%(receiving)s.",
                        receipt=picking.name,
                        receiving=receiving.external_id,
                    )
                )
                continue
            backend = picking._shipwire_receiving_backend()
            if not backend:
                problems.append(
                    self.env._(
                        "%(receipt)s goes to %(warehouse)s, which no Shipwire "
                        "account serves: map the warehouse on a Shipwire account.",
                        receipt=picking.name,
                        warehouse=picking.picking_type_id.warehouse_id.name or "-",
                    )
                )
                continue
            problems += receiving_problems(picking, backend)
        if problems:
            if len(pickings) > 1:
                problems.insert(
                    0,
                    self.env._(
                        "None of the %(count)s receipts was sent. Fix or unselect "
                        "these, then send again:",
                        count=len(pickings),
                    ),
                )
            raise UserError("\n".join(problems))
        for picking in pickings:
            picking.with_company(
                picking.company_id
            )._shipwire_receiving_record()._send()
        return pickings._shipwire_receiving_outcome(title)

    def _shipwire_receiving_record(self):
        """The receipt's receiving record, made before the first call: its
        externalId is fixed from then on."""
        self.ensure_one()
        if self.shipwire_receiving_id:
            return self.shipwire_receiving_id
        backend = self._shipwire_receiving_backend()
        receiving = self.env["shipwire.receiving"].create(
            {
                "backend_id": backend.id,
                "picking_id": self.id,
                "warehouse_id": self.picking_type_id.warehouse_id.id,
                "external_id": receiving_external_id(backend, self),
                "order_no": receiving_order_no(self)[:25],
            }
        )
        self.shipwire_receiving_id = receiving
        return receiving

    def _shipwire_lock(self):
        self.env.cr.execute(
            "SELECT id FROM stock_picking WHERE id IN %s FOR UPDATE", [tuple(self.ids)]
        )
        self.invalidate_recordset(["shipwire_receiving_id"])

    def _shipwire_receivings(self):
        not_sent = self.filtered(lambda p: not p.shipwire_receiving_id.shipwire_id)
        if not_sent:
            raise UserError(
                self.env._(
                    "%(receipts)s: not announced to Shipwire yet; press Send to "
                    "Shipwire.",
                    receipts=", ".join(not_sent.mapped("name")),
                )
            )
        return self.shipwire_receiving_id

    def action_shipwire_update_receiving(self):
        ensure_group(self.env, GROUP_USER)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        for picking in pickings:
            problems = receiving_problems(
                picking, picking.shipwire_receiving_id.backend_id
            )
            if problems:
                raise UserError("\n".join(problems))
        for receiving in pickings._shipwire_receivings():
            receiving._update()
        return pickings._shipwire_receiving_outcome(self.env._("Update at Shipwire"))

    def action_shipwire_cancel_receiving(self):
        ensure_group(self.env, GROUP_MANAGER)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        for receiving in pickings._shipwire_receivings():
            receiving._cancel()
        return pickings._shipwire_receiving_outcome(self.env._("Cancel at Shipwire"))

    def action_shipwire_refresh_receiving(self):
        ensure_group(self.env, GROUP_USER)
        pickings = self._shipwire_as_module()
        pickings._shipwire_lock()
        for picking in pickings:
            if not picking.shipwire_receiving_id:
                raise UserError(
                    self.env._(
                        "%(receipt)s is not announced to Shipwire.",
                        receipt=picking.name,
                    )
                )
            picking.shipwire_receiving_id._refresh()
        return pickings._shipwire_receiving_outcome(self.env._("Refresh from Shipwire"))

    def action_shipwire_receiving_labels(self):
        ensure_group(self.env, GROUP_USER)
        pickings = self._shipwire_as_module()
        attached = {}
        for receiving in pickings._shipwire_receivings():
            attachment = receiving._labels()
            if attachment:
                attached[receiving] = attachment.name
        return pickings._shipwire_receiving_outcome(
            self.env._("Shipwire labels"), attached
        )

    def _shipwire_receiving_outcome(self, title, attached=None):
        """One line a receipt: its receiving's state, Shipwire's messages, the
        holds still active and, after Labels, the file attached."""
        states = dict(
            self.env["shipwire.receiving"]
            ._fields["state"]
            ._description_selection(self.env)
        )
        lines, kind = [], "success"
        for picking in self:
            receiving = picking.shipwire_receiving_id
            line = f"{picking.name}: {states.get(receiving.state, '-')}"
            if receiving.state in ("unanswered", "refused"):
                kind = "danger"
            holds = receiving.is_open and receiving.hold_ids.filtered(
                lambda hold: not hold.cleared_date
            )
            if kind == "success" and (receiving.state == "held" or holds):
                kind = "warning"
            if holds:
                line += " - " + self.env._(
                    "held at Shipwire: %(holds)s",
                    holds="; ".join(
                        hold.description or hold.hold_type or "-" for hold in holds
                    ),
                )
            if receiving.message:
                line += f" ({receiving.message})"
            if attached and receiving in attached:
                line += " - " + self.env._(
                    "labels attached to %(receipt)s: %(file)s",
                    receipt=receiving.picking_id.name,
                    file=attached[receiving],
                )
            lines.append(line)
        return notification(kind, "\n".join(lines), title=title, reload=True)
