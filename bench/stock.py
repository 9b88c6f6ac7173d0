"""The stock sync reads Shipwire's stock a page at a time (200 items: one SKU at one
warehouse each) and stores it per page, where asking product by product costs one
request per SKU.

Installs the addon in a throwaway database with --skus storable products (Internal
Reference = SKU, created in batches), three Odoo warehouses mapped to the sandbox's
LAX, PHL and TOR, and one Shipwire account. The sandbox runs as a separate process
(``python3 -m shipwire_api sandbox``), so that its own work neither holds the
interpreter lock of the measured process nor counts in its memory, and it stocks
every SKU in the three warehouses (3 x --skus stock items, 150 pages at 10,000
SKUs). Set-up runs at latency 0 and is not measured; the measured runs add
--latency seconds to every API request.

Runs, one after the other, each from a fresh cursor after ``gc.collect()``:

- baseline: one ``GET /stock?sku=`` per product (``client.stock_pages(skus=[sku])``
  on one keep-alive client), HTTP only: nothing is stored, so it is a lower bound of
  what a per-product connector costs. It covers every product when the first
  BASELINE_PROBE requests project a total within BASELINE_FULL_LIMIT seconds,
  otherwise the first BASELINE_SAMPLE products, extrapolated linearly to all of them
  (the report says which; --baseline-sample N forces a sample of N).
- first read: ``shipwire.stock.sync._sync_stock(backend, budget=10**6, full=True)``
  with no level and no stock yet: every level is new and every quantity is set by
  an inventory adjustment. The budget is large enough to read everything in one run
  (the scheduler's run stops after STOCK_TIME_BUDGET seconds and is run again).
- steady state: the same complete read again with nothing changed at the sandbox
  (``stock_synced_at`` cleared first, as when the last complete read is old).
- 1% changed: 1% of the SKUs receive units at one of their warehouses
  (``/_sandbox/stock/receive``), then a complete read.

The job commits after every page (``shipwire.sync._commit_progress``), as in
production. Each run reports HTTP requests (the sandbox's count), wall time, SQL
queries (``odoo.sql_db.sql_counter``), queries and seconds inside each
``_store_page`` call (one per page) and inside ``_set_on_hand``, and the seconds
spent waiting for HTTP (the durations of the calls the run logged). After every run
Odoo's on-hand in each mapped warehouse must equal the sandbox's quantity of every
SKU, and every SKU must have one "synced" level per warehouse.

Memory is measured in runs of their own, under ``tracemalloc`` (which slows Python
down, so the timed runs above are not traced): the steady state with every SKU, 1%
changed again, and the steady state against a second sandbox process serving the
first half of the SKUs (same Shipwire ids, same quantities), so that Odoo's side is
the same and only the number of SKUs read differs. Each gives the peak of Python
memory allocated during the run, and what is held at the start of the second, the
middle and the last page (memory that pages leave behind would grow from one to the
next).

Targets, on the steady-state read against the baseline: at least 50x fewer HTTP
requests and 10x less wall time; SQL that grows per page, not per SKU: the queries
of a full page's ``_store_page`` at most 0.25 per stock item (50 for 200 items, where
a query per SKU would make at least 67) and spread at most 1.5x between full pages;
memory flat in the number of SKUs: the traced peak with every SKU at most 1.3x the
peak with half of them. The first read and the 1% run are reported, not targeted.
Prints the targets met or missed and one line ``STOCK RESULT <json>``. Exits 1 when
a target is missed or a run left Odoo's stock different from the sandbox's; skips
without Odoo 18.

    python3 bench/stock.py [--skus 10000] [--latency 0.05] [--baseline-sample 0]
                           [--keep-db]
"""

import argparse
import contextlib
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from harness import SandboxProcess, log, odoo18_missing, throwaway_database
from probes import fresh_env, query_probe

