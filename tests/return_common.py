import requests

from ..models.shipwire_webhook_event import APPLY_JOB, WebhookAccount
from ..shipwire_api.sandbox.return_routes import ReturnRenderer
from .receiving_common import ReceivingCase


class ReturnCase(ReceivingCase):
    """Orders Shipwire shipped, and Odoo's returns of their deliveries."""

    def _shipped(self, lines=None, split=False):
        """A sales order sent to Shipwire and shipped by it, its delivery done."""
        if split:
            self.backend.can_split = True
        order = self._order(lines or [(self.diamond, 3)])
        order.action_shipwire_send()
        for fulfillment in order.shipwire_fulfillment_order_ids:
            self.sandbox.complete_order(int(fulfillment.shipwire_id))
        self.env["shipwire.sync"]._cron_sync()
        delivery = order.picking_ids
        self.assertEqual(delivery.mapped("state"), ["done"] * len(delivery))
        return order.sudo()

    def _return(self, delivery, quantities, user=None):
        """Odoo's return of ``delivery`` (``{product: units}``), as a receipt clerk
        makes it with the Return button."""
        user = user or self.receiver
        wizard = (
            self.env["stock.return.picking"]
            .with_user(user)
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        for line in wizard.product_return_moves:
            line.quantity = quantities.get(line.product_id, 0)
        action = wizard.action_create_returns()
        return self.env["stock.picking"].browse(action["res_id"])

    def _send_return(self, picking, user=None):
        return picking.with_user(user or self.receiver).action_shipwire_send_return()

    def _control_return(self, record, action, body=None):
        response = requests.post(
            f"{self.sandbox.url}/_sandbox/returns/{record.shipwire_id}/{action}",
            json=body or {},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()

    def _arrive_return(self, record, sku, good=0, damaged=0, in_review=0):
        return self._control_return(
            record,
            "receive",
            {"sku": sku, "good": good, "damaged": damaged, "inReview": in_review},
        )

    def _later_at_shipwire(self, minutes):
        """Shipwire's clock moves on: its next changes are stamped later."""
        store = self.sandbox.store
        self.addCleanup(setattr, store, "clock", store.clock)
        store.clock = lambda now=store.clock: now() + minutes * 60

    def _sandbox_setting(self, name, value):
        settings = self.sandbox.settings
        self.addCleanup(setattr, settings, name, getattr(settings, name))
        setattr(settings, name, value)

    def _webhook(self, topic, record, backend=None):
        """Shipwire's ``topic`` delivery of the return as it is now, stored as the
        webhook route stores it."""
        backend = backend or self.backend
        resource = self._sandbox_client().get_return(int(record.shipwire_id), "items")
        body = {"resource": resource}
        self._store_webhook(topic, body, backend)
        return body

    def _holds_webhook(self, topic, record):
        """Shipwire's hold delivery of the return: its holds, cleared ones
        included, as the sandbox sends it."""
        sandbox = self.sandbox
        renderer = ReturnRenderer(sandbox.return_desk, sandbox._renderer())
        with sandbox.return_desk.lock:
            body = renderer.webhook_body("returnHolds", int(record.shipwire_id))
        self._store_webhook(topic, body)

    def _store_webhook(self, topic, body, backend=None):
        backend = backend or self.backend
        self.env["shipwire.webhook.event"]._store(
            WebhookAccount(backend.id, backend.company_id.id, backend.name, []),
            topic,
            body,
        )

    def _sync_stock(self):
        self.env["shipwire.stock.sync"]._sync_stock(self.backend, full=True)
        self.env.invalidate_all()

    def _adjustments(self):
        return self.env["stock.move"].search(
            [("is_inventory", "=", True), ("product_id", "=", self.diamond.id)]
        )

    def _apply_webhooks(self):
        self.assertTrue(self.env.ref(APPLY_JOB).method_direct_trigger())
        self.env.invalidate_all()
