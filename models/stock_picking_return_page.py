from odoo import api, fields, models

from ..mapper.returns import shipping_fulfillment_orders


class StockPickingReturnPage(models.Model):
    """What the return picking's Shipwire page shows of its Shipwire returns; a
    backorder shows those of the return it came from."""

    # Kept apart from stock_picking.py by feature.
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    shipwire_is_return = fields.Boolean(
        string="Return of a delivery",
        compute="_compute_shipwire_return_page",
        help="A return of a delivery, or a backorder of one: it goes to Shipwire "
        "with Send return to Shipwire, never as a receiving.",
    )
    shipwire_return_shipped = fields.Boolean(
        string="Return of a Shipwire shipment",
        compute="_compute_shipwire_return_page",
        help="A return of a delivery Shipwire shipped, or a backorder of one.",
    )
    shipwire_return_page_ids = fields.Many2many(
        "shipwire.return",
        compute="_compute_shipwire_return_page",
        string="Returns at Shipwire",
    )
    shipwire_return_line_ids = fields.Many2many(
        "shipwire.return.line",
        compute="_compute_shipwire_return_page",
        string="Return counts at Shipwire",
    )
    shipwire_return_hold_ids = fields.Many2many(
        "shipwire.return.hold",
        compute="_compute_shipwire_return_page",
        string="Return holds at Shipwire",
    )
    shipwire_return_open = fields.Boolean(
        string="Return open at Shipwire",
        compute="_compute_shipwire_return_page",
        help="Shipwire may still receive units of this return.",
    )

    @api.depends("return_id", "backorder_id", "shipwire_return_ids.state")
    def _compute_shipwire_return_page(self):
        for picking in self:
            sudo = picking.sudo()
            root = sudo._shipwire_return_root()
            returns = root.shipwire_return_ids
            picking.shipwire_is_return = bool(root.return_id)
            picking.shipwire_return_shipped = bool(
                picking.picking_type_code == "incoming"
                and root.return_id
                and shipping_fulfillment_orders(root)
            )
            picking.shipwire_return_page_ids = returns
            picking.shipwire_return_line_ids = returns.line_ids
            picking.shipwire_return_hold_ids = returns.hold_ids
            picking.shipwire_return_open = bool(sudo._shipwire_open_returns())
