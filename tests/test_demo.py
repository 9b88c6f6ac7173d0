import importlib.util
from argparse import Namespace
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user, tagged

from ..shipwire_api.sandbox import Sandbox

DEMO_DATA = Path(__file__).resolve().parents[1] / "tools" / "demo_data.py"


def _demo_data():
    spec = importlib.util.spec_from_file_location("shipwire_demo_data", DEMO_DATA)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """What `make demo` promises a newcomer is there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = Sandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.demo = _demo_data()
        options = Namespace(
            sandbox_url=cls.sandbox.url,
            sandbox_user=cls.sandbox.username,
            sandbox_password=cls.sandbox.password,
            base_url="http://localhost:8069",
        )
        cls.backend, cls.orders = cls.demo.load(cls.env, options)
        cls.clerk = new_test_user(
            cls.env,
            login="demo_clerk",
            groups="sales_team.group_sale_salesman_all_leads,"
            "sale_stock_shipwire.group_shipwire_user",
        )

    def test_unknown_sku_order_is_rejected_and_says_why_in_odoo_words(self):
        order, description = self.orders[self.demo.REJECTED_ORDER]
        self.assertIn("rejected", description)
        self.assertEqual(order.shipwire_state, "rejected")
        errors = order.shipwire_message_ids.filtered(lambda m: m.severity == "error")
        self.assertTrue(any("SAPPHIRE-9" in text for text in errors.mapped("text")))
        self.assertEqual(errors.mapped("label"), ["Order Lines"])
        self.assertTrue(order.activity_ids)
        # The other demo orders wait for the newcomer to send them.
        others = [
            o for i, (o, _d) in enumerate(self.orders) if i != self.demo.REJECTED_ORDER
        ]
        self.assertEqual([o.shipwire_state for o in others], [False] * 3)

    def test_demo_products_go_to_the_sandbox_catalogue(self):
        skus = [sku for _name, sku, *_rest in self.demo.PRODUCTS]
        products = self.env["product.product"].search([("default_code", "in", skus)])
        self.assertEqual(len(products), len(skus))

        params = products.with_user(self.clerk).action_shipwire_send_products()

        self.assertEqual(params["params"]["type"], "success", params)
        bound = self.env["shipwire.product"].search(
            [("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(bound.product_id, products)

    def test_rejected_order_goes_through_once_its_product_is_at_shipwire(self):
        order, _description = self.orders[self.demo.REJECTED_ORDER]
        sapphire = order.order_line.product_id.filtered(
            lambda p: p.default_code == "SAPPHIRE-9"
        )
        sapphire.with_user(self.clerk).action_shipwire_send_products()

        order.with_user(self.clerk).action_shipwire_update()

        # Shipwire keeps the PO now (the rejection is over), whatever it does next.
        self.assertTrue(order.shipwire_po_id)
        self.assertNotEqual(order.shipwire_state, "rejected")
