from collections import Counter, defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..const import GROUP_MANAGER
from .shipwire_backend import ensure_group

# The PO states the overview counts; each opens the PO list's filter of its name.
PO_COUNTERS = ("failed", "rejected", "held", "needs_approval", "not_delivered")
# The receivings the overview counts, by the receivings list's filter each opens.
RECEIVING_COUNTERS = {"receivings_held": "held", "receivings_overdue": "overdue"}
# The returns the overview counts, by the returns list's filter each opens.
RETURN_COUNTERS = {"returns_waiting": "awaited", "returns_held": "held"}


class ShipwireBackend(models.Model):
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    to_send_count = fields.Integer(compute="_compute_overview_counts")
    failed_count = fields.Integer(compute="_compute_overview_counts")
    rejected_count = fields.Integer(compute="_compute_overview_counts")
    held_count = fields.Integer(compute="_compute_overview_counts")
    needs_approval_count = fields.Integer(compute="_compute_overview_counts")
    not_delivered_count = fields.Integer(compute="_compute_overview_counts")
    receivings_held_count = fields.Integer(compute="_compute_receiving_counts")
    receivings_overdue_count = fields.Integer(compute="_compute_receiving_counts")
    returns_waiting_count = fields.Integer(compute="_compute_return_counts")
    returns_held_count = fields.Integer(compute="_compute_return_counts")
    webhook_failed_count = fields.Integer(
        string="Webhook deliveries not applied",
        compute="_compute_webhook_failed_count",
        groups=GROUP_MANAGER,
    )
    health_problem = fields.Char(compute="_compute_health_problem")

    def _compute_overview_counts(self):
        # One grouped query per counted model for every account on screen: the
        # overview costs the same however long the history.
        backends = self.ids
        # Counted on the orders, whose Shipwire state is their current PO's: a PO
        # an order left behind at another account is not that account's work.
        pos = defaultdict(dict)
        for backend, state, count in self.env["sale.order"]._read_group(
            [
                ("shipwire_backend_id", "in", backends),
                ("shipwire_state", "in", list(PO_COUNTERS)),
            ],
            ["shipwire_backend_id", "shipwire_state"],
            ["__count"],
        ):
            pos[backend.id][state] = count
        to_send = {
            backend.id: count
            for backend, count in self.env["sale.order"]._read_group(
                [
                    ("shipwire_backend_id", "in", backends),
                    ("shipwire_to_send", "=", True),
                ],
                ["shipwire_backend_id"],
                ["__count"],
            )
        }
        for backend in self:
            by_state = pos.get(backend.id, {})
            backend.to_send_count = to_send.get(backend.id, 0)
            backend.failed_count = by_state.get("failed", 0)
            backend.rejected_count = by_state.get("rejected", 0)
            backend.held_count = by_state.get("held", 0)
            backend.needs_approval_count = by_state.get("needs_approval", 0)
            backend.not_delivered_count = by_state.get("not_delivered", 0)

    def _receiving_counter_domains(self):
        """The domains of the receivings list's filters the counters open."""
        return {
            "receivings_held": [
                ("is_open", "=", True),
                "|",
                ("state", "=", "held"),
                ("active_hold_count", ">", 0),
            ],
            "receivings_overdue": [("is_overdue", "=", True)],
        }

    def _compute_receiving_counts(self):
        # One query for both counters: the few receivings either counts, sorted
        # out in memory, so the overview's queries do not grow with its counters.
        domains = self._receiving_counter_domains()
        counted = self.env["shipwire.receiving"].search_fetch(
            expression.AND(
                [[("backend_id", "in", self.ids)], expression.OR(domains.values())]
            ),
            ["backend_id", "state", "active_hold_count", "expected_date", "pending"],
        )
        held, overdue = (
            Counter(r.backend_id.id for r in counted.filtered_domain(domains[kind]))
            for kind in ("receivings_held", "receivings_overdue")
        )
        for backend in self:
            backend.receivings_held_count = held[backend.id]
            backend.receivings_overdue_count = overdue[backend.id]

    def _return_counter_domains(self):
        """The domains of the returns list's filters the counters open."""
        return {
            "returns_waiting": [("is_waiting", "=", True)],
            "returns_held": [
                ("is_open", "=", True),
                "|",
                ("state", "=", "held"),
                ("active_hold_count", ">", 0),
            ],
        }

    def _compute_return_counts(self):
        # One query for both counters, as for the receivings.
        domains = self._return_counter_domains()
        counted = self.env["shipwire.return"].search_fetch(
            expression.AND(
                [[("backend_id", "in", self.ids)], expression.OR(domains.values())]
            ),
            ["backend_id", "state", "active_hold_count", "pending", "in_review"],
        )
        waiting, held = (
            Counter(r.backend_id.id for r in counted.filtered_domain(domains[kind]))
            for kind in ("returns_waiting", "returns_held")
        )
        for backend in self:
            backend.returns_waiting_count = waiting[backend.id]
            backend.returns_held_count = held[backend.id]

    def _compute_webhook_failed_count(self):
        failed = {
            backend.id: count
            for backend, count in self.env["shipwire.webhook.event"]._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "failed")],
                ["backend_id"],
                ["__count"],
            )
        }
        for backend in self:
            backend.webhook_failed_count = failed.get(backend.id, 0)

    @api.depends(
        "outage_since",
        "last_sync_date",
        "last_sync_error",
        "last_sync_error_date",
        "stock_sync_error",
    )
    def _compute_health_problem(self):
        for backend in self:
            problems = []
            if backend.outage_since:
                problems.append(self.env._("Shipwire unreachable"))
            if backend.last_sync_error and (
                not backend.last_sync_date
                or not backend.last_sync_error_date
                or backend.last_sync_error_date > backend.last_sync_date
            ):
                problems.append(self.env._("Sync failing"))
            if backend.stock_sync_error:
                problems.append(self.env._("Stock sync failing"))
            backend.health_problem = ", ".join(problems)

    def action_overview_open(self):
        """The list behind the overview counter named ``overview_list`` in the
        context, restricted to this account."""
        if len(self) != 1:
            raise UserError(
                self.env._(
                    "An overview counter opens the list of one account: "
                    "%(count)s accounts were given.",
                    count=len(self),
                )
            )
        kind = self.env.context.get("overview_list")
        # The list opens with the counter's filter and the account as search
        # facets, so the clerk sees them and may remove them.
        if kind in PO_COUNTERS:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale_stock_shipwire.shipwire_purchase_order_action"
            )
            context = {
                "create": False,
                f"search_default_{kind}": 1,
                "search_default_backend_id": self.id,
            }
            title = self._overview_po_titles()[kind]
        elif kind in RECEIVING_COUNTERS:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale_stock_shipwire.shipwire_receiving_action"
            )
            context = {
                "create": False,
                f"search_default_{RECEIVING_COUNTERS[kind]}": 1,
                "search_default_backend_id": self.id,
            }
            title = self._overview_receiving_titles()[kind]
        elif kind in RETURN_COUNTERS:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale_stock_shipwire.shipwire_return_action"
            )
            context = {
                "create": False,
                f"search_default_{RETURN_COUNTERS[kind]}": 1,
                "search_default_backend_id": self.id,
            }
            title = self._overview_return_titles()[kind]
        elif kind == "to_send":
            action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
            context = {
                "create": False,
                "search_default_shipwire_to_send": 1,
                "search_default_shipwire_backend_id": self.id,
            }
            title = self.env._("To send")
        elif kind == "unmatched_sku":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale_stock_shipwire.shipwire_stock_level_action"
            )
            context = {
                "create": False,
                "search_default_unmatched": 1,
                "search_default_backend_id": self.id,
            }
            title = self.env._("Unmatched SKUs")
        elif kind == "webhook_failed":
            ensure_group(self.env, GROUP_MANAGER)
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "sale_stock_shipwire.shipwire_webhook_event_action"
            )
            action["domain"] = [("backend_id", "=", self.id), ("state", "=", "failed")]
            context = {"create": False}
            title = self.env._("Webhook deliveries not applied")
        else:
            raise UserError(
                self.env._(
                    "The overview has no counter named %(counter)r. Open one of: "
                    "%(counters)s.",
                    counter=kind,
                    counters=", ".join(
                        [
                            *PO_COUNTERS,
                            *RECEIVING_COUNTERS,
                            *RETURN_COUNTERS,
                            "to_send",
                            "unmatched_sku",
                            "webhook_failed",
                        ]
                    ),
                )
            )
        action["name"] = self.env._(
            "%(account)s: %(list)s", account=self.name, list=title
        )
        # The web client titles the list with display_name, ahead of name.
        action["display_name"] = action["name"]
        action["context"] = context
        action["help"] = self.env._(
            '<p class="o_view_nocontent_smiling_face">Nothing here</p>'
            "<p>Nothing of this account is in this state now.</p>"
        )
        return action

    def _overview_po_titles(self):
        return {
            "failed": self.env._("Send failed"),
            "rejected": self.env._("Rejected"),
            "held": self.env._("On hold"),
            "needs_approval": self.env._("Needs approval"),
            "not_delivered": self.env._("Shipped, delivery not validated"),
        }

    def _overview_receiving_titles(self):
        return {
            "receivings_held": self.env._("Receivings on hold"),
            "receivings_overdue": self.env._("Receivings overdue"),
        }

    def _overview_return_titles(self):
        return {
            "returns_waiting": self.env._("Returns waiting"),
            "returns_held": self.env._("Returns on hold"),
        }
