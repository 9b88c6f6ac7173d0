"""Following open receivings: one run of the receiving sync against reading each
receiving on its own (``GET /receivings/{id}?expand=items,holds``, sequentially,
through the client, nothing stored: a lower bound of a per-receiving refresh).

Set-up, at latency 0 and not measured: the receipts are announced through the
module's Send to Shipwire (the clerk's button, a hundred receipts a press), one
sync run reads them all back, then a share of them receive units at the dock.
Measured at ``latency`` per request: the sync run, then the baseline."""

import time

from harness import log
from probes import fresh_env, query_probe
from profile_summary import inclusive_shares, profiled
from receiving_fixture import create_receipts, set_up, start_sandbox

SKUS = [f"FOL-{index:02d}" for index in range(10)]
SEND_CHUNK = 100
CHANGED_SHARE = 10  # one receiving in 10 receives units
REQUEST_TARGET = 20
WALL_TARGET = 10
PROFILE_TOP = 40


def send_all(registry, account, receipt_ids):
    """Every receipt announced by the clerk's button, a chunk a press."""
    for start in range(0, len(receipt_ids), SEND_CHUNK):
        with fresh_env(registry) as env:
            clerk_env = env(user=account.clerk.id)
            receipts = clerk_env["stock.picking"].browse(
                receipt_ids[start : start + SEND_CHUNK]
            )
            receipts.action_shipwire_send_receiving()
            env.cr.commit()


def run_sync(registry, backend_id):
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].browse(backend_id)
        done = env["shipwire.inbound.sync"]._sync(backend)
        env.cr.commit()
        return done


def change_share(sandbox, registry, backend_id):
    """One receiving in CHANGED_SHARE receives the units of its first item."""
    with fresh_env(registry) as env:
        receivings = env["shipwire.receiving"].search(
            [("backend_id", "=", backend_id)], order="id"
        )
        changed = receivings[::CHANGED_SHARE]
        targets = [
            (r.shipwire_id, r.line_ids.sorted("id")[:1].read(["sku", "expected"])[0])
            for r in changed
        ]
    for shipwire_id, line in targets:
        sandbox.control(
            "POST",
            f"/receivings/{shipwire_id}/receive",
            {"sku": line["sku"], "good": line["expected"]},
        )
    return len(targets)


def measured_sync(registry, sandbox, backend_id, profile_path):
    stored = []
    sync_class = registry["shipwire.inbound.sync"]
    with query_probe(sync_class, "_store_page", stored), profiled(profile_path):
        requests = sandbox.request_count()
        started = time.perf_counter()
        done = run_sync(registry, backend_id)
        seconds = time.perf_counter() - started
        requests = sandbox.request_count() - requests
    return {
        "receivings": done,
        "requests": requests,
        "seconds": round(seconds, 3),
        "pages": len(stored),
        "store_seconds": round(sum(s for _n, _q, s in stored), 3),
        "store_queries": sum(q for _n, q, _s in stored),
    }


def measured_baseline(registry, sandbox, backend_id):
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].browse(backend_id)
        ids = (
            env["shipwire.receiving"]
            .search([("backend_id", "=", backend_id)], order="id")
            .mapped("shipwire_id")
        )
        client = backend._make_client()
    try:
        requests = sandbox.request_count()
        started = time.perf_counter()
        read = [client.get_receiving(shipwire_id, "items,holds") for shipwire_id in ids]
        seconds = time.perf_counter() - started
        requests = sandbox.request_count() - requests
    finally:
        client.close()
    return {"receivings": len(read), "requests": requests, "seconds": round(seconds, 3)}


def follow(registry, workdir, count, latency, profile_path=None):
    sandbox = start_sandbox(workdir, "follow", SKUS)
    try:
        with fresh_env(registry) as env:
            log(f"follow: {count} receipts ...")
            account = set_up(env, sandbox, "fol", SKUS)
            backend_id = account.backend.id
            receipt_ids = create_receipts(env, account, count, seed=7)
        started = time.perf_counter()
        send_all(registry, account, receipt_ids)
        log(f"  sent through the button in {time.perf_counter() - started:.0f} s")
        run_sync(registry, backend_id)
        with fresh_env(registry) as env:
            env.cr.execute(
                "SELECT COUNT(*) FROM shipwire_receiving WHERE backend_id = %s "
                "AND state = 'processed' AND shipwire_id IS NOT NULL",
                [backend_id],
            )
            announced = env.cr.fetchone()[0]
        changed = change_share(sandbox, registry, backend_id)
        sandbox.set_latency(latency)
        log(f"  {announced} announced, {changed} changed; sync run ...")
        sync = measured_sync(registry, sandbox, backend_id, profile_path)
        log(f"  sync: {sync}")
        unchanged = measured_sync(registry, sandbox, backend_id, None)
        log(f"  sync again, nothing changed: {unchanged}")
        log("  baseline: a read per receiving ...")
        baseline = measured_baseline(registry, sandbox, backend_id)
        log(f"  baseline: {baseline}")
        sandbox.set_latency(0)
        with fresh_env(registry) as env:
            env.cr.execute(
                "SELECT COUNT(*) FROM shipwire_receiving_line l "
                "JOIN shipwire_receiving r ON r.id = l.receiving_id "
                "WHERE r.backend_id = %s AND l.good > 0 AND l.booked_good = l.good",
                [backend_id],
            )
            booked = env.cr.fetchone()[0]
    finally:
        sandbox.stop()
    profile = {}
    if profile_path:
        samples, shares = inclusive_shares(profile_path, "_store_page", PROFILE_TOP)
        profile = {
            "samples_in_store_page": samples,
            "shares": [[share, name] for share, name in shares if share < 1],
        }
    request_ratio = baseline["requests"] / max(sync["requests"], 1)
    wall_ratio = baseline["seconds"] / max(sync["seconds"], 1e-9)
    return {
        "receivings": count,
        "announced": announced,
        "changed": changed,
        "profile": profile,
        "changed_booked": booked,
        "latency": latency,
        "sync": sync,
        "sync_unchanged": unchanged,
        "baseline": baseline,
        "request_ratio": round(request_ratio, 1),
        "wall_ratio": round(wall_ratio, 1),
        "targets": {
            "requests": {
                "value": round(request_ratio, 1),
                "met": request_ratio >= REQUEST_TARGET,
            },
            "wall": {"value": round(wall_ratio, 1), "met": wall_ratio >= WALL_TARGET},
            "changed_booked": {"value": booked, "met": booked == changed},
        },
    }
