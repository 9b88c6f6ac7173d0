import base64
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from shipwire_api import (
    ShipwireAuthError,
    ShipwireClient,
    ShipwireInputError,
    ShipwireNotFoundError,
    ShipwireRejectedError,
    ShipwireStateError,
    ShipwireTransientError,
    snapshot,
)
from shipwire_api.sandbox import Sandbox
from shipwire_api.sandbox.samples import sample_purchase_order


def purchase_order(external_id="ODOO-1", sku="DIAMOND-1", quantity=1, **options):
    return sample_purchase_order(external_id, sku, quantity, **options)


@pytest.fixture
def exchanges():
    return []


@pytest.fixture
def client(sandbox, exchanges):
    client = ShipwireClient(
        sandbox.username,
        sandbox.password,
        sandbox.url,
        read_timeout=2,
        backoff_factor=0,
        exchange_hook=exchanges.append,
    )
    yield client
    client.close()


def test_create_approved_po_returns_it_with_its_fulfillment_order(client, sandbox):
    result = client.create_purchase_order(purchase_order())

    assert result.status == "approved"
    assert not result.recovered
    assert result.errors == []
    (order,) = client.purchase_order_orders(result.id)
    assert order["purchaseOrderId"] == result.id
    assert order["purchaseOrderExternalId"] == "ODOO-1"


def test_create_with_address_warning_still_creates(client):
    payload = purchase_order()
    payload["shipTo"]["address1"] = "1 Main Lane UNVERIFIED"

    result = client.create_purchase_order(payload)

    assert result.id
    assert [w.message for w in result.warnings] == ["Could not verify shipping address"]
    assert result.warnings[0].type == "warning"


def test_rejected_po_raises_with_v4_errors_though_http_200(client, sandbox, exchanges):
    with pytest.raises(ShipwireRejectedError) as caught:
        client.create_purchase_order(purchase_order(sku="NOPE-9"))

    assert exchanges[-1].status == 200
    assert any("NOPE-9" in error.message for error in caught.value.errors)
    assert "ODOO-1" in str(caught.value)
    assert sandbox.purchase_orders() == []


def test_held_po_is_fixed_by_put(sandbox, client):
    client.do_not_persist_on_warnings = False
    held = client.create_purchase_order(purchase_order(sku="NOPE-9"))
    assert held.status == "onHold"
    assert held.errors
    assert client.purchase_order_orders(held.id) == []

    fixed = client.update_purchase_order(held.id, purchase_order(sku="RUBY-2"))

    assert fixed.status == "approved"
    assert fixed.errors == []
    assert len(client.purchase_order_orders(held.id)) == 1


def test_refused_update_answered_without_its_po_reads_only_its_own_orders(
    client, sandbox
):
    sandbox.settings.refused_update_carries_purchase_order = False
    client.create_purchase_order(purchase_order("ODOO-1"))
    second = client.create_purchase_order(purchase_order("ODOO-2"))

    # Taking the other PO's externalId is refused as a duplicate.
    current = snapshot.update(client, second.id, purchase_order("ODOO-1"))

    assert current.result.id is None
    assert current.result.errors
    assert [o["purchaseOrderId"] for o in current.fulfillment_orders] == [second.id]


def test_needs_approval_then_approve(client):
    created = client.create_purchase_order(purchase_order(isApproved=0))
    assert created.status == "needsApproval"

    client.approve_purchase_order(created.id)

    assert client.get_purchase_order(created.id)["status"] == "approved"
    assert len(client.purchase_order_orders(created.id)) == 1
    with pytest.raises(ShipwireStateError):
        client.approve_purchase_order(created.id)


def test_cancel_is_refused_once_shipped(client, sandbox):
    created = client.create_purchase_order(purchase_order())
    (order,) = client.purchase_order_orders(created.id)
    sandbox.complete_order(
        order["id"], trackings=[{"carrier": "UPS", "tracking": "1Z1"}]
    )

    with pytest.raises(ShipwireStateError) as caught:
        client.cancel_purchase_order(created.id)

    assert "cannot be cancelled" in str(caught.value)
    assert [t["tracking"] for t in client.order_trackings(order["id"])] == ["1Z1"]


