from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import ShipwireWorldCase

RECEIPT_BUTTONS = (
    "action_shipwire_send_receiving",
    "action_shipwire_update_receiving",
    "action_shipwire_refresh_receiving",
    "action_shipwire_receiving_labels",
    "action_shipwire_cancel_receiving",
)


@tagged("post_install", "-at_install")
class TestReceivingViews(ShipwireWorldCase):
    """Receivings shown on their list, their form, the receipt and the overview,
    to every role that opens them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = cls.users["user_of_a"]
        cls.manager = cls.users["manager_of_a"]
        cls.storekeeper = new_test_user(
            cls.env, login="plain_storekeeper", groups="stock.group_stock_user"
        )
        past = fields.Datetime.now() - timedelta(days=3)
        cls.held = cls._receiving(cls.backend, "held")
        cls.with_hold = cls._receiving(cls.backend, "processed", hold=True)
        cls.cleared = cls._receiving(cls.backend, "processed", hold=True)
        cls.cleared.hold_ids.cleared_date = past
        cls.overdue = cls._receiving(cls.backend, "submitted", expected_date=past)
        cls.done_late = cls._receiving(
            cls.backend, "completed", expected_date=past, pending=0
        )
        cls.cancelled_late = cls._receiving(
            cls.backend, "cancelled", expected_date=past
        )
        cls.elsewhere = cls._receiving(cls.backend_a2, "held", expected_date=past)
        cls.cancelled_with_hold = cls._receiving(cls.backend, "cancelled", hold=True)

    @classmethod
    def _receiving(cls, backend, state, hold=False, pending=5, **values):
        """A receiving of a receipt of ``backend``'s warehouse, made directly."""
        warehouse = backend.warehouse_ids.warehouse_id
        vendors = cls.env.ref("stock.stock_location_suppliers")
        picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.in_type_id.id,
                "partner_id": cls.retailer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": cls.diamond.name,
                            "product_id": cls.diamond.id,
                            "product_uom_qty": 5,
                            "location_id": vendors.id,
                            "location_dest_id": warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        receiving = cls.env["shipwire.receiving"].create(
            {
                "backend_id": backend.id,
                "picking_id": picking.id,
                "warehouse_id": warehouse.id,
                "external_id": f"{picking.name}-{state}",
                "shipwire_id": str(picking.id),
                "state": state,
                "message": "Shipwire says hello.",
                "line_ids": [
                    Command.create(
                        {
                            "sku": cls.diamond.default_code,
                            "product_id": cls.diamond.id,
                            "expected": 5,
                            "pending": pending,
                            "good": 5 - pending,
                        }
                    )
                ],
                "hold_ids": [
                    Command.create({"hold_type": "Damaged", "description": "Crate"})
                ]
                if hold or state == "held"
                else [],
                **values,
            }
        )
        picking.shipwire_receiving_id = receiving
        return receiving

    def _load_view(self, record, user, view_type="form"):
        """Load ``record``'s view as ``user`` and read the fields it shows to
        them, as the web client does; return the view's arch."""
        record = record.with_user(user)
        views = record.get_views([(False, view_type)])
        models = {name: spec["fields"] for name, spec in views["models"].items()}
        arch = views["views"][view_type]["arch"]

        def spec_of(node, model):
            spec = {}
            for child in node:
                if child.tag != "field":
                    spec.update(spec_of(child, model))
                    continue
                field = models[model][child.get("name")]
                if field["type"] == "many2one":
                    spec[field["name"]] = {"fields": {"display_name": {}}}
                elif field["type"] in ("one2many", "many2many"):
                    spec[field["name"]] = {"fields": spec_of(child, field["relation"])}
                else:
                    spec[field["name"]] = {}
            return spec

        if view_type != "search":
            self.assertTrue(
                record.web_read(spec_of(etree.fromstring(arch), record._name))
            )
        return arch

    def _buttons(self, arch):
        return {node.get("name") for node in etree.fromstring(arch).iter("button")}

    def test_receipt_form_shows_the_receiving_to_every_role(self):
        receipt = self.with_hold.picking_id
        for user in (self.storekeeper, self.clerk, self.manager):
            with self.subTest(user=user.login):
                arch = self._load_view(receipt, user)
                self.assertIn('name="shipwire_receiving"', arch)
                self.assertIn("shipwire_receiving_line_ids", arch)
                page = receipt.with_user(user)
                self.assertEqual(page.shipwire_receiving_state, "processed")
                self.assertEqual(page.shipwire_receiving_line_ids.pending, 5)
                self.assertEqual(page.shipwire_receiving_hold_ids.hold_type, "Damaged")
        self.assertFalse(
            self._buttons(self._load_view(receipt, self.storekeeper))
            & set(RECEIPT_BUTTONS)
        )
        self.assertEqual(
            self._buttons(self._load_view(receipt, self.clerk)) & set(RECEIPT_BUTTONS),
            set(RECEIPT_BUTTONS) - {"action_shipwire_cancel_receiving"},
        )
        self.assertIn(
            "action_shipwire_cancel_receiving",
            self._buttons(self._load_view(receipt, self.manager)),
        )

    def test_receipt_cancel_waits_for_shipwire_while_the_receiving_is_open(self):
        arch = etree.fromstring(self._load_view(self.held.picking_id, self.clerk))
        for button in arch.xpath("//header/button[@name='action_cancel']"):
            self.assertIn("shipwire_receiving_state in (", button.get("invisible"))

    def test_receipt_validate_asks_first_while_shipwire_counts(self):
        arch = etree.fromstring(self._load_view(self.held.picking_id, self.clerk))
        asking = arch.xpath("//header/button[@name='button_validate'][@confirm]")
        self.assertTrue(
            any("Shipwire counts" in button.get("confirm") for button in asking)
        )
        for button in arch.xpath(
            "//header/button[@name='button_validate'][not(@confirm)]"
        ):
            self.assertIn("shipwire_receiving_state in (", button.get("invisible"))

    def test_receivings_list_and_form_load_for_each_role(self):
        for user in (self.storekeeper, self.clerk, self.manager):
            with self.subTest(user=user.login):
                form = self._load_view(self.held, user)
                self._load_view(self.held, user, "list")
                self._load_view(self.held, user, "search")
                self.assertIn("line_ids", form)
                self.assertEqual("exchange_ids" in form, user != self.storekeeper, form)

    def _open(self, user, kind):
        backend = self.backend.with_user(user).with_context(
            overview_list=kind, allowed_company_ids=user.company_ids.ids
        )
        action = backend.action_overview_open()
        model = self.env[action["res_model"]].with_user(user)
        arch = etree.fromstring(
            model.get_views([(False, "search")])["views"]["search"]["arch"]
        )
        domain = []
        for key, value in action["context"].items():
            name = key.removeprefix("search_default_")
            if name == key:
                continue
            (node,) = arch.xpath(f"//filter[@name='{name}'] | //field[@name='{name}']")
            if node.tag == "filter":
                domain += safe_eval(node.get("domain"))
            else:
                domain.append((name, "=", value))
        return action, model.search(domain)

    def test_overview_counters_open_what_they_count(self):
        backend = self.backend.with_user(self.clerk)
        self.assertEqual(backend.receivings_held_count, 2)
        self.assertEqual(backend.receivings_overdue_count, 1)
        action, held = self._open(self.clerk, "receivings_held")
        self.assertEqual(held, self.held | self.with_hold, "not a closed one's holds")
        self.assertEqual(action["name"], f"{self.backend.name}: Receivings on hold")
        _action, overdue = self._open(self.clerk, "receivings_overdue")
        self.assertEqual(overdue, self.overdue)
        self.assertEqual(self.backend_a2.receivings_overdue_count, 1)
