"""Choosing which warehouses ship which purchase order lines."""

from collections import Counter


def plan_fulfillment(lines, warehouses, stock, can_split):
    """Split ``lines`` into per-warehouse groups.

    ``lines`` is ``[(sku, quantity)]``, ``warehouses`` the warehouse externalIds in
    order of preference, ``stock`` ``{sku: {warehouse: quantity}}``. Returns
    ``(groups, shortage)``: ``groups`` is ``[(warehouse, [(line index, quantity)])]``;
    ``shortage`` is None, or the reason the single group returned cannot be served
    from stock.
    """
    needed = Counter()
    for sku, quantity in lines:
        needed[sku] += quantity
    every_line = [(index, quantity) for index, (_sku, quantity) in enumerate(lines)]

    for warehouse in warehouses:
        if all(
            stock.get(sku, {}).get(warehouse, 0) >= qty for sku, qty in needed.items()
        ):
            return [(warehouse, every_line)], None

    available = {
        sku: sum(stock.get(sku, {}).get(warehouse, 0) for warehouse in warehouses)
        for sku in needed
    }
    short = {sku: qty for sku, qty in needed.items() if available[sku] < qty}
    if can_split and not short:
        return _split_greedily(lines, warehouses, stock), None
    if short:
        reason = "Insufficient stock: " + ", ".join(
            f"{sku} (ordered {qty}, available {available[sku]})"
            for sku, qty in short.items()
        )
    else:
        reason = (
            "Insufficient stock: no single warehouse holds every item "
            "and splitting is not allowed"
        )
    return [(warehouses[0], every_line)], reason


def _split_greedily(lines, warehouses, stock):
    remaining = [quantity for _sku, quantity in lines]
    left = {
        (sku, warehouse): stock.get(sku, {}).get(warehouse, 0)
        for sku, _q in lines
        for warehouse in warehouses
    }
    groups = []
    for warehouse in warehouses:
        taken = []
        for index, (sku, _quantity) in enumerate(lines):
            quantity = min(remaining[index], left[(sku, warehouse)])
            if quantity:
                taken.append((index, quantity))
                remaining[index] -= quantity
                left[(sku, warehouse)] -= quantity
        if taken:
            groups.append((warehouse, taken))
    return groups
