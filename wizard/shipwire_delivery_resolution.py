from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import GROUP_USER
from ..models.shipwire_backend import ensure_group, notification
from ..models.shipwire_message import DELIVERY_CODE


class ShipwireDeliveryResolution(models.TransientModel):
    """Settles an order Shipwire shipped whose Odoo delivery was not validated."""

    _name = "shipwire.delivery.resolution"
    _description = "Resolve a delivery Shipwire shipped"

    sale_order_id = fields.Many2one(
        "sale.order", string="Sales Order", required=True, readonly=True
    )
    can_validate = fields.Boolean(compute="_compute_can_validate")
    choice = fields.Selection(
        [
            ("validate", "Validate the shipped quantities now"),
            ("handled", "Mark it handled"),
        ],
        string="What to do",
        required=True,
        compute="_compute_choice",
        precompute=True,
        store=True,
        readonly=False,
    )
    reason = fields.Text(help="Why no delivery is validated for what Shipwire shipped.")

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Only for an order the user may read, in the companies selected.
        wizards.sale_order_id.check_access("read")
        return wizards

    @api.depends("sale_order_id")
    def _compute_can_validate(self):
        for wizard in self:
            wizard.can_validate = bool(
                wizard.sale_order_id.sudo()._shipwire_open_delivery()
            )

    @api.depends("sale_order_id")
    def _compute_choice(self):
        for wizard in self:
            open_delivery = wizard.sale_order_id.sudo()._shipwire_open_delivery()
            wizard.choice = "validate" if open_delivery else "handled"

    def action_resolve(self):
        self.ensure_one()
        ensure_group(self.env, GROUP_USER)
        order = self.sale_order_id
        order.check_access("read")
        purchase_order = order.sudo().shipwire_purchase_order_id
        if purchase_order.state != "not_delivered":
            raise UserError(
                self.env._(
                    "%(order)s: nothing waits on its delivery any more.",
                    order=order.name,
                )
            )
        unapplied = purchase_order.fulfillment_order_ids.filtered("delivery_problem")
        if self.choice == "validate" and not self.can_validate:
            raise UserError(
                self.env._(
                    "%(order)s has no open delivery left to validate: mark it "
                    "handled once the stock is checked.",
                    order=order.name,
                )
            )
        if self.choice == "validate":
            unapplied.delivery_problem = False
            unapplied._shipwire_deliver()
            still = unapplied.filtered("delivery_problem")
            if still:
                raise UserError("\n".join(still.mapped("delivery_problem")))
            outcome = self.env._("The shipped quantities are validated.")
        else:
            if not (self.reason or "").strip():
                raise UserError(self.env._("Say why the delivery is handled."))
            unapplied.delivery_problem = False
            outcome = self.env._("Marked handled: %(reason)s", reason=self.reason)
        purchase_order.message_ids.filtered(
            lambda m: m.code == DELIVERY_CODE and not m.resolved
        ).resolved = True
        purchase_order._update_state()
        purchase_order._post(
            "resolve delivery", self.env._("Delivery resolved"), [outcome]
        )
        return notification(
            "success", outcome, title=self.env._("Resolve the delivery"), reload=True
        )
