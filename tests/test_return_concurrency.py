import threading
import time
import uuid
from unittest.mock import patch

import psycopg2

from odoo import Command, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..shipwire_api import ShipwireClient
from ..shipwire_api.sandbox import Sandbox

# How long the first sender stays inside Shipwire's create of the return.
SLOW_CREATE = 1.0


@tagged("post_install", "-at_install")
class TestReturnConcurrency(TransactionCase):
    """The sync job and a clerk sending the same queued return at the same
    moment, each in its own transaction. The data is committed for real, in a
    company of its own, and its account archived afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = Sandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            code = uuid.uuid4().hex[:5]
            company = env["res.company"].create({"name": f"Return race {code}"})
            env = env(context={"allowed_company_ids": company.ids})
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", company.id)], limit=1
            )
            backend = env["shipwire.backend"].create(
                {
                    "name": f"Return race {code}",
                    "company_id": company.id,
                    "environment": "custom",
                    "custom_url": cls.sandbox.url,
                    "username": cls.sandbox.username,
                    "password": cls.sandbox.password,
                    "return_send_on_confirmation": True,
                    "warehouse_ids": [Command.create({"warehouse_id": warehouse.id})],
                }
            )
            product = env["product.product"].create(
                {
                    "name": "Return race ring",
                    "default_code": "DIAMOND-1",
                    "type": "consu",
                    "is_storable": True,
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": "Return Race Retail",
                    "is_company": True,
                    "street": "3 Main Lane",
                    "city": "Los Angeles",
                    "zip": "91111",
                    "state_id": env.ref("base.state_us_5").id,
                    "country_id": env.ref("base.us").id,
                }
            )
            clerk = new_test_user(
                env,
                login=f"return_race_clerk_{code}",
                groups="stock.group_stock_user,sale_stock_shipwire.group_shipwire_user",
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "warehouse_id": warehouse.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": 2}
                            )
                        ],
                    }
                    for _ in range(2)
                ]
            )
            orders.action_confirm()
            orders.action_shipwire_send()
            for fulfillment in orders.shipwire_fulfillment_order_ids:
                cls.sandbox.complete_order(int(fulfillment.shipwire_id))
            env["shipwire.sync"]._sync(backend)
            cls.backend_id = backend.id
            cls.clerk_id = clerk.id
            cls.company_id = company.id
            cls.clerk_first_order_id, cls.job_first_order_id = orders.ids
            cls.committed = [
                ("shipwire.backend", backend.id),
                ("res.users", clerk.id),
                ("res.partner", partner.id),
                ("product.product", product.id),
            ]
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        """Archive the account, so that no job reads it again, and the rest; the
        company keeps its transfers."""
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            for model, record_id in cls.committed:
                env[model].browse(record_id).action_archive()

    def _queued_return(self, order_id):
        """A return of the order's delivery, queued for the job on confirmation,
        committed."""
        with self.registry.cursor() as cr:
            env = api.Environment(
                cr, api.SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
            )
            delivery = env["sale.order"].browse(order_id).picking_ids
            wizard = (
                env["stock.return.picking"]
                .with_context(active_id=delivery.id, active_model="stock.picking")
                .create({"picking_id": delivery.id})
            )
            wizard.product_return_moves.quantity = 1
            picking = env["stock.picking"].browse(
                wizard.action_create_returns()["res_id"]
            )
            self.assertTrue(picking.shipwire_return_queued)
            return picking.id

    def _clerk_sends(self, picking_id, outcomes):
        """The clerk presses Send return to Shipwire, in a request of their own."""
        with self.registry.cursor() as cr:
            env = api.Environment(
                cr, self.clerk_id, {"allowed_company_ids": [self.company_id]}
            )
            try:
                env["stock.picking"].browse(picking_id).action_shipwire_send_return()
                cr.commit()  # pylint: disable=invalid-commit
                outcomes["clerk"] = "sent"
            except UserError as error:
                cr.rollback()
                outcomes["clerk"] = f"refused: {error}"
            except psycopg2.errors.SerializationFailure:
                # Odoo runs such a request again, from the start.
                cr.rollback()
                outcomes["clerk"] = "serialization"
            except Exception as error:  # noqa: BLE001 - what the clerk would see
                cr.rollback()
                outcomes["clerk"] = f"error: {error!r}"

    def _job_runs(self, outcomes):
        """The returns' sync job, as the scheduler runs it for the account."""
        with self.registry.cursor() as cr:
            env = api.Environment(
                cr, api.SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
            )
            try:
                env["shipwire.inbound.sync"]._sync(
                    env["shipwire.backend"].browse(self.backend_id)
                )
                cr.commit()  # pylint: disable=invalid-commit
                outcomes["job"] = "done"
            except Exception as error:  # noqa: BLE001 - what the job would log
                cr.rollback()
                outcomes["job"] = f"error: {error!r}"

    def _race(self, picking_id, first):
        """The clerk and the job on the same queued return, ``first`` inside
        Shipwire's create of it when the other starts."""
        in_create = threading.Event()
        create_return = ShipwireClient.create_return

        def slow_create_return(client, payload):
            if threading.current_thread().name == first:
                in_create.set()
                time.sleep(SLOW_CREATE)
            return create_return(client, payload)

        outcomes = {}
        runs = {
            "clerk": lambda: self._clerk_sends(picking_id, outcomes),
            "job": lambda: self._job_runs(outcomes),
        }

        def second(name):
            in_create.wait(timeout=10)
            runs[name]()

        threads = [
            threading.Thread(
                name=name,
                target=runs[name] if name == first else second,
                args=() if name == first else (name,),
            )
            for name in runs
        ]
        with patch.object(ShipwireClient, "create_return", slow_create_return):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        return outcomes

    def _assert_one_return_and_no_fault(self, picking_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            picking = env["stock.picking"].browse(picking_id)
            record = picking.shipwire_return_ids
            self.assertEqual(len(record), 1)
            self.assertEqual(record.state, "processed")
            self.assertFalse(picking.shipwire_return_queued)
            self.assertFalse(picking.activity_ids, "nothing for anyone to do")
            fulfillment = record.fulfillment_order_id
            client = ShipwireClient(
                self.sandbox.username, self.sandbox.password, self.sandbox.url
            )
            self.assertEqual(len(client.order_returns(int(fulfillment.shipwire_id))), 1)
            for message in picking.message_ids:
                for raw in ("duplicate key", "could not serialize", "psycopg2"):
                    self.assertNotIn(raw, str(message.body))

    def test_the_job_leaves_a_return_a_clerk_is_sending_to_the_clerk(self):
        picking_id = self._queued_return(self.clerk_first_order_id)

        outcomes = self._race(picking_id, first="clerk")

        self.assertEqual(outcomes, {"clerk": "sent", "job": "done"})
        self._assert_one_return_and_no_fault(picking_id)

    def test_a_clerk_pressing_send_while_the_job_sends_is_told_plainly(self):
        picking_id = self._queued_return(self.job_first_order_id)

        outcomes = self._race(picking_id, first="job")

        self.assertEqual(outcomes["job"], "done")
        if outcomes["clerk"] == "serialization":
            # Odoo runs the request again: the clerk then reads what happened.
            self._clerk_sends(picking_id, outcomes)
        self.assertTrue(outcomes["clerk"].startswith("refused: "), outcomes)
        self.assertRegex(outcomes["clerk"], "already sent to Shipwire|right now")
        self._assert_one_return_and_no_fault(picking_id)
