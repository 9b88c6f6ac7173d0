from odoo import SUPERUSER_ID, api, fields, models


class ShipwireSendAttempt(models.Model):
    """A create call about to be made, written in a transaction of its own before
    the call. When the transaction of the send is undone after Shipwire kept the PO
    (a worker killed, a crash, a timeout), this row outlives it, and the sync looks
    the PO up by its externalId and links it to its order.

    The account and the sales order are kept as plain ids, not foreign keys: this
    row is written while the send's transaction holds the order's row, which a
    foreign key check would wait for."""

    _name = "shipwire.send.attempt"
    _description = "Shipwire send attempt"
    _order = "id"

    backend_ref = fields.Integer(
        string="Shipwire account id", required=True, index=True
    )
    sale_order_ref = fields.Integer(string="Sales order id", required=True)
    external_id = fields.Char(required=True)

    @api.model
    def _note(self, purchase_orders):
        """Keep, whatever becomes of the current transaction, that these POs are
        being sent."""
        with self.env.registry.cursor() as cr:
            # As superuser: the user who sends may not be committed yet (tests).
            api.Environment(cr, SUPERUSER_ID, {})[self._name].create(
                [
                    {
                        "backend_ref": purchase_order.backend_id.id,
                        "sale_order_ref": purchase_order.sale_order_id.id,
                        "external_id": purchase_order.external_id,
                    }
                    for purchase_order in purchase_orders
                ]
            )

    @api.model
    def _maybe_sent(self, purchase_orders):
        """Those of ``purchase_orders`` an earlier create may have reached
        Shipwire with: their send failed, or one was noted and its outcome may not
        have been kept. They are looked up before being created again."""
        noted = {
            (attempt.backend_ref, attempt.external_id)
            for attempt in self.search(
                [
                    ("backend_ref", "in", purchase_orders.backend_id.ids),
                    ("external_id", "in", purchase_orders.mapped("external_id")),
                ]
            )
        }
        return purchase_orders.filtered(
            lambda po: (
                po.state == "failed" or (po.backend_id.id, po.external_id) in noted
            )
        )
