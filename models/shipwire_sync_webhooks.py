from odoo import api, models

from ..mapper import is_older, last_updated, shipwire_id
from ..shipwire_api.envelope import collection_items
from .shipwire_sync import SYNC_JOB


class ShipwireSyncWebhooks(models.AbstractModel):
    """What Shipwire's verified webhooks bring: stock, POs, orders, trackings."""

    _inherit = "shipwire.sync"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _apply_webhooks(self, backend, events):
        """Apply verified deliveries (``shipwire.webhook.event``) of one account
        together, in the order they came: stock first, then the POs and
        fulfillment orders they carry, stored as one batch, then trackings.

        Deliveries may repeat or come out of order: storing is idempotent and an
        update older than what is stored changes nothing. An order we cannot place
        triggers a catch-up sync instead of a call from here."""
        remote, trackings, stock = _webhook_resources(events)
        returns = events.filtered(lambda event: webhook_kind(event.topic) == "return")
        if returns:
            self.env["shipwire.return"]._store_webhooks(backend, returns)
        for body in stock:
            self.env["shipwire.stock.sync"]._handle_stock_webhook(backend, body)
        matched = self._match(backend, remote) if remote else {}
        if matched:
            self.env["shipwire.purchase.order"]._store_remote(matched, replayable=True)
        if len(matched) < len(remote):
            self.env.ref(SYNC_JOB)._trigger()
        for resource in trackings:
            self._handle_tracking_webhook(backend, resource)

    @api.model
    def _webhook_purchase_orders(self, backend, events):
        """The account's POs that deliveries name, through a PO or order they
        carry or the fulfillment order of a tracking."""
        remote, trackings, _stock = _webhook_resources(events)
        purchase_orders = self.env["shipwire.purchase.order"].union(
            *(self._match_known(backend, remote)[0] if remote else ())
        )
        order_ids = {
            shipwire_id(item["orderId"])
            for resource in trackings
            for item in _tracking_items(resource)
        }
        if order_ids:
            purchase_orders |= (
                self.env["shipwire.fulfillment.order"]
                .search(
                    [
                        ("shipwire_id", "in", list(order_ids)),
                        ("purchase_order_id.backend_id", "=", backend.id),
                    ]
                )
                .purchase_order_id
            )
        return purchase_orders

    @api.model
    def _handle_tracking_webhook(self, backend, trackings):
        items = _tracking_items(trackings)
        order_ids = {shipwire_id(item["orderId"]) for item in items}
        fulfillment_orders = self.env["shipwire.fulfillment.order"].search(
            [
                ("shipwire_id", "in", list(order_ids)),
                ("purchase_order_id.backend_id", "=", backend.id),
            ]
        )
        if len(fulfillment_orders) < len(order_ids):
            self.env.ref(SYNC_JOB)._trigger()
        fulfillment_orders._shipwire_sync_children(
            [
                (
                    fulfillment_order,
                    {
                        "trackings": {
                            "resource": {
                                "items": [
                                    item
                                    for item in items
                                    if shipwire_id(item["orderId"])
                                    == fulfillment_order.shipwire_id
                                ]
                            }
                        }
                    },
                )
                for fulfillment_order in fulfillment_orders
            ]
        )
        fulfillment_orders._shipwire_update_tracking_reference()


def _webhook_resources(events):
    """What deliveries carry, in the order they came: ``(remote, trackings,
    stock)``, ``remote`` being ``{key: (PO resource or None, [order resources] or
    None)}`` as the sync groups them, ``trackings`` the tracking resources and
    ``stock`` the bodies of stock topics."""
    remote, trackings, stock = {}, [], []
    for position, event in enumerate(events):
        kind = webhook_kind(event.topic)
        body = event.body if isinstance(event.body, dict) else {}
        if kind == "return":
            continue
        if kind == "stock":
            # Stock topics carry their fields flat, not a resource.
            stock.append(body)
            continue
        resource = body.get("resource")
        if not isinstance(resource, dict):
            continue
        if kind == "tracking":
            trackings.append(resource)
            continue
        id_field = "purchaseOrderId" if kind == "order" else "id"
        # One without a PO id is placed by its references, on its own.
        key = shipwire_id(resource.get(id_field)) or f"?{position}"
        purchase_order, orders = remote.get(key, (None, None))
        if kind == "order":
            remote[key] = (purchase_order, [*(orders or ()), resource])
        elif purchase_order is None or not is_older(
            last_updated(resource), last_updated(purchase_order)
        ):
            remote[key] = (resource, orders)
    return remote, trackings, stock


def _tracking_items(trackings):
    """The trackings of a tracking webhook's resource (one or a collection) that
    name their order."""
    return [
        item
        for item in collection_items(trackings) or [trackings]
        if isinstance(item, dict) and shipwire_id(item.get("orderId"))
    ]


def webhook_kind(topic):
    """What a webhook topic is about (``order``, ``tracking``, ``purchaseorder``,
    ``stock``, ``return``), or None for one the module does not apply."""
    kind = topic.removeprefix("v1.").split(".", 1)[0]
    known = ("order", "tracking", "purchaseorder", "stock", "return")
    return kind if kind in known else None
