"""Many clients at once keep the sandbox's state consistent."""

from concurrent.futures import ThreadPoolExecutor

import requests

CLIENTS = 8


def test_concurrent_creates_give_distinct_ids_and_a_consistent_state(sandbox, po_body):
    per_client = 25

    def create_many(client_number):
        with requests.Session() as session:
            session.auth = (sandbox.username, sandbox.password)
            ids = []
            for number in range(per_client):
                body = po_body(f"C{client_number}-{number}")
                envelope = session.post(
                    f"{sandbox.api_url}/purchaseOrders", json=body, timeout=10
                ).json()
                ids.append(envelope["resource"]["items"][0]["resource"]["id"])
            return ids

    with ThreadPoolExecutor(CLIENTS) as pool:
        ids = [
            po_id for batch in pool.map(create_many, range(CLIENTS)) for po_id in batch
        ]

    expected = CLIENTS * per_client
    assert len(set(ids)) == expected
    stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["resource"]
    assert (stats["purchaseOrders"], stats["orders"]) == (expected, expected)
    assert stats["requests"] >= expected
    listed = requests.get(
        f"{sandbox.api_url}/purchaseOrders",
        params={"limit": 1},
        auth=(sandbox.username, sandbox.password),
        timeout=5,
    ).json()
    assert listed["resource"]["total"] == expected
    assert len(sandbox.orders()) == expected


def test_concurrent_duplicates_create_exactly_one(sandbox, po_body):
    def create(_number):
        response = requests.post(
            f"{sandbox.api_url}/purchaseOrders",
            json=po_body("SAME-1"),
            auth=(sandbox.username, sandbox.password),
            timeout=10,
        )
        return response.json()["resource"]["total"]

    with ThreadPoolExecutor(CLIENTS) as pool:
        totals = list(pool.map(create, range(CLIENTS * 2)))
    assert sorted(totals) == [0] * (CLIENTS * 2 - 1) + [1]
    assert len(sandbox.purchase_orders()) == 1
