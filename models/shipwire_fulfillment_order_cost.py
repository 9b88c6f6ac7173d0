from odoo import fields, models


class ShipwireFulfillmentOrderCost(models.Model):
    """What Shipwire reported shipping a fulfillment order cost."""

    # Kept apart from shipwire_fulfillment_order.py by feature.
    _inherit = "shipwire.fulfillment.order"  # pylint: disable=consider-merging-classes-inherited

    shipping_cost = fields.Float(
        string="Shipping cost",
        readonly=True,
        help="What Shipwire charged for shipping this order (shipping, packaging, "
        "handling and insurance), once it reports it.",
    )
    shipping_cost_currency = fields.Char(
        string="Cost currency",
        readonly=True,
        help="The currency of Shipwire's shipping cost, as Shipwire named it.",
    )
