"""Screenshots of the addon's screens, taken in headless Chromium from a running demo.

    make demo                      # in one terminal; then, in another:
    python3 tools/screenshots.py   # writes static/description/screenshots/*.png

Logs in (JSON-RPC), sends the demo orders that are not sent yet (the one with the
address warning, the split one and the one Shipwire rejects), has the sandbox hold
the split order and reads it back, then opens each screen in Chromium through the
DevTools protocol and saves it as a PNG:

- overview.png             the Shipwire overview: one card of counters per account
- purchase_orders.png      the work list of Shipwire POs
- reporting_pivot.png      the POs analysis as a pivot: POs by account and state
- reporting_graph.png      the POs analysis as a graph: POs sent a week, by state
- order_shipwire_tab.png   a sent order's Shipwire tab: state, warning, fulfillment
- order_held.png           a held order's Shipwire tab: why Shipwire holds it
- delivery_banner.png      a delivery Shipwire ships, with its banner
- account_form.png         the Shipwire account
- fulfillment_orders.png   the list of fulfillment orders
- order_rejected.png       a rejected order's messages from Shipwire

Needs Debian's ``chromium`` (or Google Chrome) and the ``websocket-client`` package.
"""

import argparse
import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Screenshots of long pages are cut here.
MAX_HEIGHT = 2400
DEMO_ORIGIN = "Shipwire demo"
WARNING_ORDER_REF = "MAX-PO-4711"
SPLIT_ORDER_REF = "MAX-PO-4712"
REJECTED_ORDER_REF = "MAX-PO-4713"
HOLD_REASON = "Address needs a suite number"
# True once Odoo's web client has drawn the view and is not loading anything.
IDLE = """(() => {
    const ready = document.readyState === "complete"
        && document.querySelector(%s)
        && !document.querySelector(".o_loading_indicator, .o_blockUI");
    return Boolean(ready);
})()"""


# Picks the pivot's measures: those named in the list on, the others off.
PICK_MEASURES = """(async (wanted) => {
    const tick = () => new Promise(r => setTimeout(r, 100));
    document.querySelector(".o_pivot_buttons button.btn-primary").click();
    let items = [];
    while (!items.length) {
        await tick();
        items = [...document.querySelectorAll(".o-dropdown--menu .o_menu_item")];
    }
    for (const item of items) {
        const name = item.textContent.trim();
        if (wanted.includes(name) !== item.classList.contains("selected")) {
            item.click();
            await tick();
        }
    }
    document.querySelector(".o_pivot_buttons button.btn-primary").click();
    const shown = () => [...document.querySelectorAll(".o_pivot_measure_row")]
        .map(cell => cell.textContent.trim());
    while (!shown().length || shown().some(name => !wanted.includes(name))) {
        await tick();
    }
})(%s)"""
# Until Chart.js has finished drawing the graph (it animates the bars in).
CHART_DRAWN = """new Promise((resolve) => {
    const chart = Chart.getChart(document.querySelector(".o_graph_renderer canvas"));
    const check = () =>
        Chart.animator.running(chart) ? requestAnimationFrame(check) : resolve();
    check();
})"""


