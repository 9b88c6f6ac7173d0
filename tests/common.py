from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from ..shipwire_api import ShipwireClient
from ..shipwire_api.sandbox import Sandbox


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
