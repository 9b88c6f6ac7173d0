"""The soak's report of one run, ending with its ``SOAK RESULT <json>`` line."""

import collections
import json

from harness import log
from soak_settings import (
    BULK_CHUNK,
    FAULT_KINDS,
    FORCED_FAILURE_STATUS,
    SHIP_ROUNDS,
)


def log_summary(path):
    """Counts of ERROR and WARNING lines in a worker's Odoo log, and a few of them."""
    if not path.exists():
        return 0, 0, []
    errors = warnings = 0
    samples = []
    for line in path.read_text(errors="replace").splitlines():
        if " ERROR " in line:
            errors += 1
            if len(samples) < 3:
                samples.append(line[:300])
        elif " WARNING " in line:
            warnings += 1
    return errors, warnings, samples


def log_process_logs(workdir, results):
    """What the workers', the server's and the sandboxes' logs hold."""
    for index in sorted({result.get("worker") for result in results}):
        errors, warnings, samples = log_summary(workdir / f"worker-{index}.log")
        refused = sum(
            result.get("counts", {}).get("errors", 0)
            for result in results
            if result.get("worker") == index
        )
        log(
            f"worker {index} log          : {errors} ERROR, {warnings} WARNING "
            f"lines; {refused} crashed or refused actions"
        )
        for sample in samples:
            log(f"    {sample}")
    errors, warnings, samples = log_summary(workdir / "odoo-server.log")
    log(f"Odoo's server log        : {errors} ERROR, {warnings} WARNING lines")
    for sample in samples:
        log(f"    {sample}")
    for path in sorted(workdir.glob("sandbox-*.log")):
        sandbox_log = path.read_text(errors="replace").splitlines()
        log(f"{path.stem} log          : {len(sandbox_log)} lines")
        for line in sandbox_log[:5]:
            log(f"    {line[:300]}")