REQUEST_TARGET = 50
WALL_TARGET = 10
# A page whose SQL grew per SKU would make a query per SKU at least (a 200-item
# page holds about 67 SKUs); the per-page store is allowed a quarter per item.
SQL_PER_ITEM_LIMIT = 0.25
# Query counts of full pages may differ by this factor at most.
PAGE_SPREAD_LIMIT = 1.5
# Traced peak with every SKU / with half of them, at most.
MEMORY_RATIO_LIMIT = 1.3
# The baseline covers every product when its first BASELINE_PROBE requests project
# a total within BASELINE_FULL_LIMIT seconds, else BASELINE_SAMPLE products.
BASELINE_PROBE = 200
BASELINE_FULL_LIMIT = 720
BASELINE_SAMPLE = 1000
BUDGET = 10**6  # seconds: one run reads everything
CREATE_CHUNK = 1000
CHANGED_SHARE = 100  # 1 SKU in 100 changes for the "1% changed" runs
RECEIVED_UNITS = 7
WAREHOUSES = (
    # Shipwire id, external id (= region), Odoo warehouse name and code
    (10, "LAX", "Shipwire Los Angeles", "SWLAX"),
    (20, "PHL", "Shipwire Philadelphia", "SWPHL"),
    (30, "TOR", "Shipwire Toronto", "SWTOR"),
)
SANDBOX_USER = "stock"
SANDBOX_PASSWORD = "stock-bench"
MIB = 1024 * 1024


# -- the sandbox -----------------------------------------------------------------------


def catalogue(skus, quantities=None):
    """The sandbox catalogue: every SKU in the three warehouses, with
    ``quantities[sku][code]`` units, or a spread of 10 to 509 units."""
    return {
        "warehouses": [
            {"id": shipwire_id, "externalId": code, "name": name, "region": code}
            for shipwire_id, code, name, _odoo_code in WAREHOUSES
        ],
        "stock": {
            sku: (
                quantities[sku]
                if quantities
                else {
                    code: 10 + (index * 7 + position * 13) % 500
                    for position, (_id, code, _n, _c) in enumerate(WAREHOUSES)
                }
            )
            for index, sku in enumerate(skus)
        },
    }


def start_sandbox(workdir, name, stock_catalogue):
    """A sandbox process started from a catalogue: its products get Shipwire ids
    1, 2... in the catalogue's order, so two sandboxes started from the same SKUs
    name them alike."""
    return SandboxProcess(
        SANDBOX_USER,
        SANDBOX_PASSWORD,
        catalogue=stock_catalogue,
        log_path=workdir / f"{name}.log",
    ).start()


# -- set-up ----------------------------------------------------------------------------


def set_up(env, sandbox, skus):
    """Three mapped warehouses, the account and the products; returns the account."""
    from odoo import Command

    warehouses = env["stock.warehouse"].create(
        [{"name": name, "code": code} for _id, _c, name, code in WAREHOUSES]
    )
    backend = env["shipwire.backend"].create(
        {
            "name": "Bench stock",
            "environment": "custom",
            "custom_url": sandbox.url,
            "username": SANDBOX_USER,
            "password": SANDBOX_PASSWORD,
            "warehouse_ids": [
                Command.create(
                    {
                        "warehouse_id": warehouse.id,
                        "shipwire_warehouse_external_id": code,
                    }
                )
                for warehouse, (_id, code, _n, _c) in zip(
                    warehouses, WAREHOUSES, strict=True
                )
            ],
        }
    )
    env.cr.commit()
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    started = time.perf_counter()
    for start in range(0, len(skus), CREATE_CHUNK):
        Template.create(
            [
                {
                    "name": f"Stock bench {sku}",
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10,
                }
                for sku in skus[start : start + CREATE_CHUNK]
            ]
        )
        env.cr.commit()
        env.invalidate_all()
    log(
        f"  {len(skus)} storable products in {time.perf_counter() - started:.0f} s "
        f"({CREATE_CHUNK} per create)"
    )
    return backend


# -- measuring -------------------------------------------------------------------------


@contextlib.contextmanager
def measure(label, sandbox, env):
    """Wall time, the sandbox's requests, SQL queries and the seconds spent in HTTP
    calls (their logged durations) of what runs inside."""
    import odoo.sql_db

    result = {"label": label}
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM shipwire_exchange")
    last_exchange = env.cr.fetchone()[0]
    requests, queries = sandbox.request_count(), odoo.sql_db.sql_counter
    started = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - started
    result["queries"] = odoo.sql_db.sql_counter - queries
    result["requests"] = sandbox.request_count() - requests
    env.cr.execute(
        "SELECT COUNT(*), COALESCE(SUM(duration), 0) FROM shipwire_exchange "
        "WHERE id > %s",
        [last_exchange],
    )
    result["logged_calls"], result["http_seconds"] = env.cr.fetchone()