def test_timeout_after_commit_is_recovered_as_one_po(client, sandbox):
    client.timeout = (2, 0.3)
    sandbox.faults.inject("timeout_commit", count=1, seconds=1)

    result = client.create_purchase_order(purchase_order())

    assert result.recovered
    assert result.purchase_order["externalId"] == "ODOO-1"
    assert len(sandbox.purchase_orders()) == 1


def test_server_error_then_success(client, sandbox):
    sandbox.faults.inject("server_error", count=2)

    result = client.create_purchase_order(purchase_order())

    assert result.id and not result.recovered
    assert len(sandbox.purchase_orders()) == 1


def test_read_timeout_shorter_than_latency_is_retried_without_duplicate(
    client, sandbox
):
    client.timeout = (2, 0.3)
    sandbox.faults.inject("latency", count=1, seconds=1)

    result = client.create_purchase_order(purchase_order())

    assert result.id
    assert len(sandbox.purchase_orders()) == 1


def test_connection_reset_is_retried(client, sandbox):
    sandbox.faults.inject("reset", count=1)

    assert client.create_purchase_order(purchase_order()).id
    assert len(sandbox.purchase_orders()) == 1


def test_malformed_answer_is_transient_and_a_resend_recovers(client, sandbox):
    sandbox.faults.inject("malformed", count=1)

    with pytest.raises(ShipwireTransientError):
        client.create_purchase_order(purchase_order())
    result = client.create_purchase_order(purchase_order())

    assert result.recovered
    assert len(sandbox.purchase_orders()) == 1


def test_exhausted_retries_raise_transient_error(sandbox):
    client = ShipwireClient("u", "p", sandbox.url, retries=1, backoff_factor=0)
    sandbox.faults.inject("server_error", count=5)

    with pytest.raises(ShipwireTransientError) as caught:
        client.get_purchase_order(1)

    assert "try again" in str(caught.value)


def test_no_retries_means_one_try(sandbox):
    client = ShipwireClient("u", "p", sandbox.url, retries=0)
    sandbox.faults.inject("server_error", count=1)

    with pytest.raises(ShipwireTransientError):
        client.get_purchase_order(1)

    assert sandbox.faults.fired["server_error"] == 1


@pytest.mark.parametrize(
    ("external_id", "can_split"), [("A" * 31, 1), ("A" * 33, 0), ("", 0)]
)
def test_external_id_too_long_is_refused_before_any_request(
    client, sandbox, external_id, can_split
):
    with pytest.raises(ShipwireInputError) as caught:
        client.create_purchase_order(purchase_order(external_id, canSplit=can_split))

    assert "externalId" in str(caught.value)
    assert sandbox.request_count == 0


def split_payload(external_id="ODOO-1"):
    payload = purchase_order(external_id, sku="ONLY-LAX", canSplit=1)
    payload["items"].append({"sku": "ONLY-PHL", "quantity": 1})
    return payload


def test_split_orders_get_the_suffix_on_their_order_number(client):
    result = client.create_purchase_order(split_payload())

    orders = client.purchase_order_orders(result.id)
    assert sorted(o["orderNo"] for o in orders) == ["SO-ODOO-1.1", "SO-ODOO-1.2"]
    assert {o["externalId"] for o in orders} == {"ODOO-1"}


def test_split_suffix_on_external_id(client, sandbox):
    sandbox.settings.split_suffix_on = "externalId"

    result = client.create_purchase_order(split_payload())

    orders = client.purchase_order_orders(result.id)
    assert sorted(o["externalId"] for o in orders) == ["ODOO-1.1", "ODOO-1.2"]


def test_a_refused_order_that_could_split_is_named_with_its_suffix(client, sandbox):
    sandbox.settings.purchase_order_messages = "v3"

    with pytest.raises(ShipwireRejectedError) as caught:
        client.create_purchase_order(purchase_order(sku="NOPE-9", canSplit=1))

    (error,) = caught.value.errors
    assert (error.order_no, error.external_id, error.id) == (
        "SO-ODOO-1.1",
        "ODOO-1",
        "",
    )


def test_search_follows_every_page(client, sandbox, exchanges):
    for number in range(205):
        client.create_purchase_order(purchase_order(f"PAGE-{number}"))
    exchanges.clear()

    found = client.search_purchase_orders()

    assert len({po["externalId"] for po in found}) == 205
    assert len(exchanges) == 2


