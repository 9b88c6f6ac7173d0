from odoo import Command
from odoo.exceptions import AccessError, UserError

from .common import ShipwireWorldCase
from .receiving_common import INBOUND_JOB, sandbox_control


class TestReceivingCompanies(ShipwireWorldCase):
    """Two companies, each with its account and sandbox: a receipt goes to its
    own company's account, and only those working in that company see it."""

    def setUp(self):
        super().setUp()
        # Shipwire needs to know which of its warehouses receives.
        self.backend_b.warehouse_ids.shipwire_warehouse_external_id = "LAX"

    def _receipt_at(self, warehouse, quantity=3):
        vendor = self.env["res.partner"].create(
            {
                "name": "Gem Supplies",
                "street": "5 Quarry Road",
                "city": "Reno",
                "country_id": self.us.id,
            }
        )
        supplier = self.env.ref("stock.stock_location_suppliers")
        picking_type = warehouse.in_type_id
        receipt = (
            self.env["stock.picking"]
            .with_company(warehouse.company_id)
            .create(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": vendor.id,
                    "location_id": supplier.id,
                    "location_dest_id": picking_type.default_location_dest_id.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": self.diamond.name,
                                "product_id": self.diamond.id,
                                "product_uom_qty": quantity,
                                "location_id": supplier.id,
                                "location_dest_id": (
                                    picking_type.default_location_dest_id.id
                                ),
                            }
                        )
                    ],
                }
            )
        )
        receipt.action_confirm()
        return receipt

    def _press(self, method, records, user):
        return self._press_list_button(method, records, user)

    def test_each_receipt_goes_to_its_own_companys_account(self):
        receipt_a = self._receipt_at(self.warehouse, 3)
        receipt_b = self._receipt_at(self.warehouse_b, 5)
        self._press(
            "action_shipwire_send_receiving", receipt_a | receipt_b, self.users["user"]
        )
        self.assertEqual(receipt_a.shipwire_receiving_id.backend_id, self.backend)
        self.assertEqual(receipt_b.shipwire_receiving_id.backend_id, self.backend_b)
        self.assertEqual(receipt_b.shipwire_receiving_id.company_id, self.company_b)
        self.assertEqual(self.sandbox_b.stats()["receivings"], 1)
        self.assertEqual(self.sandbox.stats()["receivings"], 1)

    def test_a_mapping_naming_no_shipwire_warehouse_is_refused(self):
        self.backend_b.warehouse_ids.shipwire_warehouse_external_id = False
        receipt_b = self._receipt_at(self.warehouse_b)
        with self.assertRaisesRegex(UserError, "names no Shipwire warehouse"):
            self._press("action_shipwire_send_receiving", receipt_b, self.users["user"])
        self.assertEqual(self.sandbox_b.stats()["receivings"], 0)

    def test_a_user_of_one_company_cannot_reach_the_others_receipts(self):
        receipt_b = self._receipt_at(self.warehouse_b)
        with self.assertRaises(AccessError):
            self._press(
                "action_shipwire_send_receiving", receipt_b, self.users["user_of_a"]
            )
        self._press("action_shipwire_send_receiving", receipt_b, self.users["user"])
        receiving = receipt_b.shipwire_receiving_id
        with self.assertRaises(AccessError):
            receiving.with_user(self.users["user_of_a"]).check_access("read")
        with self.assertRaises(AccessError):
            self._press(
                "action_shipwire_refresh_receiving", receipt_b, self.users["user_of_a"]
            )

    def test_the_job_books_each_company_on_its_receipt(self):
        receipt_b = self._receipt_at(self.warehouse_b, 5)
        self._press("action_shipwire_send_receiving", receipt_b, self.users["user"])
        receiving = receipt_b.shipwire_receiving_id
        sandbox_control(
            self.sandbox_b, receiving, "receive", {"sku": "DIAMOND-1", "good": 5}
        )
        self.assertTrue(self.env.ref(INBOUND_JOB).method_direct_trigger())
        self.env.invalidate_all()
        self.assertEqual(receipt_b.state, "done")
        self.assertEqual(receipt_b.company_id, self.company_b)
        self.assertEqual(
            self.diamond.with_company(self.company_b)
            .with_context(location=self.warehouse_b.lot_stock_id.id)
            .qty_available,
            5,
        )
