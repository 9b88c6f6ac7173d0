import logging

from odoo import api, models

from ..mapper import is_older, last_updated
from ..shipwire_api import strip_split_suffix
from .shipwire_sync import CONCURRENT_WRITES, _scalar

_logger = logging.getLogger(__name__)


class ShipwireSyncMatching(models.AbstractModel):
    """Which PO records the POs and orders Shipwire lists are about."""

    _inherit = "shipwire.sync"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _match_one_by_one(self, backend, remote):
        """``_match`` entry by entry: one that cannot be matched is logged and left
        out, the others are stored."""
        matched = {}
        for key, entry in remote.items():
            try:
                with self.env.cr.savepoint():
                    matched.update(self._match(backend, {key: entry}))
            except CONCURRENT_WRITES:
                raise
            except Exception:  # noqa: BLE001
                _logger.exception("Shipwire PO %s could not be matched", key)
        return matched

    @api.model
    def _match(self, backend, remote):
        """``{shipwire.purchase.order: (PO, orders)}`` for the remote entries the
        account knows, and for those of sends whose record was lost (adopted)."""
        matched, unmatched = self._match_known(backend, remote)
        for purchase_order, entry in self._adopt(backend, unmatched).items():
            matched[purchase_order] = _merged(matched.get(purchase_order), entry)
        return matched

    @api.model
    def _match_known(self, backend, remote):
        """``({shipwire.purchase.order: (PO, orders)}, {key: entry left})``: the
        remote entries matched to the account's PO records, by PO id first, then
        by externalId or order number without split suffix."""
        PurchaseOrder = self.env["shipwire.purchase.order"]
        by_po_id = {
            purchase_order.shipwire_id: purchase_order
            for purchase_order in PurchaseOrder.search(
                [("backend_id", "=", backend.id), ("shipwire_id", "in", list(remote))]
            )
        }
        references = {
            key: _references(key, entry)
            for key, entry in remote.items()
            if key not in by_po_id
        }
        by_reference = {}
        wanted = list(set().union(*references.values()))
        if wanted:
            for purchase_order in PurchaseOrder.search(
                [
                    ("backend_id", "=", backend.id),
                    "|",
                    ("external_id", "in", wanted),
                    ("sale_order_name", "in", wanted),
                ]
            ):
                by_reference[purchase_order.external_id] = purchase_order
                by_reference[purchase_order.sale_order_name] = purchase_order
        matched = {}
        unmatched = {}
        for key, entry in remote.items():
            purchase_order = by_po_id.get(key) or next(
                (by_reference[ref] for ref in references[key] if ref in by_reference),
                None,
            )
            if purchase_order is not None:
                matched[purchase_order] = _merged(matched.get(purchase_order), entry)
            else:
                unmatched[key] = entry
        return matched, unmatched


def _merged(entry, other):
    """Two remote entries found to be about one PO, as one: the newer PO resource
    and the fulfillment orders of both."""
    if entry is None:
        return other
    purchase_order = entry[0]
    if other[0] is not None and (
        purchase_order is None
        or not is_older(last_updated(other[0]), last_updated(purchase_order))
    ):
        purchase_order = other[0]
    orders = [*(entry[1] or ()), *(other[1] or ())]
    return purchase_order, orders or None


def _references(key, entry):
    """Every name a remote PO entry may know its sales order by: its externalId,
    or, only when it carries none, its order number (split suffixes removed).
    Order numbers alone could match another database's orders on one account."""
    found = {key}
    for resource in filter(None, [entry[0], *(entry[1] or ())]):
        names = [
            _scalar(resource.get(name))
            for name in ("externalId", "purchaseOrderExternalId")
            if _scalar(resource.get(name))
        ] or [
            _scalar(resource.get(name))
            for name in ("purchaseOrderNo", "orderNo")
            if _scalar(resource.get(name))
        ]
        found.update(strip_split_suffix(name) for name in names)
    return found