def test_find_by_external_id(client):
    created = client.create_purchase_order(purchase_order("FIND-ME"))
    client.create_purchase_order(purchase_order("FIND-ME-TOO"))

    assert client.find_purchase_order("FIND-ME")["id"] == created.id
    assert client.find_purchase_order("NOT-THERE") is None


def test_get_unknown_po_raises_not_found(client):
    with pytest.raises(ShipwireNotFoundError):
        client.get_purchase_order(999)


def test_wrong_credentials_give_a_clear_message(sandbox):
    client = ShipwireClient(sandbox.username, "wrong", sandbox.url)

    with pytest.raises(ShipwireAuthError) as caught:
        client.search_purchase_orders()

    assert "check the credentials" in str(caught.value)


def test_credentials_never_appear_in_logs_errors_or_repr():
    exchanges = []
    with Sandbox(username="apiuser", password="s3cret-token") as sandbox:
        client = ShipwireClient(
            "apiuser", "s3cret-token", sandbox.url, exchange_hook=exchanges.append
        )
        with pytest.raises(ShipwireRejectedError) as caught:
            client.create_purchase_order(purchase_order(sku="NOPE-9"))
    basic = base64.b64encode(b"apiuser:s3cret-token").decode()
    texts = [repr(client), str(caught.value), repr(caught.value)]
    texts += [repr(exchange) for exchange in exchanges]
    assert exchanges
    for text in texts:
        assert "s3cret-token" not in text
        assert basic not in text


def test_missing_credentials_are_refused():
    with pytest.raises(ShipwireInputError):
        ShipwireClient("", "", "sandbox")


def test_products_are_listed(client):
    skus = {product["sku"] for product in client.list_products()}
    assert {"DIAMOND-1", "RUBY-2"} <= skus


def product(sku, **changes):
    return {
        "sku": sku,
        "externalId": f"odoo-{sku}",
        "description": f"Product {sku}",
        "values": {"costValue": 3, "retailValue": 8},
        "dimensions": {"length": 4, "width": 3, "height": 2, "weight": 1},
        "classification": "baseProduct",
        **changes,
    }


def test_products_are_created_searched_and_updated(client):
    result = client.create_products([product("NEW-1"), product("NEW-10")])

    # In the order sent, though Shipwire answers them in another.
    assert [(p["sku"], p["externalId"]) for p in result.created] == [
        ("NEW-1", "odoo-NEW-1"),
        ("NEW-10", "odoo-NEW-10"),
    ]
    assert (result.refused, result.errors) == ({}, [])
    # Shipwire's search also answers the SKUs starting with the one asked for.
    found = client.list_products(skus=["NEW-1", "DIAMOND-1"])
    assert [p["sku"] for p in found] == ["DIAMOND-1", "NEW-1"]
    created = result.created[0]
    updated = client.update_product(created["id"], {"description": "Renamed"})
    assert (updated["id"], updated["sku"], updated["description"]) == (
        created["id"],
        "NEW-1",
        "Renamed",
    )
    assert client.create_products([]).created == []


UNCLASSIFIED = (
    "Product Classification not detected. Please pass classification for each product."
)


@pytest.mark.parametrize("named_by", ["message", "sku", "externalId"])
def test_a_product_list_created_in_part_gives_the_created_and_the_refused(
    client, sandbox, named_by
):
    """As recorded: 4 products sent, HTTP 200, 3 created and an error for the
    fourth, naming its SKU."""
    sandbox.settings.refused_product_named_by = named_by
    unclassified = product("NEW-3")
    del unclassified["classification"]

    result = client.create_products(
        [product("NEW-1"), product("NEW-2"), unclassified, product("NEW-4")]
    )

    assert [p["sku"] for p in result.created] == ["NEW-1", "NEW-2", "NEW-4"]
    assert all(p["id"] for p in result.created)
    assert list(result.refused) == ["NEW-3"]
    [reason] = result.refused["NEW-3"]
    assert UNCLASSIFIED in reason.message
    assert result.errors == []
    assert [p["sku"] for p in client.list_products(skus=["NEW-3"])] == []


