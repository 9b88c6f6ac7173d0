"""Send to Shipwire from the products: the catalogue at the sandbox, over HTTP."""

import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..shipwire_api.sandbox import Sandbox
from .common import ShipwireCase

# The list actions, as the web client runs them, by the model of the list.
LIST_ACTIONS = {
    "product.product": "sale_stock_shipwire.product_product_action_shipwire_send",
    "product.template": "sale_stock_shipwire.product_template_action_shipwire_send",
}
UNCLASSIFIED = (
    "Product Classification not detected. Please pass classification for each product."
)


@tagged("post_install", "-at_install")
class TestProductSend(ShipwireCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="plain_salesman", groups="sales_team.group_sale_salesman"
        )

    def _goods(self, name, sku, weight=1.0, dimensions=(100, 200, 300), **values):
        """A storable product of ``weight`` kg and ``dimensions`` mm."""
        length, width, height = dimensions
        return self.env["product.product"].create(
            {
                "name": name,
                "default_code": sku,
                "type": "consu",
                "is_storable": True,
                "list_price": 100,
                "standard_price": 40,
                "weight": weight,
                "shipwire_length": length,
                "shipwire_width": width,
                "shipwire_height": height,
                **values,
            }
        )

    def _run_list_action(self, records, user=None, **context):
        """Run the list action on ``records`` as the web client does, as the clerk
        (or ``user``); returns its result once checked to be a notification the
        web client shows."""
        action = (
            self.env.ref(LIST_ACTIONS[records._name])
            .with_user(user or self.clerk)
            .with_context(
                active_model=records._name,
                active_ids=records.ids,
                active_id=records[:1].id,
                **context,
            )
            .run()
        )
        self.assertEqual(json.loads(json.dumps(action)), action)
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["tag"], "display_notification")
        params = action["params"]
        self.assertIn(params["type"], ("success", "warning", "danger"))
        self.assertIsInstance(params["title"], str)
        self.assertIsInstance(params["message"], str)
        self.assertIsInstance(params["sticky"], bool)
        return params

    def _send(self, products, **context):
        """Send from the product list as the clerk; returns the notification's
        parameters."""
        return self._run_list_action(products, **context)

    def _set_sandbox(self, **changes):
        """Change settings of the sandbox for this test."""
        settings = self.sandbox.settings
        self.addCleanup(
            settings.update, {name: getattr(settings, name) for name in changes}
        )
        settings.update(changes)

    def _second_company(self):
        """Another company with its own Shipwire account on its own sandbox; the
        clerk may work in it too. Returns ``(company, account, sandbox)``."""
        company = self.env["res.company"].create({"name": "Other Jewels Ltd"})
        sandbox = Sandbox(username="other", password="other-token").start()
        self.addCleanup(sandbox.stop)
        backend = self.env["shipwire.backend"].create(
            {
                "name": "Other account",
                "company_id": company.id,
                "environment": "custom",
                "custom_url": sandbox.url,
                "username": sandbox.username,
                "password": sandbox.password,
                "read_timeout": 5,
            }
        )
        self.clerk.company_ids = [Command.link(company.id)]
        return company, backend, sandbox

    def _at_shipwire(self, sku):
        """The products of the sandbox's catalogue with ``sku``."""
        return self._sandbox_client().list_products(skus=[sku])

    def _binding(self, product, backend=None):
        return self.env["shipwire.product"].search(
            [
                ("product_id", "=", product.id),
                ("backend_id", "=", (backend or self.backend).id),
            ]
        )

    def _operations(self):
        return (
            self.env["shipwire.exchange"]
            .search([("backend_id", "=", self.backend.id)], order="id")
            .mapped("operation")
        )

    def _assert_refused(self, products, *fragments):
        """Sending ``products`` is refused before any request, with a message that
        holds every fragment. Returns the message."""
        requests_before = self.sandbox.request_count
        with self.assertRaises(UserError) as caught:
            self._run_list_action(products)
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertFalse(self.env["shipwire.product"].search([]))
        return message

    # -- create, update, link ------------------------------------------------------

    def test_create_then_update(self):
        product = self._goods("Opal brooch", "OPAL-4")
        params = self._send(product)
        self.assertEqual(params["type"], "success")
        self.assertIn("Sandbox: 1 created and 0 updated", params["message"])
        (created,) = self._at_shipwire("OPAL-4")
        binding = self._binding(product)
        self.assertEqual(binding.shipwire_id, str(created["id"]))
        self.assertEqual(binding.sku, "OPAL-4")
        self.assertTrue(binding.last_sent)
        self.assertEqual(created["description"], "Opal brooch")
        self.assertEqual(created["externalId"], f"ODOO-P{product.id}")
        self.assertEqual(created["values"], {"costValue": 40, "retailValue": 100})
        self.assertEqual(created["category"], "OTHER")
        self.assertEqual(created["batteryConfiguration"], "NOBATTERY")
        self.assertEqual(set(created["flags"].values()), {0})

        product.name = "Opal brooch, silver"
        product.list_price = 120
        params = self._send(product)
        self.assertIn("Sandbox: 0 created and 1 updated", params["message"])
        (updated,) = self._at_shipwire("OPAL-4")
        self.assertEqual(updated["id"], created["id"])
        self.assertEqual(updated["description"], "Opal brooch, silver")
        self.assertEqual(updated["values"]["retailValue"], 120)
        self.assertEqual(self._binding(product).shipwire_id, str(created["id"]))
        self.assertEqual(
            self._operations(),
            ["search products", "create products", "update product"],
        )

    def test_units_converted(self):
        product = self._goods("Opal brooch", "OPAL-4")
        self._send(product)
        (sent,) = self._at_shipwire("OPAL-4")
        self.assertEqual(
            sent["dimensions"],
            {"length": 3.937, "width": 7.874, "height": 11.811, "weight": 2.2046},
        )

    def test_units_in_feet_and_pounds(self):
        parameters = self.env["ir.config_parameter"].sudo()
        parameters.set_param("product.weight_in_lbs", "1")
        parameters.set_param("product.volume_in_cubic_feet", "1")
        product = self._goods("Crate", "CRATE-1", weight=3, dimensions=(1, 0.5, 2))
        self.assertEqual(product.shipwire_length_uom_name, "ft")
        self._send(product)
        (sent,) = self._at_shipwire("CRATE-1")
        self.assertEqual(
            sent["dimensions"],
            {"length": 12, "width": 6, "height": 24, "weight": 3},
        )

    def test_product_made_at_shipwire_is_linked(self):
        made_by_hand = self._sandbox_client().create_products(
            [
                {
                    "sku": "OPAL-4",
                    "description": "Made at Shipwire",
                    "values": {"costValue": 1, "retailValue": 2},
                    "dimensions": {"length": 1, "width": 1, "height": 1, "weight": 1},
                    "classification": "baseProduct",
                }
            ]
        )
        (by_hand,) = made_by_hand.created
        product = self._goods("Opal brooch", "OPAL-4")
        params = self._send(product)
        self.assertIn("Sandbox: 0 created and 1 updated", params["message"])
        (at_shipwire,) = self._at_shipwire("OPAL-4")
        self.assertEqual(at_shipwire["id"], by_hand["id"])
        self.assertEqual(at_shipwire["description"], "Opal brooch")
        self.assertEqual(self._binding(product).shipwire_id, str(by_hand["id"]))
        self.assertNotIn("create products", self._operations())

    def test_demo_sku_linked_and_new_one_created_together(self):
        self.diamond.write(
            {
                "weight": 0.1,
                "shipwire_length": 50,
                "shipwire_width": 50,
                "shipwire_height": 30,
            }
        )
        opal = self._goods("Opal brooch", "OPAL-4")
        params = self._send(self.diamond | opal)
        self.assertIn("Sandbox: 1 created and 1 updated", params["message"])
        (diamond,) = self._at_shipwire("DIAMOND-1")
        self.assertEqual(self._binding(self.diamond).shipwire_id, str(diamond["id"]))
        self.assertEqual(len(self._at_shipwire("OPAL-4")), 1)

    def test_product_gone_from_shipwire_is_created_again(self):
        product = self._goods("Opal brooch", "OPAL-4")
        self.env["shipwire.product"].create(
            {
                "backend_id": self.backend.id,
                "product_id": product.id,
                "sku": "OPAL-4",
                "shipwire_id": "999999",
            }
        )
        params = self._send(product)
        self.assertIn("Sandbox: 1 created and 0 updated", params["message"])
        (created,) = self._at_shipwire("OPAL-4")
        self.assertEqual(self._binding(product).shipwire_id, str(created["id"]))

    def test_answers_with_details_as_links(self):
        self.sandbox.settings.product_details_as_links = True
        self.addCleanup(
            setattr, self.sandbox.settings, "product_details_as_links", False
        )
        product = self._goods("Opal brooch", "OPAL-4")
        self._send(product)
        product.name = "Opal brooch, silver"
        params = self._send(product)
        self.assertIn("Sandbox: 0 created and 1 updated", params["message"])
        (at_shipwire,) = self._at_shipwire("OPAL-4")
        self.assertEqual(at_shipwire["description"], "Opal brooch, silver")

    def test_every_active_account_of_the_company(self):
        second = self.backend.copy({"name": "Second", "external_id_prefix": "TWO-"})
        second.sudo().write(
            {"username": self.sandbox.username, "password": self.sandbox.password}
        )
        archived = self.backend.copy({"name": "Archived", "active": False})
        product = self._goods("Opal brooch", "OPAL-4")
        params = self._send(product)
        # Both accounts share the sandbox: the second finds what the first made.
        self.assertIn("Sandbox: 1 created and 0 updated", params["message"])
        self.assertIn("Second: 0 created and 1 updated", params["message"])
        self.assertNotIn("Archived", params["message"])
        self.assertTrue(self._binding(product, second))
        self.assertFalse(self._binding(product, archived))
        self.assertEqual(len(self._at_shipwire("OPAL-4")), 1)

    def test_from_the_template(self):
        product = self._goods("Opal brooch", "OPAL-4")
        action = product.product_tmpl_id.with_user(
            self.clerk
        ).action_shipwire_send_products()
        self.assertIn("1 created", action["params"]["message"])
        self.assertEqual(
            product.product_tmpl_id.shipwire_product_ids, self._binding(product)
        )

    # -- Shipwire refuses ----------------------------------------------------------

    def test_list_refused_whole_leaves_no_binding(self):
        self._set_sandbox(product_list_refusal="whole")
        lengths = self.sandbox.settings.field_lengths
        self.addCleanup(lengths.__setitem__, "sku", lengths["sku"])
        lengths["sku"] = 5
        product = self._goods("Opal brooch", "OPAL-BROOCH")
        params = self._send(product)
        self.assertEqual(params["type"], "danger")
        self.assertTrue(params["sticky"])
        message = params["message"]
        self.assertIn("Sandbox: 0 created and 0 updated", message)
        self.assertIn("[OPAL-BROOCH] Opal brooch", message)
        self.assertIn("sku must be at most 5 characters", message)
        self.assertFalse(self._binding(product))
        self.assertFalse(self._at_shipwire("OPAL-BROOCH"))
        # The refused call is in the API log.
        refused = self.env["shipwire.exchange"].search(
            [("backend_id", "=", self.backend.id), ("status_code", "=", 400)]
        )
        self.assertEqual(refused.operation, "create products")

    def test_list_refused_whole_keeps_what_shipwire_confirmed(self):
        self._set_sandbox(product_list_refusal="whole")
        opal = self._goods("Opal brooch", "OPAL-4")
        self._send(opal)
        lengths = self.sandbox.settings.field_lengths
        self.addCleanup(lengths.__setitem__, "sku", lengths["sku"])
        lengths["sku"] = 6
        ruby = self._goods("Ruby ring", "RUBY-RING")
        params = self._send(opal | ruby)
        self.assertEqual(params["type"], "danger")
        self.assertIn("Sandbox: 0 created and 1 updated", params["message"])
        self.assertIn("[RUBY-RING] Ruby ring", params["message"])
        self.assertTrue(self._binding(opal))
        self.assertFalse(self._binding(ruby))

    def test_list_created_in_part_binds_the_created_and_names_the_refused(self):
        """As Shipwire was recorded: of 4 products, 3 created, one refused."""
        self._set_sandbox(refused_product_skus={"RUBY-RING": UNCLASSIFIED})
        products = (
            self._goods("Opal brooch", "OPAL-4")
            | self._goods("Pearl", "PEARL-5")
            | self._goods("Ruby ring", "RUBY-RING")
            | self._goods("Jade", "JADE-6")
        )
        ruby = products[2]

        params = self._send(products)

        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        message = params["message"]
        self.assertIn("Sandbox: 3 created and 0 updated", message)
        self.assertIn("Shipwire refused [RUBY-RING] Ruby ring: ", message)
        self.assertIn(UNCLASSIFIED, message)
        self.assertIn("then send them again", message)
        for product in products - ruby:
            (at_shipwire,) = self._at_shipwire(product.default_code)
            self.assertEqual(self._binding(product).shipwire_id, str(at_shipwire["id"]))
        self.assertFalse(self._binding(ruby))
        self.assertFalse(self._at_shipwire("RUBY-RING"))

        # Once Shipwire takes it, sending again creates it and updates the others.
        self.sandbox.settings.refused_product_skus = {}
        params = self._send(products)
        self.assertEqual(params["type"], "success")
        self.assertIn("Sandbox: 1 created and 3 updated", params["message"])
        (at_shipwire,) = self._at_shipwire("RUBY-RING")
        self.assertEqual(self._binding(ruby).shipwire_id, str(at_shipwire["id"]))

    def test_refused_product_named_by_its_external_id(self):
        self._set_sandbox(
            refused_product_named_by="externalId",
            refused_product_skus={"RUBY-RING": "Invalid category"},
        )
        opal = self._goods("Opal brooch", "OPAL-4")
        ruby = self._goods("Ruby ring", "RUBY-RING")

        params = self._send(opal | ruby)

        self.assertIn("Sandbox: 1 created", params["message"])
        self.assertIn(
            "Shipwire refused [RUBY-RING] Ruby ring: Invalid category",
            params["message"],
        )
        self.assertTrue(self._binding(opal))
        self.assertFalse(self._binding(ruby))

    # -- accounts and companies ----------------------------------------------------

    def test_account_without_credentials_is_skipped_and_named(self):
        unset = self.backend.copy({"name": "Unset", "external_id_prefix": "TWO-"})
        product = self._goods("Opal brooch", "OPAL-4")

        params = self._send(product)

        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        message = params["message"]
        self.assertIn("Sandbox: 1 created and 0 updated", message)
        self.assertIn(
            "Shipwire account Unset has no API user or password: an administrator "
            "sets them",
            message,
        )
        self.assertIn("Nothing was sent to this account", message)
        self.assertTrue(self._binding(product))
        self.assertFalse(self._binding(product, unset))

    def test_refused_when_no_account_has_credentials(self):
        self.backend.password = False
        product = self._goods("Opal brooch", "OPAL-4")
        self._assert_refused(
            product,
            "Shipwire account Sandbox has no API user or password: an administrator "
            "sets them",
        )

    def test_another_companys_product_goes_only_to_that_companys_accounts(self):
        other, other_backend, other_sandbox = self._second_company()
        jade = self._goods("Jade", "JADE-6", company_id=other.id)
        shared = self._goods("Opal brooch", "OPAL-4")

        # Working in our company: refused, naming the product and the fix.
        message = self._assert_refused(
            jade | shared,
            "[JADE-6] Jade: the product belongs to Other Jewels Ltd",
            "Switch to Other Jewels Ltd",
        )
        self.assertNotIn("Opal", message)
        self.assertEqual(other_sandbox.request_count, 0)

        # Working in the other company: to its account only, shared product too.
        requests_before = self.sandbox.request_count
        params = self._send(
            jade | shared, allowed_company_ids=[other.id, self.env.company.id]
        )
        self.assertEqual(params["type"], "success")
        self.assertIn("Other account: 2 created and 0 updated", params["message"])
        self.assertNotIn("Sandbox", params["message"])
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertTrue(self._binding(jade, other_backend))
        self.assertTrue(self._binding(shared, other_backend))
        self.assertFalse(self._binding(jade) | self._binding(shared))

    def test_product_of_a_company_the_user_is_not_in_is_not_sent(self):
        other, _backend, other_sandbox = self._second_company()
        jade = self._goods("Jade", "JADE-6", company_id=other.id)
        requests_before = self.sandbox.request_count
        with self.assertRaises(AccessError):
            self._run_list_action(jade, user=self.manager)
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertEqual(other_sandbox.request_count, 0)

    # -- refused before any request ------------------------------------------------

    def test_refused_without_weight(self):
        product = self._goods("Opal brooch", "OPAL-4", weight=0)
        self._assert_refused(
            product, "[OPAL-4] Opal brooch: the Weight must be above 0"
        )

    def test_refused_without_dimensions(self):
        flat = self._goods("Flat", "FLAT-1", dimensions=(100, 0, 0))
        long_ = self._goods("Thin", "THIN-1", dimensions=(0, 20, 30))
        self._assert_refused(
            flat | long_,
            "[FLAT-1] Flat: Width, Height must be above 0",
            "[THIN-1] Thin: Length must be above 0",
        )

    def test_refused_sku_of_51_characters(self):
        sku = "S" * 51
        product = self._goods("Long", sku)
        self._assert_refused(
            product,
            f"[{sku}] Long: the Internal Reference has 51 characters; Shipwire "
            "accepts 50",
        )

    def test_refused_duplicate_sku_in_the_selection(self):
        first = self._goods("Opal brooch", "OPAL-4")
        second = self._goods("Opal pin", "OPAL-4")
        self._assert_refused(
            first | second,
            "[OPAL-4] Opal brooch: the Internal Reference OPAL-4 is also that of "
            "[OPAL-4] Opal pin",
            "[OPAL-4] Opal pin: the Internal Reference OPAL-4 is also that of "
            "[OPAL-4] Opal brooch",
        )

    def test_refused_duplicate_sku_of_another_product(self):
        product = self._goods("Opal brooch", "OPAL-4")
        self._goods("Opal pin", "OPAL-4")
        self._assert_refused(
            product,
            "[OPAL-4] Opal brooch: the Internal Reference OPAL-4 is also that of "
            "[OPAL-4] Opal pin",
        )

    def test_sku_of_an_archived_product_is_free(self):
        self._goods("Old pearl", "PEARL-5", active=False)
        pearl = self._goods("Pearl", "PEARL-5")
        params = self._send(pearl)
        self.assertIn("Sandbox: 1 created", params["message"])

    def test_refused_service_archived_and_unreferenced(self):
        archived = self._goods("Old opal", "OPAL-5", active=False)
        unreferenced = self._goods("Nameless", False)
        message = self._assert_refused(
            self.service | archived | unreferenced,
            "Installation: Shipwire's catalogue takes goods only",
            "[OPAL-5] Old opal: the product is archived",
            "Nameless: no Internal Reference",
        )
        self.assertEqual(len(message.splitlines()), 3)

    def test_refused_without_account(self):
        self.backend.active = False
        product = self._goods("Opal brooch", "OPAL-4")
        self._assert_refused(product, "has no active Shipwire account")

    # -- access --------------------------------------------------------------------

    def test_salesman_without_group_cannot_send(self):
        product = self._goods("Opal brooch", "OPAL-4")
        requests_before = self.sandbox.request_count
        with self.assertRaises(AccessError):
            product.with_user(self.salesman).action_shipwire_send_products()
        with self.assertRaises(AccessError):
            product.product_tmpl_id.with_user(
                self.salesman
            ).action_shipwire_send_products()
        self.assertEqual(self.sandbox.request_count, requests_before)
        self.assertFalse(self._binding(product))

    def test_server_actions_run_for_the_clerk(self):
        opal = self._goods("Opal brooch", "OPAL-4")
        pearl = self._goods("Pearl", "PEARL-5")
        for records in (opal, pearl.product_tmpl_id):
            params = self._run_list_action(records)
            self.assertIn("1 created", params["message"])
        self.assertTrue(self._binding(opal))
        self.assertTrue(self._binding(pearl))

    def test_nobody_writes_the_catalogue_records(self):
        product = self._goods("Opal brooch", "OPAL-4")
        self._send(product)
        binding = self._binding(product)
        for user in (self.clerk, self.manager):
            Binding = self.env["shipwire.product"].with_user(user)
            self.assertEqual(Binding.search([]), binding)
            with self.assertRaises(AccessError):
                Binding.create(
                    {
                        "backend_id": self.backend.id,
                        "product_id": self.ruby.id,
                        "sku": "RUBY-2",
                    }
                )
            with self.assertRaises(AccessError):
                binding.with_user(user).write({"shipwire_id": "1"})
            with self.assertRaises(AccessError):
                binding.with_user(user).unlink()
