"""The client's returns (RMA) against the sandbox."""

import itertools
from datetime import datetime, timedelta, timezone

import pytest
import requests

from shipwire_api import (
    ReturnResult,
    ShipwireClient,
    ShipwireInputError,
    ShipwireNotFoundError,
    ShipwireNotReturnableError,
    ShipwireRejectedError,
    ShipwireStateError,
)
from shipwire_api.sandbox.samples import sample_purchase_order


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


def fulfillment_order(client, sandbox, external_id="PO-1", quantity=3, shipped=True):
    """The fulfillment order of a new purchase order, shipped unless told not."""
    po = client.create_purchase_order(
        sample_purchase_order(external_id, quantity=quantity)
    )
    [order] = client.purchase_order_orders(po.id)
    if shipped:
        sandbox.complete_order(order["id"])
    return order["id"]


def rma(order_id, external_id="RMA-1", quantity=1, **options):
    return {
        "externalId": external_id,
        "originalOrder": {"id": order_id},
        "items": [{"sku": "DIAMOND-1", "quantity": quantity}],
        "options": {"emailCustomer": 0, "generatePrepaidLabel": 1, **options},
    }


def control(sandbox, return_id, action, body=None):
    url = f"{sandbox.url}/_sandbox/returns/{return_id}/{action}"
    response = requests.post(url, json=body, timeout=5)
    assert response.status_code == 200, response.text


def test_create_returns_the_return_of_the_collection(client, sandbox, exchanges):
    order_id = fulfillment_order(client, sandbox)

    result = client.create_return(rma(order_id))

    assert isinstance(result, ReturnResult)
    assert isinstance(result.id, int) and not result.recovered
    assert result.resource["externalId"] == "RMA-1"
    assert result.resource["status"] == "processed"
    assert (result.errors, result.warnings) == ([], [])
    assert exchanges[-1].operation == "return create"
    assert client.get_return(result.id)["id"] == result.id
    assert exchanges[-1].operation == "return read"
    [item] = client.return_collection(result.id, "items")
    assert (item["expected"], item["pending"]) == (1, 1)


def test_a_held_order_is_not_returnable_yet(client, sandbox):
    order_id = fulfillment_order(client, sandbox, shipped=False)
    sandbox.add_order_hold(order_id, "Address check")

    with pytest.raises(ShipwireNotReturnableError) as caught:
        client.create_return(rma(order_id))

    [error] = caught.value.errors
    assert (error.code, error.id) == ("returnSubmitFailed", str(order_id))
    assert error.message.startswith('Only orders that are "processed"')
    assert client.search_returns() == []


def test_an_already_reported_return_is_found_not_made_twice(client, sandbox):
    order_id = fulfillment_order(client, sandbox)
    first = client.create_return(rma(order_id))

    again = client.create_return(rma(order_id))

    assert again.recovered and again.id == first.id
    assert len(client.search_returns()) == 1
    # Another externalId for the same order: the order's only live return.
    other = client.create_return(rma(order_id, "RMA-OTHER"))
    assert other.recovered and other.id == first.id


def test_already_reported_with_nothing_to_find_raises_the_refusal(client, sandbox):
    order_id = fulfillment_order(client, sandbox)
    client.create_return(rma(order_id, "RMA-A"))
    other_order = fulfillment_order(client, sandbox, "PO-2")

    with pytest.raises(ShipwireRejectedError, match="already reported") as caught:
        # RMA-A is taken by the first order's return: not this order's.
        client.create_return(rma(other_order, "RMA-A"))

    assert not isinstance(caught.value, ShipwireNotReturnableError)


def test_a_warning_is_kept_as_a_warning(client, sandbox):
    sandbox.settings.return_warehouse_warning = True
    order_id = fulfillment_order(client, sandbox)

    result = client.create_return(rma(order_id))

    assert result.id and result.errors == []
    [warning] = result.warnings
    assert (warning.type, warning.code) == ("warning", "returnSubmitFailed")
    assert "different warehouse" in warning.message


