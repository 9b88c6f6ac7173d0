from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from .sale_order import EMPLOYEES


class SaleOrder(models.Model):
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    shipwire_to_send = fields.Boolean(
        string="To send to Shipwire",
        compute="_compute_shipwire_to_send",
        search="_search_shipwire_to_send",
        groups=EMPLOYEES,
        help="Confirmed, its warehouse mapped to a Shipwire account, and Shipwire "
        "has no PO of it there: never sent, or its send stopped before reaching "
        "Shipwire.",
    )

    @api.depends("state", "shipwire_backend_id", "shipwire_state")
    def _compute_shipwire_to_send(self):
        for order in self:
            order.shipwire_to_send = bool(
                order.state == "sale"
                and order.shipwire_backend_id
                and not order.sudo().shipwire_state
            )

    @api.model
    def _shipwire_to_send_domain(self):
        return [
            ("state", "=", "sale"),
            ("shipwire_backend_id", "!=", False),
            # No PO at the order's account, or one that never reached Shipwire.
            # Indexed: PostgreSQL looks at these few orders, not the sent history.
            ("shipwire_state", "=", False),
        ]

    def _search_shipwire_to_send(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search To send with = or != and a yes/no."))
        domain = expression.normalize_domain(self._shipwire_to_send_domain())
        if (operator == "=") == value:
            return domain
        return ["!", *domain]
