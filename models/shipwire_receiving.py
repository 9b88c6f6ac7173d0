from odoo import api, fields, models

from ..mapper.receiving import CLOSED_STATUSES, RECEIVING_STATUSES

RECEIVING_STATES = [
    ("unanswered", "Not confirmed"),
    ("refused", "Refused"),
    *[(value, label) for value, label in RECEIVING_STATUSES if value != "unprocessed"],
]
# Shipwire may still receive units of a receiving in these states.
OPEN_STATES = ("unanswered", "processed", "held", "submitted", "delivered", "unknown")


class ShipwireReceiving(models.Model):
    """The link between an incoming receipt and the receiving Shipwire expects,
    with Shipwire's counts and what Odoo booked of them. Only the module writes
    it: no group has write access; the receipt's buttons check the user's group
    and then write as superuser."""

    _name = "shipwire.receiving"
    _description = "Shipwire receiving"
    _order = "id desc"
    _rec_name = "external_id"
    _check_company_auto = True

    backend_id = fields.Many2one(
        "shipwire.backend",
        string="Account",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        related="backend_id.company_id", store=True, index=True
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Receipt",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        readonly=True,
        help="The receipt announced; its backorders belong to the same receiving.",
    )
    picking_ids = fields.One2many(
        "stock.picking",
        "shipwire_receiving_id",
        string="Receipts",
        readonly=True,
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, readonly=True, check_company=True
    )
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Vendor")
    external_id = fields.Char(
        string="Shipwire externalId", required=True, readonly=True
    )
    order_no = fields.Char(string="Order number", readonly=True)
    shipwire_id = fields.Char(string="Shipwire receiving id", index=True, readonly=True)
    shipwire_status = fields.Char(
        readonly=True, help="The status exactly as Shipwire reported it."
    )
    state = fields.Selection(
        RECEIVING_STATES, required=True, default="unanswered", index=True, readonly=True
    )
    is_open = fields.Boolean(compute="_compute_is_open", search="_search_is_open")
    shipwire_updated = fields.Datetime(string="Updated at Shipwire", readonly=True)
    last_sync = fields.Datetime(string="Last Shipwire sync", readonly=True)
    expected_date = fields.Datetime(readonly=True)
    created_date = fields.Datetime(string="Created at Shipwire", readonly=True)
    submitted_date = fields.Datetime(readonly=True)
    processed_date = fields.Datetime(readonly=True)
    delivered_date = fields.Datetime(readonly=True)
    completed_date = fields.Datetime(readonly=True)
    cancelled_date = fields.Datetime(readonly=True)
    line_ids = fields.One2many(
        "shipwire.receiving.line", "receiving_id", string="Items", readonly=True
    )
    hold_ids = fields.One2many(
        "shipwire.receiving.hold", "receiving_id", string="Holds", readonly=True
    )
    active_hold_count = fields.Integer(
        string="Active holds", compute="_compute_counts", store=True
    )
    tracking_numbers = fields.Char(readonly=True)
    message = fields.Text(
        string="Shipwire's messages",
        readonly=True,
        help="What Shipwire said on the last call, errors and warnings.",
    )
    exchange_ids = fields.One2many(
        "shipwire.exchange", "receiving_id", string="API calls", readonly=True
    )
    expected = fields.Integer(compute="_compute_counts", store=True)
    pending = fields.Integer(compute="_compute_counts", store=True)
    good = fields.Integer(compute="_compute_counts", store=True)
    in_review = fields.Integer(
        string="In review", compute="_compute_counts", store=True
    )
    damaged = fields.Integer(compute="_compute_counts", store=True)
    booked = fields.Integer(
        string="Booked in Odoo",
        compute="_compute_counts",
        store=True,
        help="Good and damaged units booked on the receipt.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Expected before today and units still pending.",
    )

    _sql_constraints = [
        (
            "picking_unique",
            "unique(picking_id)",
            "A receipt is announced to Shipwire once.",
        ),
        (
            "external_id_unique",
            "unique(backend_id, external_id)",
            "An externalId names one receiving per account.",
        ),
    ]

    @api.depends("state")
    def _compute_is_open(self):
        for receiving in self:
            receiving.is_open = receiving.state in OPEN_STATES

    def _search_is_open(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search Open with = or != only."))
        wanted = (operator == "=") == value
        return [("state", "in" if wanted else "not in", OPEN_STATES)]

    @api.depends(
        "line_ids.expected",
        "line_ids.pending",
        "line_ids.good",
        "line_ids.in_review",
        "line_ids.damaged",
        "line_ids.booked_good",
        "line_ids.booked_damaged",
        "hold_ids.cleared_date",
    )
    def _compute_counts(self):
        for receiving in self:
            lines = receiving.line_ids
            receiving.expected = sum(lines.mapped("expected"))
            receiving.pending = sum(lines.mapped("pending"))
            receiving.good = sum(lines.mapped("good"))
            receiving.in_review = sum(lines.mapped("in_review"))
            receiving.damaged = sum(lines.mapped("damaged"))
            receiving.booked = sum(lines.mapped("booked_good")) + sum(
                lines.mapped("booked_damaged")
            )
            receiving.active_hold_count = len(
                receiving.hold_ids.filtered(lambda hold: not hold.cleared_date)
            )

    def _overdue_domain(self):
        return [
            ("state", "in", OPEN_STATES),
            ("expected_date", "<", fields.Date.context_today(self)),
            ("pending", ">", 0),
        ]

    def _compute_is_overdue(self):
        overdue = self.filtered_domain(self._overdue_domain())
        for receiving in self:
            receiving.is_overdue = receiving in overdue

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search Overdue with = or != only."))
        overdue = [("id", "in", self._search(self._overdue_domain()))]
        return overdue if (operator == "=") == value else ["!", *overdue]

    @api.depends("external_id", "picking_id.name")
    def _compute_display_name(self):
        for receiving in self:
            receiving.display_name = (
                f"{receiving.picking_id.name} ({receiving.external_id})"
                if receiving.picking_id
                else receiving.external_id
            )

    def _open_picking(self):
        """The receipt (or backorder) that takes the units still to book."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda picking: picking.state not in ("done", "cancel")
        ).sorted("id")[-1:]

    def _is_closed_at_shipwire(self):
        return self.state in CLOSED_STATUSES
