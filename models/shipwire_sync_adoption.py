from odoo import api, models

from ..shipwire_api import strip_split_suffix
from .shipwire_sync import CONCURRENT_WRITES, _scalar

# Send attempts a sync run looks at; sends left over wait for the next run.
LOST_SEND_BATCH_SIZE = 1000


class ShipwireSyncAdoption(models.AbstractModel):
    """POs that reached Shipwire while the transaction recording them was undone:
    found again by their externalIds and linked to their orders."""

    _inherit = "shipwire.sync"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _recover_lost_sends(self, backend):
        """Find at Shipwire, by their externalIds, the POs of sends whose
        transaction was undone after the call (``shipwire.send.attempt``), and link
        them to their orders. Sends still running are left for the next run."""
        attempts = self.env["shipwire.send.attempt"].search(
            [("backend_ref", "=", backend.id)], limit=LOST_SEND_BATCH_SIZE
        )
        if not attempts:
            return
        try:
            with self.env.cr.savepoint() as savepoint:
                # A send holds its orders' rows until it ends.
                self.env.cr.execute(
                    "SELECT id FROM sale_order WHERE id IN %s "
                    "FOR KEY SHARE SKIP LOCKED",
                    [tuple(set(attempts.mapped("sale_order_ref")))],
                )
                finished = {row[0] for row in self.env.cr.fetchall()}
                # Only a look: the rows are left free for the next sends.
                savepoint.rollback()
        except CONCURRENT_WRITES:
            return  # a send ended meanwhile: the next run looks
        # Those of deleted orders go too.
        existing = set(
            self.env["sale.order"]
            .browse(attempts.mapped("sale_order_ref"))
            .exists()
            .ids
        )
        attempts.filtered(lambda a: a.sale_order_ref not in existing).unlink()
        attempts = attempts.filtered(lambda a: a.sale_order_ref in finished)
        linked = {
            (po.sale_order_id.id, po.external_id)
            for po in self.env["shipwire.purchase.order"].search(
                [
                    ("backend_id", "=", backend.id),
                    ("sale_order_id", "in", attempts.mapped("sale_order_ref")),
                    ("shipwire_id", "!=", False),
                ]
            )
        }
        lost = attempts.filtered(
            lambda a: (a.sale_order_ref, a.external_id) not in linked
        )
        if lost:
            external_ids = sorted(set(lost.mapped("external_id")))
            remote = self._read_remote(backend, {"external_ids": external_ids}, None)
            if remote is None:
                return  # Shipwire could not be read: asked again next run
            if remote:
                try:
                    self._store_batch(backend, remote)
                except CONCURRENT_WRITES:
                    self._retry_soon(backend)
                    return
        attempts.unlink()
        self._commit_progress()

    @api.model
    def _adopt(self, backend, remote):
        """PO records for the remote entries a send of this database noted
        (``shipwire.send.attempt``, same account and externalId) while its order
        has no PO record at the account: the send reached Shipwire, but the
        transaction that would have recorded it was undone. An externalId alone
        proves nothing: another database may give the same ones."""
        external_ids = {key: _external_ids(entry) for key, entry in remote.items()}
        wanted = set().union(*external_ids.values())
        if not wanted:
            return {}
        attempts = self.env["shipwire.send.attempt"].search(
            [("backend_ref", "=", backend.id), ("external_id", "in", list(wanted))]
        )
        if not attempts:
            return {}
        PurchaseOrder = self.env["shipwire.purchase.order"]
        orders = self.env["sale.order"].search(
            [
                ("id", "in", attempts.mapped("sale_order_ref")),
                ("company_id", "=", backend.company_id.id),
            ]
        )
        orders -= PurchaseOrder.search(
            [("backend_id", "=", backend.id), ("sale_order_id", "in", orders.ids)]
        ).sale_order_id
        noted = {
            attempt.external_id: orders.browse(attempt.sale_order_ref)
            for attempt in attempts
            if attempt.sale_order_ref in orders.ids
        }
        adopted, taken = {}, set()
        for key, names in external_ids.items():
            external_id = next((name for name in sorted(names) if name in noted), None)
            if external_id is None or external_id in taken:
                continue
            taken.add(external_id)
            purchase_order = PurchaseOrder.create(
                {
                    "sale_order_id": noted[external_id].id,
                    "backend_id": backend.id,
                    "external_id": external_id,
                }
            )
            purchase_order._note_adopted()
            adopted[purchase_order] = remote[key]
        return adopted


def _external_ids(entry):
    """The externalIds a remote entry carries, split suffixes removed."""
    return {
        strip_split_suffix(_scalar(resource.get(name)))
        for resource in filter(None, [entry[0], *(entry[1] or ())])
        for name in ("externalId", "purchaseOrderExternalId")
        if _scalar(resource.get(name))
    }
