import requests

from odoo import Command
from odoo.tests import new_test_user

from .common import ShipwireCase

INBOUND_JOB = "sale_stock_shipwire.ir_cron_shipwire_inbound_sync"


def sandbox_control(sandbox, receiving, action, body=None):
    """Move a receiving on at the sandbox as its warehouse would."""
    response = requests.post(
        f"{sandbox.url}/_sandbox/receivings/{receiving.shipwire_id}/{action}",
        json=body or {},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


class ReceivingCase(ShipwireCase):
    """A vendor with an address, a receipt clerk and a Shipwire-run warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create(
            {
                "name": "Gem Supplies",
                "is_company": True,
                "street": "5 Quarry Road",
                "city": "Reno",
                "zip": "89501",
                "state_id": cls.env.ref("base.state_us_5").id,
                "country_id": cls.us.id,
            }
        )
        cls.receiver = new_test_user(
            cls.env,
            login="shipwire_receiver",
            groups="stock.group_stock_user,sale_stock_shipwire.group_shipwire_user",
        )
        cls.stock_manager = new_test_user(
            cls.env,
            login="shipwire_stock_manager",
            groups="stock.group_stock_manager,"
            "sale_stock_shipwire.group_shipwire_manager",
        )

    def _receipt(self, lines=None, partner=None, warehouse=None, confirm=True):
        warehouse = warehouse or self.warehouse
        picking_type = warehouse.in_type_id
        receipt = (
            self.env["stock.picking"]
            .with_company(warehouse.company_id)
            .create(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": (partner or self.vendor).id,
                    "location_id": self.env.ref("stock.stock_location_suppliers").id,
                    "location_dest_id": picking_type.default_location_dest_id.id,
                    "origin": "PO-GEMS-7",
                    "move_ids": [
                        Command.create(
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": quantity,
                                "product_uom": product.uom_id.id,
                                "location_id": self.env.ref(
                                    "stock.stock_location_suppliers"
                                ).id,
                                "location_dest_id": (
                                    picking_type.default_location_dest_id.id
                                ),
                            }
                        )
                        for product, quantity in lines or [(self.diamond, 10)]
                    ],
                }
            )
        )
        if confirm:
            receipt.action_confirm()
        return receipt

    def _send(self, receipt, user=None):
        return receipt.with_user(user or self.receiver).action_shipwire_send_receiving()

    def _control(self, receiving, action, body=None):
        return sandbox_control(self.sandbox, receiving, action, body)

    def _arrive(self, receiving, sku, good=0, damaged=0, in_review=0):
        return self._control(
            receiving,
            "receive",
            {"sku": sku, "good": good, "damaged": damaged, "inReview": in_review},
        )

    def _run_sync(self):
        self.assertTrue(self.env.ref(INBOUND_JOB).method_direct_trigger())
        self.env.invalidate_all()

    def _on_hand(self, product, location=None):
        return product.with_context(
            location=(location or self.warehouse.lot_stock_id).id
        ).qty_available

    def _sandbox_receivings(self):
        client = self._sandbox_client()
        return client.search_receivings(expand="items")
