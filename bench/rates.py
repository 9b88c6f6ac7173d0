"""Shipping rates: a checkout page with three Shipwire delivery methods, rated at
once by three callers on Odoo's server with two workers, costs one ``POST /rate``
per cart; a warm quote answers fast, a cold one in Shipwire's time plus little,
and a Shipwire that does not answer gives every caller "no price" within the
account's quote timeout plus 1 s.

Installs the addon in a throwaway database with an account on a sandbox process
of its own, three delivery methods of that account (Ground, Second Day, Next
Day), a salesperson with no Shipwire rights, and --carts quotations of theirs
for as many distinct carts. Each caller is the salesperson, logged in once,
pressing the choose-delivery wizard's price button (``update_price`` through
``/web/dataset/call_kw``) for one method: a page is the three methods of one
cart, one caller each, started together.

Rounds, each on its own carts:

* cold: the sandbox answers quotes 500 ms late; every page once. Counted: the
  sandbox's ``POST /rate`` per cart (exactly 1 is the target); timed: every call
  (p95 at most 500 ms + 200 ms is the target).
* warm: the same pages --renders times more, the quotes standing. Timed: every
  call (p95 under 50 ms is the target); no new ``POST /rate``. Then each of
  these quotes once more, one call at a time: what a warm quote costs without
  waiting for a free worker (three callers share two), each followed by a plain
  ``read`` of the wizard through the same route, for what any call costs.
* reference: the same renders on three of Odoo's fixed-price methods, which ask
  nothing of anyone: what the wizard's price button costs on this server
  before any quote (not a target).
* timeout: the sandbox answers quotes later than the account's --quote-timeout;
  every page once on carts of its own. Every caller must get "no price" (the
  wizard's message that prices are not available) within the quote timeout plus
  1 s.

Any HTTP 500 fails the run. Ends with ``RATE RESULT <json>``; exits 1 when a
target is missed, and skips without Odoo 18.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import OdooServer, SandboxProcess, log, odoo18_missing, throwaway_database

METHODS = (
    ("Shipwire Ground", "GD"),
    ("Shipwire Second Day", "2D"),
    ("Shipwire Next Day", "1D"),
)
SALESPERSON = ("rates_salesperson", "rates-bench-password")
COLD_LATENCY = 0.5
COLD_MARGIN = 0.2
WARM_TARGET = 0.05
TIMEOUT_MARGIN = 1.0
UNAVAILABLE = "not available right now"


def p95(values):
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def set_up(registry, sandbox, options):
    """The account, its three methods, three fixed-price methods, the
    salesperson and one choose-delivery wizard per cart and method, theirs:
    ``{cart: [wizard id per Shipwire method]}`` and ``{cart: [wizard id per
    fixed-price method]}`` for the first --carts carts."""
    import odoo
    from odoo import Command

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", env.company.id)], limit=1
        )
        backend = env["shipwire.backend"].create(
            {
                "name": "Rates sandbox",
                "environment": "custom",
                "custom_url": sandbox.url,
                "username": sandbox.username,
                "password": sandbox.password,
                "rate_timeout": options.quote_timeout,
                "warehouse_ids": [
                    Command.create(
                        {
                            "warehouse_id": warehouse.id,
                            "shipwire_warehouse_external_id": "LAX",
                        }
                    )
                ],
            }
        )
        shipping = env["product.product"].create(
            {"name": "Shipwire shipping", "type": "service", "taxes_id": False}
        )
        carriers = env["delivery.carrier"].create(
            [
                {
                    "name": name,
                    "delivery_type": "shipwire",
                    "integration_level": "rate",
                    "shipwire_backend_id": backend.id,
                    "product_id": shipping.id,
                }
                for name, _code in METHODS
            ]
        )
        fixed_prices = env["delivery.carrier"].create(
            [
                {
                    "name": f"Flat rate {price}",
                    "delivery_type": "fixed",
                    "fixed_price": price,
                    "product_id": shipping.id,
                }
                for price in (5, 10, 20)
            ]
        )
        backend.service_level_ids = [
            Command.create({"carrier_id": carrier.id, "service_level_code": code})
            for carrier, (_name, code) in zip(carriers, METHODS, strict=True)
        ]
        salesperson = env["res.users"].create(
            {
                "name": "Rates Salesperson",
                "login": SALESPERSON[0],
                "password": SALESPERSON[1],
                "groups_id": [
                    Command.set([env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        ring, pendant = env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                }
                for name, sku in (
                    ("Diamond ring", "DIAMOND-1"),
                    ("Ruby pendant", "RUBY-2"),
                )
            ]
        )
        customer = env["res.partner"].create(
            {
                "name": "Checkout Customer",
                "street": "2 Main Lane",
                "city": "Los Angeles",
                "zip": "91111",
                "state_id": env.ref("base.state_us_5").id,
                "country_id": env.ref("base.us").id,
            }
        )
        wizards, fixed_wizards = {}, {}
        for cart in range(options.carts * 2):
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": salesperson.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": ring.id, "product_uom_qty": 1 + cart}
                        ),
                        Command.create({"product_id": pendant.id}),
                    ],
                }
            )
            as_salesperson = env["choose.delivery.carrier"].with_user(salesperson)
            wizards[cart] = as_salesperson.create(
                [
                    {"order_id": order.id, "carrier_id": carrier.id}
                    for carrier in carriers
                ]
            ).ids
            if cart < options.carts:
                fixed_wizards[cart] = as_salesperson.create(
                    [
                        {"order_id": order.id, "carrier_id": carrier.id}
                        for carrier in fixed_prices
                    ]
                ).ids
        cr.commit()  # pylint: disable=invalid-commit
    return wizards, fixed_wizards


class Caller:
    """The salesperson in a browser of their own, logged in once."""

    def __init__(self, url, database):
        import requests

        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy for loopback
        self._post(
            "/web/session/authenticate",
            {"db": database, "login": SALESPERSON[0], "password": SALESPERSON[1]},
        )

    def _post(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=120,
        )
        return response.status_code, response.json() if response.ok else None

    def read(self, wizard_id):
        """Seconds of a plain ``read`` of the wizard through the same route: what
        any call costs on this server, to weigh the quotes' times by."""
        started = time.perf_counter()
        self._post(
            "/web/dataset/call_kw/choose.delivery.carrier/read",
            {
                "model": "choose.delivery.carrier",
                "method": "read",
                "args": [[wizard_id], ["display_name"]],
                "kwargs": {},
            },
        )
        return time.perf_counter() - started

    def rate(self, wizard_id):
        """``(seconds, HTTP status, success, message)`` of pressing the price
        button of one choose-delivery wizard."""
        started = time.perf_counter()
        status, body = self._post(
            "/web/dataset/call_kw/choose.delivery.carrier/update_price",
            {
                "model": "choose.delivery.carrier",
                "method": "update_price",
                "args": [[wizard_id]],
                "kwargs": {},
            },
        )
        seconds = time.perf_counter() - started
        if body is None:
            return seconds, status, False, ""
        if "error" in body:
            return seconds, status, False, body["error"]["data"]["message"]
        return seconds, status, True, ""


