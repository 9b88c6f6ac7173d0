from contextlib import contextmanager
from unittest.mock import patch

from odoo import Command, fields
from odoo.api import call_kw
from odoo.models import check_method_name
from odoo.sql_db import Cursor
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL

from odoo.addons.web.controllers.utils import clean_action

from ..shipwire_api import ShipwireClient
from ..shipwire_api.sandbox import Sandbox

RETRY_JOB = "sale_stock_shipwire.ir_cron_shipwire_retry_sends"


@contextmanager
def reads_of(*tables):
    """The queries run in the block that select from one of ``tables``, by
    table: ``{table: [query, ...]}``."""
    seen = {table: [] for table in tables}
    execute = Cursor.execute

    def counting(cr, query, params=None, log_exceptions=True):
        code = query.code if isinstance(query, SQL) else query
        for table in tables:
            if f'FROM "{table}"' in code:
                seen[table].append(code)
        return execute(cr, query, params, log_exceptions)

    with patch.object(Cursor, "execute", counting):
        yield seen


class ShipwireCase(TransactionCase):
    """A Shipwire account pointing at a sandbox on 127.0.0.1, a mapped warehouse,
    products the sandbox knows and a US retailer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = Sandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.backend = cls.env["shipwire.backend"].create(
            {
                "name": "Sandbox",
                "environment": "custom",
                "custom_url": cls.sandbox.url,
                "username": cls.sandbox.username,
                "password": cls.sandbox.password,
                "read_timeout": 5,
                "warehouse_ids": [
                    Command.create(
                        {
                            "warehouse_id": cls.warehouse.id,
                            "shipwire_warehouse_external_id": "LAX",
                        }
                    )
                ],
            }
        )
        cls.diamond = cls._product("Diamond ring", "DIAMOND-1", barcode="0001234567891")
        cls.ruby = cls._product("Ruby pendant", "RUBY-2")
        cls.service = cls.env["product.product"].create(
            {"name": "Installation", "type": "service", "list_price": 50}
        )
        cls.us = cls.env.ref("base.us")
        cls.retailer = cls.env["res.partner"].create(
            {
                "name": "Max Retail",
                "is_company": True,
                "street": "1 Main Lane",
                "city": "Los Angeles",
                "zip": "91111",
                "state_id": cls.env.ref("base.state_us_5").id,
                "country_id": cls.us.id,
                "email": "receiving@example.com",
            }
        )
        cls.clerk = new_test_user(
            cls.env,
            login="shipwire_clerk",
            groups="sales_team.group_sale_salesman_all_leads,"
            "sale_stock_shipwire.group_shipwire_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="shipwire_manager",
            groups="sales_team.group_sale_manager,"
            "sale_stock_shipwire.group_shipwire_manager",
        )

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.sandbox.faults.clear()

    @classmethod
    def _product(cls, name, sku, **values):
        return cls.env["product.product"].create(
            {
                "name": name,
                "default_code": sku,
                "type": "consu",
                "is_storable": True,
                "list_price": 100,
                **values,
            }
        )

    def _order(self, lines=None, confirm=True, partner=None, **values):
        lines = lines or [(self.diamond, 2)]
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.retailer).id,
                "warehouse_id": self.warehouse.id,
                # Tests run as OdooBot, whom no activity may go to.
                "user_id": self.clerk.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in lines
                ],
                **values,
            }
        )
        if confirm:
            order.action_confirm()
        return order.with_user(self.clerk)

    def _run_retry_job(self, orders):
        """The retry job as the scheduler runs it, once these orders are due."""
        orders.shipwire_purchase_order_id.sudo().next_retry = fields.Datetime.now()
        self.assertTrue(self.env.ref(RETRY_JOB).method_direct_trigger())
        self.env.invalidate_all()

    def _sandbox_client(self):
        return ShipwireClient(
            self.sandbox.username, self.sandbox.password, self.sandbox.url
        )

    def _sent_items(self):
        """The items of the one PO the sandbox holds, as Shipwire stored them."""
        (purchase_order,) = self.sandbox.purchase_orders()
        return self._sandbox_client().purchase_order_items(purchase_order["id"])

    def _messages(self, order, severity=None):
        messages = order.shipwire_message_ids.filtered(lambda m: not m.resolved)
        if severity:
            messages = messages.filtered(lambda m: m.severity == severity)
        return messages.mapped("text")


class ShipwireWorldCase(ShipwireCase):
    """The world as it is: two companies, each with a Shipwire account on a
    sandbox of its own, a second account in the first company serving a second
    warehouse, and a user for every role working in both companies (plus each
    role working in the first company only)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create(
            {
                "name": "Shipwire Second Company",
                "currency_id": cls.env.ref("base.USD").id,
            }
        )
        cls.warehouse_b = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company_b.id)], limit=1
        )
        cls.warehouse_a2 = cls.env["stock.warehouse"].create(
            {"name": "Second warehouse", "code": "SWA2", "company_id": cls.company_a.id}
        )
        cls.sandbox_b = Sandbox(username="company-b", password="secret-b").start()
        cls.addClassCleanup(cls.sandbox_b.stop)
        cls.sandbox_a2 = Sandbox(username="second-a", password="secret-a2").start()
        cls.addClassCleanup(cls.sandbox_a2.stop)
        cls.backend_b = cls._account(
            "Second company's account", cls.sandbox_b, cls.warehouse_b
        )
        cls.backend_a2 = cls._account(
            "Second account", cls.sandbox_a2, cls.warehouse_a2
        )
        groups = {
            "user": "sales_team.group_sale_salesman_all_leads,stock.group_stock_user,"
            "sale_stock_shipwire.group_shipwire_user",
            "manager": "sales_team.group_sale_manager,stock.group_stock_manager,"
            "sale_stock_shipwire.group_shipwire_manager",
        }
        groups["admin"] = f"base.group_system,{groups['manager']}"
        companies = {
            "": cls.company_a | cls.company_b,
            "_of_a": cls.company_a,
        }
        # users["manager"] works in both companies, users["manager_of_a"] only in
        # the first.
        cls.users = {
            role + suffix: new_test_user(
                cls.env,
                login=f"world_{role}{suffix}",
                groups=role_groups,
                company_id=cls.company_a.id,
                company_ids=[Command.set(allowed.ids)],
            )
            for role, role_groups in groups.items()
            for suffix, allowed in companies.items()
        }

    @classmethod
    def _account(cls, name, sandbox, warehouse):
        return cls.env["shipwire.backend"].create(
            {
                "name": name,
                "company_id": warehouse.company_id.id,
                "environment": "custom",
                "custom_url": sandbox.url,
                "username": sandbox.username,
                "password": sandbox.password,
                "read_timeout": 5,
                "warehouse_ids": [Command.create({"warehouse_id": warehouse.id})],
            }
        )

    def setUp(self):
        super().setUp()
        for sandbox in (self.sandbox_b, self.sandbox_a2):
            sandbox.reset()
            sandbox.faults.clear()

    def _order_at(self, warehouse, lines=None):
        """A confirmed order of ``warehouse``'s company, shipped from it."""
        company = warehouse.company_id
        order = (
            self.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": self.retailer.id,
                    "company_id": company.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": qty}
                        )
                        for product, qty in lines or [(self.diamond, 2)]
                    ],
                }
            )
        )
        order.action_confirm()
        return order

    def _run_list_action(self, xmlid, records, user):
        """Run an entry of a list's Action menu as the web client does
        (``/web/action/run``), with both companies selected, and return what
        the web client gets."""
        action = (
            self.env.ref(xmlid)
            .with_user(user)
            .with_context(
                active_model=records._name,
                active_ids=records.ids,
                active_id=records[:1].id,
                allowed_company_ids=user.company_ids.ids,
            )
        )
        result = action.run()
        return clean_action(result, env=action.env) if result else False

    def _press_list_button(self, method, records, user):
        """Press a button of a list's header on the selected ``records`` as the
        web client does (``/web/dataset/call_button``), with both companies
        selected, and return what the web client gets."""
        check_method_name(method)
        model = self.env[records._name].with_user(user)
        context = {"allowed_company_ids": user.company_ids.ids}
        result = call_kw(model, method, [records.ids], {"context": context})
        if isinstance(result, dict):
            env = model.with_context(allowed_company_ids=user.company_ids.ids).env
            return clean_action(result, env=env)
        return False
