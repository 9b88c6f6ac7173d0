from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_module_is_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "sale_stock_shipwire")]
        )
        self.assertEqual(module.state, "installed")

    def test_client_imports_through_odoo_addons(self):
        # The point: the client is importable the way other addons would import it.
        from odoo.addons.sale_stock_shipwire.shipwire_api import (  # pylint: disable=odoo-addons-relative-import
            ShipwireClient,
        )

        client = ShipwireClient("user", "secret-token", "http://127.0.0.1:1")
        self.assertNotIn("secret-token", repr(client))