def render(callers, wizard_ids):
    """One page: each caller presses one method's button, all at once."""
    barrier = threading.Barrier(len(callers))
    answers = [None] * len(callers)

    def press(index):
        barrier.wait()
        answers[index] = callers[index].rate(wizard_ids[index])

    threads = [
        threading.Thread(target=press, args=(index,)) for index in range(len(callers))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def run(registry, sandbox, options, workdir):
    wizards, fixed_wizards = set_up(registry, sandbox, options)
    server = OdooServer(workdir, registry.db_name, options.workers)
    log(f"starting Odoo's server with {options.workers} workers on {server.url} ...")
    server.start()
    try:
        server.wait_ready(f"{server.url}/web/health")
        callers = [Caller(server.url, registry.db_name) for _method in METHODS]
        return measure(callers, sandbox, wizards, fixed_wizards, options)
    finally:
        server.stop()


def rate_requests(sandbox):
    return sandbox.stats()["rateRequests"]


def measure(callers, sandbox, wizards, fixed_wizards, options):
    answers = {"cold": [], "warm": [], "single": [], "timeout": []}
    fixed_price = []
    per_cart = []
    plain_reads = []
    sandbox.update_settings(rate_latency=COLD_LATENCY)
    for cart in range(options.carts):
        before = rate_requests(sandbox)
        answers["cold"] += render(callers, wizards[cart])
        per_cart.append(rate_requests(sandbox) - before)
    before = rate_requests(sandbox)
    for _render in range(options.renders):
        for cart in range(options.carts):
            answers["warm"] += render(callers, wizards[cart])
    # The same warm quotes one at a time: their cost without waiting for a worker.
    for cart in range(options.carts):
        for caller, wizard_id in zip(callers, wizards[cart], strict=True):
            answers["single"].append(caller.rate(wizard_id))
            plain_reads.append(caller.read(wizard_id))
    warm_requests = rate_requests(sandbox) - before
    for _render in range(options.renders):
        for cart in range(options.carts):
            fixed_price += [a[0] for a in render(callers, fixed_wizards[cart])]

    sandbox.update_settings(rate_latency=options.quote_timeout + 2)
    for cart in range(options.carts, options.carts * 2):
        answers["timeout"] += render(callers, wizards[cart])
    sandbox.update_settings(rate_latency=0.0)

    seconds = {kind: [a[0] for a in found] for kind, found in answers.items()}
    every = [answer for found in answers.values() for answer in found]
    timeout_limit = options.quote_timeout + TIMEOUT_MARGIN
    result = {
        "carts": options.carts,
        "calls": len(every),
        "rate_requests_per_cart": sorted(set(per_cart)),
        "warm_rate_requests": warm_requests,
        "cold_p95_ms": round(p95(seconds["cold"]) * 1000, 1),
        "cold_max_ms": round(max(seconds["cold"]) * 1000, 1),
        "cold_latency_ms": COLD_LATENCY * 1000,
        "warm_p50_ms": round(statistics.median(seconds["warm"]) * 1000, 1),
        "warm_p95_ms": round(p95(seconds["warm"]) * 1000, 1),
        "warm_one_at_a_time_p95_ms": round(p95(seconds["single"]) * 1000, 1),
        "plain_read_p95_ms": round(p95(plain_reads) * 1000, 1),
        "fixed_price_p50_ms": round(statistics.median(fixed_price) * 1000, 1),
        "fixed_price_p95_ms": round(p95(fixed_price) * 1000, 1),
        "quote_timeout_s": options.quote_timeout,
        "timeout_max_s": round(max(seconds["timeout"]), 3),
        "timeout_no_price": sum(
            1
            for _s, _status, ok, message in answers["timeout"]
            if not ok and UNAVAILABLE in message
        ),
        "timeout_calls": len(answers["timeout"]),
        "priced": sum(
            1 for a in answers["cold"] + answers["warm"] + answers["single"] if a[2]
        ),
        "http_500": sum(1 for a in every if a[1] >= 500),
    }
    result["targets_met"] = (
        result["rate_requests_per_cart"] == [1]
        and warm_requests == 0
        and result["priced"] == len(every) - len(answers["timeout"])
        and result["warm_p95_ms"] < WARM_TARGET * 1000
        and result["cold_p95_ms"] <= (COLD_LATENCY + COLD_MARGIN) * 1000
        and result["timeout_no_price"] == result["timeout_calls"]
        and result["timeout_max_s"] <= timeout_limit
        and result["http_500"] == 0
    )
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carts", type=int, default=10)
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quote-timeout", type=float, default=2.0)
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if min(options.carts, options.renders) < 1 or options.quote_timeout <= 0:
        parser.error("--carts and --renders at least 1, --quote-timeout above 0")
    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="shipwire_rates_") as work,
        throwaway_database(prefix="shipwire_rates", keep=options.keep_db) as registry,
        SandboxProcess() as sandbox,
    ):
        result = run(registry, sandbox, options, Path(work))
    print(f"RATE RESULT {json.dumps(result)}", flush=True)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
