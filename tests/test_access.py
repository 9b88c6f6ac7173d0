"""Who may do what, and where credentials never show.

The roles: a portal user, a plain salesman (no Shipwire group), a Shipwire User
(salesman too), a Shipwire Manager (sales manager too) and an administrator
(base.group_system and nothing else).
"""

import base64
import json
from contextlib import closing

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ShipwireCase

ROLES = ("portal", "internal", "own", "salesman", "user", "manager", "admin")
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# The policy of security/ir.model.access.csv, one letter per right: r(ead),
# w(rite), c(reate), u(nlink); "-" is none. "internal" is a plain internal user,
# "own" a salesman of his own documents, "salesman" one of all documents.
#                  portal  internal own     salesman user    manager admin
CONFIGURATION = ("----", "r---", "r---", "r---", "r---", "rwcu", "r---")
WRITTEN_BY_THE_MODULE = ("----", "r---", "r---", "r---", "r---", "r---", "r---")
ACCESS = {
    # An account names the server its credentials and orders go to: created by
    # administrators only.
    "shipwire.backend": ("----", "r---", "r---", "r---", "r---", "rw-u", "rwcu"),
    "shipwire.warehouse": CONFIGURATION,
    "shipwire.service.level": CONFIGURATION,
    "shipwire.retailer.product": (
        "----",
        "r---",
        "r---",
        "r---",
        "rwc-",
        "rwcu",
        "r---",
    ),
    "shipwire.exchange": ("----", "----", "----", "----", "r---", "r---", "----"),
    "shipwire.purchase.order": WRITTEN_BY_THE_MODULE,
    "shipwire.message": WRITTEN_BY_THE_MODULE,
    "shipwire.fulfillment.order": WRITTEN_BY_THE_MODULE,
    "shipwire.hold": WRITTEN_BY_THE_MODULE,
    "shipwire.tracking": WRITTEN_BY_THE_MODULE,
    "shipwire.stock.level": WRITTEN_BY_THE_MODULE,
    "shipwire.product": WRITTEN_BY_THE_MODULE,
    "shipwire.webhook.event": ("----", "----", "----", "----", "----", "r--u", "----"),
    "shipwire.extended.attribute": (
        "----",
        "r---",
        "rwcu",
        "rwcu",
        "rwcu",
        "rwcu",
        "r---",
    ),
    "shipwire.webhook.secret": ("----", "----", "----", "----", "----", "----", "rwcu"),
}
# On the records of an order someone else sells: what belongs to a sales order is
# read by whoever reads the order and by Shipwire Users, and its extended
# attributes are changed by whoever may change the order.
ABOUT_THE_ORDER = ("----", "----", "----", "r---", "r---", "r---", "----")
RECORD_ACCESS = {
    **ACCESS,
    "shipwire.purchase.order": ABOUT_THE_ORDER,
    "shipwire.message": ABOUT_THE_ORDER,
    "shipwire.fulfillment.order": ABOUT_THE_ORDER,
    "shipwire.hold": ABOUT_THE_ORDER,
    "shipwire.tracking": ABOUT_THE_ORDER,
    "shipwire.extended.attribute": (
        "----",
        "----",
        "----",
        "rwcu",
        "rwcu",
        "rwcu",
        "----",
    ),
}

# Who may press each button.
BUTTONS = {
    "send": {"user", "manager"},
    "update": {"user", "manager"},
    "refresh": {"user", "manager"},
    "approve": {"manager"},
    "cancel": {"manager"},
    "test connection": {"manager", "admin"},
    "register webhooks": {"admin"},
    "sync stock": {"manager"},
}

SECRET_FIELDS = ("username", "password", "webhook_token", "webhook_url")
API_USER = "odoo-api-7f3c41"
API_PASSWORD = "Pw-9d2e-Zq81-only-here"
WRONG_PASSWORD = "Pw-wrong-4471-xyz"


