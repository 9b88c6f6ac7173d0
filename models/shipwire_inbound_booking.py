from collections import defaultdict

from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL

from ..const import TODO_ACTIVITY
from ..mapper.receiving import CLOSED_STATUSES
from .shipwire_inbound import OPEN_STATES


class ShipwireInboundBooking(models.AbstractModel):
    """Shipwire's counts booked on the Odoo transfer, exactly once: what the
    transfer and its backorders validated is what Odoo booked, and only the
    difference to Shipwire's ``good`` and ``damaged`` is validated next.

    Booking works on a group of records sharing one transfer (a receipt has one
    receiving; a return picking has one Shipwire return per fulfillment order),
    whose counts are added up per product."""

    _inherit = "shipwire.inbound"  # pylint: disable=consider-merging-classes-inherited

    def _booking_group(self):
        """The records booked on this record's transfer, this one included."""
        return self

    def _open_siblings(self):
        """The other records booked on the transfers of these that Shipwire may
        still change: read together with them, so that a transfer is validated
        once with all its records newly count."""
        groups = self.browse().union(*(record._booking_group() for record in self))
        return (groups - self).filtered(
            lambda record: record.shipwire_id and record.state in OPEN_STATES
        )

    def _picking_chain(self):
        """The transfer and its backorders, and theirs."""
        chain = self.picking_id
        while chain.backorder_ids - chain:
            chain |= chain.backorder_ids
        return chain

    def _open_picking(self):
        """The transfer (or backorder) that takes the units still to book."""
        return (
            self._picking_chain()
            .filtered(lambda picking: picking.state not in ("done", "cancel"))
            .sorted("id")[-1:]
        )

    @api.model
    def _booked(self, groups):
        """``{group: {product: [to stock, as damaged]}}`` validated on each
        group's transfers."""
        chains = {group: group._picking_chain() for group in groups}
        transfers = self.env["stock.picking"].union(*chains.values())
        done = defaultdict(list)
        for picking, product, location, quantity in self.env[
            "stock.move.line"
        ]._read_group(
            [("picking_id", "in", transfers.ids), ("state", "=", "done")],
            ["picking_id", "product_id", "location_dest_id"],
            ["quantity_product_uom:sum"],
        ):
            done[picking].append((product, location, quantity))
        booked = {}
        for group, chain in chains.items():
            warehouse = group.warehouse_id[:1]
            units = booked[group] = defaultdict(lambda: [0, 0])
            for picking in chain:
                for product, location, quantity in done[picking]:
                    damaged = location.shipwire_damaged_warehouse_id == warehouse
                    units[product][int(damaged)] += quantity
        return booked

    def _lines_by_product(self):
        parent = self._fields["line_ids"].inverse_name
        lines = defaultdict(lambda: self.line_ids.browse())
        for line in self.line_ids.sorted(lambda line: (line[parent].id, line.id)):
            lines[line.product_id] |= line
        return lines

    @api.model
    def _store_booked(self, groups):
        """Share what each group's transfers booked out among its lines of each
        product, in order: each line takes up to its count, the last the rest."""
        booked = self._booked(groups)
        for group in groups:
            for product, lines in group._lines_by_product().items():
                good, damaged = (
                    booked[group].get(product, (0, 0)) if product else (0, 0)
                )
                for position, line in enumerate(lines, start=1):
                    last = position == len(lines)
                    line_good = good if last else min(line.good, good)
                    line_damaged = damaged if last else min(line.damaged, damaged)
                    good, damaged = good - line_good, damaged - line_damaged
                    if (line.booked_good, line.booked_damaged) != (
                        line_good,
                        line_damaged,
                    ):
                        line.write(
                            {"booked_good": line_good, "booked_damaged": line_damaged}
                        )

    def _book(self):
        """Validate on the open transfer the units Shipwire newly counts good (to
        stock) and damaged (to the damaged location, or left short by the
        account's setting); close the transfer once Shipwire completed or
        cancelled every record of the group (the remainder is cancelled)."""
        self._book_groups([self])

    @api.model
    def _book_groups(self, groups):
        """``_book`` each group of records, their transfers validated together."""
        groups = list(groups)
        if not groups:
            return
        records = self.browse().union(*groups)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s ORDER BY id FOR UPDATE",
                SQL.identifier(self._table),
                tuple(records.ids),
            )
        )
        self._store_booked(groups)
        plans = [plan for group in groups if (plan := group._booking_plan())]
        if plans:
            self._validate(plans)
            self._store_booked([group for group, *_plan in plans])

    def _booking_plan(self):
        """``(group, transfer, {product: (good, damaged)}, close)``: what to
        validate on which transfer; None when there is nothing to validate."""
        backend = self.backend_id[:1]
        book_damaged = backend.receiving_damaged == "location"
        to_book, lowered, unknown = {}, self.line_ids.browse(), []
        for product, lines in self._lines_by_product().items():
            new_good = sum(lines.mapped("good")) - sum(lines.mapped("booked_good"))
            new_damaged = (
                sum(lines.mapped("damaged")) - sum(lines.mapped("booked_damaged"))
                if book_damaged
                else 0
            )
            if new_good < 0 or new_damaged < 0:
                lowered |= lines
            if max(new_good, 0) or max(new_damaged, 0):
                if not product:
                    unknown += lines.mapped("sku")
                    continue
                to_book[product] = (max(new_good, 0), max(new_damaged, 0))
        if lowered:
            self._tell_lowered(lowered)
        if unknown:
            self._tell_unknown(unknown)
        picking = self._open_picking()
        if to_book and not picking:
            self._tell_no_transfer(to_book)
            return None
        # A record Shipwire refused expects nothing: it keeps no transfer open.
        closing = any(record.state in CLOSED_STATUSES for record in self) and all(
            record.state in (*CLOSED_STATUSES, "refused") for record in self
        )
        if not picking or not (to_book or closing):
            return None
        return self, picking, to_book, closing

    @api.model
    def _validate(self, plans):
        """Pick the units of each plan on its transfer, then validate the
        transfers together (the closing ones without backorder); a closing
        transfer with nothing to validate is cancelled."""
        pickings = self.env["stock.picking"].union(*(plan[1] for plan in plans))
        moves = pickings.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        moves.move_line_ids.unlink()
        moves.picked = False
        moves_of = moves.grouped("picking_id")
        lines, picked = [], moves.browse()
        # {close: transfers}: closing ones are validated without backorder.
        to_validate = {False: pickings.browse(), True: pickings.browse()}
        to_cancel = pickings.browse()
        for group, picking, to_book, close in plans:
            picking_lines, targets = group._booking_lines(
                moves_of.get(picking, moves.browse()), to_book
            )
            lines += picking_lines
            picked |= targets
            if picking_lines:
                to_validate[close] |= picking
            elif close:
                to_cancel |= picking
        picked.picked = True
        self.env["stock.move.line"].create(lines)
        for close, transfers in to_validate.items():
            if transfers:
                transfers.sudo().with_context(
                    cancel_backorder=close, shipwire_booking=True
                )._action_done()
        if to_cancel:
            to_cancel.sudo().with_context(shipwire_booking=True).action_cancel()
        for group, picking, _to_book, close in plans:
            if close:
                group._post_close_summary(picking)

    def _booking_lines(self, moves, to_book):
        """The move lines that book ``to_book`` on a transfer's open ``moves``,
        and the moves they go on."""
        damaged_location = self.env["stock.location"]
        if any(damaged for _good, damaged in to_book.values()):
            damaged_location = self.backend_id[:1]._shipwire_damaged_location(
                self.warehouse_id[:1]
            )
        missing = []
        lines, targets = [], moves.browse()
        for product, (good, damaged) in to_book.items():
            product_moves = moves.filtered(lambda m, p=product: m.product_id == p)
            if not product_moves:
                missing.append(product.display_name)
                continue
            move = product_moves[0]
            for quantity, destination, target in (
                (good, move.location_dest_id, move),
                (
                    damaged,
                    damaged_location,
                    damaged and self._damaged_move(move, damaged),
                ),
            ):
                if quantity:
                    lines.append(
                        {
                            "move_id": target.id,
                            "picking_id": move.picking_id.id,
                            "product_id": product.id,
                            "product_uom_id": product.uom_id.id,
                            "quantity": quantity,
                            "location_id": move.location_id.id,
                            "location_dest_id": destination.id,
                            "picked": True,
                        }
                    )
                    targets |= target
        if missing:
            self._tell_unknown(missing)
        return lines, targets

    def _damaged_move(self, move, _quantity):
        """The move that takes ``move``'s damaged units: the same one."""
        return move

    def _post_close_summary(self, picking):
        """Shortages and overages, against what was announced."""
        _ = self.env._
        rows = []
        for line in self.line_ids:
            received = line.good + line.damaged + line.in_review
            if received == line.expected:
                continue
            counts = {
                "sku": line.sku,
                "expected": line.expected,
                "good": line.good,
                "damaged": line.damaged,
                "review": line.in_review,
                "difference": abs(received - line.expected),
            }
            if received < line.expected:
                rows.append(
                    _(
                        "%(sku)s: %(expected)s announced, %(good)s good, %(damaged)s "
                        "damaged, %(review)s in review: %(difference)s short",
                        **counts,
                    )
                )
            else:
                rows.append(
                    _(
                        "%(sku)s: %(expected)s announced, %(good)s good, %(damaged)s "
                        "damaged, %(review)s in review: %(difference)s more than "
                        "announced",
                        **counts,
                    )
                )
        title = (
            _("Shipwire cancelled: the rest of the transfer is cancelled.")
            if all(record.state == "cancelled" for record in self)
            else _("Shipwire completed: the transfer is closed.")
        )
        body = Markup("<p>%s</p>") % title
        if rows:
            body += Markup("<ul>%s</ul>") % Markup("").join(
                Markup("<li>%s</li>") % row for row in rows
            )
        for transfer in picking | self.picking_id:
            transfer.message_post(body=body)

    def _tell_lowered(self, lines):
        _ = self.env._
        self.backend_id[:1]._shipwire_schedule_activity(
            self.picking_id[:1],
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
        self.backend_id[:1]._shipwire_schedule_activity(
            self.picking_id[:1],
            TODO_ACTIVITY,
            _("Shipwire received units the transfer does not list"),
            [
                _(
                    "%(item)s: Shipwire received units, but no open line of the "
                    "transfer takes them. Add the product to the transfer, then "
                    "press Refresh.",
                    item=name,
                )
                for name in names
            ],
        )

    def _tell_no_transfer(self, to_book):
        _ = self.env._
        self.backend_id[:1]._shipwire_schedule_activity(
            self.picking_id[:1],
            TODO_ACTIVITY,
            _("Shipwire received units no open transfer takes"),
            [
                _(
                    "%(product)s: Shipwire newly counts %(good)s good and "
                    "%(damaged)s damaged, but the transfer and its backorders are "
                    "done or cancelled. Receive them on a new receipt, without "
                    "Shipwire.",
                    product=product.display_name,
                    good=good,
                    damaged=damaged,
                )
                for product, (good, damaged) in to_book.items()
            ],
        )

    def _unbooked_good(self):
        """``{(product, Odoo warehouse): units}`` Shipwire counts good that Odoo
        has not booked yet, over these records."""
        Line = self.line_ids.browse()
        parent = self._fields["line_ids"].inverse_name
        units = defaultdict(int)
        for product, warehouse, unbooked in Line._read_group(
            [
                (parent, "in", self.ids),
                ("unbooked_good", ">", 0),
                ("product_id", "!=", False),
            ],
            ["product_id", f"{parent}.warehouse_id"],
            ["unbooked_good:sum"],
        ):
            units[product, warehouse] += unbooked
        return units
