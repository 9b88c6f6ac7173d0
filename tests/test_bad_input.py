"""Hostile and bad input on sales orders.

Every case ends one of two ways: refused before any request, with a message that
names the order, the field and the fix, the order left as it was; or sent, and
Shipwire (the sandbox) holds exactly what the order says. docs/bad-input.md lists
the same cases.
"""

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ShipwireCase


def _unwrap(value):
    """A sub-resource as Shipwire embeds it, or the value itself."""
    if isinstance(value, dict) and "resource" in value:
        return value["resource"]
    return value


@tagged("post_install", "-at_install")
class TestBadInput(ShipwireCase):
    # -- helpers -------------------------------------------------------------------

    def _order_of(self, line_values, confirm=True, **values):
        """An order from raw line values (units of measure, prices, notes...)."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.retailer.id,
                "warehouse_id": self.warehouse.id,
                "order_line": [Command.create(line) for line in line_values],
                **values,
            }
        )
        if confirm:
            order.action_confirm()
        return order.with_user(self.clerk)

    def _assert_refused(self, orders, *fragments, named=None):
        """Send ``orders``: a UserError naming each of ``named`` (default: all of
        them) and every fragment, no request at Shipwire, and nothing changed on
        any order. Returns the message."""
        requests_before = self.sandbox.request_count
        with self.assertRaises(UserError) as caught:
            orders.action_shipwire_send()
        message = str(caught.exception)
        for fragment in (*(named or orders).mapped("name"), *fragments):
            self.assertIn(fragment, message)
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertFalse(self.sandbox.purchase_orders())
        orders.invalidate_recordset()
        for order in orders:
            self.assertFalse(order.shipwire_state)
            self.assertFalse(order.shipwire_po_id)
            self.assertFalse(order.shipwire_external_id)
            self.assertFalse(order.shipwire_message_ids)
            self.assertFalse(order.sudo().shipwire_exchange_ids)
        return message

    def _send(self, order):
        """Send ``order``; it must be accepted. Returns the PO as Shipwire keeps it."""
        order.action_shipwire_send()
        self.assertEqual(order.shipwire_state, "approved", self._messages(order))
        (purchase_order,) = self.sandbox.purchase_orders()
        return purchase_order

    def _items(self):
        """``[(retailerLineNo, sku, quantity)]`` of the one PO at Shipwire."""
        return [
            (item["retailerLineNo"], item["sku"], item["quantity"])
            for item in self._sent_items()
        ]

    def _in_dozens(self, product, dozens):
        return self._order_of(
            [
                {
                    "product_id": product.id,
                    "product_uom_qty": dozens,
                    "product_uom": self.env.ref("uom.product_uom_dozen").id,
                }
            ]
        )

    def _partner(self, **values):
        return self.retailer.copy({"name": "Max Retail", **values})

    # -- the delivery address ------------------------------------------------------

    def test_street_longer_than_50(self):
        street = "Unit 4, Building 12, Harbour Industrial Park, Dock Road"
        self.assertEqual(len(street), 55)
        order = self._order(partner=self._partner(street=street))
        self._assert_refused(
            order, "Street", street, "55 characters", "accepts 50", "on the contact"
        )

    def test_city_longer_than_25(self):
        city = "Rancho Santa Margarita Heights"
        order = self._order(partner=self._partner(city=city))
        self._assert_refused(order, "City", "30 characters", "accepts 25")

    def test_name_longer_than_35(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Receiving Department, Loading Dock Number 7",
                "type": "delivery",
                "parent_id": self.retailer.id,
                "street": "1 Main Lane",
                "city": "Los Angeles",
                "zip": "91111",
                "state_id": self.retailer.state_id.id,
                "country_id": self.us.id,
            }
        )
        order = self._order(partner_shipping_id=contact.id)
        self._assert_refused(
            order, "delivery address", "Name", "43 characters", "accepts 35"
        )

    def test_zip_longer_than_10(self):
        order = self._order(partner=self._partner(zip="91111-1234-5"))
        self._assert_refused(order, "ZIP", "12 characters", "accepts 10")

    def test_us_address_without_state(self):
        order = self._order(partner=self._partner(state_id=False))
        self._assert_refused(order, "has no State", "fill it in on the contact")

    def test_missing_country(self):
        order = self._order(partner=self._partner(country_id=False))
        self._assert_refused(order, "has no Country", "fill it in on the contact")

    def test_blank_street_counts_as_missing(self):
        # Shipwire strips values: a street of spaces is no street.
        order = self._order(partner=self._partner(street="   "))
        self._assert_refused(order, "has no Street")

    def test_long_invoice_address_is_refused_too(self):
        # Shipwire checks the billTo lengths like the shipTo ones.
        invoice = self.env["res.partner"].create(
            {
                "name": "Accounts payable",
                "type": "invoice",
                "parent_id": self.retailer.id,
                "street": "Accounts Payable, Finance Tower, 2000 Commerce Blvd",
            }
        )
        order = self._order(partner_invoice_id=invoice.id)
        self._assert_refused(order, "invoice address", "Street", "51 characters")

    def test_every_problem_is_listed_at_once(self):
        nameless = self._product("Nameless", False)
        partner = self._partner(city="Rancho Santa Margarita Heights", zip=False)
        order = self._order([(self.diamond, 1), (nameless, 1)], partner=partner)
        message = self._assert_refused(order, "City", "ZIP", "Internal Reference")
        # One line per problem; the retailer is also the invoice address.
        lines = message.splitlines()
        self.assertEqual(len(lines), 4, message)
        self.assertTrue(all(line.startswith(order.name) for line in lines), message)

    def test_non_ascii_address_arrives_intact(self):
        # Shipwire takes UTF-8 JSON: names and streets in any script go as they are,
        # and the limits count characters, not bytes.
        city = "Ærøskøbing-Ålborg-Ølstykk"
        self.assertEqual(len(city), 25)
        self.assertGreater(len(city.encode()), 25)
        contact = self.env["res.partner"].create(
            {
                "name": "Zoë Ñúñez-Łukasiewicz 東京",
                "type": "delivery",
                "parent_id": self.retailer.id,
                "street": "Ünïcødé Straße 5",
                "street2": "東京都千代田区丸の内1-1",
                "city": city,
                "zip": "91111",
                "state_id": self.retailer.state_id.id,
                "country_id": self.us.id,
            }
        )
        self.retailer.name = "Café Crème Société Générale"
        order = self._order(partner_shipping_id=contact.id)

        purchase_order = self._send(order)

        ship_to = _unwrap(purchase_order["shipTo"])
        self.assertEqual(ship_to["name"], "Zoë Ñúñez-Łukasiewicz 東京")
        self.assertEqual(ship_to["company"], "Café Crème Société Générale")
        self.assertEqual(ship_to["address1"], "Ünïcødé Straße 5")
        self.assertEqual(ship_to["address2"], "東京都千代田区丸の内1-1")
        self.assertEqual(ship_to["city"], city)
        self.assertEqual(
            _unwrap(purchase_order["billTo"])["name"], "Café Crème Société Générale"
        )

    def test_markup_and_quotes_in_an_address_are_plain_text(self):
        street = "<script>alert('x')</script> & \"Dock\" 4"
        self.assertLessEqual(len(street), 50)
        order = self._order(partner=self._partner(street=street))

        purchase_order = self._send(order)

        self.assertEqual(_unwrap(purchase_order["shipTo"])["address1"], street)

    # -- the lines -----------------------------------------------------------------

    def test_500_lines_go_in_one_create(self):
        products = (self.diamond, self.ruby)
        lines = [(products[n % 2], n % 7 + 1) for n in range(500)]
        order = self._order(lines)
        requests_before = self.sandbox.request_count

        self._send(order)

        # Every request is logged: one create, then one read of what Shipwire made.
        exchanges = order.sudo().shipwire_exchange_ids
        self.assertEqual(self.sandbox.request_count - requests_before, len(exchanges))
        self.assertEqual(
            sorted(exchanges.mapped("method")), ["GET", "POST"], exchanges.mapped("url")
        )
        self.assertEqual(
            exchanges.filtered(lambda e: e.method == "POST").operation, "create"
        )
        self.assertEqual(
            self._items(),
            [
                (number, product.default_code, quantity)
                for number, (product, quantity) in enumerate(lines, start=1)
            ],
        )

    def test_zero_quantity_line_is_left_out(self):
        order = self._order([(self.ruby, 0), (self.diamond, 2)])
        self._send(order)
        self.assertEqual(self._items(), [(1, "DIAMOND-1", 2)])

    def test_all_lines_of_quantity_zero(self):
        order = self._order([(self.diamond, 0), (self.ruby, 0)])
        self._assert_refused(order, "no line has goods", "add a product")

    def test_negative_quantity(self):
        order = self._order([(self.diamond, 2), (self.ruby, -1)])
        self._assert_refused(order, "line 2 (", "negative quantity", "remove it")

    def test_fractional_units(self):
        order = self._order([(self.diamond, 1.5)])
        self._assert_refused(order, "1.5 Units", "whole units only", "Round")

    def test_a_dozen_goes_as_12_units(self):
        order = self._in_dozens(self.diamond, 1)
        self.assertEqual(order.order_line.price_subtotal, 1200)

        self._send(order)

        (item,) = self._sent_items()
        self.assertEqual((item["sku"], item["quantity"]), ("DIAMOND-1", 12))
        self.assertEqual(item["commercialInvoiceValue"], 100)

    def test_half_a_dozen_goes_as_6_but_a_third_is_refused(self):
        third = self._in_dozens(self.ruby, 0.33)
        self._assert_refused(third, "3.96 Units", "whole units only")

        half = self._in_dozens(self.ruby, 0.5)
        self._send(half)
        self.assertEqual(self._items(), [(1, "RUBY-2", 6)])

    def test_archived_product_is_refused(self):
        # Archived products are ones the company stopped carrying: Shipwire may no
        # longer stock them, so a person decides.
        order = self._order([(self.diamond, 1), (self.ruby, 1)])
        self.ruby.action_archive()
        self._assert_refused(
            order, "line 2 (", "Ruby pendant", "archived", "restore the product"
        )

    def test_combo_is_sent_as_its_components(self):
        # A combo line only carries the price; Odoo 18 adds a line per chosen item,
        # and those are what the warehouse ships.
        rings, pendants = self.env["product.combo"].create(
            [
                {
                    "name": "Rings",
                    "combo_item_ids": [Command.create({"product_id": self.diamond.id})],
                },
                {
                    "name": "Pendants",
                    "combo_item_ids": [Command.create({"product_id": self.ruby.id})],
                },
            ]
        )
        gift_box = self.env["product.product"].create(
            {
                "name": "Gift box",
                "type": "combo",
                "default_code": "GIFT-BOX-NOT-AT-SHIPWIRE",
                "list_price": 300,
                "combo_ids": [Command.set((rings | pendants).ids)],
            }
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.retailer.id,
                "warehouse_id": self.warehouse.id,
                "order_line": [
                    Command.create({"product_id": gift_box.id, "product_uom_qty": 2})
                ],
            }
        )
        combo_line = order.order_line
        order.order_line = [
            Command.create(
                {
                    "product_id": combo.combo_item_ids.product_id.id,
                    "product_uom_qty": 2,
                    "combo_item_id": combo.combo_item_ids.id,
                    "linked_line_id": combo_line.id,
                }
            )
            for combo in (rings, pendants)
        ]
        order.action_confirm()
        order = order.with_user(self.clerk)

        self._send(order)

        self.assertEqual(self._items(), [(1, "DIAMOND-1", 2), (2, "RUBY-2", 2)])
        values = [item["commercialInvoiceValue"] for item in self._sent_items()]
        self.assertAlmostEqual(sum(values), 300, places=1)

    def test_sku_longer_than_50(self):
        sku = "RING-" + "X" * 46
        product = self._product("Long SKU ring", sku)
        order = self._order([(product, 1)])
        self._assert_refused(
            order, "Internal Reference has 51 characters", "Shorten it on the product"
        )

    def test_product_without_internal_reference(self):
        product = self._product("Nameless", False)
        order = self._order([(self.diamond, 1), (product, 1)])
        self._assert_refused(order, "line 2 (Nameless)", "no Internal Reference")

    def test_service_only_order(self):
        order = self._order([(self.service, 3)])
        self._assert_refused(order, "no line has goods", "services")

    def test_note_and_section_lines_are_ignored(self):
        order = self._order_of(
            [
                {"display_type": "line_section", "name": "Rings"},
                {"product_id": self.diamond.id, "product_uom_qty": 2},
                {"display_type": "line_note", "name": "Gift-wrap each ring"},
                {"product_id": self.ruby.id, "product_uom_qty": 1},
            ]
        )
        self._send(order)
        self.assertEqual(self._items(), [(1, "DIAMOND-1", 2), (2, "RUBY-2", 1)])

    def test_duplicate_lines_stay_separate_items(self):
        order = self._order([(self.diamond, 1), (self.ruby, 4), (self.diamond, 2)])
        self._send(order)
        self.assertEqual(
            self._items(),
            [(1, "DIAMOND-1", 1), (2, "RUBY-2", 4), (3, "DIAMOND-1", 2)],
        )

    def test_price_zero_goes_as_customs_value_zero(self):
        order = self._order_of(
            [{"product_id": self.diamond.id, "product_uom_qty": 2, "price_unit": 0}]
        )
        self.assertEqual(order.order_line.price_unit, 0)
        self._send(order)
        (item,) = self._sent_items()
        self.assertEqual((item["quantity"], item["commercialInvoiceValue"]), (2, 0))

    # -- the order -----------------------------------------------------------------

    def test_warehouse_of_another_company_without_account(self):
        other = self.env["res.company"].create({"name": "Other Jewels Ltd"})
        other_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other.id)], limit=1
        )
        self.clerk.company_ids |= other
        order = (
            self.env["sale.order"]
            .with_company(other)
            .create(
                {
                    "partner_id": self.retailer.id,
                    "company_id": other.id,
                    "warehouse_id": other_warehouse.id,
                    "order_line": [Command.create({"product_id": self.diamond.id})],
                }
            )
        )
        order.action_confirm()
        self.assertFalse(order.shipwire_backend_id)

        self._assert_refused(
            order.with_user(self.clerk),
            "no Shipwire account serves warehouse",
            other_warehouse.name,
            "map the warehouse on an account",
        )

    def test_account_archived_after_the_order_was_made(self):
        # The order keeps its account; archived, it is no longer synced.
        order = self._order()
        self.backend.active = False
        self.assertEqual(order.shipwire_backend_id, self.backend)
        self._assert_refused(
            order, "Shipwire account Sandbox is archived", "restore it, or map"
        )

    def test_draft_order(self):
        self._assert_refused(self._order(confirm=False), "confirm the order")

    def test_cancelled_order(self):
        order = self._order()
        order.sudo()._action_cancel()
        self._assert_refused(order, "is cancelled", "set it back to quotation")

    def test_order_already_sent(self):
        order = self._order()
        order.action_shipwire_send()
        po_id = order.shipwire_po_id
        requests_before = self.sandbox.request_count

        with self.assertRaises(UserError) as caught:
            order.action_shipwire_send()

        self.assertIn(f"{order.name} is already at Shipwire", str(caught.exception))
        self.assertIn(f"PO {po_id}", str(caught.exception))
        self.assertIn("use Update", str(caught.exception))
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(order.shipwire_state, "approved")

    def test_between_window_without_end_date(self):
        order = self._order(
            shipwire_shipping_window_type="BETWEEN",
            shipwire_shipping_window_start="2026-12-01",
        )
        self._assert_refused(
            order, "shipping window “BETWEEN” needs its dates", "Shipwire tab"
        )

    def test_window_ending_before_it_starts(self):
        order = self._order(
            shipwire_delivery_window_type="BETWEEN",
            shipwire_delivery_window_start="2026-12-10",
            shipwire_delivery_window_end="2026-12-01",
        )
        self._assert_refused(
            order, "delivery window ends before it starts", "correct its dates"
        )

    def test_extended_attribute_that_is_not_its_number(self):
        for value_type, value, expected in (
            ("int", "twelve", "a whole number"),
            ("int", "1.5", "a whole number"),
            ("int", "nan", "a whole number"),
            ("decimal", "inf", "a number"),
            ("decimal", "12,5", "a number"),
        ):
            with self.subTest(value_type=value_type, value=value):
                order = self._order(
                    shipwire_extended_attribute_ids=[
                        Command.create(
                            {
                                "name": "StoreNumber",
                                "value": value,
                                "value_type": value_type,
                            }
                        )
                    ]
                )
                self._assert_refused(
                    order,
                    f"extended attribute StoreNumber should be {expected}",
                    f"“{value}”",
                    "correct it on the Shipwire tab",
                )

    def test_extended_attributes_go_with_their_types(self):
        order = self._order(
            shipwire_extended_attribute_ids=[
                Command.create(
                    {"name": "StoreNumber", "value": " 42 ", "value_type": "int"}
                ),
                Command.create(
                    {"name": "Weight", "value": "3.5", "value_type": "decimal"}
                ),
                Command.create(
                    {"name": "Dept", "value": "0042", "value_type": "string"}
                ),
            ]
        )
        purchase_order = self._send(order)
        attributes = {
            attribute["name"]: attribute["value"]
            for attribute in map(
                _unwrap, _unwrap(purchase_order["extendedAttributes"])["items"]
            )
        }
        self.assertEqual(attributes, {"StoreNumber": 42, "Weight": 3.5, "Dept": "0042"})

    def test_order_number_longer_than_25(self):
        order = self._order()
        order.sudo().name = "S00042-RETAILER-MAX-2026-DROPSHIP"
        self._assert_refused(
            order, "order numbers of 25 characters at most", "shorten the order"
        )

    def test_bulk_send_with_one_bad_order_sends_nothing(self):
        good = self._order()
        bad = self._order(partner=self._partner(city="Rancho Santa Margarita Heights"))
        also_good = self._order([(self.ruby, 3)])
        orders = good | bad | also_good

        message = self._assert_refused(
            orders, "City", "None of the 3 selected orders was sent", named=bad
        )

        self.assertNotIn(good.name, message)
        self.assertNotIn(also_good.name, message)
        # Once fixed, all three go in one click.
        bad.sudo().partner_shipping_id.city = "Rancho Santa Margarita"
        orders.action_shipwire_send()
        self.assertEqual(len(self.sandbox.purchase_orders()), 3)

    def test_external_id_prefix_that_would_break_urls_or_matching_is_refused(self):
        for prefix in ("A/", "ODOO 1-", "X.1", "Ü-", "A" * 40):
            with self.subTest(prefix=prefix):
                with self.assertRaises(ValidationError) as refusal:
                    self.backend.external_id_prefix = prefix
                self.assertIn(self.backend.name, str(refusal.exception))
        self.assertEqual(self.backend.external_id_prefix, "ODOO-")
