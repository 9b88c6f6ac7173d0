import base64
import re
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import config

from .common import ShipwireCase

# Screenshots of the tour's steps, and Odoo's own on failure, for people to look at.
ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "tour"
# The tour's "screenshot" steps log this, then wait for the test to answer.
SCREENSHOT_SIGNAL = "shipwire-tour-screenshot:"
STEP_SCREENSHOTS = (
    "1_order_confirmed.png",
    "2_order_sent.png",
    "3_shipwire_tab.png",
    "4_purchase_order_list.png",
)
SCREENSHOT_TAKEN = (
    "window.shipwireTourScreenshotTaken && window.shipwireTourScreenshotTaken()"
)


@tagged("post_install", "-at_install")
class TestTour(ShipwireCase, HttpCase):
    """Send an order from its form in a real browser (Chromium, headless)."""

    # Tall enough for the whole Shipwire tab to be in the screenshots.
    browser_size = "1280x1600"

    def test_send_from_the_form(self):
        self.retailer.street = "1 Main Lane UNVERIFIED"
        order = self._order([(self.diamond, 2)])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in STEP_SCREENSHOTS:
            (ARTIFACTS / name).unlink(missing_ok=True)
        taken = []

        with (
            patch.dict(config.options, {"screenshots": str(ARTIFACTS)}),
            patch.object(
                ChromeBrowser,
                "_handle_console",
                _screenshot_on_signal(ChromeBrowser._handle_console, taken),
            ),
        ):
            self.start_tour(
                f"/odoo/action-sale.action_orders/{order.id}",
                "shipwire_send_tour",
                login="admin",
                cookies={"shipwire_tour_screenshots": "1"},
            )

        self.env.invalidate_all()
        self.assertEqual(order.shipwire_state, "approved")
        (purchase_order,) = self.sandbox.purchase_orders()
        self.assertEqual(order.shipwire_po_id, str(purchase_order["id"]))
        self.assertIn(
            "Could not verify shipping address", self._messages(order, "warning")
        )
        self.assertEqual(order.shipwire_fulfillment_order_ids.status, "unprocessed")
        self.assertEqual(
            [path.name for path in taken],
            list(STEP_SCREENSHOTS),
        )
        for path in taken:
            self.assertGreater(path.stat().st_size, 1000, path)

    def test_clerk_works_from_the_overview(self):
        clerk = new_test_user(
            self.env,
            login="shipwire_desk_clerk",
            groups="sales_team.group_sale_salesman_all_leads,stock.group_stock_user,"
            "sale_stock_shipwire.group_shipwire_user",
        )
        held = self._order([(self.diamond, 1)], user_id=clerk.id)
        held.action_shipwire_send()
        self.sandbox.add_order_hold(
            int(held.shipwire_fulfillment_order_ids.shipwire_id),
            "Address needs a suite number",
        )
        self.env["shipwire.sync"]._cron_sync()
        self.assertEqual(held.shipwire_state, "held")
        to_send = self._order(
            [(self.ruby, 3)],
            user_id=clerk.id,
            partner=self.retailer.copy({"name": "Harbor Jewels"}),
        )
        self.assertTrue(to_send.shipwire_to_send)

        self.start_tour("/odoo", "shipwire_clerk_tour", login=clerk.login)

        self.env.invalidate_all()
        self.assertEqual(to_send.shipwire_state, "approved")
        self.assertFalse(to_send.shipwire_to_send)
        self.assertEqual(len(self.sandbox.purchase_orders()), 2)
        self.assertEqual(held.shipwire_state, "held")


def _screenshot_on_signal(handle_console, taken):
    """A ``ChromeBrowser._handle_console`` that answers the tour's screenshot
    requests: it saves the page as ARTIFACTS/<name>.png, then lets the tour go on."""

    # Odoo passes the DevTools event's fields by name, hence "type" and "stackTrace".
    def handle(browser, type, args=None, stackTrace=None, **kwargs):
        message = (args or [{}])[0].get("value")
        if type == "log" and str(message).startswith(SCREENSHOT_SIGNAL):
            name = message[len(SCREENSHOT_SIGNAL) :]
            if re.fullmatch(r"\w+", name):
                _take_screenshot(browser, ARTIFACTS / f"{name}.png", taken)
                return None
        return handle_console(browser, type, args, stackTrace, **kwargs)

    return handle


def _take_screenshot(browser, path, taken):
    def save(future):
        try:
            data = future.result(timeout=0).get("data")
            if data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(base64.b64decode(data))
                taken.append(path)
        finally:
            browser._websocket_send(
                "Runtime.evaluate", params={"expression": SCREENSHOT_TAKEN}
            )

    browser._websocket_send(
        "Page.captureScreenshot", with_future=True
    ).add_done_callback(save)