def test_each_refused_product_gets_its_own_errors(client, sandbox):
    sandbox.settings.refused_product_named_by = "sku"
    sandbox.settings.refused_product_skus = {"NEW-1.1": "Refused NEW-1.1"}

    result = client.create_products(
        [product("NEW-1"), product("NEW-1.1"), product("DIAMOND-1")]
    )

    assert [p["sku"] for p in result.created] == ["NEW-1"]
    assert {
        sku: [e.message for e in errors] for sku, errors in result.refused.items()
    } == {
        "NEW-1.1": ["Refused NEW-1.1"],
        "DIAMOND-1": ["SKU DIAMOND-1 already exists"],
    }


def test_a_refused_product_list_names_each_product_and_field(client, sandbox):
    sandbox.settings.product_list_refusal = "whole"
    no_weight = product("BAD-1", dimensions={"length": 1, "width": 1, "height": 1})

    with pytest.raises(ShipwireRejectedError) as caught:
        client.create_products([product("GOOD-1"), no_weight, product("DIAMOND-1")])

    assert caught.value.status == 400
    assert [(error.message, error.field) for error in caught.value.errors] == [
        ("Item 2 (sku BAD-1): dimensions.weight is required", "dimensions.weight"),
        ("Item 3 (sku DIAMOND-1): SKU DIAMOND-1 already exists", "sku"),
    ]
    assert client.list_products(skus=["GOOD-1"]) == []
    [diamond] = client.list_products(skus=["DIAMOND-1"])
    with pytest.raises(ShipwireRejectedError, match="SKU RUBY-2 already exists"):
        client.update_product(diamond["id"], {"sku": "RUBY-2"})


def created_entry(sku, product_id):
    return {
        "resourceLocation": f"https://api.shipwire.com/api/v3/products/{product_id}",
        "resource": {"id": product_id, "sku": sku},
    }


def answer_of_200(items, **messages):
    return {
        "status": 200,
        "message": "Successful",
        **messages,
        "resource": {"offset": 0, "total": len(items), "items": items},
    }


# Answers the sandbox does not give: other places an error may name its product.
# The list sent is OPAL-1, OPAL-10 and OPAL-1.5 (externalId odoo-<sku>).
OTHER_ANSWERS = {
    "the refused product as an item, its error inside": answer_of_200(
        [
            created_entry("OPAL-1.5", 2),
            {
                "resourceLocation": None,
                "resource": {"sku": "OPAL-10", "id": None},
                "errors": [{"type": "error", "message": "Invalid category"}],
            },
            created_entry("OPAL-1", 1),
        ]
    ),
    "errors keyed by SKU": answer_of_200(
        [created_entry("OPAL-1.5", 2), created_entry("OPAL-1", 1)],
        errors={"OPAL-10": {"message": "Invalid category", "type": "error"}},
    ),
    "the SKU quoted in the text": answer_of_200(
        [created_entry("OPAL-1.5", 2), created_entry("OPAL-1", 1)],
        errors=[{"type": "error", "message": "Invalid category for 'OPAL-10'"}],
    ),
    "the SKU at the end of the text": answer_of_200(
        [created_entry("OPAL-1.5", 2), created_entry("OPAL-1", 1)],
        errors=[{"type": "error", "message": "Invalid category: sku OPAL-10."}],
    ),
    "v4Errors naming the SKU": answer_of_200(
        [created_entry("OPAL-1.5", 2), created_entry("OPAL-1", 1)],
        v4Errors=[{"message": "Invalid category", "sku": "OPAL-10"}],
    ),
    "no SKU named, one product missing": answer_of_200(
        [created_entry("OPAL-1.5", 2), created_entry("OPAL-1", 1)],
        errors=[{"type": "error", "code": 1, "message": "Invalid category"}],
    ),
}


