from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class ShipwirePurchaseOrderCurrent(models.Model):
    """Which PO is its order's: an order moved to another account leaves its PO
    behind, and only the order's current PO is work to do."""

    # Kept apart from shipwire_purchase_order.py by feature.
    _inherit = "shipwire.purchase.order"  # pylint: disable=consider-merging-classes-inherited

    is_current = fields.Boolean(
        string="Its order's PO",
        compute="_compute_is_current",
        search="_search_is_current",
        help="The PO at the order's Shipwire account; not one the order left behind "
        "when it moved to another account.",
    )

    def _compute_is_current(self):
        for purchase_order in self:
            purchase_order.is_current = (
                purchase_order.sudo().sale_order_id.shipwire_purchase_order_id
                == purchase_order
            )

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                self.env._("Search Its order's PO with = or != and a yes/no.")
            )
        orders = (
            self.env["sale.order"]
            .sudo()
            ._search([("shipwire_purchase_order_id", "!=", False)])
        )
        current = orders.subselect(
            SQL.identifier(orders.table, "shipwire_purchase_order_id")
        )
        in_or_not = "in" if (operator == "=") == value else "not in"
        return [("id", in_or_not, current)]

    def _orders_as_module(self):
        """The sales orders, once the user's group was checked: the module does the
        rest, whoever pressed the button. The buttons act on each order's current
        PO: a PO its order left behind at another account is refused."""
        self.check_access("read")
        purchase_orders = self.sudo()
        left_behind = purchase_orders.filtered(
            lambda po: po.sale_order_id.shipwire_purchase_order_id != po
        )
        if left_behind:
            raise UserError(
                "\n".join(
                    [
                        self.env._(
                            "Nothing was done at Shipwire: these POs are no longer "
                            "their order's PO. Unselect them, or act on the order."
                        ),
                        *(
                            self.env._(
                                "%(po)s: %(order)s is now with Shipwire account "
                                "%(account)s.",
                                po=po.display_name,
                                order=po.sale_order_id.name,
                                account=po.sale_order_id.shipwire_backend_id.name
                                or self.env._("none"),
                            )
                            for po in left_behind
                        ),
                    ]
                )
            )
        return purchase_orders.sale_order_id
