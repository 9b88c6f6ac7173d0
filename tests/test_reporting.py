from datetime import timedelta

from odoo import fields

from ..models.shipwire_webhook_event import WebhookAccount
from ..shipwire_api import ShipwireClient
from .common import ShipwireWorldCase

DATES = ("sent_date", "approved_date", "shipped_date")
TIMING = (*DATES, "hours_to_approval", "hours_to_shipment")


class TestReporting(ShipwireWorldCase):
    """The timing of each PO, and the analyses people read it in."""

    def _as(self, role, records):
        """``records`` as ``role`` works on them: in both companies."""
        user = self.users[role]
        return records.with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids
        )

    def _sent(self, warehouse):
        order = self._order_at(warehouse)
        self._as("user", order).action_shipwire_send()
        return order.shipwire_purchase_order_id

    def _backdate(self, purchase_order, **hours_ago):
        """Move dates the module wrote into the past, as if time had passed."""
        now = fields.Datetime.now()
        purchase_order.sudo().write(
            {name: now - timedelta(hours=hours) for name, hours in hours_ago.items()}
        )

    def _ship(self, purchase_order, sandbox):
        sandbox.complete_order(int(purchase_order.fulfillment_order_ids.shipwire_id))
        self._as("user", purchase_order).action_refresh()

    def _replay(self, backend, topic, resource):
        """A webhook delivery of ``resource``, applied as the job applies them."""
        account = WebhookAccount(backend.id, backend.company_id.id, backend.name, [])
        Event = self.env["shipwire.webhook.event"]
        Event._store(account, topic, {"resource": resource})
        Event._cron_apply()
        self.env.invalidate_all()

    def test_send_approval_and_shipment_are_dated_with_the_hours_between(self):
        self.backend.auto_approve = False
        purchase_order = self._sent(self.warehouse)
        self.assertEqual(purchase_order.state, "needs_approval")
        self.assertTrue(purchase_order.sent_date)
        self.assertFalse(purchase_order.approved_date)
        self.assertFalse(purchase_order.shipped_date)
        self._backdate(purchase_order, sent_date=5)

        self._as("manager", purchase_order).action_approve()

        self.assertEqual(purchase_order.state, "approved")
        self.assertTrue(purchase_order.approved_date)
        self.assertAlmostEqual(purchase_order.hours_to_approval, 5, delta=0.05)
        self._backdate(purchase_order, approved_date=2)

        self._ship(purchase_order, self.sandbox)

        self.assertEqual(purchase_order.state, "shipped")
        self.assertTrue(purchase_order.shipped_date)
        self.assertAlmostEqual(purchase_order.hours_to_shipment, 2, delta=0.05)

    def test_a_po_approved_on_sending_is_sent_and_approved_at_once(self):
        purchase_order = self._sent(self.warehouse_a2)

        self.assertEqual(purchase_order.state, "approved")
        self.assertEqual(purchase_order.approved_date, purchase_order.sent_date)
        self.assertEqual(purchase_order.hours_to_approval, 0)
        self.assertFalse(purchase_order.shipped_date)

    def test_an_approval_on_sending_counts_as_0_hours_in_the_average(self):
        self.backend.auto_approve = False
        waited = self._sent(self.warehouse)
        self._backdate(waited, sent_date=4)
        self._as("manager", waited).action_approve()
        self.backend.auto_approve = True
        at_once = self._sent(self.warehouse)
        clerk = self.users["user"]

        (group,) = (
            self.env["shipwire.purchase.order"]
            .with_user(clerk)
            .with_context(allowed_company_ids=clerk.company_ids.ids)
            .read_group(
                [("id", "in", (waited | at_once).ids)],
                ["hours_to_approval:avg"],
                ["backend_id"],
                lazy=False,
            )
        )

        self.assertEqual(group["__count"], 2)
        self.assertAlmostEqual(group["hours_to_approval"], 2, delta=0.05)

    def test_holds_and_replayed_webhooks_never_move_the_dates(self):
        purchase_order = self._sent(self.warehouse_b)
        fulfillment_id = int(purchase_order.fulfillment_order_ids.shipwire_id)
        client = ShipwireClient(
            self.sandbox_b.username, self.sandbox_b.password, self.sandbox_b.url
        )
        processing = client.get_order(fulfillment_id, expand="holds,trackings,items")
        self._backdate(purchase_order, sent_date=30, approved_date=20)
        approved = purchase_order.read(TIMING)

        # Held after approval, then released: approved it was, and stays.
        self.sandbox_b.add_order_hold(fulfillment_id, "Address check")
        self._as("user", purchase_order).action_refresh()
        self.assertEqual(purchase_order.state, "held")
        self._as("manager", purchase_order).action_clear_holds()
        self.assertEqual(purchase_order.state, "approved")
        self.assertEqual(purchase_order.read(TIMING), approved)

        self._ship(purchase_order, self.sandbox_b)
        self._backdate(purchase_order, shipped_date=10)
        shipped = purchase_order.read(TIMING)
        completed = client.get_order(fulfillment_id, expand="holds,trackings,items")
        # Captured deliveries sent again: the shipment, an older state, and the
        # older state stamped like the shipment.
        for topic, resource in (
            ("order.completed", completed),
            ("order.processed", processing),
            (
                "order.hold.added",
                dict(
                    processing,
                    status="held",
                    lastUpdatedDate=completed.get("lastUpdatedDate"),
                ),
            ),
        ):
            with self.subTest(topic=topic):
                self._replay(self.backend_b, topic, resource)
                self.assertEqual(purchase_order.state, "shipped")
                self.assertEqual(purchase_order.read(TIMING), shipped)

    def test_the_clerk_reads_the_analyses_of_the_companies_selected(self):
        self.backend.auto_approve = False
        waiting = self._sent(self.warehouse)
        self._backdate(waiting, sent_date=4)
        self._as("manager", waiting).action_approve()
        shipped = self._sent(self.warehouse_b)
        self._ship(shipped, self.sandbox_b)
        clerk = self.users["user"]
        PurchaseOrder = self.env["shipwire.purchase.order"].with_user(clerk)
        # Other tests' POs may be in the database: these two only.
        ours = [("id", "in", (waiting | shipped).ids)]

        for groupby in (["backend_id", "state"], ["warehouse_id", "sent_date:week"]):
            with self.subTest(groupby=groupby):
                groups = PurchaseOrder.with_context(
                    allowed_company_ids=clerk.company_ids.ids
                ).read_group(
                    ours,
                    ["hours_to_approval:avg", "hours_to_shipment:avg"],
                    groupby,
                    lazy=False,
                )
                self.assertEqual(sum(group["__count"] for group in groups), 2)
        by_account = {
            group["backend_id"][0]: group
            for group in PurchaseOrder.with_context(
                allowed_company_ids=clerk.company_ids.ids
            ).read_group(ours, ["hours_to_approval:avg"], ["backend_id"], lazy=False)
        }
        self.assertAlmostEqual(
            by_account[self.backend.id]["hours_to_approval"], 4, delta=0.05
        )
        self.assertEqual(by_account[self.backend_b.id]["hours_to_approval"], 0)

        fulfillment_groups = (
            self.env["shipwire.fulfillment.order"]
            .with_user(clerk)
            .with_context(allowed_company_ids=clerk.company_ids.ids)
            .read_group(
                [("purchase_order_id", "in", (waiting | shipped).ids)],
                ["__count"],
                ["backend_id", "warehouse_name", "status", "completed_date:week"],
                lazy=False,
            )
        )
        self.assertEqual(
            {group["backend_id"][0] for group in fulfillment_groups},
            {self.backend.id, self.backend_b.id},
        )
        # Working in the first company only, the second one's POs are not counted.
        groups = PurchaseOrder.with_context(
            allowed_company_ids=self.company_a.ids
        ).read_group(ours, ["hours_to_approval:avg"], ["backend_id"], lazy=False)
        self.assertEqual(
            [group["backend_id"][0] for group in groups], [self.backend.id]
        )

    def test_the_clerk_finds_and_opens_the_analyses(self):
        clerk = self.users["user"]
        visible = self.env["ir.ui.menu"].with_user(clerk)._visible_menu_ids()
        for menu in (
            "menu_shipwire_purchase_order_analysis",
            "menu_shipwire_fulfillment_order_analysis",
        ):
            self.assertIn(self.env.ref(f"sale_stock_shipwire.{menu}").id, visible)
        for xmlid, model in (
            ("shipwire_purchase_order_action_report", "shipwire.purchase.order"),
            ("shipwire_fulfillment_order_action_report", "shipwire.fulfillment.order"),
        ):
            action = (
                self.env["ir.actions.act_window"]
                .with_user(clerk)
                ._for_xml_id(f"sale_stock_shipwire.{xmlid}")
            )
            self.assertTrue(action["view_mode"].startswith("graph,pivot"))
            views = (
                self.env[model]
                .with_user(clerk)
                .get_views([(False, "graph"), (False, "pivot"), (False, "search")])
            )
            self.assertIn("pivot", views["views"])

    def test_the_split_number_is_no_measure_and_labels_read_as_odoo_says(self):
        clerk = self.users["user"]
        fulfillment_fields = (
            self.env["shipwire.fulfillment.order"].with_user(clerk).fields_get()
        )
        self.assertFalse(fulfillment_fields["split_number"].get("aggregator"))
        self.assertEqual(fulfillment_fields["sale_order_id"]["string"], "Sales Order")
        backend_fields = self.env["shipwire.backend"].fields_get()
        self.assertEqual(
            [
                backend_fields[name]["string"]
                for name in (
                    "send_on_confirmation",
                    "channel_name",
                    "external_id_prefix",
                    "default_service_level",
                )
            ],
            [
                "Send on confirmation",
                "Channel name",
                "External id prefix",
                "Default service level",
            ],
        )
