"""The soak's comparison of Odoo with the sandbox, faults off: receivings per
receipt at Shipwire, what each receipt chain booked against Shipwire's final
counts, on-hand per warehouse against Shipwire's stock, and the inventory
adjustments made after the stock baseline."""

from collections import Counter, defaultdict

from probes import fresh_env
from receiving_fixture import WAREHOUSES


def _sandbox_state(sandbox):
    client = sandbox.client()
    try:
        receivings = client.search_receivings(expand="items")
        stock = [item for page in client.stock_pages() for item in page]
    finally:
        client.close()
    return receivings, stock


def _items(receiving):
    entries = ((receiving.get("items") or {}).get("resource") or {}).get("items") or []
    counts = defaultdict(lambda: [0, 0])
    for entry in entries:
        item = entry.get("resource", entry)
        counts[item["sku"]][0] += item["good"]
        counts[item["sku"]][1] += item["damaged"]
    return counts


def soak_figures(registry, sandbox, account, receipt_ids, baseline_move):
    receivings, stock = _sandbox_state(sandbox)
    by_external_id = defaultdict(list)
    for receiving in receivings:
        by_external_id[receiving.get("externalId")].append(receiving)
    problems = []
    with fresh_env(registry) as env:
        backend = env["shipwire.backend"].browse(account.backend.id)
        prefix = backend.external_id_prefix
        receipts = env["stock.picking"].browse(receipt_ids)
        wanted = {f"{prefix}R{receipt.id}": receipt for receipt in receipts}
        duplicates = sum(len(found) - 1 for found in by_external_id.values() if found)
        missing = [e for e in wanted if e not in by_external_id]
        strangers = [e for e in by_external_id if e not in wanted]
        wrong_bookings = 0
        wrong_states = Counter()
        for external_id, receipt in wanted.items():
            found = by_external_id.get(external_id) or [{}]
            remote = found[-1]
            odoo = receipt.shipwire_receiving_id
            status = str(remote.get("status", "missing")).replace(
                "canceled", "cancelled"
            )
            if odoo.state != status:
                wrong_states[f"{odoo.state or 'none'} for {status}"] += 1
            damaged_location = backend._shipwire_damaged_location(
                receipt.picking_type_id.warehouse_id
            )
            booked = defaultdict(lambda: [0, 0])
            for line in (odoo.picking_ids or receipt).move_line_ids:
                if line.state == "done":
                    column = int(line.location_dest_id == damaged_location)
                    booked[line.product_id.default_code][column] += line.quantity
            counts = _items(remote)
            for sku in set(booked) | set(counts):
                if list(booked[sku]) != list(counts[sku]):
                    wrong_bookings += 1
                    if len(problems) < 10:
                        problems.append(
                            f"{receipt.name} {sku}: booked good/damaged "
                            f"{booked[sku]}, Shipwire {counts[sku]} ({status})"
                        )
        shipwire_on_hand = {
            (item["sku"], item["warehouseExternalId"]): item["good"]
            + item["reserved"]
            + item["shipping"]
            for item in (entry.get("resource", entry) for entry in stock)
        }
        wrong_on_hand = 0
        codes = [code for _id, code, _name in WAREHOUSES]
        warehouses = env["stock.warehouse"].browse(account.warehouses.ids)
        for warehouse, code in zip(warehouses, codes, strict=True):
            location = warehouse.lot_stock_id
            for product in env["product.product"].browse(account.products.ids):
                odoo = product.with_context(location=location.id).qty_available
                remote = shipwire_on_hand.get((product.default_code, code), 0)
                if odoo != remote:
                    wrong_on_hand += 1
                    problems.append(
                        f"on hand {product.default_code}@{code}: Odoo {odoo}, "
                        f"Shipwire {remote}"
                    )
        env.cr.execute(
            "SELECT COUNT(*) FROM stock_move WHERE is_inventory AND id > %s "
            "AND product_id IN %s",
            [baseline_move, tuple(account.products.ids)],
        )
        adjustments = env.cr.fetchone()[0]
    return {
        "sandbox_receivings": len(receivings),
        "duplicates": duplicates,
        "missing": len(missing),
        "strangers": len(strangers),
        "wrong_bookings": wrong_bookings,
        "wrong_states": dict(wrong_states),
        "wrong_on_hand": wrong_on_hand,
        "inventory_adjustments": adjustments,
        "problems": problems,
        "targets": {
            "duplicates": {"value": duplicates, "met": duplicates == 0},
            "missing": {"value": len(missing), "met": not missing},
            "wrong_bookings": {"value": wrong_bookings, "met": wrong_bookings == 0},
            "wrong_on_hand": {"value": wrong_on_hand, "met": wrong_on_hand == 0},
            "inventory_adjustments": {"value": adjustments, "met": adjustments == 0},
        },
    }