def test_other_refusals_raise_with_shipwire_s_message(client, sandbox):
    order_id = fulfillment_order(client, sandbox)

    with pytest.raises(ShipwireRejectedError, match="only 3 units") as caught:
        client.create_return(rma(order_id, quantity=4))

    assert not isinstance(caught.value, ShipwireNotReturnableError)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"externalId": "X" * 33}, "externalId"),
        ({"originalOrder": {"id": "PO-1"}}, "originalOrder.id"),
        ({"originalOrder": None}, "originalOrder.id"),
    ],
)
def test_bad_identifiers_are_refused_before_sending(client, exchanges, changes, words):
    with pytest.raises(ShipwireInputError, match=words):
        client.create_return({**rma(80012000), **changes})

    assert exchanges == []


def test_cancel_then_cancel_again_unknown_and_spelling(client, sandbox):
    created = client.create_return(rma(fulfillment_order(client, sandbox)))

    body = client.cancel_return(created.id)

    assert body["message"] == "Return Order cancelled"
    with pytest.raises(ShipwireStateError):
        client.cancel_return(created.id)
    with pytest.raises(ShipwireNotFoundError):
        client.cancel_return(999999)
    sandbox.settings.receiving_cancelled_spelling = "canceled"
    assert client.get_return(created.id)["status"] == "canceled"
    assert len(client.search_returns(status="cancelled")) == 1


def test_a_return_being_counted_cannot_be_cancelled(client, sandbox):
    created = client.create_return(rma(fulfillment_order(client, sandbox)))
    control(sandbox, created.id, "receive", {"sku": "DIAMOND-1", "good": 1})

    with pytest.raises(ShipwireStateError, match="cannot be cancelled"):
        client.cancel_return(created.id)

    assert client.get_return(created.id)["status"] == "delivered"


def test_pages_follow_next_links_with_expand(client, sandbox, exchanges):
    ids = [
        client.create_return(
            rma(fulfillment_order(client, sandbox, f"PO-{n}"), f"R-{n}")
        ).id
        for n in range(5)
    ]

    pages = list(client.return_pages(expand="items", page_size=2))

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(r["id"] for page in pages for r in page) == sorted(ids)
    assert all("resource" in r["items"] for page in pages for r in page)
    assert [e.operation for e in exchanges[-3:]] == ["return search"] * 3
    found = client.search_returns(ids=ids[:2], external_ids=["R-1", "R-4"])
    assert [r["externalId"] for r in found] == ["R-1"]


def test_updated_after_keeps_what_changed_since(client, sandbox):
    moments = itertools.count(1_700_000_000, 60)
    sandbox.store.clock = lambda: float(next(moments))
    old = client.create_return(rma(fulfillment_order(client, sandbox, "PO-O"), "OLD"))
    new = client.create_return(rma(fulfillment_order(client, sandbox, "PO-N"), "NEW"))
    after_old = sandbox.store.clock() - 90
    after = datetime.fromtimestamp(after_old, timezone(timedelta(hours=-8)))

    assert [r["id"] for r in client.search_returns(updated_after=after)] == [new.id]
    control(sandbox, old.id, "complete")
    assert {r["id"] for r in client.search_returns(updated_after=after)} == {
        old.id,
        new.id,
    }


def test_labels_come_as_pdf_bytes(client, sandbox, exchanges):
    created = client.create_return(rma(fulfillment_order(client, sandbox)))

    pdf = client.return_labels_pdf(created.id)

    assert pdf.startswith(b"%PDF-1.4")
    assert exchanges[-1].operation == "return labels"
    with pytest.raises(ShipwireNotFoundError):
        client.return_labels_pdf(999999)


def test_the_returns_of_one_order(client, sandbox):
    order_id = fulfillment_order(client, sandbox)
    created = client.create_return(rma(order_id))
    client.cancel_return(created.id)
    again = client.create_return(rma(order_id, "RMA-2"))

    found = client.order_returns(order_id)

    assert sorted(r["id"] for r in found) == [created.id, again.id]
    assert client.find_return("RMA-1")["id"] == created.id
    assert client.find_return("RMA-9") is None


def test_a_lost_answer_is_retried_into_the_same_return(client, sandbox):
    order_id = fulfillment_order(client, sandbox)
    client.timeout = (2, 0.3)
    sandbox.faults.inject("timeout_commit", count=1, seconds=1, path="/returns")

    result = client.create_return(rma(order_id))

    assert result.recovered and result.resource["externalId"] == "RMA-1"
    assert len(client.search_returns()) == 1