def report(
    kind,
    options,
    check,
    results,
    fired,
    stats,
    sandbox_calls,
    converged,
    final_rounds,
    times,
    workdir,
    process_faults,
    accounts,
):
    counts = collections.Counter()
    for result in results:
        counts.update(result.get("counts") or {})
    if final_rounds:  # the jobs of the fault-free final rounds count too
        counts.update({k: v for k, v in final_rounds[2].items() if "job" in k})
    forced = counts["forced_server_errors"]
    mix = fired.copy()
    mix["server_error"] -= forced
    mix_total = sum(mix.values())
    sent = options.orders
    missing, extra = len(check["missing"]), len(check["extra"])
    duplicates, left = len(check["duplicates"]), len(check["left"])
    disagreeing = len(check["disagreeing"])
    crashes = [r["crash"] for r in results if r.get("crash")]
    faults_done = process_faults.summary()
    met = (
        missing + extra == 0
        and duplicates == 0
        and left == 0
        and disagreeing == 0
        and not crashes
        and not faults_done["process_faults_missed"]
    )
    if kind == "single":
        paths = (
            f"single clicks {counts['path_single']}, bulk {counts['path_bulk']} "
            f"(chunks of {BULK_CHUNK}), retry job {counts['path_retry']} "
            f"(first send forced to fail: {forced} HTTP {FORCED_FAILURE_STATUS}; "
            f"{counts['retry_path_not_failed']} did not end failed)"
        )
    else:
        paths = (
            "each of 2 workers sends all: "
            f"{counts['single_actions']} single clicks, {counts['bulk_actions']} "
            "bulk actions in all"
        )
    rounds = ", ".join(
        f"w{r.get('worker', '?')}{' resumed' if r.get('resumed') else ''} "
        f"{r.get('counts', {}).get('rounds', 0)}"
        + (
            f" (+{r['counts']['uncounted_rounds']} not counted)"
            if r.get("counts", {}).get("uncounted_rounds")
            else ""
        )
        + (" killed" if r.get("killed") else "")
        for r in results
    )
    if converged:
        convergence = "converged with faults on"
    elif final_rounds:
        convergence = (
            f"NOT converged with faults on; faults off for final rounds: "
            f"{final_rounds[0]} more, {'converged' if final_rounds[1] else 'still not'}"
        )
    else:
        convergence = "NOT converged"
    outcomes = ", ".join(
        f"{name} {counts[name]}"
        for name in sorted(counts)
        if name.startswith(("single_", "bulk_", "retry_first_send_"))
        and not name.endswith("_actions")
    )
    jobs = ", ".join(
        f"{name} {counts[name]}"
        for name in (
            "retry_job_runs",
            "retry_job_db_conflicts",
            "apply_job_runs",
            "apply_job_db_conflicts",
            "sync_job_runs",
            "sync_shipwire_failures",
            "sync_job_db_conflicts",
            "sync_job_connections_lost",
            "time_travel_conflicts",
        )
    )
    pg_codes = ", ".join(
        f"{name[3:]} {counts[name]}"
        for name in sorted(counts)
        if name.startswith("pg_")
    )
    log("")
    log(f"---- report: run {kind} ----")
    log(f"orders sent              : {sent} ({paths})")
    log(f"send outcomes            : {outcomes or '-'}")
    for result in results:
        if not result.get("after_send"):
            continue
        resumed = " (resumed)" if result.get("resumed") else ""
        log(
            f"after w{result.get('worker')}{resumed}'s sending: "
            + ", ".join(
                f"{state} {n}"
                for state, n in sorted((result.get("after_send") or {}).items())
            )
            + f" ({result.get('send_seconds', 0):.0f} s)"
        )
    log(
        f"POs at sandbox           : {check['purchase_orders']} for {sent} orders "
        f"(missing {missing}, extra {extra}); "
        f"{check['fulfillment_orders']} fulfillment orders"
    )
    log(f"duplicates               : {duplicates}")
    log(f"left failed/unknown      : {left}")
    log(
        f"disagreeing with sandbox : {disagreeing} ("
        + ", ".join(f"{k} {v}" for k, v in check["disagreeing_by_kind"].items())
        + ")"
    )
    log(
        "final Odoo states        : "
        + ", ".join(f"{s} {n}" for s, n in sorted(check["final_states"].items()))
    )
    for event in process_faults.events:
        log(
            f"process fault            : {event['fault']} "
            + ", ".join(
                f"{key} {value}"
                for key, value in event.items()
                if key != "fault" and value != []
            )
        )
    log(f"rounds                   : {rounds}; {convergence}")
    log(f"jobs                     : {jobs}")
    log(f"db conflicts (pgcode)    : {pg_codes or 'none'}")
    log(
        f"shipped at sandbox       : {counts['shipped_at_sandbox']} fulfillment "
        f"orders (waves at rounds {', '.join(map(str, SHIP_ROUNDS))})"
    )
    log(f"repeated sends linked    : {check['recovered']} (duplicate answer: linked)")
    log(
        f"bulk action crashes      : {', '.join(faults_done['bulk_crashes']) or 'none'}"
        f"; Shipwire holds {check['lost_at_crash']} POs of their orders Odoo "
        f"lost, {check['adopted']} of them linked to their orders at the end "
        f"({check['adopted_noted']} orders in all say the sync linked a PO whose "
        "send Odoo had lost)"
    )
    log(
        f"webhooks                 : the sandboxes delivered "
        f"{stats['webhooks_delivered']} ({stats['webhooks_failed']} failed, "
        f"{stats['webhooks_queued']} still queued at the end); the job took "
        f"{counts['webhook_events_taken']} in {counts['webhook_batches']} batches, "
        f"{counts['webhook_mixed_batches']} of them with both accounts' deliveries; "
        f"left in Odoo: {check['webhooks_left'] or 'none'}"
    )
    log(
        "open error messages      : "
        + (
            "; ".join(f"{n} orders: {text!r}" for text, n in check["open_errors"])
            or "none"
        )
        + " (on approved/shipped orders; not part of the target)"
    )
    log(
        "open Shipwire activities : "
        + (
            "; ".join(f"{n} {summary!r}" for summary, n in check["open_activities"])
            or "none"
        )
        + " (not part of the target)"
    )
    log(
        f"wall time                : {times['wall']:.0f} s "
        f"(set-up {times['setup']:.0f} s, workers {times['workers']:.0f} s)"
    )
    # API requests: all requests but the bench's control calls. Under the mix: but
    # the forced failures too (each of which fired a fault).
    api_requests = (stats.get("requests") or 0) - counts["control_requests"]
    api_requests -= sandbox_calls
    mix_requests = api_requests - forced
    log(
        f"faults fired (20% mix)   : {mix_total} of {mix_requests} API requests "
        f"({mix_total / max(mix_requests, 1):.1%}): "
        + ", ".join(f"{k} {mix[k]}" for k in FAULT_KINDS)
        + " (timeout_commit includes the creates held for the kill)"
    )
    log_process_logs(workdir, results)
    for crash in crashes:
        log(f"worker crashed:\n{crash}")
    for name in ("missing", "extra", "duplicates", "left", "disagreeing"):
        for line in check[name][:10]:
            log(f"  {name}: {line}")
        if len(check[name]) > 10:
            log(f"  {name}: ... {len(check[name]) - 10} more")
    log(f"target 0,0,0,0           : {'met' if met else 'missed'}")
    summary = {
        "run": kind,
        "orders": sent,
        "missing": missing,
        "extra": extra,
        "duplicates": duplicates,
        "left_failed": left,
        "disagreeing": disagreeing,
        "requests": api_requests,
        "faulted": sum(fired.values()),
        **faults_done,
        "linked_repeats": check["recovered"],
        "lost_at_crash": check["lost_at_crash"],
        "adopted": check["adopted"],
        "accounts": accounts,
        "webhooks_delivered": stats["webhooks_delivered"],
        "webhook_mixed_batches": counts["webhook_mixed_batches"],
        "converged_with_faults": converged,
        "wall_seconds": round(times["wall"]),
        "met": met,
    }
    log("SOAK RESULT " + json.dumps(summary))
    return 0 if met else 1
