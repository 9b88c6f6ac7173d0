"""Sending selected orders runs their HTTP calls side by side (the ORM stays in one
thread): with 1 s of latency per call, 50 orders go out in under a quarter of the
serial time.

Installs the addon in a throwaway database, starts a sandbox with --latency seconds
added to every request, sends --orders confirmed orders with one
``action_shipwire_send()`` and compares its wall time with sending them one by one:
estimated from two single-order sends, or measured with --full-serial. Exits 1 when
the target is missed or an order was not sent exactly once; skips without Odoo 18.

    python3 bench/bulk_send.py [--orders 50] [--latency 1.0] [--full-serial] [--keep-db]
"""

import argparse
import collections
import statistics
import sys
import time

from fixture import confirmed_orders, create_fixture
from harness import SandboxProcess, odoo18_missing, throwaway_database

TARGET_RATIO = 0.25
SINGLE_SENDS = 2


def timed_send(env, sandbox, orders):
    """Send ``orders`` with one action; return (seconds, HTTP requests)."""
    requests_before = sandbox.request_count()
    started = time.perf_counter()
    orders.action_shipwire_send()
    env.flush_all()
    env.cr.commit()
    seconds = time.perf_counter() - started
    return seconds, sandbox.request_count() - requests_before


def sent_once_problems(sandbox, orders):
    """Why ``orders`` are not each approved with exactly one PO at the sandbox."""
    purchase_orders = sandbox.purchase_orders()
    problems = [
        f"{order.name} is {order.shipwire_state or 'not sent'}, not approved"
        for order in orders
        if order.shipwire_state != "approved"
    ]
    at_sandbox = collections.Counter(po["externalId"] for po in purchase_orders)
    problems += [
        f"{external_id} is at the sandbox {count} times"
        for external_id, count in at_sandbox.items()
        if count > 1
    ]
    problems += [
        f"{order.name} has no PO at the sandbox"
        for order in orders
        if not at_sandbox.get(order.shipwire_external_id)
    ]
    return problems, len(purchase_orders)


def run(env, sandbox, options):
    fixture = create_fixture(env, sandbox.url, sandbox.username, sandbox.password)
    bulk = confirmed_orders(env, fixture, options.orders)
    singles = confirmed_orders(env, fixture, SINGLE_SENDS)
    serial = (
        confirmed_orders(env, fixture, options.orders)
        if options.full_serial
        else singles.browse()
    )
    sandbox.set_latency(options.latency)

    # The bulk send goes first, so first-call warm-up counts against it.
    bulk_seconds, bulk_requests = timed_send(env, sandbox, bulk)
    single_runs = [timed_send(env, sandbox, order) for order in singles]
    calls = max(requests for _seconds, requests in single_runs)
    per_order = statistics.mean(seconds for seconds, _requests in single_runs)
    if options.full_serial:
        serial_seconds = sum(timed_send(env, sandbox, order)[0] for order in serial)
        serial_label = "measured, one by one"
    else:
        serial_seconds = options.orders * per_order
        serial_label = (
            f"estimated: {options.orders} x {calls} calls x "
            f"{per_order / calls:.2f} s per call"
        )

    problems, at_sandbox = sent_once_problems(sandbox, bulk | singles | serial)
    if any(requests != calls for _seconds, requests in single_runs):
        problems.append(f"single sends made {[r for _s, r in single_runs]} requests")
    if bulk_requests != options.orders * calls:
        problems.append(
            f"the bulk send made {bulk_requests} requests, "
            f"not {options.orders} x {calls}"
        )
    ratio = bulk_seconds / serial_seconds
    met = ratio < TARGET_RATIO
    print(f"orders sent together : {options.orders}")
    print(f"HTTP requests        : {bulk_requests} ({calls} per order)")
    print(f"latency per request  : {options.latency:.2f} s")
    print(f"bulk wall time       : {bulk_seconds:.2f} s")
    print(f"serial time          : {serial_seconds:.2f} s ({serial_label})")
    print(f"ratio                : {ratio:.1%}")
    print(
        f"sent exactly once    : "
        f"{'yes' if not problems else 'NO'} ({at_sandbox} POs at the sandbox)"
    )
    for problem in problems[:10]:
        print(f"  {problem}")
    print(f"target < {TARGET_RATIO:.0%} of serial: {'met' if met else 'missed'}")
    return 0 if met and not problems else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument(
        "--latency", type=float, default=1.0, help="seconds added to every request"
    )
    parser.add_argument(
        "--full-serial",
        action="store_true",
        help="really send --orders more orders one by one instead of estimating",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if options.orders < 1 or options.latency < 0:
        parser.error("--orders must be at least 1 and --latency not negative")

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    import odoo

    with (
        throwaway_database(keep=options.keep_db) as registry,
        SandboxProcess() as sandbox,
        registry.cursor() as cr,
    ):
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        return run(env, sandbox, options)


if __name__ == "__main__":
    sys.exit(main())
