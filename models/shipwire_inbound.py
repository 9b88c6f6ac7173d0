from odoo import api, fields, models

from ..mapper.receiving import CLOSED_STATUSES, RECEIVING_STATUSES

INBOUND_STATES = [
    ("unanswered", "Not confirmed"),
    ("refused", "Refused"),
    *[(value, label) for value, label in RECEIVING_STATUSES if value != "unprocessed"],
]
# Shipwire may still receive units in these states.
OPEN_STATES = ("unanswered", "processed", "held", "submitted", "delivered", "unknown")


class ShipwireInbound(models.AbstractModel):
    """Goods Shipwire's warehouse expects (a receiving from a vendor, a return
    from a customer): the link to Shipwire's record, its status and counters,
    and what Odoo booked of them on the Odoo transfer. Only the module writes
    them: no group has write access.

    Inheriting models define ``line_ids``, ``hold_ids``, ``exchange_ids`` and
    the transfer ``picking_id``."""

    _name = "shipwire.inbound"
    _description = "Goods Shipwire's warehouse expects"
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
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, readonly=True, check_company=True
    )
    external_id = fields.Char(
        string="Shipwire externalId", required=True, readonly=True
    )
    shipwire_id = fields.Char(string="Shipwire id", index=True, readonly=True)
    shipwire_status = fields.Char(
        readonly=True, help="The status exactly as Shipwire reported it."
    )
    state = fields.Selection(
        INBOUND_STATES, required=True, default="unanswered", index=True, readonly=True
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
    active_hold_count = fields.Integer(
        string="Active holds", compute="_compute_counts", store=True
    )
    tracking_numbers = fields.Char(readonly=True)
    message = fields.Text(
        string="Shipwire's messages",
        readonly=True,
        help="What Shipwire said on the last call or read, errors and warnings, "
        "and the warnings it gave when it took the record.",
    )
    send_notes = fields.Text(
        string="Messages of the send",
        readonly=True,
        help="What was said when the record was sent to Shipwire (Shipwire's "
        "warnings, what was cut to fit): kept among Shipwire's messages, beside "
        "what each later read says, until it is sent again.",
    )
    remote_fingerprint = fields.Char(
        readonly=True,
        help="Shipwire's record as last stored: one read again unchanged is not "
        "stored and booked again.",
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
        help="Good and damaged units booked on the transfer.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Expected before today and units still pending.",
    )

    @api.depends("state")
    def _compute_is_open(self):
        for record in self:
            record.is_open = record.state in OPEN_STATES

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
        for record in self:
            lines = record.line_ids
            record.expected = sum(lines.mapped("expected"))
            record.pending = sum(lines.mapped("pending"))
            record.good = sum(lines.mapped("good"))
            record.in_review = sum(lines.mapped("in_review"))
            record.damaged = sum(lines.mapped("damaged"))
            record.booked = sum(lines.mapped("booked_good")) + sum(
                lines.mapped("booked_damaged")
            )
            record.active_hold_count = len(
                record.hold_ids.filtered(lambda hold: not hold.cleared_date)
            )

    def _overdue_domain(self):
        return [
            ("state", "in", OPEN_STATES),
            ("expected_date", "<", fields.Date.context_today(self)),
            ("pending", ">", 0),
        ]

    def _compute_is_overdue(self):
        overdue = self.filtered_domain(self._overdue_domain())
        for record in self:
            record.is_overdue = record in overdue

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search Overdue with = or != only."))
        overdue = [("id", "in", self._search(self._overdue_domain()))]
        return overdue if (operator == "=") == value else ["!", *overdue]

    @api.depends("external_id", "picking_id.name")
    def _compute_display_name(self):
        for record in self:
            record.display_name = (
                f"{record.picking_id.name} ({record.external_id})"
                if record.picking_id
                else record.external_id
            )

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _is_closed_at_shipwire(self):
        return self.state in CLOSED_STATUSES
