"""The sync benchmark's report (see sync.py), ending with its ``SYNC RESULT <json>``
line."""

import json

REQUEST_TARGET = 20
WALL_TARGET = 10
# A sync whose SQL grew per order would add at least one query per order; the
# batched store is allowed a quarter of that (50 queries per 200-PO batch).
SQL_PER_ORDER_LIMIT = 0.25
# Query counts of full batches may differ by this factor at most.
BATCH_SPREAD_LIMIT = 1.5
# Validating one shipped fulfillment order's delivery, at most.
FOLLOW_UP_QUERY_LIMIT = 20
# A no-change batch with --history takes this factor of one without, at most.
HISTORY_BATCH_LIMIT = 1.5


def _row(result):
    per_order = result["queries"] / result["orders"] if result["orders"] else 0
    return (
        f"{result['label']:<34}{result['orders']:>7}{result['seconds']:>10.2f}"
        f"{result['requests']:>9}{result['queries']:>9}{per_order:>8.2f}"
    )


def batch_line(result):
    batches = result["batches"]
    sizes = ", ".join(f"{size}:{queries}" for size, queries, _s in batches)
    outside = result["queries"] - sum(queries for _n, queries, _s in batches)
    return (
        f"  {result['label']}: {len(batches)} batch(es) POs:queries [{sizes}]; "
        f"{outside} queries outside batches; {result['runs']} cron run(s); "
        f"listing + commits {result['seconds'] - result['store_seconds']:.2f} s, "
        f"storing {result['store_seconds']:.2f} s"
    )


def full_batch_queries(result):
    return [
        queries for size, queries, _s in result["batches"] if size == max_batch(result)
    ]


def max_batch(result):
    return max((size for size, _q, _s in result["batches"]), default=0)


def per_batch(result, key="store_seconds"):
    """Seconds per batch of a sync run: storing only, or wall time."""
    return result[key] / max(1, len(result["batches"]))


def figures(result):
    """What SYNC RESULT says of one run: every figure of its table row."""
    keys = (
        "label",
        "orders",
        "seconds",
        "requests",
        "queries",
        "runs",
        "stored",
        "store_seconds",
        "follow_up_queries",
        "follow_up_records",
        "follow_up_seconds",
    )
    out = {key: result[key] for key in keys if key in result}
    out["queries_per_order"] = result["queries"] / max(1, result["orders"])
    if "batches" in result:
        out["batches"] = [
            [size, queries, round(seconds, 4)]
            for size, queries, seconds in result["batches"]
        ]
    return {
        key: round(value, 4) if isinstance(value, float) else value
        for key, value in out.items()
    }


