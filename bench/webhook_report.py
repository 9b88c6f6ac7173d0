"""The webhook benchmark's report (see webhooks.py), ending with its
``WEBHOOK RESULT <json>`` line."""

import collections
import json

from webhook_burst import percentile, server_figures
from webhook_deliveries import topic_kind

P99_TARGET = 2.0
# Webhooks per second against requests per second of Odoo's bare health route,
# the same senders on the same server in the same run, at least.
RATIO_TARGET = 0.6


def comparison_figures(result):
    return {
        "lost": len(result["lost"]),
        "wrong": len(result["wrong"]),
        "by_kind": dict(result["by_kind"]),
        "states": dict(result["states"]),
    }


def report(options, measured):
    """``measured``: the deliveries, the burst and its wall time, the health
    bursts, Odoo's log, the comparisons and jobs after the burst, the load."""
    deliveries, burst, wall = (
        measured["deliveries"],
        measured["burst"],
        measured["wall"],
    )
    server_log, triggers = measured["server_log"], measured["triggers"]
    after_webhooks, after_cron = measured["after_webhooks"], measured["after_cron"]
    cron, applied, load = measured["cron"], measured["applied"], measured["load"]
    health = measured["health"]
    times = [seconds for seconds, _status in burst.answers]
    statuses = collections.Counter(
        str(status) if status is not None else "no answer"
        for _seconds, status in burst.answers
    )
    answers_5xx = sum(
        count for status, count in statuses.items() if status.startswith("5")
    )
    throughput = len(deliveries) / wall if wall else 0.0
    health_rate = sum(run["rate"] for run in health) / len(health)
    ratio = throughput / health_rate if health_rate else 0.0
    p50, p95, p99 = (percentile(times, share) for share in (0.5, 0.95, 0.99))
    server = server_figures(server_log)
    retried = server["serialization_retries"]
    gave_up = server_log.count("maximum number of tries reached")
    tracking = sum(1 for d in deliveries if topic_kind(d.topic) == "tracking")
    stock = sum(1 for d in deliveries if topic_kind(d.topic) == "stock")
    figures = {
        "orders": options.orders,
        "webhooks": len(deliveries),
        "tracking_created": tracking,
        "status_changes": len(deliveries) - tracking - stock,
        "stock_transitions": stock,
        "left_out": dict(measured["left_out"]),
        "accounts": measured["accounts"],
        "repeated": sum(1 for d in deliveries if d.repeat),
        "out_of_order": sum(1 for d in deliveries if d.late and not d.repeat),
        "senders": options.senders,
        "workers": options.workers,
        "load_average": [round(value, 2) for value in load],
        "requests": len(burst.answers),
        "redeliveries": len(burst.answers) - len(deliveries),
        "failed_deliveries": len(burst.failed),
        "wall_seconds": round(wall, 2),
        "throughput": round(throughput, 1),
        "health_throughput": round(health_rate, 1),
        "health_runs": health,
        "throughput_ratio": round(ratio, 3),
        "p50": round(p50, 3),
        "p95": round(p95, 3),
        "p99": round(p99, 3),
        "max": round(max(times, default=0.0), 3),
        "answers": dict(statuses),
        "answers_5xx": answers_5xx,
        "client_errors": dict(burst.errors),
        "server": server,
        "serialization_gave_up": gave_up,
        "sync_triggers": triggers,
        "after_webhooks": comparison_figures(after_webhooks),
        "sync_job": cron,
        "apply_job": applied,
        "after_sync_job": comparison_figures(after_cron),
    }

    print()
    print(
        f"{figures['webhooks']} webhooks ({tracking} tracking.created, "
        f"{figures['status_changes']} status changes"
        + (f", {stock} stock transitions" if stock else "")
        + f"; {figures['repeated']} repeated, "
        f"{figures['out_of_order']} out of order) for {options.orders} orders of "
        f"{measured['accounts']} accounts, {options.senders} senders, Odoo with "
        f"{options.workers} workers; load average {load[0]:.2f} before the "
        f"bursts, {load[1]:.2f} after"
    )
    print(
        f"  wall {wall:.2f} s, {throughput:.1f} webhooks/s; answer time p50 "
        f"{p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {figures['max'] * 1000:.0f} ms"
    )
    print(
        "  /web/health, same senders and count: "
        + " and ".join(f"{run['rate']:.1f}/s" for run in health)
        + f" (before and after the burst, answers {health[0]['answers']}); "
        f"webhooks / health = {throughput:.1f} / {health_rate:.1f} = {ratio:.2f}"
    )
    print(
        f"  {len(burst.answers)} requests ({figures['redeliveries']} redeliveries); "
        f"answers {dict(sorted(statuses.items()))}; client errors "
        f"{dict(burst.errors) or 'none'}; {len(burst.failed)} deliveries never "
        "answered 2xx"
    )
    print(
        f"  in Odoo's workers ({server['requests']} requests logged): p50 "
        f"{server['worker_p50'] * 1000:.0f} ms, p95 {server['worker_p95'] * 1000:.0f}"
        f" ms, p99 {server['worker_p99'] * 1000:.0f} ms; {server['worker_seconds']} s"
        f" in all, {server['sql_seconds']} s of it in SQL; "
        f"{server['queries_per_request']} queries per request"
    )
    for line in server["first_problems"]:
        print(f"  Odoo logged: {line}")
    print(
        f"  Odoo retried {retried} requests after a serialization failure, waiting "
        f"{server['retry_wait_seconds']} s in all before the retries ({gave_up} gave "
        f"up); {triggers} catch-up syncs asked for"
    )
    for title, result in (
        ("after the webhooks alone (not a target)", after_webhooks),
        ("after one run of the sync job", after_cron),
    ):
        print(
            f"  {title}: {len(result['lost'])} lost, {len(result['wrong'])} wrong "
            f"orders; states {dict(sorted(result['states'].items()))}"
        )
        if result["by_kind"]:
            print(f"    disagreements: {dict(result['by_kind'].most_common())}")
        for text in (result["lost"] + result["wrong"])[:5]:
            print(f"    e.g. {text}")
    print(
        f"  apply job: {applied['calls']} call(s), {applied['seconds']} s, "
        f"{applied['queries']} queries, {applied['failed']} deliveries not applied"
    )
    print(
        f"  sync job: {cron['calls']} call(s), {cron['seconds']} s, "
        f"{cron['queries']} queries" + (", work left" if cron["work_left"] else "")
    )

    bad = len(after_cron["lost"]) + len(after_cron["wrong"])
    checks = [
        (
            f"lost or wrong orders after the webhooks and one sync job run: "
            f"{len(after_cron['lost'])} lost, {len(after_cron['wrong'])} wrong "
            "(target 0)",
            bad == 0,
        ),
        (f"answers 5xx: {answers_5xx} (target 0)", answers_5xx == 0),
        (f"p99 answer time: {p99:.2f} s (target <= {P99_TARGET} s)", p99 <= P99_TARGET),
        (
            f"throughput: {throughput:.1f} webhooks/s = {ratio:.2f} of "
            f"{health_rate:.1f} /web/health requests/s (target >= {RATIO_TARGET})",
            ratio >= RATIO_TARGET,
        ),
    ]
    print()
    for text, met in checks:
        print(f"{'met   ' if met else 'MISSED'} {text}")
    ok = all(met for _text, met in checks)
    print(f"targets: {'all met' if ok else 'NOT all met'}")
    figures["ok"] = ok
    print("WEBHOOK RESULT " + json.dumps(figures, sort_keys=True), flush=True)
    return 0 if ok else 1
