"""The soak's final check: every order against what the sandbox holds, with
faults off."""

import collections

from expected_state import expected_state, order_status
from soak_settings import NOT_SENT


def final_check(env, sandbox, ids, prefix):
    """Compare every order with the sandbox (faults off)."""
    purchase_orders = sandbox.purchase_orders()
    fulfillment_orders = sandbox.orders(expand="holds")
    by_external_id = collections.defaultdict(list)
    for purchase_order in purchase_orders:
        by_external_id[purchase_order.get("externalId")].append(purchase_order)
    fos_by_po = collections.defaultdict(list)
    for fulfillment_order in fulfillment_orders:
        fos_by_po[fulfillment_order["purchaseOrderId"]].append(fulfillment_order)

    env.invalidate_all()
    orders = env["sale.order"].browse(ids)
    expected_ids = {f"{prefix}{order_id}" for order_id in ids}
    problems = collections.defaultdict(list)
    final_states = collections.Counter()
    for order in orders:
        state = order.shipwire_state or NOT_SENT
        final_states[state] += 1
        external_id = f"{prefix}{order.id}"
        if state in ("failed", NOT_SENT):
            problems["left"].append(f"{order.name} ({external_id}) is {state}")
        at_sandbox = by_external_id.get(external_id, [])
        if not at_sandbox:
            problems["missing"].append(f"{order.name} ({external_id}) has no PO")
            continue
        linked = next(
            (po for po in at_sandbox if str(po["id"]) == order.shipwire_po_id),
            at_sandbox[0],
        )
        remote_fos = fos_by_po.get(linked["id"], [])
        wanted = expected_state(linked, remote_fos)
        reasons = []
        if order.shipwire_state != wanted:
            delivery_problems = [
                problem
                for problem in order.shipwire_fulfillment_order_ids.mapped(
                    "delivery_problem"
                )
                if problem
            ]
            reasons.append(
                f"state {state}, sandbox says {wanted}"
                + "".join(f" (delivery: {problem})" for problem in delivery_problems)
            )
            problems["state"].append(order.id)
        if order.shipwire_po_id != str(linked["id"]):
            reasons.append(f"PO id {order.shipwire_po_id}, sandbox {linked['id']}")
            problems["po_id"].append(order.id)
        if order.shipwire_po_status != linked.get("status"):
            reasons.append(
                f"PO status {order.shipwire_po_status}, sandbox {linked.get('status')}"
            )
            problems["po_status"].append(order.id)
        if order.shipwire_external_id and order.shipwire_external_id != external_id:
            reasons.append(f"externalId {order.shipwire_external_id}")
            problems["external_id"].append(order.id)
        local = sorted(
            (fo.shipwire_id, fo.status) for fo in order.shipwire_fulfillment_order_ids
        )
        remote = sorted((str(fo["id"]), order_status(fo)) for fo in remote_fos)
        if local != remote:
            reasons.append(f"fulfillment orders {local}, sandbox {remote}")
            problems["fulfillment_orders"].append(order.id)
        if reasons:
            problems["disagreeing"].append(
                f"{order.name} ({external_id}): " + "; ".join(reasons)
            )
    extra = [
        f"PO {po['id']} ({external_id}) belongs to no order of this run"
        for external_id, pos in by_external_id.items()
        if external_id not in expected_ids
        for po in pos
    ]
    duplicates = [
        f"{external_id}: POs {', '.join(str(po['id']) for po in pos)}"
        for external_id, pos in by_external_id.items()
        if len(pos) > 1
    ]
    env.cr.execute(
        "SELECT count(*) FROM shipwire_message WHERE sale_order_id IN %s "
        "AND text LIKE %s",
        [tuple(ids), "Shipwire already had this PO%"],
    )
    recovered = env.cr.fetchone()[0]
    # Not part of the target: error messages still open on orders Shipwire holds.
    env.cr.execute(
        """
        SELECT CASE WHEN m.text LIKE 'Sync failed:%%' THEN 'Sync failed: ...'
                    ELSE left(m.text, 45) || '...' END,
               count(DISTINCT m.sale_order_id)
          FROM shipwire_message m JOIN sale_order so ON so.id = m.sale_order_id
         WHERE so.id IN %s AND m.severity = 'error' AND m.resolved IS NOT TRUE
           AND so.shipwire_state IN %s
         GROUP BY 1 ORDER BY 2 DESC
        """,
        [tuple(ids), ("approved", "partially_shipped", "shipped")],
    )
    open_errors = env.cr.fetchall()
    env.cr.execute(
        """
        SELECT a.summary, count(*) FROM mail_activity a
         WHERE a.res_model = 'sale.order' AND a.res_id IN %s
           AND a.summary LIKE 'Shipwire: %%'
         GROUP BY 1 ORDER BY 2 DESC
        """,
        [tuple(ids)],
    )
    open_activities = env.cr.fetchall()
    return {
        "purchase_orders": len(purchase_orders),
        "fulfillment_orders": len(fulfillment_orders),
        "missing": problems["missing"],
        "extra": extra,
        "duplicates": duplicates,
        "left": problems["left"],
        "disagreeing": problems["disagreeing"],
        "disagreeing_by_kind": {
            kind: len(problems[kind])
            for kind in (
                "state",
                "po_id",
                "po_status",
                "external_id",
                "fulfillment_orders",
            )
        },
        "final_states": final_states,
        "recovered": recovered,
        "open_errors": open_errors,
        "open_activities": open_activities,
    }