@pytest.fixture
def answering():
    """A client of a server of the test's own, answering every POST with a given
    body and HTTP 200."""
    servers, clients = [], []

    def start(answer):
        raw = json.dumps(answer).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        client = ShipwireClient(
            "user", "token", f"http://127.0.0.1:{server.server_port}"
        )
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("answer", OTHER_ANSWERS.values(), ids=OTHER_ANSWERS)
def test_a_refused_product_is_found_wherever_the_error_names_it(answering, answer):
    client = answering(answer)

    result = client.create_products(
        [product("OPAL-1"), product("OPAL-10"), product("OPAL-1.5")]
    )

    assert [(p["sku"], p["id"]) for p in result.created] == [
        ("OPAL-1", 1),
        ("OPAL-1.5", 2),
    ]
    assert list(result.refused) == ["OPAL-10"]
    assert "Invalid category" in result.refused["OPAL-10"][0].message
    assert result.errors == []


def test_an_answer_that_explains_nothing_still_names_the_products_not_made(
    answering,
):
    client = answering(
        answer_of_200(
            [created_entry("OPAL-1", 1)],
            errors=[{"type": "error", "message": "Something about OPAL-1"}],
        )
    )

    result = client.create_products(
        [product("OPAL-1"), product("OPAL-2"), product("OPAL-3")]
    )

    assert [p["sku"] for p in result.created] == ["OPAL-1"]
    assert list(result.refused) == ["OPAL-2", "OPAL-3"]
    assert "neither created" in result.refused["OPAL-2"][0].message
    # An error about a product that was created is kept, not lost.
    assert [e.message for e in result.errors] == ["Something about OPAL-1"]


def test_products_without_a_sku_of_their_own_are_refused_before_any_request(
    client, exchanges
):
    for products in (
        [product("NEW-1"), product("NEW-1")],
        [product("NEW-1"), {**product(""), "sku": ""}],
        [{key: v for key, v in product("NEW-1").items() if key != "sku"}],
    ):
        with pytest.raises(ShipwireInputError, match="SKU"):
            client.create_products(products)
    assert exchanges == []


def test_product_ids_and_skus_are_checked_before_any_request(client, exchanges):
    with pytest.raises(ShipwireInputError):
        client.update_product("1/../2", {"description": "x"})
    with pytest.raises(ShipwireInputError):
        client.list_products(skus=["A,B"])
    with pytest.raises(ShipwireInputError):
        client.stock_pages(skus=[""])
    with pytest.raises(ShipwireInputError):
        client.stock_pages(warehouse_id="LAX")
    assert exchanges == []


def test_stock_comes_a_page_at_a_time(client, sandbox, exchanges):
    catalogue = {
        "warehouses": [{"id": 1, "externalId": "A"}, {"id": 2, "externalId": "B"}],
        "stock": {f"SKU-{n:02d}": {"A": 1, "B": n} for n in range(30)},
    }
    sandbox.store.replace_catalogue(catalogue)

    pages = client.stock_pages(warehouse_external_id="B", limit=7)
    first = next(pages)
    assert len(exchanges) == 1
    pages = [first, *pages]

    assert [len(page) for page in pages] == [7, 7, 7, 7, 2]
    items = [item for page in pages for item in page]
    assert [(item["sku"], item["good"]) for item in items] == [
        (f"SKU-{n:02d}", n) for n in range(30)
    ]
    assert {item["warehouseExternalId"] for item in items} == {"B"}
    assert len(exchanges) == 5


def test_stock_read_goes_on_where_an_earlier_one_stopped(client, sandbox):
    catalogue = {
        "warehouses": [{"id": 1, "externalId": "A"}],
        "stock": {f"SKU-{n:02d}": {"A": n} for n in range(30)},
    }
    sandbox.store.replace_catalogue(catalogue)

    pages = list(client.stock_pages(limit=10, offset=25))

    assert [[item["sku"] for item in page] for page in pages] == [
        [f"SKU-{n}" for n in range(25, 30)]
    ]


def test_stock_of_many_skus_is_asked_for_in_batches(client, exchanges):
    client.create_purchase_order(purchase_order(sku="SCARCE-1", quantity=2))
    exchanges.clear()
    skus = ["SCARCE-1"] + [f"NONE-{n}" for n in range(150)]

    pages = list(client.stock_pages(skus=skus, warehouse_id=10))

    assert [
        [(item["sku"], item["good"], item["reserved"]) for item in page]
        for page in pages
    ] == [[("SCARCE-1", 3, 2)], []]
    assert len(exchanges) == 2
    assert all("warehouseId=10" in exchange.url for exchange in exchanges)


