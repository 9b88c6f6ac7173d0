from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ShipwireWorldCase

OPERATIONS_MENUS = (
    "menu_shipwire_overview",
    "menu_shipwire_purchase_order",
    "menu_shipwire_fulfillment_order",
    "menu_shipwire_stock_level",
    "menu_shipwire_product",
    "menu_shipwire_retailer_product",
    "menu_shipwire_exchange",
)
COUNTERS = (
    "to_send_count",
    "failed_count",
    "rejected_count",
    "held_count",
    "needs_approval_count",
    "not_delivered_count",
    "unmatched_sku_count",
)


@tagged("post_install", "-at_install")
class TestOverview(ShipwireWorldCase):
    """The clerk's Shipwire menus and the overview of each account's work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk_of_a = cls.users["user_of_a"]
        cls.clerk = cls.users["user"]
        cls.pos = {}
        for backend, warehouse, states in (
            (cls.backend, cls.warehouse, ["failed", "held", "held", "shipped"]),
            (cls.backend_a2, cls.warehouse_a2, ["rejected", "needs_approval"]),
            (cls.backend_b, cls.warehouse_b, ["held", "not_delivered"]),
        ):
            for number, state in enumerate(states):
                order = cls._order_at(cls, warehouse)
                cls.pos.setdefault((backend, state), cls.env["shipwire.purchase.order"])
                cls.pos[backend, state] |= cls.env["shipwire.purchase.order"].create(
                    {
                        "sale_order_id": order.id,
                        "backend_id": backend.id,
                        "external_id": f"{backend.id}-{number}",
                        "state": state,
                    }
                )
        # Confirmed, mapped and never sent: two at the first account, one at B's.
        cls.to_send = (
            cls._order_at(cls, cls.warehouse)
            | cls._order_at(cls, cls.warehouse)
            | cls._order_at(cls, cls.warehouse_b)
        )
        cls.env["shipwire.stock.level"].create(
            {
                "backend_id": cls.backend.id,
                "sku": "NOT-IN-ODOO",
                "shipwire_warehouse_id": "1",
                "status": "unmatched",
            }
        )

    def _counts(self, user, backend):
        backend = backend.with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids
        )
        backend.invalidate_recordset()
        return {name: backend[name] for name in COUNTERS}

    def test_clerk_sees_the_work_menus_and_reads_their_records(self):
        visible = self.env["ir.ui.menu"].with_user(self.clerk_of_a)._visible_menu_ids()
        for xmlid in OPERATIONS_MENUS:
            menu = self.env.ref(f"sale_stock_shipwire.{xmlid}")
            self.assertIn(menu.id, visible, xmlid)
            model = self.env[menu.action.res_model].with_user(self.clerk_of_a)
            model.search([], limit=1).read()
        for xmlid in ("menu_shipwire_webhook_event", "menu_shipwire_backend"):
            menu = self.env.ref(f"sale_stock_shipwire.{xmlid}")
            self.assertNotIn(menu.id, visible, xmlid)
        manager_visible = (
            self.env["ir.ui.menu"].with_user(self.users["manager"])._visible_menu_ids()
        )
        self.assertIn(
            self.env.ref("sale_stock_shipwire.menu_shipwire_webhook_event").id,
            manager_visible,
        )
        # The overview is the Shipwire menu's first entry.
        operations = self.env.ref("sale_stock_shipwire.menu_shipwire_operations")
        self.assertEqual(
            operations.child_id.sorted("sequence")[:1],
            self.env.ref("sale_stock_shipwire.menu_shipwire_overview"),
        )

    def test_counters_per_state_and_account(self):
        zero = dict.fromkeys(COUNTERS, 0)
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend),
            {
                **zero,
                "to_send_count": 2,
                "failed_count": 1,
                "held_count": 2,
                "unmatched_sku_count": 1,
            },
        )
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend_a2),
            {**zero, "rejected_count": 1, "needs_approval_count": 1},
        )
        self.assertEqual(
            self._counts(self.clerk, self.backend_b),
            {**zero, "to_send_count": 1, "held_count": 1, "not_delivered_count": 1},
        )

    def test_a_clerk_of_one_company_sees_only_its_accounts(self):
        Backend = self.env["shipwire.backend"].with_user(self.clerk_of_a)
        self.assertEqual(Backend.search([]), self.backend | self.backend_a2)
        # Even asked for B's account by id, the counts hold none of B's orders.
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend_b), dict.fromkeys(COUNTERS, 0)
        )

    def test_sending_takes_an_order_off_to_send(self):
        order = self.to_send[0]
        self.assertTrue(order.shipwire_to_send)
        self.env["shipwire.purchase.order"].create(
            {
                "sale_order_id": order.id,
                "backend_id": self.backend.id,
                "external_id": "sent-now",
                "state": "needs_approval",
            }
        )
        self.assertFalse(order.shipwire_to_send)
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend)["to_send_count"], 1
        )
        SaleOrder = self.env["sale.order"].with_user(self.clerk)
        self.assertEqual(
            SaleOrder.search([("shipwire_to_send", "=", True)]), self.to_send - order
        )
        self.assertIn(order, SaleOrder.search([("shipwire_to_send", "=", False)]))

    def test_an_order_whose_po_never_reached_shipwire_stays_to_send(self):
        # A PO record Shipwire never answered for (queued, or stopped for a
        # problem), or one at another account the order no longer uses: Shipwire
        # has no PO of the order at its account.
        first, second = self.to_send[0], self.to_send[1]
        self.env["shipwire.purchase.order"].create(
            [
                {
                    "sale_order_id": first.id,
                    "backend_id": self.backend.id,
                    "external_id": "no-answer-yet",
                },
                {
                    "sale_order_id": second.id,
                    "backend_id": self.backend_a2.id,
                    "external_id": "at-another-account",
                },
            ]
        )
        self.assertFalse(first.shipwire_state)
        self.assertFalse(second.shipwire_state)
        SaleOrder = self.env["sale.order"].with_user(self.clerk)
        self.assertEqual(
            SaleOrder.search([("shipwire_to_send", "=", True)]), self.to_send
        )
        self.assertTrue(first.shipwire_to_send)
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend)["to_send_count"], 2
        )

    def _open(self, user, backend, kind):
        backend = backend.with_user(user).with_context(
            overview_list=kind, allowed_company_ids=user.company_ids.ids
        )
        action = backend.action_overview_open()
        model = (
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
        )
        return model.search(self._shown_domain(model, action))

    def _shown_domain(self, model, action):
        """The domain of the list the action opens: its own, and that of the
        search facets its context turns on, each of which the user sees."""
        arch = etree.fromstring(
            model.get_views([(False, "search")])["views"]["search"]["arch"]
        )
        domain = action.get("domain") or []
        domain = list(safe_eval(domain) if isinstance(domain, str) else domain)
        for key, value in action["context"].items():
            if not key.startswith("search_default_"):
                continue
            name = key.removeprefix("search_default_")
            node = arch.xpath(f"//filter[@name='{name}'] | //field[@name='{name}']")
            self.assertTrue(node, f"{action['res_model']} has no search {name}")
            if node[0].tag == "filter":
                domain += safe_eval(node[0].get("domain"))
            else:
                domain.append((name, "=", value))
        return domain

    def test_counters_open_their_records(self):
        for (backend, state), pos in self.pos.items():
            if state != "shipped":
                self.assertEqual(self._open(self.clerk, backend, state), pos)
        self.assertEqual(
            self._open(self.clerk_of_a, self.backend, "to_send").filtered(
                "shipwire_to_send"
            ),
            self.to_send.filtered(lambda o: o.shipwire_backend_id == self.backend),
        )
        self.assertEqual(
            self._open(self.clerk_of_a, self.backend, "unmatched_sku").mapped("sku"),
            ["NOT-IN-ODOO"],
        )

    def test_counter_lists_show_their_filter_and_say_when_empty(self):
        backend = self.backend.with_user(self.clerk).with_context(
            overview_list="failed"
        )
        action = backend.action_overview_open()
        self.assertFalse(action.get("domain"))
        self.assertEqual(action["context"]["search_default_failed"], 1)
        self.assertEqual(action["context"]["search_default_backend_id"], backend.id)
        self.assertEqual(action["name"], f"{backend.name}: Send failed")
        self.assertIn("Nothing here", action["help"])
        self.assertNotIn("yet", action["help"])

    def test_unmatched_skus_list_shows_what_the_counter_counts(self):
        self.env["shipwire.stock.level"].create(
            {
                "backend_id": self.backend.id,
                "sku": "IN-UNMAPPED-WAREHOUSE",
                "shipwire_warehouse_id": "99",
                "status": "unmapped",
            }
        )
        listed = self._open(self.clerk_of_a, self.backend, "unmatched_sku")
        self.assertEqual(listed.mapped("sku"), ["NOT-IN-ODOO"])
        self.assertEqual(
            self._counts(self.clerk_of_a, self.backend)["unmatched_sku_count"],
            len(listed),
        )

    def test_webhook_deliveries_not_applied_are_for_managers(self):
        self.env["shipwire.webhook.event"].create(
            {"backend_id": self.backend.id, "topic": "order.updated", "state": "failed"}
        )
        manager = self.users["manager"]
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.webhook_failed_count, 1)
        self.assertEqual(len(self._open(manager, self.backend, "webhook_failed")), 1)
        with self.assertRaises(AccessError):
            self._open(self.clerk, self.backend, "webhook_failed")

    def test_an_unknown_counter_or_several_accounts_is_told_plainly(self):
        for kind in ("bogus", None, "__class__"):
            with self.assertRaisesRegex(UserError, f"no counter named {kind!r}"):
                self._open(self.clerk, self.backend, kind)
        with self.assertRaisesRegex(UserError, "2 accounts were given"):
            self._open(self.clerk_of_a, self.backend | self.backend_a2, "failed")

    def test_overview_loads_as_the_clerk(self):
        self.kanban = self.env.ref(
            "sale_stock_shipwire.shipwire_backend_view_kanban_overview"
        )
        views = (
            self.env["shipwire.backend"]
            .with_user(self.clerk_of_a)
            .get_views([(self.kanban.id, "kanban")])
        )
        self.assertIn("to_send_count", views["views"]["kanban"]["arch"])
        self.assertNotIn("webhook_failed_count", views["views"]["kanban"]["arch"])

    def test_an_account_in_outage_shows_unhealthy(self):
        backend = self.backend.with_user(self.clerk_of_a)
        self.assertFalse(backend.health_problem)
        self.backend.outage_since = "2026-01-01 10:00:00"
        self.assertIn("unreachable", backend.health_problem)