@contextlib.contextmanager
def memory_probe(model_class, method_name, samples):
    """Append the Python memory traced at the start of each outer call of
    ``model_class.method_name`` to ``samples`` (tracemalloc must be on)."""
    had_own = method_name in vars(model_class)
    original = getattr(model_class, method_name)

    def probe(self, *args, **kwargs):
        samples.append(tracemalloc.get_traced_memory()[0])
        return original(self, *args, **kwargs)

    setattr(model_class, method_name, probe)
    try:
        yield samples
    finally:
        if had_own:
            setattr(model_class, method_name, original)
        else:
            delattr(model_class, method_name)


def run_sync(registry, sandbox, label, backend_id, traced=False):
    """One complete read of the account's stock, as the scheduler's job runs it
    (a fresh cursor, a commit per page) but with a budget that reads everything."""
    sync_class = registry["shipwire.stock.sync"]
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].browse(backend_id)
        backend.write({"stock_synced_at": False, "custom_url": sandbox.url})
        env.cr.commit()
    pages, on_hand, memory = [], [], []
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].browse(backend_id)
        with contextlib.ExitStack() as stack:
            if traced:
                stack.enter_context(memory_probe(sync_class, "_store_page", memory))
            stack.enter_context(query_probe(sync_class, "_store_page", pages))
            stack.enter_context(query_probe(sync_class, "_set_on_hand", on_hand))
            result = stack.enter_context(measure(label, sandbox, env))
            if traced:
                tracemalloc.start()
            try:
                done, remaining = env["shipwire.stock.sync"]._sync_stock(
                    backend, budget=BUDGET, full=True
                )
            finally:
                if traced:
                    result["peak_bytes"] = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
        env.cr.commit()
        result.update(
            items=done,
            remaining=remaining,
            error=backend.stock_sync_error or "",
            pages=pages,
            store_seconds=sum(seconds for _n, _q, seconds in pages),
            store_queries=sum(queries for _n, queries, _s in pages),
            on_hand_calls=len(on_hand),
            on_hand_targets=sum(size for size, _q, _s in on_hand),
            on_hand_seconds=sum(seconds for _n, _q, seconds in on_hand),
            on_hand_queries=sum(queries for _n, queries, _s in on_hand),
        )
        if traced and len(memory) > 2:
            # Held at the start of the second, the middle and the last page: what
            # the pages in between left behind.
            result["held_bytes"] = [memory[1], memory[len(memory) // 2], memory[-1]]
    return result


def run_baseline(registry, sandbox, skus, sample, log):
    """``GET /stock?sku=`` for each product, one keep-alive client: every product
    when it fits the time limit (or no sample is forced), else the first
    ``sample`` products, extrapolated to all."""
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].search([("name", "=", "Bench stock")])
        client = backend._make_client()
        items, problems = 0, []
        limit = sample or len(skus)
        try:
            with measure("baseline: GET /stock?sku= per SKU", sandbox, env) as result:
                started = time.perf_counter()
                for count, sku in enumerate(skus, start=1):
                    found = [
                        item for page in client.stock_pages(skus=[sku]) for item in page
                    ]
                    items += len(found)
                    if len(found) != len(WAREHOUSES) and len(problems) < 5:
                        problems.append(f"baseline: {len(found)} items for {sku}")
                    if count == BASELINE_PROBE and not sample:
                        projected = (time.perf_counter() - started) * len(skus) / count
                        if projected > BASELINE_FULL_LIMIT:
                            limit = min(BASELINE_SAMPLE, len(skus))
                            log(
                                f"  projected {projected:.0f} s for every SKU: "
                                f"measuring {limit} and extrapolating"
                            )
                    if count >= limit:
                        break
        finally:
            client.close()
    measured = min(limit, len(skus))
    scale = len(skus) / measured
    result.update(
        items=round(items * scale),
        measured_items=items,
        measured_skus=measured,
        sampled=measured < len(skus),
        measured_seconds=result["seconds"],
        measured_requests=result["requests"],
        seconds=result["seconds"] * scale,
        requests=round(result["requests"] * scale),
        pages=[],
    )
    if result["measured_requests"] != measured:
        problems.append(
            f"baseline: {result['measured_requests']} requests for {measured} SKUs"
        )
    return result, problems


def stock_problems(registry, backend_id, sandbox, when):
    """Where Odoo's on-hand in the mapped warehouses, or the account's levels,
    differ from the sandbox's stock."""
    expected = sandbox.quantities()
    with fresh_env(registry) as env:
        env.cr.execute(
            """
            SELECT p.default_code, w.code, SUM(q.quantity)
              FROM stock_quant q
              JOIN stock_location l ON l.id = q.location_id
              JOIN stock_warehouse w ON w.id = l.warehouse_id
              JOIN product_product p ON p.id = q.product_id
              JOIN shipwire_warehouse m ON m.warehouse_id = w.id
             WHERE m.backend_id = %s AND l.usage = 'internal'
             GROUP BY 1, 2
            """,
            [backend_id],
        )
        codes = {code: shipwire for _id, shipwire, _n, code in WAREHOUSES}
        actual = {
            (sku, codes[code]): quantity for sku, code, quantity in env.cr.fetchall()
        }
        env.cr.execute(
            "SELECT COUNT(*) FROM shipwire_stock_level "
            "WHERE backend_id = %s AND status = 'synced'",
            [backend_id],
        )
        synced = env.cr.fetchone()[0]
    problems, wrong = [], []
    for sku, levels in expected.items():
        for code, quantity in levels.items():
            if actual.get((sku, code), 0) != quantity:
                wrong.append(
                    f"{sku}@{code}: {actual.get((sku, code), 0)} not {quantity}"
                )
    if wrong:
        problems.append(
            f"{when}: {len(wrong)} on-hand quantities wrong, e.g. {wrong[0]}"
        )
    rows = sum(len(levels) for levels in expected.values())
    if synced < rows:
        problems.append(f"{when}: {synced} synced levels for {rows} stock rows")
    return problems


def receive_share(sandbox, skus, offset):
    """1% of the SKUs receive units at one warehouse each; returns how many."""
    changed = skus[offset::CHANGED_SHARE]
    for index, sku in enumerate(changed):
        sandbox.receive(sku, WAREHOUSES[index % len(WAREHOUSES)][1], RECEIVED_UNITS)
    return len(changed)


# -- report ----------------------------------------------------------------------------


def full_page_queries(result):
    size = max((size for size, _q, _s in result["pages"]), default=0)
    return size, [queries for n, queries, _s in result["pages"] if n == size]


def figures(result):
    """What STOCK RESULT says of one run."""
    keys = (
        "label",
        "items",
        "seconds",
        "requests",
        "queries",
        "http_seconds",
        "logged_calls",
        "store_seconds",
        "store_queries",
        "on_hand_calls",
        "on_hand_targets",
        "on_hand_seconds",
        "on_hand_queries",
        "peak_bytes",
        "held_bytes",
        "measured_skus",
        "measured_items",
        "measured_seconds",
        "measured_requests",
        "sampled",
        "changed_skus",
        "skus",
    )
    out = {key: result[key] for key in keys if key in result}
    if result["pages"]:
        size, full = full_page_queries(result)
        out.update(
            page_count=len(result["pages"]),
            page_size=size,
            full_page_queries_min=min(full),
            full_page_queries_max=max(full),
            full_page_queries_mean=sum(full) / len(full),
            queries_per_page=result["queries"] / len(result["pages"]),
        )
    return {
        key: round(value, 4) if isinstance(value, float) else value
        for key, value in out.items()
    }


def _row(result):
    pages = len(result["pages"])
    per_page = f"{result['queries'] / pages:.1f}" if pages else "-"
    if pages:
        _size, full = full_page_queries(result)
        store = f"{min(full)}..{max(full)}"
    else:
        store = "-"
    peak = f"{result['peak_bytes'] / MIB:.1f}" if "peak_bytes" in result else "-"
    return (
        f"{result['label']:<40}{result['items']:>7}{result['seconds']:>9.1f}"
        f"{result['requests']:>7}{pages:>6}{result['queries']:>8}{per_page:>8}"
        f"{store:>10}{peak:>8}"
    )


def time_line(result):
    """Where a sync run's wall time goes."""
    store = result["store_seconds"]
    adjust = result["on_hand_seconds"]
    http = result["http_seconds"]
    rest = result["seconds"] - store - http
    return (
        f"  {result['label']}: wall {result['seconds']:.1f} s = HTTP "
        f"{http:.1f} s ({result['logged_calls']} calls) + _store_page {store:.1f} s "
        f"(of which _set_on_hand {adjust:.1f} s, {result['on_hand_queries']} queries, "
        f"{result['on_hand_targets']} quantities to set) + the rest {rest:.1f} s "
        f"(call log, commits, client); SQL {result['store_queries']} in _store_page, "
        f"{result['queries'] - result['store_queries']} outside"
    )


def report(results, problems, options):
    base = results["baseline"]
    first, steady, changed = results["first"], results["steady"], results["changed"]
    mem_full, mem_half = results["memory_full"], results["memory_half"]
    mem_changed = results["memory_changed"]

    print()
    print(
        f"{options.skus} SKUs x {len(WAREHOUSES)} warehouses = "
        f"{options.skus * len(WAREHOUSES)} stock items, latency "
        f"{options.latency * 1000:.0f} ms per request"
    )
    if base["sampled"]:
        print(
            f"baseline measured on {base['measured_skus']} of {options.skus} SKUs "
            f"({base['measured_requests']} requests, {base['measured_seconds']:.1f} s) "
            "and extrapolated linearly"
        )
    print(
        f"{'run':<40}{'items':>7}{'wall s':>9}{'HTTP':>7}{'pages':>6}{'SQL':>8}"
        f"{'SQL/pg':>8}{'store':>10}{'MiB':>8}"
    )
    print("timed (no tracing)")
    for result in (base, first, steady, changed):
        print(_row(result))
    print("traced (tracemalloc; their wall time is not comparable)")
    for result in (mem_full, mem_changed, mem_half):
        print(_row(result))
    print(
        "  store = queries of one full page's _store_page (min..max); MiB = traced "
        "peak of Python memory during the run"
    )
    print()
    print("where the time goes:")
    for result in (first, steady, changed):
        print(time_line(result))
    print()
    print("Python memory held at the start of pages (traced runs):")
    for result in (mem_full, mem_changed, mem_half):
        if "held_bytes" in result:
            count = len(result["pages"])
            second, middle, last = (size / 1024 for size in result["held_bytes"])
            print(
                f"  {result['label']}: page 2 {second:.0f} KiB, page "
                f"{count // 2 + 1} {middle:.0f} KiB, page {count} {last:.0f} KiB"
            )

    checks = []

    def check(name, text, value, met):
        checks.append({"name": name, "text": text, "value": value, "met": met})

    def ratio(key, sync):
        return base[key] / sync[key] if sync[key] else float("inf")

    def ratio_text(title, key, sync, target=None):
        digits = 1 if key == "seconds" else 0
        text = (
            f"{title}: {base[key]:.{digits}f} / {sync[key]:.{digits}f} = "
            f"{ratio(key, sync):.1f}x"
        )
        return text + (f" (target >= {target}x)" if target else "")

    value = ratio("requests", steady)
    check(
        "steady_requests_ratio",
        ratio_text("HTTP requests, steady state", "requests", steady, REQUEST_TARGET),
        round(value, 2),
        value >= REQUEST_TARGET,
    )
    value = ratio("seconds", steady)
    check(
        "steady_wall_ratio",
        ratio_text("wall time, steady state", "seconds", steady, WALL_TARGET),
        round(value, 2),
        value >= WALL_TARGET,
    )
    size, full = full_page_queries(steady)
    per_item = max(full) / size if size else float("inf")
    check(
        "steady_sql_per_item",
        f"SQL per full page, steady state: at most {max(full)} queries in "
        f"_store_page for {size} items = {per_item:.3f} per item "
        f"(target <= {SQL_PER_ITEM_LIMIT})",
        round(per_item, 4),
        per_item <= SQL_PER_ITEM_LIMIT,
    )
    spread = max(full) / max(1, min(full))
    check(
        "steady_page_spread",
        f"SQL per full page, steady state: {min(full)}..{max(full)} (spread "
        f"{spread:.2f}, target <= {PAGE_SPREAD_LIMIT})",
        round(spread, 3),
        spread <= PAGE_SPREAD_LIMIT,
    )
    growth = mem_full["peak_bytes"] / mem_half["peak_bytes"]
    check(
        "memory_ratio",
        f"traced peak, steady state: {mem_full['items']} items "
        f"{mem_full['peak_bytes'] / MIB:.1f} MiB / {mem_half['items']} items "
        f"{mem_half['peak_bytes'] / MIB:.1f} MiB = {growth:.2f}x (target <= "
        f"{MEMORY_RATIO_LIMIT}x)",
        round(growth, 3),
        growth <= MEMORY_RATIO_LIMIT,
    )

    print()
    print("not targets:")
    for title, result in (("first read", first), ("1% changed", changed)):
        print(
            f"  {ratio_text(f'HTTP requests, {title}', 'requests', result)}; "
            f"{ratio_text('wall time', 'seconds', result)}"
        )
    for result in (first, changed):
        size, full = full_page_queries(result)
        print(
            f"  {result['label']}: SQL in _store_page per full page "
            f"{min(full)}..{max(full)} ({max(full) / size:.2f} per item)"
        )
    print()
    for item in checks:
        print(f"{'met   ' if item['met'] else 'MISSED'} {item['text']}")
    if problems:
        print("problems:")
        for problem in problems[:20]:
            print(f"  {problem}")
    ok = all(item["met"] for item in checks) and not problems
    print(f"targets: {'all met' if ok else 'NOT all met'}")
    summary = {
        "skus": options.skus,
        "warehouses": len(WAREHOUSES),
        "latency": options.latency,
        "budget": BUDGET,
        "runs": {key: figures(result) for key, result in results.items()},
        "targets": {
            item["name"]: {"value": item["value"], "met": item["met"]}
            for item in checks
        },
        "problems": problems,
        "ok": ok,
    }
    print("STOCK RESULT " + json.dumps(summary, sort_keys=True), flush=True)
    return 0 if ok else 1


# -- main ------------------------------------------------------------------------------


def run(registry, workdir, options):
    skus = [f"SWB-{index:05d}" for index in range(options.skus)]
    sandbox = start_sandbox(workdir, "sandbox", catalogue(skus))
    half = None
    try:
        with fresh_env(registry) as env:
            log("set-up (latency 0, not measured) ...")
            backend_id = set_up(env, sandbox, skus).id
        results, problems = {}, []

        def synced(key, label, server=sandbox, traced=False):
            log(f"{label} ...")
            results[key] = run_sync(registry, server, label, backend_id, traced)
            result = results[key]
            log(
                f"  {result['items']} items, {len(result['pages'])} pages, "
                f"{result['seconds']:.1f} s, {result['requests']} requests"
            )
            if result["remaining"] or result["error"]:
                problems.append(
                    f"{label}: remaining {result['remaining']}, error "
                    f"{result['error'][:200]!r}"
                )
            problems.extend(stock_problems(registry, backend_id, server, label))

        sandbox.set_latency(options.latency)
        log("baseline ...")
        results["baseline"], found = run_baseline(
            registry, sandbox, skus, options.baseline_sample, log
        )
        problems += found
        synced("first", "first read (every level new)")
        synced("steady", "steady state (nothing changed)")
        sandbox.set_latency(0)
        results_changed = receive_share(sandbox, skus, 0)
        sandbox.set_latency(options.latency)
        synced("changed", f"1% changed ({results_changed} SKUs)")
        results["changed"]["changed_skus"] = results_changed

        synced("memory_full", "traced: steady state", traced=True)
        sandbox.set_latency(0)
        count = receive_share(sandbox, skus, CHANGED_SHARE // 2)
        sandbox.set_latency(options.latency)
        synced("memory_changed", f"traced: 1% changed ({count} SKUs)", traced=True)
        results["memory_changed"]["changed_skus"] = count

        # The first half of the SKUs, as they stand, on a sandbox of their own.
        current = sandbox.quantities()
        half_skus = skus[: len(skus) // 2]
        half = start_sandbox(workdir, "half", catalogue(half_skus, current))
        half.set_latency(options.latency)
        synced("memory_half", "traced: steady state, half the SKUs", half, True)
        results["memory_half"]["skus"] = len(half_skus)
        # The levels of the other half are not read, so the check covers half.
        with fresh_env(registry) as env:
            env["shipwire.backend"].browse(backend_id).custom_url = sandbox.url
            env.cr.commit()
        return report(results, problems, options)
    finally:
        sandbox.stop()
        if half:
            half.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10000)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds added to every request"
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=0,
        help="measure the baseline on this many SKUs and extrapolate (default 0: "
        "every SKU when it fits in the time limit)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    options = parser.parse_args(argv)
    if options.skus < 2 * CHANGED_SHARE or options.latency < 0:
        parser.error(f"--skus at least {2 * CHANGED_SHARE}, --latency not negative")
    if options.baseline_sample < 0:
        parser.error("--baseline-sample must not be negative")

    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0

    with (
        tempfile.TemporaryDirectory(prefix="shipwire_stock_") as work,
        throwaway_database(keep=options.keep_db, log=log) as registry,
    ):
        return run(registry, Path(work), options)


if __name__ == "__main__":
    sys.exit(main())
