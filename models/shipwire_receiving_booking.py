from collections import defaultdict

from odoo import models

from ..const import TODO_ACTIVITY


class ShipwireReceivingBooking(models.Model):
    """Shipwire's counts booked on the receipt, exactly once: what the receipts
    of a receiving have validated is what Odoo booked, and only the difference
    to Shipwire's ``good`` and ``damaged`` is validated next."""

    _inherit = "shipwire.receiving"  # pylint: disable=consider-merging-classes-inherited

    def _booked(self):
        """``{product: (to stock, as damaged)}`` validated on the receipts."""
        damaged_location = self.backend_id._shipwire_damaged_location(self.warehouse_id)
        booked = defaultdict(lambda: [0, 0])
        for product, location, quantity in self.env["stock.move.line"]._read_group(
            [
                ("picking_id", "in", self.picking_ids.ids),
                ("state", "=", "done"),
            ],
            ["product_id", "location_dest_id"],
            ["quantity_product_uom:sum"],
        ):
            booked[product][int(location == damaged_location)] += quantity
        return booked

    def _book(self):
        """Validate on the open receipt the units Shipwire newly counts good (to
        stock) and damaged (to the damaged location, or left short by the
        account's setting); close the receipt once Shipwire completed it, cancel
        its remainder once Shipwire cancelled it."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT id FROM shipwire_receiving WHERE id = %s FOR UPDATE", [self.id]
        )
        self._store_booked()
        book_damaged = self.backend_id.receiving_damaged == "location"
        to_book, lowered, unknown = {}, [], []
        for line in self.line_ids:
            product = line.product_id
            new_good = line.good - line.booked_good
            new_damaged = line.damaged - line.booked_damaged if book_damaged else 0
            if new_good < 0 or new_damaged < 0:
                lowered.append(line)
            if max(new_good, 0) or max(new_damaged, 0):
                if not product:
                    unknown.append(line)
                    continue
                to_book[product] = (max(new_good, 0), max(new_damaged, 0))
        if lowered:
            self._tell_lowered(lowered)
        if unknown:
            self._tell_unknown([line.sku for line in unknown])
        picking = self._open_picking()
        closing = self.state in ("completed", "cancelled")
        if not picking or not (to_book or closing):
            return
        self._validate(picking, to_book, close=closing)
        self._store_booked()

    def _store_booked(self):
        booked = self._booked()
        for line in self.line_ids:
            done_good, done_damaged = booked.get(line.product_id, (0, 0))
            if (line.booked_good, line.booked_damaged) != (done_good, done_damaged):
                line.write({"booked_good": done_good, "booked_damaged": done_damaged})

    def _validate(self, picking, to_book, close):
        damaged_location = self.backend_id._shipwire_damaged_location(self.warehouse_id)
        moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        moves.move_line_ids.unlink()
        moves.picked = False
        missing = []
        lines = []
        for product, (good, damaged) in to_book.items():
            product_moves = moves.filtered(lambda m, p=product: m.product_id == p)
            if not product_moves:
                missing.append(product)
                continue
            move = product_moves[0]
            for quantity, destination in (
                (good, move.location_dest_id),
                (damaged, damaged_location),
            ):
                if quantity:
                    lines.append(
                        {
                            "move_id": move.id,
                            "picking_id": picking.id,
                            "product_id": product.id,
                            "product_uom_id": product.uom_id.id,
                            "quantity": quantity,
                            "location_id": move.location_id.id,
                            "location_dest_id": destination.id,
                            "picked": True,
                        }
                    )
            move.picked = True
        if missing:
            self._tell_unknown([product.display_name for product in missing])
        self.env["stock.move.line"].create(lines)
        if not lines and not close:
            return
        if lines:
            picking.with_context(
                cancel_backorder=close, shipwire_booking=True
            )._action_done()
        else:
            picking.with_context(shipwire_booking=True).action_cancel()
        if close:
            self._post_close_summary(picking, self.state == "cancelled")

    def _post_close_summary(self, picking, cancelled):
        """Shortages and overages, against what was announced."""
        _ = self.env._
        rows = []
        for line in self.line_ids:
            received = line.good + line.damaged + line.in_review
            if received != line.expected:
                rows.append(
                    _(
                        "%(sku)s: %(expected)s announced, %(good)s good, %(damaged)s "
                        "damaged, %(review)s in review (%(difference)+d)",
                        sku=line.sku,
                        expected=line.expected,
                        good=line.good,
                        damaged=line.damaged,
                        review=line.in_review,
                        difference=received - line.expected,
                    )
                )
        title = (
            _("Shipwire cancelled the receiving: the rest of the receipt is cancelled.")
            if cancelled
            else _("Shipwire completed the receiving: the receipt is closed.")
        )
        body = title if not rows else f"{title}\n" + "\n".join(rows)
        for receipt in picking | self.picking_id:
            receipt.message_post(body=body)

    def _tell_lowered(self, lines):
        _ = self.env._
        self.backend_id._shipwire_schedule_activity(
            self.picking_id,
            TODO_ACTIVITY,
            _("Shipwire counts fewer units than Odoo booked"),
            [
                _(
                    "%(sku)s: Shipwire counts %(good)s good and %(damaged)s damaged; "
                    "Odoo booked %(booked_good)s and %(booked_damaged)s. Nothing "
                    "was taken back: check with Shipwire, then correct the stock.",
                    sku=line.sku,
                    good=line.good,
                    damaged=line.damaged,
                    booked_good=line.booked_good,
                    booked_damaged=line.booked_damaged,
                )
                for line in lines
            ],
        )

    def _tell_unknown(self, names):
        _ = self.env._
        self.backend_id._shipwire_schedule_activity(
            self.picking_id,
            TODO_ACTIVITY,
            _("Shipwire received units the receipt does not list"),
            [
                _(
                    "%(item)s: Shipwire received units, but no open line of the "
                    "receipt takes them. Add the product to the receipt, then press "
                    "Refresh.",
                    item=name,
                )
                for name in names
            ],
        )

    def _unbooked_good(self):
        """``{(product, Odoo warehouse): units}`` Shipwire counts good that Odoo
        has not booked yet, over these receivings."""
        units = defaultdict(int)
        for product, warehouse, unbooked in self.env[
            "shipwire.receiving.line"
        ]._read_group(
            [
                ("receiving_id", "in", self.ids),
                ("unbooked_good", ">", 0),
                ("product_id", "!=", False),
            ],
            ["product_id", "receiving_id.warehouse_id"],
            ["unbooked_good:sum"],
        ):
            units[product, warehouse] += unbooked
        return units