def _basic(user, password):
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@tagged("post_install", "-at_install")
class TestAccessMatrix(ShipwireCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.users = {
            "portal": new_test_user(env, login="sw_portal", groups="base.group_portal"),
            "internal": new_test_user(
                env, login="sw_internal", groups="base.group_user"
            ),
            "own": new_test_user(
                env, login="sw_own", groups="sales_team.group_sale_salesman"
            ),
            "salesman": new_test_user(
                env,
                login="sw_salesman",
                groups="sales_team.group_sale_salesman_all_leads",
            ),
            "user": cls.clerk,
            "manager": cls.manager,
            "admin": new_test_user(env, login="sw_admin", groups="base.group_system"),
        }
        cls.spare_warehouse = env["stock.warehouse"].create(
            {"name": "Spare", "code": "SPR"}
        )
        carriers = env["delivery.carrier"].create(
            [
                {"name": name, "product_id": cls.service.id, "delivery_type": "fixed"}
                for name in ("Ground", "Express")
            ]
        )
        cls.spare_carrier = carriers[1]
        order = cls._order(cls)
        purchase_order = env["shipwire.purchase.order"].create(
            {
                "sale_order_id": order.id,
                "backend_id": cls.backend.id,
                "external_id": "A1",
            }
        )
        fulfillment = env["shipwire.fulfillment.order"].create(
            {"purchase_order_id": purchase_order.id, "shipwire_id": "S1"}
        )
        cls.samples = {
            # Its own account: one with orders is not deleted by anyone.
            "shipwire.backend": env["shipwire.backend"].create({"name": "Unused"}),
            "shipwire.warehouse": cls.backend.warehouse_ids,
            "shipwire.service.level": env["shipwire.service.level"].create(
                {
                    "backend_id": cls.backend.id,
                    "carrier_id": carriers[0].id,
                    "service_level_code": "GD",
                }
            ),
            "shipwire.retailer.product": env["shipwire.retailer.product"].create(
                {"partner_id": cls.retailer.id, "product_id": cls.diamond.id}
            ),
            "shipwire.exchange": env["shipwire.exchange"].create(
                {
                    "backend_id": cls.backend.id,
                    "operation": "test",
                    "method": "GET",
                    "url": "http://127.0.0.1/",
                }
            ),
            "shipwire.purchase.order": purchase_order,
            "shipwire.message": env["shipwire.message"].create(
                {"purchase_order_id": purchase_order.id, "text": "Checked"}
            ),
            "shipwire.extended.attribute": env["shipwire.extended.attribute"].create(
                {"sale_order_id": order.id, "name": "StoreNumber", "value": "12"}
            ),
            "shipwire.fulfillment.order": fulfillment,
            "shipwire.hold": env["shipwire.hold"].create(
                {"fulfillment_order_id": fulfillment.id, "description": "Address"}
            ),
            "shipwire.tracking": env["shipwire.tracking"].create(
                {"fulfillment_order_id": fulfillment.id, "tracking_number": "T1"}
            ),
            "shipwire.webhook.secret": env["shipwire.webhook.secret"].create(
                {"backend_id": cls.backend.id, "shipwire_id": "1", "secret": "ab" * 8}
            ),
            "shipwire.stock.level": env["shipwire.stock.level"].create(
                {
                    "backend_id": cls.backend.id,
                    "sku": "DIAMOND-1",
                    "shipwire_warehouse_id": "10",
                    "status": "synced",
                }
            ),
            "shipwire.product": env["shipwire.product"].create(
                {
                    "backend_id": cls.backend.id,
                    "product_id": cls.diamond.id,
                    "sku": "DIAMOND-1",
                }
            ),
            "shipwire.webhook.event": env["shipwire.webhook.event"].create(
                {"backend_id": cls.backend.id, "topic": "order.updated", "body": {}}
            ),
        }
        cls.creates = {
            "shipwire.backend": {
                "name": "Second",
                "environment": "custom",
                "custom_url": "http://127.0.0.1:9",
            },
            "shipwire.warehouse": {
                "backend_id": cls.backend.id,
                "warehouse_id": cls.spare_warehouse.id,
            },
            "shipwire.service.level": {
                "backend_id": cls.backend.id,
                "carrier_id": cls.spare_carrier.id,
                "service_level_code": "1D",
            },
            "shipwire.retailer.product": {
                "partner_id": cls.retailer.id,
                "product_id": cls.ruby.id,
            },
            "shipwire.exchange": {
                "backend_id": cls.backend.id,
                "operation": "test",
                "method": "GET",
                "url": "http://127.0.0.1/",
            },
            "shipwire.purchase.order": {
                "sale_order_id": cls._order(cls).id,
                "backend_id": cls.backend.id,
                "external_id": "A2",
            },
            "shipwire.message": {"purchase_order_id": purchase_order.id, "text": "New"},
            "shipwire.extended.attribute": {
                "sale_order_id": order.id,
                "name": "Dept",
                "value": "7",
            },
            "shipwire.fulfillment.order": {
                "purchase_order_id": purchase_order.id,
                "shipwire_id": "S2",
            },
            "shipwire.hold": {"fulfillment_order_id": fulfillment.id},
            "shipwire.tracking": {
                "fulfillment_order_id": fulfillment.id,
                "tracking_number": "T2",
            },
            "shipwire.webhook.secret": {
                "backend_id": cls.backend.id,
                "shipwire_id": "2",
                "secret": "cd" * 8,
            },
            "shipwire.stock.level": {
                "backend_id": cls.backend.id,
                "sku": "RUBY-2",
                "shipwire_warehouse_id": "10",
                "status": "unmatched",
            },
            "shipwire.product": {
                "backend_id": cls.backend.id,
                "product_id": cls.ruby.id,
                "sku": "RUBY-2",
            },
            "shipwire.webhook.event": {
                "backend_id": cls.backend.id,
                "topic": "order.completed",
                "body": {},
            },
        }
        cls.writes = {
            "shipwire.backend": {"channel_name": "B2B"},
            "shipwire.warehouse": {"shipwire_region": "PHL"},
            "shipwire.service.level": {"service_level_code": "2D"},
            "shipwire.retailer.product": {"retailer_sku": "MAX-9"},
            "shipwire.exchange": {"error": "edited"},
            "shipwire.purchase.order": {"state": "cancelled"},
            "shipwire.message": {"resolved": True},
            "shipwire.extended.attribute": {"value": "13"},
            "shipwire.fulfillment.order": {"warehouse_name": "PHL"},
            "shipwire.hold": {"description": "edited"},
            "shipwire.tracking": {"carrier": "UPS"},
            "shipwire.webhook.secret": {"shipwire_id": "3"},
            "shipwire.stock.level": {"good": 1000},
            "shipwire.product": {"shipwire_id": "99"},
            "shipwire.webhook.event": {"state": "failed"},
        }

    def _succeeds(self, user, model, operation):
        """Whether ``user`` really manages ``operation`` on the sample ``model``."""
        # No chatter tracking: it would outlive the savepoint's rollback.
        record = self.samples[model].with_user(user).with_context(tracking_disable=True)
        try:
            # Rolled back whatever happens: every try starts from the same data.
            with closing(self.env.cr.savepoint()):
                self.env.invalidate_all()
                if operation == "read":
                    record.read(["display_name"])
                elif operation == "create":
                    record.create(self.creates[model])
                elif operation == "write":
                    record.write(self.writes[model])
                else:
                    record.unlink()
                self.env.flush_all()
        except AccessError:
            return False
        finally:
            self.env.invalidate_all()
        return True

    def _matrix(self, allowed):
        """``{model: (rights of each role)}`` from ``allowed(user, model, op)``."""
        return {
            model: tuple(
                "".join(
                    letter if allowed(self.users[role], model, operation) else "-"
                    for letter, operation in OPERATIONS.items()
                )
                for role in ROLES
            )
            for model in ACCESS
        }

    def test_model_rights_follow_the_policy(self):
        def model_access(user, model, operation):
            return self.env[model].with_user(user).browse().has_access(operation)

        self.assertEqual(self._matrix(model_access), ACCESS)

    def test_record_rights_follow_the_policy(self):
        # Same company: record rules add nothing, every right works on a record.
        def record_access(user, model, operation):
            return self.samples[model].with_user(user).has_access(operation)

        self.assertEqual(self._matrix(record_access), RECORD_ACCESS)

    def test_real_operations_follow_the_policy(self):
        self.assertEqual(self._matrix(self._succeeds), RECORD_ACCESS)

    # -- buttons -------------------------------------------------------------------

    def _sent_order(self, approved=True):
        self.backend.auto_approve = approved
        order = self._order().with_user(self.manager)
        order.action_shipwire_send()
        return order

    def _press(self, role, button):
        """Press ``button`` as ``role``. Returns True when it went through, False
        when it was refused; a refusal must reach no Shipwire server."""
        user = self.users[role]
        if button in ("send", "update", "refresh", "approve", "cancel"):
            order = (
                self._order()
                if button == "send"
                else self._sent_order(button != "approve")
            )
            target = order.with_user(user)
            method = f"action_shipwire_{button}"
        else:
            target = self.backend.with_user(user)
            method = {
                "test connection": "action_test_connection",
                "register webhooks": "action_register_webhooks",
                "sync stock": "action_sync_stock",
            }[button]
        requests_before = self.sandbox.request_count
        try:
            with self.env.cr.savepoint():
                getattr(target, method)()
                self.env.flush_all()
        except (AccessError, UserError):
            self.assertEqual(
                self.sandbox.request_count,
                requests_before,
                f"{role} was refused {button} after calling Shipwire",
            )
            return False
        return True

    def _button_matrix(self, buttons):
        return {
            button: {role for role in ROLES if self._press(role, button)}
            for button in buttons
        }

    def test_another_companys_manager_sees_none_of_our_records(self):
        other = self.env["res.company"].create({"name": "Other Jewels Ltd"})
        outsider = new_test_user(
            self.env,
            login="sw_outsider",
            groups="sale_stock_shipwire.group_shipwire_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        checked = []
        for model, record in self.samples.items():
            records = self.env[model].with_user(outsider)
            if not (records.has_access("read") and record["company_id"]):
                continue
            with self.subTest(model=model):
                self.assertFalse(records.search([("id", "=", record.id)]))
                checked.append(model)
        self.assertIn("shipwire.hold", checked)
        self.assertIn("shipwire.tracking", checked)

    def test_order_buttons(self):
        buttons = ("send", "update", "refresh", "approve", "cancel")
        self.assertEqual(
            self._button_matrix(buttons),
            {button: BUTTONS[button] for button in buttons},
        )

    def test_refused_send_changes_nothing(self):
        order = self._order()
        for role in ("portal", "salesman", "admin"):
            with self.subTest(role=role), self.assertRaises(AccessError):
                order.with_user(self.users[role]).action_shipwire_send()
        self.assertFalse(order.shipwire_state)
        self.assertFalse(self.sandbox.purchase_orders())

    def test_account_buttons(self):
        """Test connection is for managers and administrators; registering
        webhooks, which changes Shipwire, for administrators only; syncing stock,
        which adjusts Odoo's inventory, for managers."""
        self.env["ir.config_parameter"].set_param(
            "web.base.url", "http://odoo.example.com"
        )
        buttons = ("test connection", "register webhooks", "sync stock")
        self.assertEqual(
            self._button_matrix(buttons),
            {button: BUTTONS[button] for button in buttons},
        )

    def test_account_buttons_work_for_managers_and_administrators(self):
        self.env["ir.config_parameter"].set_param(
            "web.base.url", "http://odoo.example.com"
        )
        for role in ("manager", "admin"):
            with self.subTest(role=role):
                action = self.backend.with_user(
                    self.users[role]
                ).action_test_connection()
                self.assertEqual(action["params"]["type"], "success")
        # Odoo's own administrator is Shipwire Manager too.
        administrator = new_test_user(
            self.env,
            login="sw_full_admin",
            groups="base.group_system,sale_stock_shipwire.group_shipwire_manager",
        )
        known = self.backend.sudo().webhook_secret_ids

        self.backend.with_user(administrator).action_register_webhooks()

        client = self._sandbox_client()
        subscriptions = client.list_webhooks()
        self.assertEqual(
            {s["url"] for s in subscriptions}, {self.backend.sudo().webhook_url}
        )
        new_secret = self.backend.sudo().webhook_secret_ids - known
        self.assertEqual(
            [(new_secret.shipwire_id, new_secret.secret)],
            [(str(s["id"]), s["secret"]) for s in client.list_secrets()],
        )


@tagged("post_install", "-at_install")
class TestSecrets(ShipwireCase):
    """The API user and password, the Basic header made of them, the webhook token
    and the webhook secret never leave the administrator's fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Credentials no other text contains, so that finding them means a leak.
        cls.sandbox.username, cls.sandbox.password = API_USER, API_PASSWORD
        cls.backend.write({"username": API_USER, "password": API_PASSWORD})
        # Odoo's own administrator is Shipwire Manager too.
        cls.admin = new_test_user(
            cls.env,
            login="sw_admin",
            groups="base.group_system,sale_stock_shipwire.group_shipwire_manager",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="sw_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        export = cls.env.ref("base.group_allow_export")
        cls.non_admins = cls.salesman | cls.clerk | cls.manager
        cls.non_admins.groups_id = [Command.link(export.id)]

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param(
            "web.base.url", "http://odoo.example.com"
        )

    def _secrets(self):
        backend = self.backend.sudo()
        values = {
            "API user": API_USER,
            "API password": API_PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "Basic header": _basic(API_USER, API_PASSWORD),
            "wrong Basic header": _basic(API_USER, WRONG_PASSWORD),
            "webhook token": backend.webhook_token,
        }
        for number, secret in enumerate(backend.webhook_secret_ids.mapped("secret")):
            values[f"webhook secret {number}"] = secret
        return values

    def _use_everything(self):
        """Every path that handles credentials: register webhooks, send, refresh,
        sync, a good and a failed connection test, a send and a webhook
        registration with a wrong password. Returns the texts users were shown."""
        shown = []
        admin_backend = self.backend.with_user(self.admin)
        admin_backend.action_register_webhooks()
        order = self._order()
        order.action_shipwire_send()
        order.action_shipwire_refresh()
        self.env["shipwire.sync"]._cron_sync()
        action = self.backend.with_user(self.manager).action_test_connection()
        shown.append(action["params"]["message"])

        self.backend.sudo().password = WRONG_PASSWORD
        action = self.backend.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        shown.append(action["params"]["message"])
        action = admin_backend.action_register_webhooks()
        self.assertEqual(action["params"]["type"], "danger")
        shown.append(action["params"]["message"])
        refused = self._order()
        refused.action_shipwire_send()
        shown += self._messages(refused)
        self.env["shipwire.sync"]._cron_sync()
        shown.append(self.backend.last_sync_error)
        self.assertIn("credentials", self.backend.last_sync_error)
        return shown

    def _assert_clean(self, texts, where):
        secrets = self._secrets()
        self.assertIn("webhook secret 0", secrets)
        for text in texts:
            for name, secret in secrets.items():
                self.assertNotIn(secret, text or "", f"{name} in {where}")

    def test_no_secret_in_chatter_messages_or_errors(self):
        shown = self._use_everything()

        self._assert_clean(shown, "an error or notification")
        messages = self.env["mail.message"].sudo().search([])
        self._assert_clean(messages.mapped("body"), "a chatter message")
        self._assert_clean(
            self.env["shipwire.message"].sudo().search([]).mapped("text"),
            "a Shipwire message",
        )
        self._assert_clean(
            self.env["mail.activity"].sudo().search([]).mapped("note"),
            "an activity",
        )
        tracking = self.env["mail.tracking.value"].sudo().search([])
        self._assert_clean(
            tracking.mapped("old_value_char") + tracking.mapped("new_value_char"),
            "a tracked change",
        )

    def _exchange_texts(self):
        exchanges = self.env["shipwire.exchange"].sudo().search([])
        self.assertTrue(exchanges)
        return [
            exchange[name]
            for exchange in exchanges
            for name in ("url", "request_body", "response_body", "error")
        ]

    def test_no_credentials_in_the_exchange_log(self):
        self._use_everything()
        secrets = self._secrets()
        texts = self._exchange_texts()
        for name in ("API user", "API password", "wrong password"):
            for text in texts:
                self.assertNotIn(secrets[name], text or "", f"{name} in the API log")
        for name in ("Basic header", "wrong Basic header"):
            for text in texts:
                self.assertNotIn(secrets[name], text or "", f"{name} in the API log")

    def test_no_webhook_secret_or_token_in_the_exchange_log(self):
        """The API log, readable by internal users, masks the signing secret in
        Shipwire's answers and the token in webhook URLs."""
        self._use_everything()
        self._assert_clean(self._exchange_texts(), "the API log")

    def test_only_admins_point_an_account_at_another_server(self):
        for user in self.non_admins:
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(AccessError, "administrator"):
                    self.backend.with_user(user).custom_url = "http://evil.example"
                with self.assertRaises(AccessError):
                    self.backend.with_user(user).environment = "production"
        self.assertEqual(self.backend.custom_url, self.sandbox.url)
        form = self.backend.with_user(self.manager).get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertRegex(arch, r'<field name="custom_url"[^>]*readonly="1"')
        self.backend.with_user(self.admin).custom_url = "http://127.0.0.1:9"
        self.assertEqual(self.backend.custom_url, "http://127.0.0.1:9")

    def _non_admin_backends(self):
        """Every secret of the account, once it has a webhook secret too, and the
        account as seen by each non-administrator."""
        self.backend.sudo().webhook_secret_ids = [
            Command.create({"shipwire_id": "1", "secret": "5e" * 64})
        ]
        secrets = list(self._secrets().values())
        return secrets, [self.backend.with_user(user) for user in self.non_admins]

    def test_non_admins_read_no_credentials(self):
        secrets, backends = self._non_admin_backends()
        for backend in backends:
            with self.subTest(user=backend.env.user.login):
                for field_name in (*SECRET_FIELDS, "webhook_secret_ids"):
                    with self.assertRaises(AccessError):
                        backend.read([field_name])
                (record,) = backend.search_read([("id", "=", self.backend.id)])
                self.assertFalse(set(SECRET_FIELDS) & set(record))
                dump = json.dumps(record, default=str)
                for secret in secrets:
                    self.assertNotIn(secret, dump)
                self.assertFalse(set(SECRET_FIELDS) & set(backend.fields_get()))
                with self.assertRaises(AccessError):
                    self.env["shipwire.webhook.secret"].with_user(
                        backend.env.user
                    ).search_read([])

    def test_non_admins_export_no_credentials(self):
        secrets, backends = self._non_admin_backends()
        for backend in backends:
            with self.subTest(user=backend.env.user.login):
                for field_name in (*SECRET_FIELDS, "webhook_secret_ids/secret"):
                    with self.assertRaises(AccessError):
                        backend.export_data(["name", field_name])
                # Everything the export dialog offers them.
                offered = [
                    name
                    for name, description in backend.fields_get().items()
                    if description.get("exportable", True)
                ]
                dump = json.dumps(backend.export_data(offered), default=str)
                for secret in secrets:
                    self.assertNotIn(secret, dump)

    def test_export_dialog_offers_no_credentials_to_admins(self):
        """Not even an administrator's export offers credentials or secrets."""
        offered = {
            name
            for name, description in self.env["shipwire.backend"]
            .with_user(self.admin)
            .fields_get()
            .items()
            if description.get("exportable", True)
        }
        self.assertFalse(offered & {"username", "password", "webhook_token"})
        secret_fields = self.env["shipwire.webhook.secret"].with_user(self.admin)
        self.assertFalse(secret_fields.fields_get(["secret"])["secret"]["exportable"])
