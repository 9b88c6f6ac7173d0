"""The webhook benchmark's judge: every order against what the sandbox holds,
and the jobs run after the burst as the scheduler runs them."""

import collections
import time

from expected_state import (
    SHIPPED_STATUSES,
    active_holds,
    expected_state,
    order_status,
)

# ir.cron calls a job again while it reports work left, this many times at most.
CRON_CALLS = 10
SYNC_JOB = "sale_stock_shipwire.ir_cron_shipwire_sync"


def sandbox_state(sandbox):
    """The sandbox's POs and fulfillment orders (with holds and trackings), read
    over its API."""
    purchase_orders = sandbox.purchase_orders()
    fulfillment_orders = sandbox.orders(expand="holds,trackings")
    by_po = collections.defaultdict(list)
    for fulfillment_order in fulfillment_orders:
        by_po[str(fulfillment_order["purchaseOrderId"])].append(fulfillment_order)
    return {str(po["id"]): po for po in purchase_orders}, by_po


def trackings_of(fulfillment_order):
    embedded = (fulfillment_order.get("trackings") or {}).get("resource") or {}
    return sorted(
        str(item.get("resource", item).get("tracking"))
        for item in embedded.get("items") or []
    )


def compare(env, sandbox, order_ids, moved):
    """Every order against the sandbox: ``{"lost": [...], "wrong": [...],
    "by_kind": Counter, "states": Counter}``. ``moved`` holds the PO ids whose
    orders changed at the sandbox."""
    purchase_orders, fos_by_po = sandbox_state(sandbox)
    env.invalidate_all()
    result = {"lost": [], "wrong": [], "by_kind": collections.Counter()}
    states = collections.Counter()
    for order in env["sale.order"].browse(order_ids):
        purchase_order = order.shipwire_purchase_order_id
        states[order.shipwire_state or "not sent"] += 1
        remote = purchase_orders.get(purchase_order.shipwire_id)
        if remote is None:
            result["by_kind"]["no PO at the sandbox"] += 1
            result["wrong"].append(f"{order.name}: no PO at the sandbox")
            continue
        remote_fos = fos_by_po.get(purchase_order.shipwire_id, [])
        reasons = order_disagreements(order, remote, remote_fos)
        for kind, _text in reasons:
            result["by_kind"][kind] += 1
        if not reasons:
            continue
        text = f"{order.name} (PO {purchase_order.shipwire_id}): " + "; ".join(
            text for _kind, text in reasons
        )
        untouched = all(
            fo.status == "unprocessed" and not fo.tracking_ids
            for fo in purchase_order.fulfillment_order_ids
        ) and purchase_order.shipwire_status in ("approved", False)
        if purchase_order.shipwire_id in moved and untouched:
            result["lost"].append(text)
        else:
            result["wrong"].append(text)
    result["states"] = states
    return result


def order_disagreements(order, remote, remote_fos):
    """``[(kind, text)]``: where the Odoo order differs from the sandbox's PO."""
    purchase_order = order.shipwire_purchase_order_id
    reasons = []
    wanted = expected_state(remote, remote_fos)
    if order.shipwire_state != wanted:
        reasons.append(("state", f"state {order.shipwire_state}, expected {wanted}"))
    if purchase_order.shipwire_status != remote.get("status"):
        reasons.append(
            (
                "PO status",
                f"PO status {purchase_order.shipwire_status}, sandbox "
                f"{remote.get('status')}",
            )
        )
    local = {fo.shipwire_id: fo for fo in purchase_order.fulfillment_order_ids}
    remote_by_id = {str(fo["id"]): fo for fo in remote_fos}
    if set(local) != set(remote_by_id):
        reasons.append(
            (
                "fulfillment orders",
                f"FOs {sorted(local)}, sandbox {sorted(remote_by_id)}",
            )
        )
    for fo_id in sorted(set(local) & set(remote_by_id)):
        reasons += fulfillment_order_disagreements(local[fo_id], remote_by_id[fo_id])
    return reasons


def fulfillment_order_disagreements(local, remote):
    reasons = []
    status = order_status(remote)
    if local.status != status:
        reasons.append(
            ("FO status", f"FO {local.shipwire_id} {local.status}, {status}")
        )
    holds = len(active_holds(remote))
    local_holds = len(local.hold_ids.filtered(lambda hold: not hold.cleared_date))
    if local_holds != holds:
        reasons.append(
            ("holds", f"FO {local.shipwire_id} {local_holds} holds, {holds}")
        )
    numbers = sorted(local.tracking_ids.mapped("tracking_number"))
    if numbers != trackings_of(remote):
        reasons.append(
            (
                "tracking numbers",
                f"FO {local.shipwire_id} trackings {numbers}, {trackings_of(remote)}",
            )
        )
    picking = local.picking_id
    if status in SHIPPED_STATUSES:
        if not (local.delivery_done and picking.state == "done"):
            reasons.append(
                (
                    "delivery not validated",
                    f"FO {local.shipwire_id} shipped, delivery {picking.name} "
                    f"{picking.state}"
                    + (
                        f" ({local.delivery_problem})" if local.delivery_problem else ""
                    ),
                )
            )
    elif status == "cancelled":
        if picking.state != "cancel":
            reasons.append(
                (
                    "delivery not cancelled",
                    f"FO {local.shipwire_id} cancelled, delivery {picking.name} "
                    f"{picking.state}",
                )
            )
    elif picking.state in ("done", "cancel"):
        reasons.append(
            (
                "delivery closed",
                f"FO {local.shipwire_id} {status}, delivery {picking.name} "
                f"{picking.state}",
            )
        )
    return reasons


def run_sync_job(registry, backend_ids):
    """One run of the sync job as ``ir.cron`` runs it: called again while it
    reports work left (an unfinished account), CRON_CALLS times at most."""
    import odoo
    import odoo.sql_db

    queries, started = odoo.sql_db.sql_counter, time.perf_counter()
    calls = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backends = env["shipwire.backend"].browse(backend_ids)
        while calls < CRON_CALLS:
            env["shipwire.sync"]._cron_sync()
            cr.commit()
            calls += 1
            if not any(backends.mapped("sync_resume_key")):
                break
        left = any(backends.mapped("sync_resume_key"))
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "queries": odoo.sql_db.sql_counter - queries,
        "calls": calls,
        "work_left": left,
    }


def run_apply_job(registry):
    """The job that applies the stored deliveries, as the cron worker the burst
    triggered runs it: again while deliveries wait."""
    import odoo
    import odoo.sql_db

    queries, started = odoo.sql_db.sql_counter, time.perf_counter()
    calls = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Event = env["shipwire.webhook.event"]
        while calls < CRON_CALLS:
            Event._cron_apply()
            cr.commit()
            calls += 1
            if not Event.search_count([("state", "=", "pending")]):
                break
        failed = Event.search_count([("state", "=", "failed")])
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "queries": odoo.sql_db.sql_counter - queries,
        "calls": calls,
        "failed": failed,
    }


def sync_triggers(env):
    """Pending triggers of the sync job: catch-up syncs the webhooks asked for."""
    job = env.ref(SYNC_JOB)
    return env["ir.cron.trigger"].search_count([("cron_id", "=", job.id)])
