"""Stock counters per SKU per warehouse: /stock, what orders do to them, the control
endpoints that change them and the stock.transition webhook."""

import pytest
import requests

from shipwire_api.sandbox import Sandbox

# The fields of a stock item, in the order Shipwire was recorded listing them.
STOCK_ITEM_FIELDS = [
    "productId",
    "productExternalId",
    "sku",
    "isBundle",
    "isAlias",
    "warehouseRegion",
    "warehouseId",
    "warehouseExternalId",
    "pending",
    "good",
    "reserved",
    "backordered",
    "shipping",
    "shipped",
    "creating",
    "consuming",
    "consumed",
    "created",
    "damaged",
    "returned",
    "inreview",
    "availableDate",
    "shippedLastDay",
    "shippedLastWeek",
    "shippedLast4Weeks",
    "orderedLastDay",
    "orderedLastWeek",
    "orderedLast4Weeks",
]


def stock(api, **filters):
    """The stock items of the first page answering ``filters``."""
    response = api.get("/stock", params=filters)
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json()["resource"]["items"]]


def stock_at(api, sku, warehouse):
    (item,) = stock(api, sku=sku, warehouseExternalId=warehouse)
    return item


def counters(item, *names):
    return {name: item[name] for name in names}


def test_each_sku_is_listed_at_each_warehouse_it_has_stock_rows_at(api):
    items = stock(api, sku="SCARCE-1,ONLY-PHL,SOLD-OUT")

    assert [(i["sku"], i["warehouseExternalId"]) for i in items] == [
        ("ONLY-PHL", "PHL"),
        ("SCARCE-1", "LAX"),
        ("SCARCE-1", "PHL"),
    ]
    scarce = items[1]
    assert list(scarce) == STOCK_ITEM_FIELDS
    assert scarce == {
        **dict.fromkeys(STOCK_ITEM_FIELDS, 0),
        "productId": scarce["productId"],
        "productExternalId": None,
        "sku": "SCARCE-1",
        "warehouseRegion": "LAX",
        "warehouseId": 10,
        "warehouseExternalId": "LAX",
        "good": 5,
        "availableDate": None,
    }
    product = api.get(f"/products/{scarce['productId']}").json()["resource"]
    assert product["sku"] == "SCARCE-1"


def test_allocation_reserves_and_shipping_moves_what_shipped(api, sandbox, po_body):
    po = api.create_ok(po_body("STOCK-1", sku="SCARCE-1", quantity=3))
    [order] = api.orders_of(po["id"])
    reserved = stock_at(api, "SCARCE-1", "LAX")
    assert counters(reserved, "good", "reserved", "shipped") == {
        "good": 2,
        "reserved": 3,
        "shipped": 0,
    }
    assert reserved["orderedLastDay"] == reserved["orderedLast4Weeks"] == 3
    assert stock_at(api, "SCARCE-1", "PHL")["good"] == 5

    sandbox.complete_order(order["id"], quantities={"SCARCE-1": 2})

    shipped = stock_at(api, "SCARCE-1", "LAX")
    # The unit the warehouse did not ship is available again.
    assert counters(shipped, "good", "reserved", "shipped") == {
        "good": 3,
        "reserved": 0,
        "shipped": 2,
    }
    assert shipped["shippedLastDay"] == shipped["shippedLastWeek"] == 2


def test_cancelling_puts_reserved_units_back_in_good(api, po_body):
    po = api.create_ok(po_body("STOCK-2", sku="SCARCE-1", quantity=4))
    [order] = api.orders_of(po["id"])

    assert api.post(f"/orders/{order['id']}/cancel").status_code == 200

    item = stock_at(api, "SCARCE-1", "LAX")
    assert counters(item, "good", "reserved", "orderedLastDay") == {
        "good": 5,
        "reserved": 0,
        "orderedLastDay": 0,
    }


def test_a_shortage_reserves_nothing_until_stock_arrives_and_holds_are_lifted(
    api, sandbox, po_body
):
    po = api.create_ok(po_body("STOCK-3", sku="SCARCE-1", quantity=8))
    [order] = api.orders_of(po["id"])
    assert order["status"] == "held"
    assert counters(stock_at(api, "SCARCE-1", "LAX"), "good", "reserved") == {
        "good": 5,
        "reserved": 0,
    }

    received = api.control(
        "POST", "/stock/receive", {"sku": "SCARCE-1", "warehouse": "LAX", "quantity": 3}
    )
    assert received.json()["resource"]["good"] == 8
    sandbox.process_order(order["id"])

    assert counters(stock_at(api, "SCARCE-1", "LAX"), "good", "reserved") == {
        "good": 0,
        "reserved": 8,
    }


