import json

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from ..mapper import purchase_order_payload
from ..shipwire_api import ShipwireClient
from ..shipwire_api.client import Exchange
from .common import ShipwireWorldCase

SEND_ACTION = "sale_stock_shipwire.sale_order_action_shipwire_send"


class TestOperationsDay(ShipwireWorldCase):
    """Two companies, three accounts and every role, through the paths people and
    jobs take: list actions as the web client runs them, buttons, and jobs."""

    def _orders_everywhere(self):
        return (
            self._order_at(self.warehouse)
            | self._order_at(self.warehouse_a2)
            | self._order_at(self.warehouse_b)
        )

    def test_bulk_send_from_the_list_tells_what_was_sent(self):
        orders = self._orders_everywhere()

        result = self._run_list_action(SEND_ACTION, orders, self.users["user"])

        self.assertEqual(result["tag"], "display_notification")
        params = result["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn("Sent (3)", params["message"])
        for order in orders:
            self.assertIn(order.name, params["message"])
            self.assertEqual(order.shipwire_state, "approved")
        for sandbox in (self.sandbox, self.sandbox_a2, self.sandbox_b):
            self.assertEqual(len(sandbox.purchase_orders()), 1)
        self.assertEqual(
            orders.mapped("shipwire_backend_id"),
            self.backend | self.backend_a2 | self.backend_b,
        )

    def test_bulk_send_names_the_linked_and_the_unreached(self):
        linked, sent, unreached = self._orders_everywhere()
        # An earlier attempt reached Shipwire. Shipwire of the second company
        # cannot be reached at all.
        ShipwireClient(
            self.sandbox.username, self.sandbox.password, self.sandbox.url
        ).create_purchase_order(purchase_order_payload(linked, self.backend))
        self.sandbox_b.faults.inject("server_error", method="POST")

        result = self._run_list_action(
            SEND_ACTION, linked | sent | unreached, self.users["user"]
        )

        message = result["params"]["message"]
        self.assertEqual(result["params"]["type"], "danger")
        # One outcome per line, as the module's notifications show them.
        self.assertEqual(result["params"]["className"], "o_shipwire_notification")
        self.assertEqual(len(message.splitlines()), 3)
        self.assertIn(f"Sent (1): {sent.name}", message)
        self.assertIn(f"Already at Shipwire, linked (1): {linked.name}", message)
        self.assertIn("the retry job sends these again (1): ", message)
        self.assertIn(unreached.name, message)
        self.assertEqual(len(self.sandbox.purchase_orders()), 1)
        self.assertEqual(unreached.shipwire_state, "failed")

    def test_the_sync_adopts_a_po_whose_send_odoo_lost(self):
        order, restored, named_twice = (
            self._order_at(self.warehouse_b) for _order in range(3)
        )
        client = ShipwireClient(
            self.sandbox_b.username, self.sandbox_b.password, self.sandbox_b.url
        )
        # What a send did before its transaction was undone: it noted itself,
        # and Shipwire keeps the PO.
        self.env["shipwire.send.attempt"].create(
            {
                "backend_ref": self.backend_b.id,
                "sale_order_ref": order.id,
                "external_id": f"ODOO-{order.id}",
            }
        )
        client.create_purchase_order(purchase_order_payload(order, self.backend_b))
        # POs another database sent with the same prefix (a restored copy), one
        # of them also under a second spelling: no send of this database noted
        # them, so they are not this database's orders.
        client.create_purchase_order(purchase_order_payload(restored, self.backend_b))
        for external_id in (f"ODOO-{named_twice.id}", f"ODOO-0{named_twice.id}"):
            payload = purchase_order_payload(named_twice, self.backend_b)
            payload["externalId"] = external_id
            client.create_purchase_order(payload)
        self.sandbox_b.cancel_order(
            self.sandbox_b.orders(self.sandbox_b.purchase_orders()[0]["id"])[0]["id"]
        )

        self.env["shipwire.sync"]._cron_sync()

        self.assertTrue(self.backend_b.last_sync_date)
        self.assertEqual(order.shipwire_state, "cancelled")
        self.assertEqual(order.shipwire_external_id, f"ODOO-{order.id}")
        self.assertIn("The sync linked it", " ".join(self._messages(order, "info")))
        self.assertIn("The sync linked it", "".join(order.message_ids.mapped("body")))
        self.assertFalse(restored.sudo().shipwire_purchase_order_ids)
        self.assertFalse(named_twice.sudo().shipwire_purchase_order_ids)
        self.assertFalse(
            self.env["shipwire.send.attempt"].search(
                [("backend_ref", "=", self.backend_b.id)]
            )
        )

    def test_accounts_are_created_by_administrators_only(self):
        values = {
            "name": "Elsewhere",
            "environment": "custom",
            "custom_url": "https://attacker.example",
        }
        Backend = self.env["shipwire.backend"]
        for role in ("user", "manager"):
            with self.subTest(role=role):
                as_role = Backend.with_user(self.users[role])
                with self.assertRaises(AccessError):
                    as_role.create(values)
                with self.assertRaises(AccessError):
                    self.backend.with_user(self.users[role]).copy()
                with self.assertRaises(AccessError):
                    self.backend.with_user(self.users[role]).custom_url = "https://x"
                with mute_logger("odoo.sql_db"):
                    imported = as_role.load(
                        ["name", "environment", "custom_url"],
                        [["Imported", "custom", "https://attacker.example"]],
                    )
                self.assertFalse(imported["ids"])
        admin = Backend.with_user(self.users["admin"])
        self.assertTrue(admin.create(values))
        copy = self.backend.with_user(self.users["admin"]).copy()
        self.assertEqual(copy.name, f"{self.backend.name} (copy)")
        self.assertFalse(copy.sudo().password)

    def test_account_buttons_keep_to_the_users_companies(self):
        requests_before = self.sandbox_b.request_count
        for role, method in (
            ("manager_of_a", "action_test_connection"),
            ("manager_of_a", "action_sync_stock"),
            ("admin_of_a", "action_register_webhooks"),
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(self.backend_b.with_user(self.users[role]), method)()
        self.assertEqual(self.sandbox_b.request_count, requests_before)
        result = self.backend.with_user(
            self.users["manager_of_a"]
        ).action_test_connection()
        self.assertEqual(result["params"]["type"], "success")

    def test_the_api_log_never_shows_a_webhook_token(self):
        url = self.backend_b.sudo().webhook_url
        listed = json.dumps(
            {
                "resource": {
                    "items": [
                        {"resource": {"url": url}},
                        {
                            "resource": {
                                "url": "https://odoo.example/shipwire/webhook/T0KEN_x-1"
                            }
                        },
                    ]
                }
            }
        )
        # Some JSON writers escape each "/".
        listed += json.dumps({"url": url}).replace("/", "\\/")
        exchange = self.env["shipwire.exchange"]._record(
            self.backend,
            [Exchange("list webhooks", "GET", "/webhooks", "", 200, listed)],
        )
        for token in (self.backend_b.sudo().webhook_token, "T0KEN_x-1"):
            self.assertNotIn(token, exchange.response_body)
        self.assertIn("/shipwire/webhook/********", exchange.response_body)

    def test_a_sku_refused_alone_never_blocks_the_stock_sync(self):
        self.sandbox.store.replace_catalogue(
            {
                "warehouses": [{"id": 10, "externalId": "LAX"}],
                "stock": {"DIAMOND-1": {"LAX": 7}, "C,1": {"LAX": 2}},
            }
        )
        Sync = self.env["shipwire.stock.sync"]
        Sync._cron_sync_stock()
        self.sandbox.receive_stock("DIAMOND-1", "LAX", 5)
        # Shipwire said "C,1" moved: a SKU that cannot be asked for alone.
        self.backend.stock_level_ids.filtered(lambda level: level.sku == "C,1").write(
            {"refresh_requested": True}
        )

        Sync._cron_sync_stock()

        self.env.invalidate_all()
        self.assertEqual(
            self.diamond.with_context(warehouse_id=self.warehouse.id).qty_available,
            12,
        )
        self.assertFalse(self.backend.stock_level_ids.filtered("refresh_requested"))
        self.assertIn("'C,1'", self.backend.stock_sync_error)
        self.assertIn("the complete read brings them", self.backend.stock_sync_error)

    def test_the_jobs_work_every_account_in_its_company(self):
        orders = self._orders_everywhere()
        self.sandbox_b.faults.inject("server_error", method="POST")
        self._run_list_action(SEND_ACTION, orders, self.users["user"])
        unreached = orders.filtered(lambda order: order.shipwire_state == "failed")
        self.assertEqual(unreached.shipwire_backend_id, self.backend_b)
        self.sandbox_b.faults.clear()
        unreached.shipwire_purchase_order_id.sudo().next_retry = fields.Datetime.now()

        self.env["shipwire.purchase.order"]._cron_retry_failed_sends()

        self.assertEqual(set(orders.mapped("shipwire_state")), {"approved"})
        for order, sandbox in zip(
            orders, (self.sandbox, self.sandbox_a2, self.sandbox_b), strict=True
        ):
            sandbox.complete_order(
                int(order.shipwire_fulfillment_order_ids.shipwire_id)
            )

        self.env["shipwire.sync"]._cron_sync()
        self.env["shipwire.stock.sync"]._cron_sync_stock()

        for order in orders:
            with self.subTest(order=order.name):
                self.assertEqual(order.shipwire_state, "shipped")
                self.assertEqual(order.picking_ids.state, "done")
                self.assertEqual(order.picking_ids.company_id, order.company_id)
        backends = self.backend | self.backend_a2 | self.backend_b
        self.assertTrue(all(backends.mapped("last_sync_date")))
        self.assertTrue(all(backends.mapped("stock_synced_at")))
        self.assertFalse(any(backends.mapped("stock_sync_error")))
