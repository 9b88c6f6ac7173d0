"""The products and warehouses a sandbox starts with.

A catalogue is ``{"warehouses": [{id, externalId, name, region}], "stock": {sku:
{warehouse externalId: quantity}}, "descriptions": {sku: text}, "bundles": [sku],
"aliases": [sku]}``; the last three are optional. A SKU is known when it appears in
"stock", even with no quantity anywhere; its quantities are the units in good
condition each warehouse starts with.
"""

import copy

BIG = 1_000_000

DEMO_CATALOGUE = {
    "warehouses": [
        {"id": 10, "externalId": "LAX", "name": "Los Angeles", "region": "LAX"},
        {"id": 20, "externalId": "PHL", "name": "Philadelphia", "region": "PHL"},
        {"id": 30, "externalId": "TOR", "name": "Toronto", "region": "TOR"},
    ],
    "stock": {
        "DIAMOND-1": {"LAX": BIG, "PHL": BIG, "TOR": BIG},
        "RUBY-2": {"LAX": BIG, "PHL": BIG},
        "EMERALD-3": {"LAX": BIG, "PHL": BIG},
        "ONLY-LAX": {"LAX": BIG},
        "ONLY-PHL": {"PHL": BIG},
        "SCARCE-1": {"LAX": 5, "PHL": 5},
        "SOLD-OUT": {},
    },
    "descriptions": {
        "DIAMOND-1": "Diamond ring",
        "RUBY-2": "Ruby pendant",
        "EMERALD-3": "Emerald earrings",
        "ONLY-LAX": "Stocked in Los Angeles only",
        "ONLY-PHL": "Stocked in Philadelphia only",
        "SCARCE-1": "Five units in each of LAX and PHL",
        "SOLD-OUT": "Known SKU without stock",
    },
}


def normalize_catalogue(catalogue):
    """Return a private, checked copy of ``catalogue``.

    Raise ValueError or TypeError if it is malformed.
    """
    if not isinstance(catalogue, dict):
        raise TypeError("Catalogue must be an object")
    warehouses = copy.deepcopy(catalogue.get("warehouses") or [])
    stock = copy.deepcopy(catalogue.get("stock") or {})
    descriptions = dict(catalogue.get("descriptions") or {})
    if not isinstance(warehouses, list) or not warehouses:
        raise ValueError("Catalogue needs at least one warehouse")
    codes = set()
    for warehouse in warehouses:
        if (
            not isinstance(warehouse, dict)
            or "id" not in warehouse
            or "externalId" not in warehouse
        ):
            raise ValueError("Each warehouse needs an id and an externalId")
        warehouse.setdefault("name", warehouse["externalId"])
        warehouse.setdefault("region", warehouse["externalId"])
        codes.add(warehouse["externalId"])
    if not isinstance(stock, dict):
        raise TypeError("Catalogue stock must map SKUs to {warehouse: quantity}")
    for sku, levels in stock.items():
        if not isinstance(levels, dict):
            raise TypeError(f"Stock of {sku} must map warehouses to quantities")
        for code, quantity in levels.items():
            if code not in codes:
                raise ValueError(f"Stock of {sku} names unknown warehouse {code}")
            if (
                not isinstance(quantity, int)
                or isinstance(quantity, bool)
                or quantity < 0
            ):
                raise ValueError(
                    f"Stock of {sku} in {code} must be a non-negative integer"
                )
    marked = {}
    for name in ("bundles", "aliases"):
        skus = catalogue.get(name) or []
        if not isinstance(skus, list):
            raise TypeError(f"Catalogue {name} must be a list of SKUs")
        for sku in skus:
            if not isinstance(sku, str) or sku not in stock:
                raise ValueError(f"Catalogue {name} lists {sku!r}, a SKU not in stock")
        marked[name] = list(skus)
    return {
        "warehouses": warehouses,
        "stock": stock,
        "descriptions": descriptions,
        **marked,
    }