def test_webhook_subscription_and_secret(client):
    subscription = client.create_webhook("order.completed", "https://example.com/hook")
    secret = client.create_secret()

    assert [w["topic"] for w in client.list_webhooks()] == ["v1.order.completed"]
    assert len(secret["secret"]) == 128
    client.delete_webhook(subscription["id"])
    assert client.list_webhooks() == []


def test_eight_concurrent_clients_keep_the_sandbox_consistent(sandbox):
    def send(worker):
        client = ShipwireClient(sandbox.username, sandbox.password, sandbox.url)
        for number in range(10):
            client.create_purchase_order(purchase_order(f"W{worker}-{number}"))

    workers = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    purchase_orders = sandbox.purchase_orders()
    assert len(purchase_orders) == 80
    assert len({po["id"] for po in purchase_orders}) == 80
    assert len({po["externalId"] for po in purchase_orders}) == 80


UNSAFE_IDS = [
    "1/2",
    "..",
    "12?x=1",
    "12#top",
    "12%2F3",
    "1 2",
    "１２",  # fullwidth digits
    "١٢",  # Arabic-Indic digits
    "",
    "9" * 200,
    -1,
    True,
    None,
]
ID_PATH_CALLS = [
    lambda client, value: client.get_purchase_order(value),
    lambda client, value: client.update_purchase_order(value, {}),
    lambda client, value: client.cancel_purchase_order(value),
    lambda client, value: client.approve_purchase_order(value),
    lambda client, value: client.purchase_order_orders(value),
    lambda client, value: client.purchase_order_items(value),
    lambda client, value: client.get_order(value),
    lambda client, value: client.order_trackings(value),
    lambda client, value: client.order_holds(value),
    lambda client, value: client.clear_order_holds(value),
    lambda client, value: client.clear_purchase_order_hold(value),
    lambda client, value: client.delete_webhook(value),
]


@pytest.mark.parametrize("value", UNSAFE_IDS, ids=repr)
def test_an_id_that_is_not_digits_never_reaches_a_url(client, sandbox, value):
    for call in ID_PATH_CALLS:
        with pytest.raises(ShipwireInputError) as caught:
            call(client, value)
        assert repr(value) in str(caught.value)
        assert "digits only" in str(caught.value)

    assert sandbox.request_count == 0


@pytest.mark.parametrize("value", [665160, "665160"])
def test_ids_are_accepted_as_int_or_digit_strings(client, value):
    with pytest.raises(ShipwireNotFoundError):
        client.get_purchase_order(value)


@pytest.mark.parametrize(
    "value",
    ["A/B", "A?B", "A#B", "A%2FB", "A B", "ODOO-é", "A" * 200, ""],
    ids=repr,
)
def test_an_unsafe_external_id_never_reaches_a_url(client, sandbox, value):
    with pytest.raises(ShipwireInputError) as caught:
        client.find_purchase_order(value)
    with pytest.raises(ShipwireInputError):
        client.create_purchase_order(purchase_order(value))

    assert "externalId" in str(caught.value)
    assert sandbox.request_count == 0


def test_an_order_number_too_long_to_split_is_refused_before_any_request(
    client, sandbox
):
    payload = purchase_order("ODOO-1", canSplit=1)
    payload["purchaseOrderNo"] = "S" * 24

    with pytest.raises(ShipwireInputError) as caught:
        client.create_purchase_order(payload)

    assert "purchaseOrderNo" in str(caught.value) and "23" in str(caught.value)
    assert sandbox.request_count == 0
    payload["options"]["canSplit"] = 0
    assert client.create_purchase_order(payload).id


def shipped_purchase_order(client, sandbox):
    created = client.create_purchase_order(purchase_order())
    (order,) = client.purchase_order_orders(created.id)
    sandbox.complete_order(order["id"])
    return created


@pytest.mark.parametrize("shape", ["keyed", "list", "none"])
def test_a_state_refusal_carries_shipwires_words_in_every_shape(client, sandbox, shape):
    sandbox.settings.state_refusal_errors = shape
    shipped = shipped_purchase_order(client, sandbox)

    with pytest.raises(ShipwireStateError) as caught:
        client.cancel_purchase_order(shipped.id)

    (error,) = caught.value.errors
    assert (caught.value.status, error.type) == (422, "error")
    assert error.message == "Purchase order cannot be cancelled"
    assert str(caught.value).startswith(
        "Shipwire refused this in the current state: Purchase order cannot be cancelled"
    )
    if shape != "none":
        assert error.id == str(shipped.id)


