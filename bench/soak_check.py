"""The soak's final check: every order against what its account's sandbox holds,
with faults off."""

import collections

from expected_state import expected_state, order_status
from soak_settings import NOT_SENT

DISAGREEMENT_KINDS = (
    "state",
    "po_id",
    "po_status",
    "external_id",
    "fulfillment_orders",
)


def final_check(env, accounts, abandoned):
    """Compare every order with its account's sandbox (``soak_driver.Account``s).
    ``abandoned`` holds the orders of the crashed bulk actions: those Shipwire
    holds a PO of were lost to Odoo at the crash ("lost_at_crash"), and those of
    them Odoo now links to Shipwire's PO are "adopted"."""
    env.invalidate_all()
    check = {
        "purchase_orders": 0,
        "fulfillment_orders": 0,
        "extra": [],
        "duplicates": [],
        "lost_at_crash": 0,
        "adopted": 0,
        "final_states": collections.Counter(),
    }
    problems = collections.defaultdict(list)
    for account in accounts:
        check_account(env, account, abandoned, check, problems)
    ids = sorted(order_id for account in accounts for order_id in account.ids)
    check.update(
        missing=problems["missing"],
        left=problems["left"],
        disagreeing=problems["disagreeing"],
        disagreeing_by_kind={kind: len(problems[kind]) for kind in DISAGREEMENT_KINDS},
        **order_notes(env, ids),
    )
    return check


def check_account(env, account, abandoned, check, problems):
    purchase_orders = account.sandbox.purchase_orders()
    fulfillment_orders = account.sandbox.orders(expand="holds")
    check["purchase_orders"] += len(purchase_orders)
    check["fulfillment_orders"] += len(fulfillment_orders)
    by_external_id = collections.defaultdict(list)
    for purchase_order in purchase_orders:
        by_external_id[purchase_order.get("externalId")].append(purchase_order)
    fos_by_po = collections.defaultdict(list)
    for fulfillment_order in fulfillment_orders:
        fos_by_po[fulfillment_order["purchaseOrderId"]].append(fulfillment_order)

    for order in env["sale.order"].browse(sorted(account.ids)):
        state = order.shipwire_state or NOT_SENT
        check["final_states"][state] += 1
        external_id = f"{account.prefix}{order.id}"
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
        if order.id in abandoned:
            check["lost_at_crash"] += 1
            check["adopted"] += order.shipwire_po_id == str(linked["id"])
        reasons = disagreements(
            order, external_id, linked, fos_by_po.get(linked["id"], []), problems
        )
        if reasons:
            problems["disagreeing"].append(
                f"{order.name} ({external_id}): " + "; ".join(reasons)
            )
    expected_ids = {f"{account.prefix}{order_id}" for order_id in account.ids}
    check["extra"] += [
        f"PO {po['id']} ({external_id}) belongs to no order of this account"
        for external_id, pos in by_external_id.items()
        if external_id not in expected_ids
        for po in pos
    ]
    check["duplicates"] += [
        f"{external_id}: POs {', '.join(str(po['id']) for po in pos)}"
        for external_id, pos in by_external_id.items()
        if len(pos) > 1
    ]


def disagreements(order, external_id, linked, remote_fos, problems):
    """Where ``order`` differs from the PO ``linked`` at the sandbox; each kind is
    also counted in ``problems``."""
    state = order.shipwire_state or NOT_SENT
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
    return reasons


def order_notes(env, ids):
    """What the orders show besides their state (not part of the target):
    repeated sends linked, POs the sync linked after their send was lost, error
    messages still open on orders Shipwire holds,
    open Shipwire activities, webhook deliveries Odoo could not apply."""
    env.cr.execute(
        "SELECT count(*) FROM shipwire_message WHERE sale_order_id IN %s "
        "AND text LIKE %s",
        [tuple(ids), "Shipwire already had this PO%"],
    )
    recovered = env.cr.fetchone()[0]
    env.cr.execute(
        "SELECT count(*) FROM shipwire_message WHERE sale_order_id IN %s "
        "AND text LIKE %s",
        [tuple(ids), "Shipwire holds a PO for this order from a send%"],
    )
    adopted_noted = env.cr.fetchone()[0]
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
    env.cr.execute(
        "SELECT state || coalesce(': ' || left(error, 120), ''), count(*) "
        "FROM shipwire_webhook_event GROUP BY 1 ORDER BY 1"
    )
    webhooks_left = dict(env.cr.fetchall())
    return {
        "recovered": recovered,
        "adopted_noted": adopted_noted,
        "open_errors": open_errors,
        "open_activities": open_activities,
        "webhooks_left": webhooks_left,
    }