def test_receiving_an_unknown_sku_makes_it_known(api, po_body):
    assert api.create(po_body("NEW-0", sku="FRESH-1"))["resource"]["total"] == 0

    received = api.control(
        "POST", "/stock/receive", {"sku": "FRESH-1", "warehouse": "TOR", "quantity": 2}
    )

    item = received.json()["resource"]
    assert (item["sku"], item["warehouseExternalId"], item["good"]) == (
        "FRESH-1",
        "TOR",
        2,
    )
    assert stock(api, sku="FRESH-1") == [item]
    po = api.create_ok(po_body("NEW-1", sku="FRESH-1", quantity=2))
    [order] = api.orders_of(po["id"])
    assert order["routing"]["resource"]["warehouseExternalId"] == "TOR"
    for body, status in (
        ({"sku": "FRESH-1", "warehouse": "NOWHERE", "quantity": 1}, 404),
        ({"sku": "FRESH-1", "warehouse": "TOR", "quantity": 0}, 400),
        ({"sku": "", "warehouse": "TOR", "quantity": 1}, 400),
    ):
        assert api.control("POST", "/stock/receive", body).status_code == status


def test_damage_moves_good_units_and_refuses_more_than_there_are(api):
    damaged = api.control(
        "POST", "/stock/damage", {"sku": "SCARCE-1", "warehouse": "PHL", "quantity": 2}
    )
    assert counters(damaged.json()["resource"], "good", "damaged") == {
        "good": 3,
        "damaged": 2,
    }

    too_many = api.control(
        "POST", "/stock/damage", {"sku": "SCARCE-1", "warehouse": "PHL", "quantity": 4}
    )
    assert too_many.status_code == 409
    assert "Only 3 units of SCARCE-1" in too_many.json()["message"]
    nowhere = api.control(
        "POST", "/stock/damage", {"sku": "ONLY-LAX", "warehouse": "PHL", "quantity": 1}
    )
    assert nowhere.status_code == 404
    assert counters(stock_at(api, "SCARCE-1", "PHL"), "good", "damaged") == {
        "good": 3,
        "damaged": 2,
    }


def test_override_sets_counters_verbatim_and_null_leaves_them_out(api, po_body):
    overridden = api.control(
        "POST",
        "/stock/override",
        {
            "sku": "SCARCE-1",
            "warehouse": "LAX",
            "counters": {
                "good": -4,
                "reserved": None,
                "shippedLastWeek": None,
                "orderedLastDay": 99,
                "availableDate": "2030-01-01T00:00:00-08:00",
            },
        },
    )
    assert overridden.status_code == 200

    item = stock_at(api, "SCARCE-1", "LAX")
    assert item == overridden.json()["resource"]
    assert "reserved" not in item and "shippedLastWeek" not in item
    assert counters(item, "good", "orderedLastDay", "availableDate") == {
        "good": -4,
        "orderedLastDay": 99,
        "availableDate": "2030-01-01T00:00:00-08:00",
    }
    # Negative good stock is no stock: the order waits in the other warehouse.
    po = api.create_ok(po_body("OVER-1", sku="SCARCE-1", quantity=1))
    [order] = api.orders_of(po["id"])
    assert order["routing"]["resource"]["warehouseExternalId"] == "PHL"
    for body, status in (
        ({"sku": "SCARCE-1", "warehouse": "LAX", "counters": {"gold": 1}}, 400),
        ({"sku": "SCARCE-1", "warehouse": "LAX", "counters": {"good": "1"}}, 400),
        ({"sku": "SCARCE-1", "warehouse": "LAX", "counters": [1]}, 400),
        ({"sku": "ONLY-LAX", "warehouse": "PHL", "counters": {"good": 1}}, 404),
    ):
        assert api.control("POST", "/stock/override", body).status_code == status