def unverifiable(payload):
    payload["shipTo"]["address1"] = "1 Main Lane UNVERIFIED"
    return payload


def test_messages_repeated_in_the_item_are_kept_once_per_order(client, sandbox):
    sandbox.settings.purchase_order_messages = "v3"
    payload = unverifiable(purchase_order("WARN-1", sku="ONLY-LAX", canSplit=1))
    payload["items"].append({"sku": "ONLY-PHL", "quantity": 1})

    split = client.create_purchase_order(payload)
    single = client.create_purchase_order(unverifiable(purchase_order("WARN-2")))

    orders = {o["id"]: o for o in client.purchase_order_orders(split.id)}
    assert [w.message for w in split.warnings] == [
        "Could not verify shipping address"
    ] * 2
    assert {int(w.id) for w in split.warnings} == set(orders)
    for warning in split.warnings:
        order = orders[int(warning.id)]
        assert (warning.order_no, warning.external_id) == (
            order["orderNo"],
            order["externalId"],
        )
    assert [w.message for w in single.warnings] == ["Could not verify shipping address"]


def test_plain_string_errors_are_messages(client):
    with pytest.raises(ShipwireRejectedError) as caught:
        client.create_webhook("order.created", "ftp://example.com/hook")

    assert [(e.type, e.message) for e in caught.value.errors] == [
        ("error", "Invalid URL")
    ]
    assert str(caught.value) == "Shipwire refused the request: Invalid URL"


def test_an_answer_that_is_not_the_envelope_still_says_why(client, sandbox):
    sandbox.faults.inject("bad_request", count=1)

    with pytest.raises(ShipwireRejectedError) as caught:
        client.get_purchase_order(1)

    assert caught.value.status == 400
    assert [e.message for e in caught.value.errors] == ["Bad request"]
    assert str(caught.value) == "Shipwire refused the request: Bad request"


def test_search_by_ids_and_status(client, sandbox, exchanges):
    first, second, third = (
        client.create_purchase_order(purchase_order(f"IDS-{n}")) for n in (1, 2, 3)
    )
    client.cancel_purchase_order(second.id)
    (order,) = client.purchase_order_orders(third.id)

    found = client.search_purchase_orders(ids=[first.id, str(second.id)])
    assert sorted(po["id"] for po in found) == [first.id, second.id]
    assert [po["id"] for po in client.search_purchase_orders(status="canceled")] == [
        second.id
    ]
    by_po = client.search_orders(purchase_order_ids=[third.id])
    assert [o["id"] for o in by_po] == [order["id"]]
    assert [o["id"] for o in client.search_orders(ids=[order["id"]])] == [order["id"]]
    assert client.search_orders(ids=[order["id"]], status="cancelled") == []

    exchanges.clear()
    cancelled = client.search_orders(status="cancelled")

    assert [o["purchaseOrderId"] for o in cancelled] == [second.id]
    assert [o["status"] for o in cancelled] == ["cancelled"]
    assert "status=canceled&" in exchanges[0].url


def test_an_empty_id_list_finds_nothing_without_asking(client, sandbox):
    client.create_purchase_order(purchase_order())
    count = sandbox.request_count

    assert client.search_orders(purchase_order_ids=[]) == []
    assert client.search_purchase_orders(ids=[]) == []
    assert sandbox.request_count == count


def test_a_long_id_list_is_searched_in_batches(client, exchanges):
    first = client.create_purchase_order(purchase_order("MANY-1"))
    second = client.create_purchase_order(purchase_order("MANY-2"))
    exchanges.clear()

    ids = [first.id, *range(1, 100), second.id]
    orders = client.search_orders(purchase_order_ids=ids)

    assert sorted(o["purchaseOrderId"] for o in orders) == [first.id, second.id]
    assert len(exchanges) == 2
    assert all(len(exchange.url) < 1000 for exchange in exchanges)


