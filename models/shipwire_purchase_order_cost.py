from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import format_amount


class ShipwirePurchaseOrderCost(models.Model):
    """What Shipwire charged for shipping the order, beside the delivery price
    the customer was quoted."""

    # Kept apart from shipwire_purchase_order.py by feature.
    _inherit = "shipwire.purchase.order"  # pylint: disable=consider-merging-classes-inherited

    order_currency_id = fields.Many2one(
        related="sale_order_id.currency_id", string="Order currency"
    )
    carrier_id = fields.Many2one(
        related="sale_order_id.carrier_id", string="Delivery method"
    )
    quoted_shipping_price = fields.Monetary(
        compute="_compute_quoted_shipping_price",
        currency_field="order_currency_id",
        string="Quoted delivery price",
        help="The delivery lines of the sales order, before taxes.",
    )
    shipping_cost = fields.Float(
        compute="_compute_shipping_cost",
        string="Shipwire's shipping cost",
        help="What Shipwire reported shipping the fulfillment orders cost, in "
        "Shipwire's currency.",
    )
    shipping_cost_currency = fields.Char(
        compute="_compute_shipping_cost", string="Shipwire's currency"
    )
    shipping_cost_display = fields.Char(
        compute="_compute_shipping_cost",
        string="Shipping cost at Shipwire",
        help="What Shipwire reported shipping the fulfillment orders cost: in the "
        "order's currency when Shipwire charged in it, otherwise in Shipwire's "
        "currency, named.",
    )

    @api.depends("sale_order_id.order_line.price_subtotal")
    def _compute_quoted_shipping_price(self):
        for purchase_order in self:
            purchase_order.quoted_shipping_price = sum(
                purchase_order.sale_order_id.order_line.filtered("is_delivery").mapped(
                    "price_subtotal"
                )
            )

    @api.depends(
        "fulfillment_order_ids.shipping_cost",
        "fulfillment_order_ids.shipping_cost_currency",
    )
    def _compute_shipping_cost(self):
        for purchase_order in self:
            costs = defaultdict(float)
            for fulfillment_order in purchase_order.fulfillment_order_ids:
                if fulfillment_order.shipping_cost_currency or (
                    fulfillment_order.shipping_cost
                ):
                    costs[fulfillment_order.shipping_cost_currency] += (
                        fulfillment_order.shipping_cost
                    )
            single = len(costs) == 1
            purchase_order.shipping_cost = sum(costs.values()) if single else 0.0
            purchase_order.shipping_cost_currency = next(iter(costs)) if single else ""
            purchase_order.shipping_cost_display = " + ".join(
                purchase_order._shipping_amount_text(amount, code)
                for code, amount in sorted(costs.items())
            )

    def _shipping_amount_text(self, amount, code):
        order_currency = self.order_currency_id
        if code and code == order_currency.name:
            return format_amount(self.env, amount, order_currency)
        return f"{amount:.2f} {code or self.env._('(currency not given)')}"
