import json
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, tagged

from ..models.shipwire_stock_sync import STOCK_LOCK
from ..shipwire_api import SIGNATURE_HEADER, ShipwireClient, build_signature_header
from .common import ShipwireCase

SECRET = "7a" * 64
REFERENCE = "Shipwire stock of Sandbox"


@tagged("post_install", "-at_install")
class TestStockSync(ShipwireCase, HttpCase):
    """Shipwire's stock becomes Odoo's on-hand quantity in the mapped warehouses,
    through inventory adjustments, as the README describes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.philadelphia = cls.env["stock.warehouse"].create(
            {"name": "Philadelphia", "code": "PHL"}
        )
        cls.backend.warehouse_ids = [
            Command.create(
                {
                    "warehouse_id": cls.philadelphia.id,
                    "shipwire_warehouse_external_id": "PHL",
                }
            )
        ]

    def setUp(self):
        super().setUp()
        self.sandbox.store.replace_catalogue(
            {
                "warehouses": [
                    {"id": 10, "externalId": "LAX"},
                    {"id": 20, "externalId": "PHL"},
                    {"id": 30, "externalId": "TOR"},
                ],
                "stock": {
                    "DIAMOND-1": {"LAX": 7, "PHL": 3, "TOR": 9},
                    "RUBY-2": {"LAX": 4},
                },
            }
        )

    def _sync(self):
        self.env["shipwire.stock.sync"]._cron_sync_stock()
        self.env.invalidate_all()

    def _on_hand(self, product, warehouse):
        return product.with_context(warehouse_id=warehouse.id).qty_available

    def _free(self, product, warehouse):
        return product.with_context(warehouse_id=warehouse.id).free_qty

    def _adjustments(self):
        return self.env["stock.move"].search([("reference", "=", REFERENCE)])

    def _level(self, sku, warehouse_code):
        return self.backend.stock_level_ids.filtered(
            lambda level: (
                level.sku == sku and level.warehouse_external_id == warehouse_code
            )
        )

    def test_on_hand_follows_shipwire_in_each_mapped_warehouse(self):
        order = self._order([(self.diamond, 2)])
        order.action_shipwire_send()  # Shipwire reserves 2 of LAX's 7
        not_sent = self._order([(self.diamond, 1)])

        self._sync()

        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 7)
        self.assertEqual(self._on_hand(self.ruby, self.warehouse), 4)
        self.assertEqual(self._on_hand(self.diamond, self.philadelphia), 3)
        # The sent order's delivery holds what Shipwire reserved for it, once; the
        # order not sent yet will take one of Shipwire's 5 good units.
        self.assertEqual(self._free(self.diamond, self.warehouse), 4)
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertEqual(not_sent.picking_ids.state, "assigned")
        lax = self._level("DIAMOND-1", "LAX")
        self.assertEqual((lax.good, lax.reserved, lax.on_hand), (5, 2, 7))
        self.assertEqual(lax.status, "synced")
        # Toronto is not mapped: shown, stocked nowhere in Odoo.
        toronto = self._level("DIAMOND-1", "TOR")
        self.assertEqual((toronto.status, toronto.good), ("unmapped", 9))
        self.assertFalse(toronto.warehouse_id)
        adjustments = self._adjustments()
        self.assertEqual(len(adjustments), 3)
        self.assertEqual(set(adjustments.mapped("state")), {"done"})
        self.assertEqual(self.diamond.shipwire_stock_level_count, 3)

    def test_a_second_run_moves_nothing(self):
        self._sync()
        before = self._adjustments()

        self.backend.stock_synced_at = False  # a complete read again
        self._sync()

        self.assertEqual(self._adjustments(), before)
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 7)

    def test_damaged_and_shipped_units_leave_on_hand(self):
        order = self._order([(self.diamond, 2)])
        order.action_shipwire_send()
        self._sync()
        self.sandbox.damage_stock("DIAMOND-1", "LAX", 1)
        (fulfillment,) = order.shipwire_fulfillment_order_ids
        self.sandbox.complete_order(int(fulfillment.shipwire_id))
        self.env["shipwire.sync"]._cron_sync()  # the delivery is validated

        self.backend.stock_synced_at = False
        self._sync()

        self.assertEqual(order.picking_ids.state, "done")
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 4)
        lax = self._level("DIAMOND-1", "LAX")
        self.assertEqual((lax.good, lax.damaged, lax.on_hand), (4, 1, 4))

    def test_stock_transition_webhook_reads_the_sku_again(self):
        self.env["ir.config_parameter"].set_param("web.base.url", self.base_url())
        self.backend.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "1", "secret": SECRET})
        ]
        self._sync()
        received = self.sandbox.receive_stock("RUBY-2", "LAX", 6)
        payload = {
            "topic": "stock.transition",
            "body": {
                "orderId": None,
                "productId": received["productId"],
                "warehouseId": received["warehouseId"],
                "fromState": "pending",
                "toState": "good",
                "delta": 6,
                "fromStateStockAfterTransition": 0,
                "toStateStockAfterTransition": 10,
            },
        }
        body = json.dumps(payload).encode()
        response = self.url_open(
            self.backend.sudo().webhook_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: build_signature_header(body, [("1", SECRET)]),
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.env["shipwire.webhook.event"]._cron_apply()
        self.env.invalidate_all()
        self.assertTrue(self._level("RUBY-2", "LAX").refresh_requested)
        job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_stock_sync")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)]))
        Exchange = self.env["shipwire.exchange"]
        before = Exchange.search([("operation", "=", "stock")])

        self._sync()

        self.assertEqual(self._on_hand(self.ruby, self.warehouse), 10)
        self.assertFalse(self._level("RUBY-2", "LAX").refresh_requested)
        # The one SKU, not every page.
        reads = Exchange.search([("operation", "=", "stock")]) - before
        self.assertEqual(len(reads), 1)
        self.assertIn("sku=RUBY-2", reads.url)

    def test_unknown_and_shared_skus_are_listed_not_guessed(self):
        self.sandbox.receive_stock("NEW-SKU", "LAX", 5)
        twin = self._product("Ruby pendant, old", "RUBY-2")

        self._sync()

        unmatched = self._level("NEW-SKU", "LAX")
        self.assertEqual(unmatched.status, "unmatched")
        self.assertFalse(
            self.env["product.product"].search([("default_code", "=", "NEW-SKU")])
        )
        self.assertEqual(self.backend.unmatched_sku_count, 1)
        shared = self._level("RUBY-2", "LAX")
        self.assertEqual(shared.status, "ambiguous")
        self.assertIn("Ruby pendant, old", shared.note)
        self.assertIn(self.ruby.display_name, shared.note)
        self.assertEqual(self._on_hand(self.ruby, self.warehouse), 0)
        self.assertEqual(self._on_hand(twin, self.warehouse), 0)
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 7)

    def test_bundles_aliases_bad_counters_and_consumables_are_not_adjusted(self):
        self.sandbox.store.replace_catalogue(
            {
                "warehouses": [{"id": 10, "externalId": "LAX"}],
                "stock": {
                    "DIAMOND-1": {"LAX": 7},
                    "RUBY-2": {"LAX": 4},
                    "LAMP-1": {"LAX": 2},
                    "VASE-1": {"LAX": 3},
                },
                "bundles": ["LAMP-1"],
                "aliases": ["VASE-1"],
            }
        )
        self.sandbox.override_stock("DIAMOND-1", "LAX", {"good": -3})
        self.sandbox.override_stock("RUBY-2", "LAX", {"reserved": None})
        self._product("Lamp set", "LAMP-1")
        self._product("Vase", "VASE-1")
        self.ruby.is_storable = False

        self._sync()

        statuses = {level.sku: level.status for level in self.backend.stock_level_ids}
        self.assertEqual(
            statuses,
            {
                "DIAMOND-1": "bad_counters",
                "RUBY-2": "bad_counters",
                "LAMP-1": "bundle",
                "VASE-1": "alias",
            },
        )
        self.assertIn("good=-3", self._level("DIAMOND-1", "LAX").note)
        self.assertIn("reserved=None", self._level("RUBY-2", "LAX").note)
        self.assertFalse(self._adjustments())

    def test_a_consumable_is_reported(self):
        self.ruby.is_storable = False

        self._sync()

        level = self._level("RUBY-2", "LAX")
        self.assertEqual(level.status, "not_storable")
        self.assertIn("Track Inventory", level.note)

    def test_only_a_shipwire_manager_syncs_and_nobody_writes_levels(self):
        with self.assertRaises(AccessError):
            self.backend.with_user(self.clerk).action_sync_stock()
        self.backend.with_user(self.manager).action_sync_stock()
        self.env.invalidate_all()
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 7)

        level = self._level("DIAMOND-1", "LAX")
        for user in (self.clerk, self.manager):
            with self.assertRaises(AccessError):
                level.with_user(user).write({"good": 1000})
            with self.assertRaises(AccessError):
                self.env["shipwire.stock.level"].with_user(user).create(
                    {
                        "backend_id": self.backend.id,
                        "sku": "X",
                        "shipwire_warehouse_id": "10",
                        "status": "synced",
                    }
                )
        # Salespeople read the levels of the products they sell.
        self.assertEqual(
            self.diamond.with_user(self.clerk).shipwire_stock_level_count, 3
        )

    def test_a_failed_read_is_told_on_the_account(self):
        self.sandbox.faults.inject("server_error", method="GET", path="/stock")

        self._sync()

        self.assertTrue(self.backend.stock_sync_error)
        self.assertFalse(self.backend.stock_synced_at)
        self.assertFalse(self._adjustments())

    def test_a_sku_missing_from_the_catalogue_is_named_before_sending(self):
        emerald = self._product("Emerald earrings", "EMERALD-3")
        order = self._order([(emerald, 1), (self.diamond, 1)])
        self._sync()
        requests = self.sandbox.request_count

        with self.assertRaises(UserError) as caught:
            order.action_shipwire_send()

        message = str(caught.exception)
        self.assertIn("EMERALD-3", message)
        self.assertIn("Send to Shipwire", message)
        self.assertNotIn("DIAMOND-1", message)
        self.assertEqual(self.sandbox.request_count, requests)
        self.assertFalse(order.shipwire_state)

        # Once the product went to Shipwire, the order goes.
        result = self._sandbox_client().create_products(
            [
                {
                    "sku": "EMERALD-3",
                    "description": "Emerald earrings",
                    "values": {"costValue": 10, "retailValue": 20},
                    "dimensions": {"length": 1, "width": 1, "height": 1, "weight": 1},
                    "classification": "baseProduct",
                }
            ]
        )
        (created,) = result.created
        self.env["shipwire.product"].create(
            {
                "backend_id": self.backend.id,
                "product_id": emerald.id,
                "sku": "EMERALD-3",
                "shipwire_id": str(created["id"]),
            }
        )
        order.action_shipwire_send()
        self.assertTrue(order.shipwire_po_id)

    def test_before_any_stock_read_no_sku_is_taken_for_missing(self):
        emerald = self._product("Emerald earrings", "EMERALD-3")
        order = self._order([(emerald, 1)])

        order.action_shipwire_send()

        # Shipwire itself answered: the check in Odoo let it through.
        self.assertEqual(order.shipwire_state, "rejected")
        self.assertIn("EMERALD-3", " ".join(self._messages(order)))

    def test_a_page_that_meets_a_concurrent_update_is_read_again_later(self):
        StockSync = type(self.env["shipwire.stock.sync"])
        store = StockSync._store_page
        calls = []

        def conflict_first(model, backend, items):
            calls.append(len(items))
            if len(calls) == 1:
                # What PostgreSQL answers when a delivery changed the same quants.
                model.env.cr.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'conflict' "
                    "USING ERRCODE = 'serialization_failure'; END $$"
                )
            return store(model, backend, items)

        with patch.object(StockSync, "_store_page", conflict_first):
            self._sync()

        self.assertFalse(self._adjustments())
        self.assertFalse(self.backend.stock_synced_at)
        self.assertFalse(self.backend.stock_sync_error)
        job = self.env.ref("sale_stock_shipwire.ir_cron_shipwire_stock_sync")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", job.id)]))

        self._sync()

        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 7)
        self.assertTrue(self.backend.stock_synced_at)

    def test_odd_items_from_shipwire_never_stop_the_read(self):
        lax = {"warehouseId": 10, "warehouseExternalId": "LAX", "productId": 1}
        page = [
            {**lax, "sku": "DIAMOND-1", "good": 5, "reserved": 0, "shipping": 0},
            # The same SKU and warehouse again: the last word counts.
            {**lax, "sku": "DIAMOND-1", "good": 6, "reserved": 0, "shipping": 0},
            # More than PostgreSQL's integers hold, and digits of another script.
            {**lax, "sku": "RUBY-2", "good": 10**12, "reserved": 0, "shipping": 0},
            {**lax, "sku": "NEW-SKU", "good": "²", "reserved": 0, "shipping": 0},
        ]

        with patch.object(
            ShipwireClient, "stock_pages", lambda client, **_filters: iter([page])
        ):
            self._sync()

        self.assertTrue(self.backend.stock_synced_at)
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 6)
        self.assertEqual(self._level("RUBY-2", "LAX").status, "bad_counters")
        self.assertEqual(self._level("NEW-SKU", "LAX").status, "bad_counters")
        self.assertEqual(self._on_hand(self.ruby, self.warehouse), 0)

    def test_shipwire_warehouses_of_one_region_add_up(self):
        self.backend.warehouse_ids.filtered(
            lambda mapping: mapping.warehouse_id == self.warehouse
        ).write({"shipwire_warehouse_external_id": False, "shipwire_region": "EAST"})
        self.sandbox.store.replace_catalogue(
            {
                "warehouses": [
                    {"id": 40, "externalId": "NYC", "region": "EAST"},
                    {"id": 50, "externalId": "BOS", "region": "EAST"},
                ],
                "stock": {"DIAMOND-1": {"NYC": 5, "BOS": 3}},
            }
        )

        self._sync()

        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 8)
        self.backend.stock_synced_at = False
        self._sync()
        self.assertEqual(len(self._adjustments()), 1, "no back and forth")

    def test_where_the_stock_sync_stands_is_not_written_by_hand(self):
        for user in (self.manager, self.clerk):
            with self.assertRaises(AccessError):
                self.backend.with_user(user).write({"stock_read_offset": 99999})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.manager).write({"stock_sync_error": False})

    def test_a_second_run_of_one_account_waits_its_turn(self):
        # Another worker's connection (the test's cursors share one).
        other = db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute("SELECT pg_advisory_lock(%s, %s)", [STOCK_LOCK, self.backend.id])
        self.addCleanup(
            other.execute,
            "SELECT pg_advisory_unlock(%s, %s)",
            [STOCK_LOCK, self.backend.id],
        )

        with self.assertRaises(UserError) as caught:
            self.backend.with_user(self.manager).action_sync_stock()

        self.assertIn("being synced right now", str(caught.exception))
        self.env["shipwire.stock.sync"]._cron_sync_stock()  # leaves it alone
        self.assertEqual(self._on_hand(self.diamond, self.warehouse), 0)
        self.assertFalse(self.backend.stock_sync_error)

    def test_the_catalogue_check_costs_the_same_for_few_orders_or_many(self):
        self._sync()

        def queries(count):
            orders = self.env["sale.order"].union(
                *(self._order([(self.diamond, 1)]) for _ in range(count))
            )
            orders.invalidate_recordset()
            before = self.env.cr.sql_log_count
            orders._shipwire_skus_not_in_catalogue()
            return self.env.cr.sql_log_count - before

        queries(1)  # what any first check reads once
        self.assertEqual(queries(2), queries(8))