def test_a_status_change_that_keeps_its_date_is_seen_only_by_id(client, sandbox):
    sandbox.settings.silent_status_changes = True
    created = client.create_purchase_order(purchase_order())
    (order,) = client.purchase_order_orders(created.id)
    # A sync that ran after the create asks for what changed since.
    stamp = datetime.fromisoformat(order["lastUpdatedDate"]) + timedelta(seconds=1)

    moved = requests.post(
        f"{sandbox.url}/_sandbox/orders/{order['id']}/process", timeout=5
    )

    assert moved.json()["resource"]["status"] == "processed"
    assert client.search_orders(updated_after=stamp) == []
    assert client.search_purchase_orders(updated_after=stamp) == []
    (seen,) = client.search_orders(ids=[order["id"]])
    assert seen["status"] == "processed"
    assert seen["lastUpdatedDate"] == order["lastUpdatedDate"]


def test_clearing_an_orders_holds(client, sandbox):
    created = client.create_purchase_order(purchase_order())
    (order,) = client.purchase_order_orders(created.id)
    sandbox.add_order_hold(order["id"], "Address needs a suite number")
    assert client.get_order(order["id"])["status"] == "held"

    client.clear_order_holds(order["id"])

    assert client.get_order(order["id"])["status"] == "unprocessed"
    assert client.order_holds(order["id"]) == []
    (hold,) = client.order_holds(order["id"], include_cleared=True)
    assert hold["description"] == "Address needs a suite number"
    assert hold["clearedDate"] is not None


def test_clearing_a_purchase_order_hold(client, sandbox):
    created = client.create_purchase_order(purchase_order(hold=1))
    assert created.status == "onHold"
    assert client.purchase_order_orders(created.id) == []

    client.clear_purchase_order_hold(created.id)

    assert client.get_purchase_order(created.id)["status"] == "approved"
    (order,) = client.purchase_order_orders(created.id)
    assert order["status"] == "unprocessed"
    with pytest.raises(ShipwireStateError) as caught:
        client.clear_purchase_order_hold(created.id)
    assert caught.value.errors[0].message == "Purchase order is not on hold"


@pytest.fixture
def small_pages(sandbox, exchanges):
    client = ShipwireClient(
        sandbox.username,
        sandbox.password,
        sandbox.url,
        page_size=2,
        exchange_hook=exchanges.append,
    )
    yield client
    client.close()


@pytest.mark.parametrize("prefixless", [False, True])
def test_next_links_are_followed_with_or_without_the_api_prefix(
    small_pages, sandbox, exchanges, prefixless
):
    sandbox.settings.prefixless_paging_links = prefixless
    for number in range(5):
        small_pages.create_purchase_order(purchase_order(f"LINK-{number}"))
    exchanges.clear()

    found = small_pages.search_purchase_orders(status="approved")

    assert sorted(po["externalId"] for po in found) == [f"LINK-{n}" for n in range(5)]
    assert len(exchanges) == 3
    assert all(
        e.url.startswith(f"{sandbox.api_url}/purchaseOrders?status=approved&")
        for e in exchanges
    )


def test_paging_that_leads_back_to_a_page_is_stopped(small_pages, sandbox, exchanges):
    for number in range(3):
        small_pages.create_purchase_order(purchase_order(f"LOOP-{number}"))
    sandbox.settings.looping_paging_links = True
    exchanges.clear()

    with pytest.raises(ShipwireTransientError, match="leads back"):
        small_pages.search_purchase_orders()
    assert len(exchanges) == 2


def test_secrets_are_listed_across_pages_whose_links_lack_the_prefix(small_pages):
    created = [small_pages.create_secret()["id"] for _ in range(3)]

    assert [secret["id"] for secret in small_pages.list_secrets()] == created


def test_next_links_are_only_followed_on_the_configured_host(
    small_pages, sandbox, exchanges
):
    sandbox.settings.public_url = "https://api.beta.shipwire.com"
    for number in range(3):
        small_pages.create_purchase_order(purchase_order(f"HOST-{number}"))
    exchanges.clear()

    assert len(small_pages.search_purchase_orders()) == 3
    assert len(exchanges) == 2
    assert all(e.url.startswith(sandbox.api_url) for e in exchanges)