class Odoo:
    """JSON-RPC calls as one logged-in user."""

    def __init__(self, url, database, login, password):
        self.url = url.rstrip("/")
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )
        self.ids = itertools.count(1)
        self.rpc(
            "/web/session/authenticate",
            {"db": database, "login": login, "password": password},
        )

    @property
    def session_id(self):
        return next(c.value for c in self.cookies if c.name == "session_id")

    def rpc(self, path, params):
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": next(self.ids), "params": params}
        ).encode()
        request = urllib.request.Request(
            self.url + path, body, {"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=180) as response:
            answer = json.load(response)
        if answer.get("error"):
            error = answer["error"]
            raise RuntimeError(error.get("data", {}).get("message") or error)
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


class Chromium:
    """A headless Chromium page driven through the DevTools protocol."""

    def __init__(self, executable, width, height):
        import websocket  # websocket-client

        self.profile = tempfile.mkdtemp(prefix="shipwire_screenshots_")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        self.socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.ids = itertools.count(1)
        self.width, self.height = width, height
        self.resize(height)

    def _devtools_port(self):
        port_file = Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if port_file.is_file() and port_file.stat().st_size > 5:
                return int(port_file.read_text().split()[0])
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("Chromium did not start")

    def send(self, method, **params):
        request_id = next(self.ids)
        self.socket.send(
            json.dumps({"id": request_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, selector, timeout=60):
        """Until ``selector`` is on the page and the web client is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(IDLE % json.dumps(selector)):
                # Two frames, so that what was just drawn is painted.
                self.evaluate(
                    "new Promise(r => requestAnimationFrame(() => "
                    "requestAnimationFrame(r)))"
                )
                return
            time.sleep(0.2)
        raise RuntimeError(f"{selector} did not show up in {timeout} s")

    def open(self, url, selector):
        self.send("Page.navigate", url=url)
        self.wait_for(selector)

    def click(self, selector, then):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(then)

    def screenshot(self, path, until=None):
        """Save the page as ``path``; with ``until``, the whole page from its top
        to the bottom of that element, however long (the viewport grows for it)."""
        clip = None
        if until:
            height = self.evaluate(
                "(() => { const c = document.querySelector('.o_content');"
                " return Math.ceil(c.getBoundingClientRect().top + c.scrollHeight);"
                " })()"
            )
            self.resize(min(max(height, self.height), MAX_HEIGHT))
            bottom = self.evaluate(
                f"document.querySelector({json.dumps(until)})"
                ".getBoundingClientRect().bottom"
            )
            clip = {"x": 0, "y": 0, "width": self.width, "scale": 1}
            clip["height"] = min(max(bottom + 4, self.height), MAX_HEIGHT)
        params = {"format": "png"}
        if clip:
            params["clip"] = clip
        data = self.send("Page.captureScreenshot", **params)["data"]
        if until:
            self.resize(self.height)
        path.write_bytes(base64.b64decode(data))
        sys.stdout.write(f"{path} ({path.stat().st_size // 1024} KB)\n")

    def resize(self, height):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - it may be gone already
            self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit(
        "Chromium not found: apt-get install chromium (or install Google Chrome)."
    )


def demo_orders(odoo):
    """``{client_order_ref: order}`` of the demo orders; sends those not sent yet."""
    orders = odoo.call(
        "sale.order",
        "search_read",
        [("origin", "=", DEMO_ORIGIN)],
        fields=["name", "client_order_ref", "shipwire_state"],
        order="id",
    )
    by_ref = {order["client_order_ref"]: order for order in orders}
    missing = {WARNING_ORDER_REF, SPLIT_ORDER_REF, REJECTED_ORDER_REF} - set(by_ref)
    if missing:
        raise SystemExit(f"Demo orders {sorted(missing)} not found: run make demo.")
    for ref in (WARNING_ORDER_REF, SPLIT_ORDER_REF, REJECTED_ORDER_REF):
        if not by_ref[ref]["shipwire_state"]:
            odoo.call("sale.order", "action_shipwire_send", [by_ref[ref]["id"]])
            sys.stdout.write(f"sent {by_ref[ref]['name']} to Shipwire\n")
    return by_ref


def hold_order(odoo, order, sandbox_url):
    """Has the sandbox hold ``order``'s first fulfillment order, as Shipwire's
    warehouse would, then reads the order back from Shipwire."""
    (state,) = odoo.call("sale.order", "read", [order["id"]], ["shipwire_state"])
    if state["shipwire_state"] == "held":
        return
    (fulfillment,) = odoo.call(
        "shipwire.fulfillment.order",
        "search_read",
        [("sale_order_id", "=", order["id"])],
        fields=["shipwire_id"],
        order="id",
        limit=1,
    )
    request = urllib.request.Request(
        f"{sandbox_url.rstrip('/')}/_sandbox/orders/{fulfillment['shipwire_id']}/hold",
        json.dumps({"description": HOLD_REASON}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30):
        pass
    odoo.call("sale.order", "action_shipwire_refresh", [order["id"]])
    sys.stdout.write(f"held {order['name']} at the sandbox\n")


def take_screenshots(odoo, browser, out):
    orders = demo_orders(odoo)
    (backend,) = odoo.call(
        "shipwire.backend", "search_read", [], fields=["id", "custom_url"], limit=1
    )
    hold_order(odoo, orders[SPLIT_ORDER_REF], backend["custom_url"])
    url = odoo.url
    shipwire_tab = ".o_notebook a.nav-link[name=shipwire]"

    browser.open(
        f"{url}/odoo/action-sale_stock_shipwire.shipwire_backend_action_overview",
        ".o_kanban_view .o_kanban_record",
    )
    browser.screenshot(out / "overview.png")

    browser.open(
        f"{url}/odoo/action-sale_stock_shipwire.shipwire_purchase_order_action",
        ".o_list_view .o_data_row",
    )
    browser.screenshot(out / "purchase_orders.png")

    report = (
        f"{url}/odoo/action-sale_stock_shipwire.shipwire_purchase_order_action_report"
    )
    browser.open(f"{report}?view_type=pivot", ".o_pivot table .o_pivot_cell_value")
    browser.evaluate(PICK_MEASURES % json.dumps(["Count"]))
    browser.wait_for(".o_pivot table .o_pivot_cell_value")
    browser.screenshot(out / "reporting_pivot.png")
    browser.open(f"{report}?view_type=graph", ".o_graph_renderer canvas")
    browser.evaluate(CHART_DRAWN)
    browser.screenshot(out / "reporting_graph.png")

    browser.open(
        f"{url}/odoo/action-sale.action_orders/{orders[WARNING_ORDER_REF]['id']}",
        shipwire_tab,
    )
    browser.click(
        shipwire_tab, ".o_field_widget[name=shipwire_fulfillment_order_ids] .o_data_row"
    )
    browser.screenshot(
        out / "order_shipwire_tab.png",
        until=".o_field_widget[name=shipwire_fulfillment_order_ids]",
    )

    browser.open(
        f"{url}/odoo/action-sale_stock_shipwire.shipwire_backend_action/{backend['id']}",
        ".o_form_view .o_field_widget[name=name]",
    )
    browser.screenshot(out / "account_form.png", until=".o_form_sheet")

    browser.open(
        f"{url}/odoo/action-sale_stock_shipwire.shipwire_fulfillment_order_action",
        ".o_list_view .o_data_row",
    )
    browser.screenshot(out / "fulfillment_orders.png")

    browser.open(
        f"{url}/odoo/action-sale.action_orders/{orders[REJECTED_ORDER_REF]['id']}",
        shipwire_tab,
    )
    browser.click(
        shipwire_tab, ".o_field_widget[name=shipwire_message_ids] .o_data_row"
    )
    browser.screenshot(
        out / "order_rejected.png", until=".o_field_widget[name=shipwire_message_ids]"
    )

    browser.open(
        f"{url}/odoo/action-sale.action_orders/{orders[SPLIT_ORDER_REF]['id']}",
        shipwire_tab,
    )
    browser.click(shipwire_tab, ".o_field_widget[name=shipwire_hold_ids] .o_data_row")
    browser.screenshot(
        out / "order_held.png", until=".o_field_widget[name=shipwire_hold_ids]"
    )

    (fulfillment,) = odoo.call(
        "shipwire.fulfillment.order",
        "search_read",
        [
            ("sale_order_id", "=", orders[WARNING_ORDER_REF]["id"]),
            ("picking_id", "!=", False),
        ],
        fields=["picking_id"],
        limit=1,
    )
    browser.open(
        f"{url}/odoo/action-stock.action_picking_tree_all/{fulfillment['picking_id'][0]}",
        ".o_form_view div[name=shipwire_banner]",
    )
    browser.screenshot(out / "delivery_banner.png")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--database", default="shipwire_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--out",
        type=Path,
        default=REPOSITORY / "static" / "description" / "screenshots",
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    options = parser.parse_args(argv)
    try:
        import websocket  # noqa: F401
    except ImportError:
        raise SystemExit(
            "websocket-client is missing: python3 -m pip install websocket-client"
        ) from None
    odoo = Odoo(options.url, options.database, options.login, options.password)
    options.out.mkdir(parents=True, exist_ok=True)
    browser = Chromium(find_browser(), options.width, options.height)
    try:
        host = urllib.parse.urlsplit(odoo.url).hostname
        browser.send("Network.enable")
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session_id,
            domain=host,
            path="/",
        )
        take_screenshots(odoo, browser, options.out)
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
