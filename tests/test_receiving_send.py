from odoo.exceptions import AccessError, UserError

from .receiving_common import ReceivingCase


class TestReceivingSend(ReceivingCase):
    def test_receipt_clerk_announces_a_receipt_once(self):
        receipt = self._receipt([(self.diamond, 10), (self.ruby, 4)])
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        self.assertEqual(receiving.state, "processed")
        self.assertTrue(receiving.shipwire_id)
        self.assertEqual(receiving.external_id, f"ODOO-R{receipt.id}")
        (remote,) = self._sandbox_receivings()
        self.assertEqual(remote["externalId"], receiving.external_id)
        items = {
            item["resource"]["sku"]: item["resource"]["expected"]
            for item in remote["items"]["resource"]["items"]
        }
        self.assertEqual(items, {"DIAMOND-1": 10, "RUBY-2": 4})
        self.assertEqual(
            {line.sku: line.expected for line in receiving.line_ids},
            {"DIAMOND-1": 10, "RUBY-2": 4},
        )
        self.assertTrue(receiving.exchange_ids, "the call is logged on the receiving")
        self.assertTrue(
            receipt.message_ids.filtered(
                lambda m: f"receiving {receiving.shipwire_id}" in m.body
            ),
            "the chatter says it was announced",
        )
        with self.assertRaisesRegex(UserError, "already announced"):
            self._send(receipt)
        self.assertEqual(len(self._sandbox_receivings()), 1)

    def test_a_timed_out_create_is_found_not_made_twice(self):
        self.backend.click_timeout = 1
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=2, method="POST", path="/receivings"
        )
        receipt = self._receipt()
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        self.assertEqual(receiving.state, "unanswered")
        self.assertIn("did not answer", receiving.message)
        self._send(receipt)
        self.assertEqual(receiving.state, "processed")
        self.assertEqual(len(self._sandbox_receivings()), 1)

    def test_the_sync_links_a_receiving_whose_create_went_unanswered(self):
        self.backend.click_timeout = 1
        self.sandbox.faults.inject(
            "timeout_commit", count=1, seconds=2, method="POST", path="/receivings"
        )
        receipt = self._receipt()
        self._send(receipt)
        self._run_sync()
        self.assertEqual(receipt.shipwire_receiving_id.state, "processed")
        self.assertTrue(receipt.shipwire_receiving_id.shipwire_id)

    def test_bad_receipts_name_the_record_and_the_fix_and_send_nothing(self):
        no_reference = self._product("Loose stone", False)
        not_stocked = self.env["product.product"].create(
            {"name": "Gift wrap", "type": "consu", "default_code": "WRAP"}
        )
        by_lot = self._product("Certified gem", "GEM-LOT", tracking="lot")
        no_address = self.env["res.partner"].create({"name": "Somebody"})
        cases = {
            "no Internal Reference": self._receipt([(no_reference, 1)]),
            "does not track inventory": self._receipt([(not_stocked, 1)]),
            "lots or serial numbers": self._receipt([(by_lot, 1)]),
            "has no street, city, country": self._receipt(partner=no_address),
        }
        fraction = self._receipt()
        fraction.move_ids.product_uom_qty = 2.5
        cases["not a whole number"] = fraction
        cases["is a draft: press Mark as To Do"] = self._receipt(confirm=False)
        for message, receipt in cases.items():
            with self.subTest(message):
                with self.assertRaisesRegex(UserError, message) as caught:
                    self._send(receipt)
                self.assertIn(receipt.name, str(caught.exception))
        self.assertEqual(self._sandbox_receivings(), [])

    def test_a_receipt_to_an_unmapped_warehouse_is_refused(self):
        other = self.env["stock.warehouse"].create({"name": "Own shed", "code": "SHED"})
        receipt = self._receipt(warehouse=other)
        self.assertFalse(receipt.shipwire_can_receive)
        with self.assertRaisesRegex(UserError, "no Shipwire account serves"):
            self._send(receipt)

    def test_shipwire_refusing_the_create_is_shown_and_send_stays_possible(self):
        unknown = self._product("Unknown gem", "NOT-AT-SHIPWIRE")
        receipt = self._receipt([(unknown, 2)])
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        if receiving.state == "processed":
            self.skipTest("this sandbox accepts SKUs it does not know")
        self.assertEqual(receiving.state, "refused")
        self.assertIn("NOT-AT-SHIPWIRE", receiving.message)

    def test_roles(self):
        receipt = self._receipt()
        with self.assertRaises(AccessError):
            self._send(receipt, user=self.clerk)
        self._send(receipt)
        with self.assertRaises(AccessError):
            receipt.with_user(self.receiver).action_shipwire_cancel_receiving()
        with self.assertRaises(AccessError):
            receipt.shipwire_receiving_id.with_user(self.receiver).write(
                {"state": "completed"}
            )

    def test_update_sends_the_changed_receipt(self):
        receipt = self._receipt()
        self._send(receipt)
        receiving = receipt.shipwire_receiving_id
        self.assertFalse(receiving.is_changed)
        receipt.move_ids.product_uom_qty = 12
        self.assertTrue(receiving.is_changed)
        receipt.with_user(self.receiver).action_shipwire_update_receiving()
        self.assertFalse(receiving.is_changed)
        (remote,) = self._sandbox_receivings()
        (item,) = remote["items"]["resource"]["items"]
        self.assertEqual(item["resource"]["expected"], 12)

    def test_a_receiving_held_on_sending_warns_and_names_the_holds(self):
        self.sandbox.settings.receiving_holds_after_create = True
        self.addCleanup(
            setattr, self.sandbox.settings, "receiving_holds_after_create", False
        )
        params = self._send(self._receipt())["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("held at Shipwire: ", params["message"])
        self.assertIn("Missing tracking information", params["message"])

    def test_labels_are_attached_to_the_receipt(self):
        receipt = self._receipt()
        self._send(receipt)
        params = receipt.with_user(self.receiver).action_shipwire_receiving_labels()[
            "params"
        ]
        self.assertIn(f"labels attached to {receipt.name}: ", params["message"])
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", receipt.id)]
        )
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertTrue(attachment.raw.startswith(b"%PDF"))

    def test_labels_pressed_again_keep_one_copy_of_the_labels(self):
        receipt = self._receipt()
        self._send(receipt)
        for _press in range(2):
            params = receipt.with_user(
                self.receiver
            ).action_shipwire_receiving_labels()["params"]
            self.assertIn(f"labels attached to {receipt.name}: ", params["message"])
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", receipt.id)]
        )
        self.assertEqual(len(attachment), 1, "one copy of the labels on the receipt")
        self.assertTrue(attachment.raw.startswith(b"%PDF"))

    def test_odoo_cancel_waits_for_shipwire(self):
        receipt = self._receipt()
        self._send(receipt)
        with self.assertRaisesRegex(UserError, "Cancel at Shipwire"):
            receipt.with_user(self.receiver).action_cancel()
        receipt.with_user(self.stock_manager).action_shipwire_cancel_receiving()
        self.assertEqual(receipt.shipwire_receiving_id.state, "cancelled")
        self.assertEqual(receipt.state, "cancel")
