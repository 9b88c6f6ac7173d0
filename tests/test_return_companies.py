from odoo.exceptions import AccessError

from .common import ShipwireWorldCase
from .receiving_common import INBOUND_JOB
from .return_common import ReturnCase


class TestReturnCompanies(ShipwireWorldCase, ReturnCase):
    """Two companies, each with its account and sandbox: a return goes to the
    account that shipped, is booked in its company, and stays out of reach of
    those working in the other."""

    def _shipped_at(self, warehouse, sandbox):
        order = self._order_at(warehouse, [(self.diamond, 2)])
        order.with_user(self.users["user"]).action_shipwire_send()
        for fulfillment in order.shipwire_fulfillment_order_ids:
            sandbox.complete_order(int(fulfillment.shipwire_id))
        self.env["shipwire.sync"]._cron_sync()
        self.assertEqual(order.picking_ids.state, "done")
        return order

    def _return_at(self, order):
        return self._return(order.picking_ids, {self.diamond: 1}, self.users["user"])

    def test_returns_of_two_companies_go_to_their_accounts_and_are_booked_there(self):
        order_a = self._shipped_at(self.warehouse, self.sandbox)
        order_b = self._shipped_at(self.warehouse_b, self.sandbox_b)
        return_a, return_b = self._return_at(order_a), self._return_at(order_b)

        self._press_list_button(
            "action_shipwire_send_return", return_a | return_b, self.users["user"]
        )

        record_a = return_a.sudo().shipwire_return_ids
        record_b = return_b.sudo().shipwire_return_ids
        self.assertEqual(record_a.backend_id, self.backend)
        self.assertEqual(record_b.backend_id, self.backend_b)
        self.assertEqual(record_b.company_id, self.company_b)
        self.assertEqual(self.sandbox.stats()["returns"], 1)
        self.assertEqual(self.sandbox_b.stats()["returns"], 1)

        for record, sandbox in ((record_a, self.sandbox), (record_b, self.sandbox_b)):
            sandbox.return_desk.receive(
                int(record.shipwire_id), "DIAMOND-1", good=1, damaged=0, in_review=0
            )
        self.assertTrue(self.env.ref(INBOUND_JOB).method_direct_trigger())
        self.env.invalidate_all()
        self.assertEqual([return_a.state, return_b.state], ["done", "done"])
        self.assertEqual(order_b.order_line.qty_delivered, 1)

    def test_a_user_of_one_company_cannot_reach_the_others_returns(self):
        order_b = self._shipped_at(self.warehouse_b, self.sandbox_b)
        return_b = self._return_at(order_b)
        user_of_a = self.users["user_of_a"]
        with self.assertRaises(AccessError):
            return_b.with_user(user_of_a).action_shipwire_send_return()
        self.assertEqual(self.sandbox_b.stats()["returns"], 0)
        self._press_list_button(
            "action_shipwire_send_return", return_b, self.users["user"]
        )
        with self.assertRaises(AccessError):
            return_b.sudo().shipwire_return_ids.with_user(user_of_a).read(["state"])