def report(results, problems, shipped_count, fo_count, options, history=None):
    base_b, sync_b = results["baseline_b"], results["sync_b"]
    base_a, sync_a = results["baseline_a"], results["sync_a"]
    small_b, small_a = results["small_b"], results["small_a"]
    resync = results["resync"]
    before = results.get("before_history")

    print()
    print(
        f"{options.orders} POs ({fo_count} fulfillment orders), latency "
        f"{options.latency * 1000:.0f} ms per request; small account "
        f"{options.small_orders} POs"
        + (f"; {options.history} old shipped orders of history" if history else "")
    )
    print(f"{'run':<34}{'orders':>7}{'wall s':>10}{'HTTP':>9}{'SQL':>9}{'SQL/ord':>8}")
    print("no change (every PO open, nothing new at Shipwire)")
    for result in filter(None, (before, base_b, sync_b, small_b)):
        print(_row(result))
    print(f"30% shipped ({shipped_count} FOs completed with a tracking number)")
    for result in (base_a, sync_a, small_a, resync, results["reconcile"]):
        print(_row(result))
    print()
    print("SQL per batch (batch size: queries, commits excluded):")
    for result in filter(None, (before, sync_b, small_b, sync_a, small_a, resync)):
        print(batch_line(result))
    for result in (base_a, sync_a, small_a):
        records = result["follow_up_records"]
        if records:
            print(
                f"  {result['label']}: delivery follow-up of {records} changed FOs: "
                f"{result['follow_up_queries']} queries "
                f"({result['follow_up_queries'] / records:.0f} per FO); the rest "
                f"{result['queries'] - result['follow_up_queries']}"
            )

    checks = []

    def check(name, text, value, met):
        checks.append({"name": name, "text": text, "value": value, "met": met})

    def ratio(baseline, sync, key):
        return baseline[key] / sync[key] if sync[key] else float("inf")

    def ratio_text(name, baseline, sync, key, target=None):
        digits = 2 if key == "seconds" else 0
        text = (
            f"{name}: {baseline[key]:.{digits}f} / {sync[key]:.{digits}f} = "
            f"{ratio(baseline, sync, key):.1f}x"
        )
        return text + (f" (target >= {target}x)" if target else "")

    def ratio_check(name, title, baseline, sync, key, target):
        value = ratio(baseline, sync, key)
        check(
            name,
            ratio_text(title, baseline, sync, key, target),
            round(value, 2),
            value >= target,
        )

    # The requirement's figure: every open PO resynced, nothing new at Shipwire.
    ratio_check(
        "no_change_requests_ratio",
        "HTTP requests, no-change resync",
        base_b,
        sync_b,
        "requests",
        REQUEST_TARGET,
    )
    ratio_check(
        "no_change_wall_ratio",
        "wall time, no-change resync",
        base_b,
        sync_b,
        "seconds",
        WALL_TARGET,
    )
    ratio_check(
        "shipped_requests_ratio",
        "HTTP requests, 30% shipped",
        base_a,
        sync_a,
        "requests",
        REQUEST_TARGET,
    )
    ratio_check(
        "shipped_wall_ratio",
        "wall time, 30% shipped",
        base_a,
        sync_a,
        "seconds",
        WALL_TARGET,
    )
    per_fo = sync_a["follow_up_queries"] / max(1, shipped_count)
    check(
        "shipped_follow_up_queries_per_fo",
        f"delivery follow-up, 30% shipped sync: {sync_a['follow_up_queries']} "
        f"queries / {shipped_count} shipped FOs = {per_fo:.1f} per shipped FO "
        f"(target <= {FOLLOW_UP_QUERY_LIMIT})",
        round(per_fo, 2),
        per_fo <= FOLLOW_UP_QUERY_LIMIT,
    )
    reconcile = results["reconcile"]
    ratio_check(
        "reconcile_requests_ratio",
        "HTTP requests, reconcile of every open PO (against the no-change baseline)",
        base_b,
        reconcile,
        "requests",
        REQUEST_TARGET,
    )
    # Per-order growth of SQL in the no-change resync, between the two accounts.
    extra_orders = sync_b["orders"] - small_b["orders"]
    slope = (sync_b["queries"] - small_b["queries"]) / extra_orders
    check(
        "no_change_sql_per_extra_order",
        f"SQL growth, no-change resync: ({sync_b['queries']} - "
        f"{small_b['queries']}) / {extra_orders} orders = {slope:.3f} queries per "
        f"extra order, {slope * 200:.0f} per 200-PO batch "
        f"(target <= {SQL_PER_ORDER_LIMIT})",
        round(slope, 4),
        slope <= SQL_PER_ORDER_LIMIT,
    )
    full = full_batch_queries(sync_b)
    spread = max(full) / max(1, min(full)) if full else 1.0
    check(
        "no_change_batch_spread",
        f"SQL per full batch, no-change resync: {min(full, default=0)}.."
        f"{max(full, default=0)} (spread {spread:.2f}, target <= "
        f"{BATCH_SPREAD_LIMIT})",
        round(spread, 3),
        spread <= BATCH_SPREAD_LIMIT,
    )
    if before:
        growth = per_batch(sync_b) / max(1e-9, per_batch(before))
        check(
            "history_batch_ratio",
            f"storing time per 200-PO batch, no-change sync with "
            f"{options.history} orders of history / before: "
            f"{per_batch(sync_b):.3f} / {per_batch(before):.3f} s = {growth:.2f}x "
            f"(target <= {HISTORY_BATCH_LIMIT}x; wall time per batch "
            f"{per_batch(sync_b, 'seconds'):.3f} / "
            f"{per_batch(before, 'seconds'):.3f} s)",
            round(growth, 3),
            growth <= HISTORY_BATCH_LIMIT,
        )

    print()
    print("30% shipped, not targets (one delivery validated per shipped FO):")
    without = {
        name: {"seconds": result["seconds"] - result["follow_up_seconds"]}
        for name, result in (("baseline", base_a), ("sync", sync_a))
    }
    print(
        "  "
        + ratio_text(
            "wall time without delivery follow-up",
            without["baseline"],
            without["sync"],
            "seconds",
        )
        + f" (follow-up: baseline {base_a['follow_up_seconds']:.1f} s, sync "
        f"{sync_a['follow_up_seconds']:.1f} s)"
    )
    rest_large = sync_a["queries"] - sync_a["follow_up_queries"]
    rest_small = small_a["queries"] - small_a["follow_up_queries"]
    print(
        f"  SQL without the delivery follow-up: ({rest_large} - {rest_small}) / "
        f"{extra_orders} = {(rest_large - rest_small) / extra_orders:.3f} queries "
        "per extra order (chatter tracking of changed orders and pickings)"
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
        "orders": options.orders,
        "small_orders": options.small_orders,
        "fulfillment_orders": fo_count,
        "shipped_fulfillment_orders": shipped_count,
        "latency": options.latency,
        "history": options.history,
        "history_rows": sum(history[0].values()) if history else 0,
        "history_seconds": round(history[1], 1) if history else 0,
        "runs": {key: figures(result) for key, result in results.items()},
        "targets": {
            item["name"]: {"value": item["value"], "met": item["met"]}
            for item in checks
        },
        "problems": problems,
        "ok": ok,
    }
    print("SYNC RESULT " + json.dumps(summary, sort_keys=True), flush=True)
    return 0 if ok else 1