def test_every_counter_change_is_a_stock_transition_webhook(
    api, sandbox, po_body, webhook_receiver
):
    api.post("/webhooks", {"topic": "stock.transition", "url": webhook_receiver.url})
    po = api.create_ok(po_body("MOVE-1", sku="SCARCE-1", quantity=3))
    [order] = api.orders_of(po["id"])
    sandbox.complete_order(order["id"], quantities={"SCARCE-1": 1})
    sandbox.receive_stock("SCARCE-1", "LAX", 10)
    sandbox.damage_stock("SCARCE-1", "LAX", 2)

    deliveries = webhook_receiver.wait_for(5)
    assert sandbox.wait_for_deliveries()
    assert len(webhook_receiver.received) == 5
    product_id = stock_at(api, "SCARCE-1", "LAX")["productId"]

    def transition(order_id, states, delta, after):
        return {
            "orderId": order_id,
            "productId": product_id,
            "warehouseId": 10,
            "fromState": states[0],
            "toState": states[1],
            "delta": delta,
            "fromStateStockAfterTransition": after[0],
            "toStateStockAfterTransition": after[1],
        }

    assert [d["json"]["topic"] for d in deliveries] == ["stock.transition"] * 5
    assert [d["json"]["body"] for d in deliveries] == [
        transition(order["id"], ("good", "reserved"), 3, (2, 3)),
        transition(order["id"], ("reserved", "shipped"), 1, (2, 1)),
        transition(order["id"], ("reserved", "good"), 2, (0, 4)),
        transition(None, ("pending", "good"), 10, (0, 14)),
        transition(None, ("good", "damaged"), 2, (12, 2)),
    ]


STOCK_CATALOGUE = {
    "warehouses": [
        {"id": 1, "externalId": "AMS", "region": "EU"},
        {"id": 2, "externalId": "RTM", "region": "EU"},
    ],
    "stock": {f"SKU-{n:02d}": {"AMS": n, "RTM": 100 + n} for n in range(25)},
    "bundles": ["SKU-01"],
    "aliases": ["SKU-02"],
}


@pytest.fixture
def stocked(sandbox, api):
    assert api.control("PUT", "/catalogue", STOCK_CATALOGUE).status_code == 200
    return api


def test_stock_is_paged_in_a_stable_order_with_filters(stocked, sandbox):
    url = f"{sandbox.api_url}/stock"
    params = {"warehouseExternalId": "RTM", "limit": 10}
    pages = []
    while url:
        page = stocked.get(url, params=params).json()["resource"]
        pages.append(page)
        url, params = page["next"], None

    assert [page["offset"] for page in pages] == [0, 10, 20]
    assert {page["total"] for page in pages} == {25}
    items = [entry["resource"] for page in pages for entry in page["items"]]
    assert [item["sku"] for item in items] == [f"SKU-{n:02d}" for n in range(25)]
    assert [item["good"] for item in items] == [100 + n for n in range(25)]
    assert {item["warehouseId"] for item in items} == {2}
    assert pages[1]["previous"].endswith("offset=0&limit=10")

    both = stock(stocked, sku="SKU-03,SKU-04", warehouseId="1,2")
    assert [(i["sku"], i["warehouseExternalId"]) for i in both] == [
        ("SKU-03", "AMS"),
        ("SKU-03", "RTM"),
        ("SKU-04", "AMS"),
        ("SKU-04", "RTM"),
    ]
    assert stock(stocked, warehouseId="3") == []
    default = stocked.get("/stock").json()["resource"]
    assert (default["total"], len(default["items"])) == (50, 20)


def test_bundles_and_aliases_are_marked_on_their_stock(stocked):
    marked = {
        item["sku"]: (item["isBundle"], item["isAlias"])
        for item in stock(stocked, sku="SKU-00,SKU-01,SKU-02", warehouseId="1")
    }
    assert marked == {"SKU-00": (0, 0), "SKU-01": (1, 0), "SKU-02": (0, 1)}
    catalogue = stocked.control("GET", "/catalogue").json()["resource"]
    assert (catalogue["bundles"], catalogue["aliases"]) == (["SKU-01"], ["SKU-02"])
    wrong = {**STOCK_CATALOGUE, "aliases": ["NOT-STOCKED"]}
    assert stocked.control("PUT", "/catalogue", wrong).status_code == 400


def test_counters_and_received_products_survive_a_restart(tmp_path, po_body):
    state_file = str(tmp_path / "sandbox.json")
    auth = ("sandbox", "sandbox")
    with Sandbox(state_file=state_file) as first:
        requests.post(
            f"{first.api_url}/purchaseOrders",
            json=po_body("KEEP-1", sku="SCARCE-1", quantity=2),
            auth=auth,
            timeout=5,
        )
        first.receive_stock("FRESH-1", "PHL", 7)

    with Sandbox(state_file=state_file) as second:
        items = requests.get(
            f"{second.api_url}/stock",
            params={"sku": "SCARCE-1,FRESH-1", "warehouseExternalId": "LAX,PHL"},
            auth=auth,
            timeout=5,
        ).json()["resource"]["items"]
        assert [
            (i["resource"]["sku"], i["resource"]["good"], i["resource"]["reserved"])
            for i in items
        ] == [("SCARCE-1", 3, 2), ("SCARCE-1", 5, 0), ("FRESH-1", 7, 0)]
