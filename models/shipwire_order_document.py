import functools

from odoo import api, models
from odoo.osv import expression

from ..const import GROUP_USER


class ShipwireOrderDocument(models.AbstractModel):
    """A record about one sales order's Shipwire PO (the PO record, fulfillment
    orders, holds, trackings, messages, extended attributes). Reading it takes
    reading that sales order; changing it takes changing that sales order (on top
    of the model's own rights, which give the module's records to no one). Shipwire
    Users read them all within their companies: they work through every PO.

    Inheriting models have a stored ``sale_order_id``."""

    _name = "shipwire.order.document"
    _description = "Shipwire record of a sales order"

    def _reads_through_sale_order(self):
        return not self.env.su and not self.env.user.has_group(GROUP_USER)

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or not self:
            return result
        if operation == "read" and not self._reads_through_sale_order():
            return None
        orders = self.sudo().sale_order_id.sudo(False)
        denied = orders._check_access("read" if operation == "read" else "write")
        if not denied:
            return None
        forbidden = (
            self.sudo()
            .filtered(lambda record: record.sale_order_id in denied[0])
            .sudo(False)
        )
        return forbidden, functools.partial(
            self.env["ir.rule"]._make_access_error, operation, forbidden
        )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if self._reads_through_sale_order():
            SaleOrder = self.env["sale.order"]
            readable = (
                [("sale_order_id", "in", SaleOrder._search([]))]
                if SaleOrder.has_access("read")
                else expression.FALSE_DOMAIN
            )
            domain = expression.AND([domain, readable])
        return super()._search(domain, offset, limit, order)
