from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_is_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "sale_stock_shipwire")]
        )
        self.assertEqual(module.state, "installed")

    def test_client_imports_through_odoo_addons(self):
        from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireClient

        client = ShipwireClient("user", "secret-token", "http://127.0.0.1:1")
        self.assertNotIn("secret-token", repr(client))
