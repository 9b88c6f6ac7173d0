"""Problems reach a person who can act: holds are read on the order, activities
never go to OdooBot, an outage is told once, a send failing again and again is
told on the order."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import ShipwireCase


@tagged("post_install", "-at_install")
class TestAttention(ShipwireCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env, login="shipwire_responsible", groups="base.group_user"
        )
        cls.leader = new_test_user(
            cls.env, login="shipwire_team_leader", groups="base.group_user"
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Shipwire desk", "user_id": cls.leader.id}
        )
        cls.odoobot = cls.env.ref("base.user_root")
        cls.managers = cls.env.ref("sale_stock_shipwire.group_shipwire_manager").users

    def setUp(self):
        super().setUp()
        self.backend.read_timeout = 0.5

    def _sync(self):
        self.env["shipwire.sync"]._cron_sync()

    def _held_order(self, **values):
        order = self._order(**values)
        order.action_shipwire_send()
        (fulfillment,) = order.shipwire_fulfillment_order_ids
        self.sandbox.add_order_hold(
            int(fulfillment.shipwire_id), "Address needs a suite number"
        )
        self._sync()
        self.assertEqual(order.shipwire_state, "held")
        return order

    def _outage_activities(self):
        return self.backend.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("sale_stock_shipwire.mail_activity_type_outage")
            )
        )

    # -- who gets an activity ----------------------------------------------------

    def test_responsible_is_an_active_internal_user_of_the_company(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        outsider = new_test_user(
            self.env,
            login="shipwire_outsider",
            groups="base.group_user",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        portal = new_test_user(
            self.env, login="shipwire_portal", groups="base.group_portal"
        )
        archived = new_test_user(
            self.env, login="shipwire_archived", groups="base.group_user"
        )
        archived.active = False
        backend = self.backend.with_user(self.manager)
        for user in (outsider, portal, archived):
            with (
                self.subTest(user=user.login),
                self.assertRaisesRegex(
                    ValidationError, "Responsible must be an active internal user"
                ),
                self.env.cr.savepoint(),
            ):
                backend.responsible_user_id = user
        backend.responsible_user_id = self.responsible
        self.assertEqual(self.backend.responsible_user_id, self.responsible)

    def test_held_order_without_salesperson_goes_to_the_account_responsible(self):
        self.backend.responsible_user_id = self.responsible
        order = self._held_order(user_id=False)

        self.assertEqual(order.activity_ids.user_id, self.responsible)

    def test_assignee_skips_odoobot_archived_and_portal_users(self):
        portal = new_test_user(
            self.env, login="shipwire_portal", groups="base.group_portal"
        )
        archived = new_test_user(
            self.env, login="shipwire_archived", groups="base.group_user"
        )
        assignee = self.backend._shipwire_assignee

        self.backend.responsible_user_id = archived
        archived.active = False
        self.backend.responsible_team_id = self.team
        self.assertEqual(assignee(self.odoobot), self.leader)
        self.assertEqual(assignee(portal), self.leader)

        self.backend.responsible_team_id = False
        first_manager = assignee(self.odoobot)
        self.assertIn(first_manager, self.managers)
        self.assertNotEqual(first_manager, self.odoobot)
        self.assertEqual(assignee(self.clerk), self.clerk)
        self.assertNotEqual(assignee(), self.odoobot)

    def test_no_activity_of_a_job_goes_to_odoobot(self):
        # Orders created by a job or an import have OdooBot as salesperson.
        self.backend.responsible_team_id = self.team
        order = self._held_order(user_id=self.odoobot.id)

        self.assertEqual(order.activity_ids.user_id, self.leader)

    # -- holds on view ---------------------------------------------------------

    def test_clerk_reads_why_the_order_is_held(self):
        order = self._held_order(user_id=self.clerk.id)

        hold = order.with_user(self.clerk).shipwire_hold_ids
        self.assertEqual(hold.description, "Address needs a suite number")
        self.assertEqual(hold.display_name, "customer: Address needs a suite number")
        self.assertTrue(hold.applied_date)
        purchase_order = order.shipwire_purchase_order_id.with_user(self.clerk)
        self.assertEqual(purchase_order.active_hold_ids, hold)
        self.assertEqual(purchase_order.open_problem_count, 1)
        self.assertTrue(
            any(
                "Address needs a suite number" in body
                for body in order.message_ids.mapped("body")
            ),
            "the chatter names the hold",
        )

        self.sandbox.store.clear_order_holds(int(hold.fulfillment_order_id.shipwire_id))
        self._sync()
        self.assertFalse(order.shipwire_hold_ids)
        self.assertEqual(purchase_order.open_problem_count, 0)

    # -- outages ---------------------------------------------------------------

    def test_outage_over_several_runs_gives_one_activity_closed_on_recovery(self):
        self.backend.responsible_user_id = self.responsible
        self.sandbox.faults.inject("server_error")
        self._sync()
        since = self.backend.outage_since
        self.assertTrue(since, "the account's form shows the banner")
        self.assertTrue(self.backend.outage_message)

        self._sync()
        self._sync()

        activity = self._outage_activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(self.backend.outage_since, since)

        self.sandbox.faults.clear()
        self._sync()
        self.assertFalse(self.backend.outage_since)
        self.assertFalse(self._outage_activities())
        self.assertTrue(
            any(
                "Shipwire answers again" in body
                for body in self.backend.message_ids.mapped("body")
            )
        )

    def test_refused_credentials_are_an_outage(self):
        self.backend.password = "wrong"
        self._sync()
        self.assertTrue(self.backend.outage_since)
        self.assertIn("credentials", self.backend.outage_message)
        self.assertIn(self._outage_activities().user_id, self.managers)

    # -- sends failing again and again -----------------------------------------

    def test_repeated_send_failures_give_one_activity_on_the_order(self):
        self.backend.send_failure_activity_after = 3
        order = self._order(user_id=self.clerk.id)
        self.sandbox.faults.inject("server_error")
        order.action_shipwire_send()
        purchase_order = order.shipwire_purchase_order_id.sudo()

        def retry():
            purchase_order.next_retry = fields.Datetime.now() - timedelta(seconds=1)
            self.env["shipwire.purchase.order"]._cron_retry_failed_sends()

        retry()
        self.assertFalse(order.activity_ids, "told only after 3 tries")
        retry()
        retry()
        self.assertEqual(order.shipwire_state, "failed")
        self.assertEqual(len(order.activity_ids), 1)
        self.assertEqual(order.activity_ids.user_id, self.clerk)

        self.sandbox.faults.clear()
        retry()
        self.assertEqual(order.shipwire_state, "approved")
        self.assertFalse(order.activity_ids)
