import ast
from datetime import timedelta

from lxml import etree

from odoo import Command, fields, models
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .return_common import ReturnCase

RETURN_BUTTONS = (
    "action_shipwire_send_return",
    "action_shipwire_refresh_return",
    "action_shipwire_return_labels",
    "action_shipwire_cancel_return",
)
RECEIVING_SEND = "action_shipwire_send_receiving"


@tagged("post_install", "-at_install")
class TestReturnViews(ReturnCase):
    """Returns shown on their list, their form, the return picking and the
    overview, to those who open them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.storekeeper = new_test_user(
            cls.env, login="plain_storekeeper", groups="stock.group_stock_user"
        )

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

    def _shown_buttons(self, picking, user):
        """The names of the header buttons ``user`` sees on ``picking``."""
        return {button.get("name") for button in self._header_buttons(picking, user)}

    def _header_buttons(self, picking, user):
        """The header buttons of ``picking``'s form that ``user`` sees on it: in
        the arch for their groups, and not made invisible by the record's values."""
        picking = picking.with_user(user)
        arch = etree.fromstring(self._load_view(picking, user))
        shown = []
        for button in arch.xpath("//header/button[@type='object']"):
            condition = button.get("invisible")
            if condition:
                names = {
                    node.id
                    for node in ast.walk(ast.parse(condition, mode="eval"))
                    if isinstance(node, ast.Name) and node.id in picking._fields
                }
                values = {}
                for name in names:
                    value = picking[name]
                    if isinstance(value, models.BaseModel):
                        many2one = picking._fields[name].type == "many2one"
                        value = value.id if many2one else value.ids
                    values[name] = value
                if safe_eval(condition, values):
                    continue
            shown.append(button)
        return shown

    def _page_shown(self, picking, user):
        arch = etree.fromstring(self._load_view(picking, user))
        (page,) = arch.xpath("//page[@name='shipwire_return']")
        picking = picking.with_user(user)
        return not safe_eval(
            page.get("invisible"),
            {
                "shipwire_return_shipped": picking.shipwire_return_shipped,
                "shipwire_return_page_ids": picking.shipwire_return_page_ids.ids,
            },
        )

    def test_return_picking_shows_send_return_and_not_the_receivings_send(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 2})

        shown = self._shown_buttons(picking, self.receiver)
        self.assertIn("action_shipwire_send_return", shown)
        self.assertNotIn(RECEIVING_SEND, shown, "a return goes through Send return")
        self.assertTrue(self._page_shown(picking, self.receiver))

        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "processed")

        shown = self._shown_buttons(picking, self.receiver)
        self.assertEqual(
            shown & set(RETURN_BUTTONS),
            {"action_shipwire_refresh_return", "action_shipwire_return_labels"},
        )
        self.assertNotIn(RECEIVING_SEND, shown)
        self.assertNotIn("action_cancel", shown, "cancelled at Shipwire first")
        self.assertEqual(
            self._shown_buttons(picking, self.stock_manager) & set(RETURN_BUTTONS),
            {
                "action_shipwire_refresh_return",
                "action_shipwire_return_labels",
                "action_shipwire_cancel_return",
            },
        )
        self.assertFalse(
            self._shown_buttons(picking, self.storekeeper) & set(RETURN_BUTTONS)
        )

    def test_return_picking_page_shows_counts_and_holds_to_every_role(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 3})
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        self._control_return(record, "hold", {"description": "Opened box"})
        self._arrive_return(record, "DIAMOND-1", good=1, in_review=1)
        self._run_sync()

        backorder = picking.backorder_ids
        self.assertEqual(backorder.state, "assigned", "units still at Shipwire")
        for user in (self.storekeeper, self.receiver, self.stock_manager):
            for transfer in (picking, backorder):
                with self.subTest(user=user.login, transfer=transfer.name):
                    self.assertTrue(self._page_shown(transfer, user))
                    page = transfer.with_user(user)
                    self.assertEqual(page.shipwire_return_page_ids, record)
                    self.assertEqual(
                        [
                            (line.sku, line.good, line.in_review, line.pending)
                            for line in page.shipwire_return_line_ids
                        ],
                        [("DIAMOND-1", 1, 1, 1)],
                    )
                    self.assertEqual(
                        page.shipwire_return_hold_ids.description, "Opened box"
                    )
        shown = self._shown_buttons(backorder, self.stock_manager)
        self.assertIn("action_shipwire_cancel_return", shown)
        self.assertNotIn(RECEIVING_SEND, shown, "a return's backorder is no receipt")
        self.assertNotIn("action_shipwire_send_return", shown, "sent with its return")

    def test_validating_a_return_shipwire_receives_asks_first(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 2})

        def validates(transfer):
            return [
                button.get("confirm")
                for button in self._header_buttons(transfer, self.receiver)
                if button.get("name") == "button_validate"
            ]

        self.assertEqual(validates(picking), [None], "not sent: an ordinary return")
        self._send_return(picking)
        (confirm,) = validates(picking)
        self.assertIn("Shipwire's warehouse counts the returned units", confirm)

        record = picking.sudo().shipwire_return_ids
        self._arrive_return(record, "DIAMOND-1", good=1)
        self._run_sync()
        (confirm,) = validates(picking.backorder_ids)
        self.assertTrue(confirm, "its backorder too, while Shipwire receives")

    def test_a_receipt_keeps_the_receivings_send(self):
        receipt = self._receipt()
        shown = self._shown_buttons(receipt, self.receiver)
        self.assertIn(RECEIVING_SEND, shown)
        self.assertFalse(shown & set(RETURN_BUTTONS))
        self.assertFalse(self._page_shown(receipt, self.receiver))

    def test_returns_list_form_and_search_load(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        for user in (self.storekeeper, self.receiver):
            with self.subTest(user=user.login):
                form = self._load_view(record, user)
                self._load_view(record, user, "list")
                self._load_view(record, user, "search")
                self.assertIn("line_ids", form)
                self.assertEqual("exchange_ids" in form, user == self.receiver)
        self.assertTrue(record.with_user(self.receiver).exchange_ids)

    def test_account_form_shows_the_return_settings(self):
        arch = self._load_view(self.backend, self.stock_manager)
        (group,) = etree.fromstring(arch).xpath("//group[@name='returns']")
        self.assertEqual(
            [node.get("name") for node in group.iter("field")],
            [
                "return_send_on_confirmation",
                "return_email_customer",
                "return_prepaid_label",
            ],
        )

    def test_returns_menu_is_a_shipwire_users(self):
        menu = self.env.ref("sale_stock_shipwire.menu_shipwire_return")
        self.assertEqual(
            menu.parent_id, self.env.ref("sale_stock_shipwire.menu_shipwire_operations")
        )
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.receiver)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.storekeeper)._visible_menu_ids())
        self.env[menu.action.res_model].with_user(self.receiver).search([]).read()

    def _make_return(
        self, picking, state, pending=0, hold=False, backend=None, in_review=0
    ):
        """A Shipwire return of ``picking``'s delivery, made directly."""
        fulfillment = picking.return_id.shipwire_fulfillment_order_ids
        return self.env["shipwire.return"].create(
            {
                "backend_id": (backend or self.backend).id,
                "picking_id": picking.id,
                "fulfillment_order_id": fulfillment.id,
                "warehouse_id": self.warehouse.id,
                "external_id": f"{picking.name}-{state}-{pending}-{hold}",
                "shipwire_id": str(picking.id),
                "state": state,
                "line_ids": [
                    Command.create(
                        {
                            "sku": "DIAMOND-1",
                            "product_id": self.diamond.id,
                            "expected": 2,
                            "pending": pending,
                            "in_review": in_review,
                            "good": 2 - pending - in_review,
                        }
                    )
                ],
                "hold_ids": [
                    Command.create({"hold_type": "Review", "description": "Box"})
                ]
                if hold
                else [],
            }
        )

    def _open(self, user, kind, backend=None):
        """The records the overview counter ``kind`` opens, as the list applies
        its search defaults."""
        backend = (backend or self.backend).with_user(user)
        action = backend.with_context(overview_list=kind).action_overview_open()
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
        order = self._shipped([(self.diamond, 9)])
        delivery = order.picking_ids
        other = self.env["shipwire.backend"].create(
            {"name": "Other", "environment": "custom", "custom_url": self.sandbox.url}
        )
        pending = self._make_return(
            self._return(delivery, {self.diamond: 1}), "processed", 2
        )
        held = self._make_return(self._return(delivery, {self.diamond: 1}), "held", 1)
        hold_only = self._make_return(
            self._return(delivery, {self.diamond: 1}), "delivered", hold=True
        )
        cleared = self._make_return(
            self._return(delivery, {self.diamond: 1}), "delivered", hold=True
        )
        cleared.hold_ids.cleared_date = fields.Datetime.now() - timedelta(days=1)
        others = {
            state: self._make_return(
                self._return(delivery, {self.diamond: 1}), state, 1, hold=True
            )
            for state in ("completed", "cancelled", "waiting", "refused")
        }
        elsewhere = self._make_return(
            self._return(delivery, {self.diamond: 1}), "held", 1, backend=other
        )

        backend = self.backend.with_user(self.receiver)
        self.assertEqual(
            (backend.returns_waiting_count, backend.returns_held_count), (3, 2)
        )
        action, waiting = self._open(self.receiver, "returns_waiting")
        self.assertEqual(waiting, pending | held | others["waiting"])
        self.assertEqual(action["name"], f"{self.backend.name}: Returns waiting")
        _action, on_hold = self._open(self.receiver, "returns_held")
        self.assertEqual(on_hold, held | hold_only, "not a closed one's holds")
        self.assertEqual(
            (other.returns_waiting_count, other.returns_held_count), (1, 1)
        )
        self.assertEqual(self._open(self.receiver, "returns_held", other)[1], elsewhere)

    def test_waiting_is_searched_with_every_operator_the_web_client_sends(self):
        order = self._shipped([(self.diamond, 9)])
        delivery = order.picking_ids
        made = {
            (state, pending, in_review): self._make_return(
                self._return(delivery, {self.diamond: 1}),
                state,
                pending,
                False,
                None,
                in_review,
            )
            for state, pending, in_review in (
                ("processed", 2, 0),
                ("processed", 0, 1),
                ("processed", 0, 0),
                ("waiting", 0, 0),
                ("completed", 1, 1),
                ("refused", 0, 0),
            )
        }
        records = self.env["shipwire.return"].union(*made.values())
        waiting = records.filtered("is_waiting")
        self.assertEqual(len(waiting), 3)
        Return = self.env["shipwire.return"].with_user(self.receiver)
        among = [("id", "in", records.ids)]
        for operator, value, expected in (
            ("=", True, waiting),
            ("!=", False, waiting),
            ("=", False, records - waiting),
            ("!=", True, records - waiting),
        ):
            with self.subTest(operator=operator, value=value):
                found = Return.search([*among, ("is_waiting", operator, value)])
                self.assertEqual(found, expected)
                self.assertEqual(
                    Return.search_count([*among, ("is_waiting", operator, value)]),
                    len(expected),
                )
        negated = Return.search([*among, "!", ("is_waiting", "=", True)])
        self.assertEqual(negated, records - waiting)

    def test_returns_waiting_counts_units_in_review_and_not_returnable_yet(self):
        order = self._shipped([(self.diamond, 4)])
        checked = self._return(order.picking_ids, {self.diamond: 2})
        self._send_return(checked)
        in_review = checked.sudo().shipwire_return_ids
        self._arrive_return(in_review, "DIAMOND-1", in_review=2)
        self._run_sync()
        self.assertEqual((in_review.pending, in_review.in_review), (0, 2))
        self._sandbox_setting("return_min_order_age", 3600)
        young = self._shipped()
        refused = self._return(young.picking_ids, {self.diamond: 1})
        self._send_return(refused)
        not_yet = refused.sudo().shipwire_return_ids
        self.assertEqual(not_yet.state, "waiting")

        backend = self.backend.with_user(self.receiver)
        self.assertEqual(backend.returns_waiting_count, 2)
        _action, waiting = self._open(self.receiver, "returns_waiting")
        self.assertEqual(waiting, in_review | not_yet)

    def test_a_return_received_by_hand_before_shipwire_took_it_is_not_waiting(self):
        self._sandbox_setting("return_min_order_age", 3600)
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "waiting")
        backend = self.backend.with_user(self.receiver)
        self.assertEqual(backend.returns_waiting_count, 1)

        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.with_user(self.receiver).button_validate()
        self.assertEqual(picking.state, "done")
        self.sandbox.settings.return_min_order_age = 0
        self._run_sync()
        self.assertEqual(self.sandbox.stats()["returns"], 0, "the sync sends no more")

        backend.invalidate_recordset()
        self.assertEqual(backend.returns_waiting_count, 0)
        self.assertFalse(self._open(self.receiver, "returns_waiting")[1])
        self.assertFalse(record.is_waiting)

    def test_labels_attach_shipwires_label_or_say_there_is_none(self):
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids

        outcome = picking.with_user(self.receiver).action_shipwire_return_labels()
        self.assertEqual(outcome["params"]["type"], "warning")
        self.assertIn("Shipwire has no label for it", outcome["params"]["message"])
        self.assertIn("Prepaid return label", outcome["params"]["message"])
        self.assertFalse(record.message, "no failure of the return")
        self.assertFalse(self._attachments(picking))

        self.backend.return_prepaid_label = True
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)
        outcome = picking.with_user(self.receiver).action_shipwire_return_labels()
        self.assertEqual(outcome["params"]["type"], "success")
        self.assertIn("label attached", outcome["params"]["message"])
        self.assertEqual(self._attachments(picking).mimetype, "application/pdf")

    def test_labels_pressed_again_keep_one_copy_of_the_label(self):
        self.backend.return_prepaid_label = True
        order = self._shipped()
        picking = self._return(order.picking_ids, {self.diamond: 1})
        self._send_return(picking)

        for _press in range(2):
            outcome = picking.with_user(self.receiver).action_shipwire_return_labels()
            self.assertEqual(outcome["params"]["type"], "success")
            self.assertIn("label attached", outcome["params"]["message"])

        label = self._attachments(picking)
        self.assertEqual(len(label), 1, "one copy of the label on the return")
        self.assertTrue(label.raw.startswith(b"%PDF"))

    def _attachments(self, picking):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )

    def test_the_clerk_sets_the_demand_of_a_return_shipwire_has_not_taken(self):
        """The transfer is locked, yet the Demand is what Shipwire is asked for:
        whoever sends the return sets it until Shipwire takes it."""
        self._sandbox_setting("return_min_order_age", 3600)
        order = self._shipped([(self.diamond, 3)])
        picking = self._return(order.picking_ids, {self.diamond: 3})
        self.assertTrue(picking.is_locked)
        self._send_return(picking)
        record = picking.sudo().shipwire_return_ids
        self.assertEqual(record.state, "waiting")

        with Form(picking.with_user(self.receiver)) as form:
            with form.move_ids_without_package.edit(0) as move:
                move.product_uom_qty = 2
        self.sandbox.settings.return_min_order_age = 0
        self._send_return(picking)

        self.assertEqual(record.state, "processed")
        self.assertEqual(
            [(line.sku, line.expected) for line in record.line_ids], [("DIAMOND-1", 2)]
        )
        with (
            Form(picking.with_user(self.receiver)) as form,
            form.move_ids_without_package.edit(0) as move,
            self.assertRaisesRegex(AssertionError, "readonly"),
        ):
            move.product_uom_qty = 1
