from odoo import api, fields, models

from ..mapper.returns import RETURNABLE_STATUSES
from .shipwire_inbound import OPEN_STATES


class ShipwireReturn(models.Model):
    """A return Shipwire expects for a return picking: units a customer sends back
    from one fulfillment order. A return picking of a split order has one per
    fulfillment order that shipped its units."""

    _name = "shipwire.return"
    _inherit = ["shipwire.inbound"]
    _description = "Shipwire return"

    state = fields.Selection(
        selection_add=[("waiting", "Not returnable yet")],
        ondelete={"waiting": "set default"},
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Return",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        readonly=True,
        help="The return picking; its backorders belong to the same returns.",
    )
    fulfillment_order_id = fields.Many2one(
        "shipwire.fulfillment.order",
        string="Fulfillment order",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
        help="The order Shipwire shipped the returned units with.",
    )
    sale_order_id = fields.Many2one(
        related="fulfillment_order_id.sale_order_id", string="Sales Order", store=True
    )
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Customer")
    order_no = fields.Char(
        string="Order number",
        readonly=True,
        help="Shipwire's number of the fulfillment order returned.",
    )
    order_items = fields.Json(
        readonly=True, help="The units asked back, per SKU, as sent to Shipwire."
    )
    can_send = fields.Boolean(
        compute="_compute_can_send",
        help="Not made at Shipwire yet, and its fulfillment order is in a status "
        "Shipwire makes returns from.",
    )
    is_waiting = fields.Boolean(
        string="Waiting",
        compute="_compute_is_waiting",
        search="_search_is_waiting",
        help="Units still to come or being checked at Shipwire, or Shipwire "
        "cannot take the return yet.",
    )
    line_ids = fields.One2many(
        "shipwire.return.line", "return_id", string="Items", readonly=True
    )
    hold_ids = fields.One2many(
        "shipwire.return.hold", "return_id", string="Holds", readonly=True
    )
    exchange_ids = fields.One2many(
        "shipwire.exchange", "return_id", string="API calls", readonly=True
    )

    _sql_constraints = [
        (
            "fulfillment_order_unique",
            "unique(picking_id, fulfillment_order_id)",
            "A return picking makes one Shipwire return per fulfillment order.",
        ),
        (
            "external_id_unique",
            "unique(backend_id, external_id)",
            "An externalId names one return per account.",
        ),
        (
            "shipwire_id_unique",
            "unique(backend_id, shipwire_id)",
            "A Shipwire return is linked to one return picking.",
        ),
    ]

    def _waiting_domain(self):
        """Units still to come or in review, or not taken yet by Shipwire while
        the sync still sends it: not once its picking was received by hand or
        cancelled."""
        open_pickings = (
            self.env["stock.picking"]
            .sudo()
            ._search([("state", "not in", ("draft", "done", "cancel"))])
        )
        return [
            "|",
            "&",
            ("state", "=", "waiting"),
            ("picking_id", "in", open_pickings),
            "&",
            ("state", "in", OPEN_STATES),
            "|",
            ("pending", ">", 0),
            ("in_review", ">", 0),
        ]

    @api.depends("state", "pending", "in_review", "picking_id.state")
    def _compute_is_waiting(self):
        waiting = self.browse(
            self.sudo()._search([*self._waiting_domain(), ("id", "in", self.ids)])
        )
        for record in self:
            record.is_waiting = record in waiting

    def _search_is_waiting(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search Waiting with = or != only."))
        waiting = self._waiting_domain()
        return waiting if (operator == "=") == value else ["!", *waiting]

    @api.depends("state", "fulfillment_order_id.status")
    def _compute_can_send(self):
        for record in self:
            record.can_send = (
                record.state in ("unanswered", "refused", "waiting")
                and not record.shipwire_id
                and record.fulfillment_order_id.status in RETURNABLE_STATUSES
            )
