"""The client's receivings (inbound shipments) against the sandbox."""

import itertools
from datetime import datetime, timedelta, timezone

import pytest
import requests

from shipwire_api import (
    ReceivingResult,
    ShipwireClient,
    ShipwireInputError,
    ShipwireNotFoundError,
    ShipwireRejectedError,
    ShipwireStateError,
    ShipwireTimeoutError,
)


def receiving(external_id="IN-1", sku="DIAMOND-1", quantity=5, **changes):
    return {
        "externalId": external_id,
        "expectedDate": "2025-06-02T00:00:00-07:00",
        "options": {"warehouseExternalId": "LAX"},
        "arrangement": {"type": "none"},
        "shipments": [{"length": 10, "width": 8, "height": 6, "weight": 3}],
        "items": [{"sku": sku, "quantity": quantity}],
        "shipFrom": {"name": "Gem Supply", "country": "US"},
        **changes,
    }


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


def control(sandbox, receiving_id, action, body=None):
    url = f"{sandbox.url}/_sandbox/receivings/{receiving_id}/{action}"
    response = requests.post(url, json=body, timeout=5)
    assert response.status_code == 200, response.text


def test_create_returns_the_receiving_of_the_collection(client, exchanges):
    result = client.create_receiving(receiving())

    assert isinstance(result, ReceivingResult)
    assert isinstance(result.id, int) and not result.recovered
    assert result.resource["externalId"] == "IN-1"
    assert result.resource["status"] == "processed"
    assert (result.errors, result.warnings) == ([], [])
    assert [e.operation for e in exchanges] == ["receiving create"]
    assert client.get_receiving(result.id)["id"] == result.id


def test_a_repeated_create_finds_the_first(client, sandbox, exchanges):
    first = client.create_receiving(receiving())

    again = client.create_receiving(receiving())

    assert again.recovered and again.id == first.id
    assert "receiving search" in [e.operation for e in exchanges]
    assert len(client.search_receivings()) == 1


def test_a_lost_answer_is_retried_into_the_same_receiving(client, sandbox):
    client.timeout = (2, 0.3)
    sandbox.faults.inject("timeout_commit", count=1, seconds=1)

    result = client.create_receiving(receiving())

    assert result.recovered and result.resource["externalId"] == "IN-1"
    assert len(client.search_receivings()) == 1


def test_a_click_timeout_is_one_try_then_find_tells(client, sandbox):
    sandbox.faults.inject("timeout_commit", count=1, seconds=1)

    with pytest.raises(ShipwireTimeoutError, match="within 0.3 seconds"):
        client.create_receiving(receiving(), timeout=0.3)

    assert sandbox.stats()["receivingCreates"] == 1
    assert client.find_receiving("IN-1")["externalId"] == "IN-1"
    assert client.find_receiving("IN-2") is None


def test_a_refusal_raises_with_shipwire_s_message(client):
    with pytest.raises(ShipwireRejectedError) as caught:
        client.create_receiving(receiving(sku="NO-SUCH-SKU"))

    assert "unrecognized SKUs" in str(caught.value)
    assert client.search_receivings() == []


@pytest.mark.parametrize(
    "changes, field",
    [({"externalId": "X" * 33}, "externalId"), ({"orderNo": "N" * 26}, "orderNo")],
)
def test_long_identifiers_are_refused_before_sending(client, exchanges, changes, field):
    with pytest.raises(ShipwireInputError, match=field):
        client.create_receiving(receiving(**changes))

    assert exchanges == []


def test_update_answers_the_receiving(client, exchanges):
    created = client.create_receiving(receiving())

    result = client.update_receiving(created.id, receiving(quantity=8))

    assert result.id == created.id and not result.recovered
    items = client.get_receiving(created.id, expand="items")["items"]["resource"]
    assert items["items"][0]["resource"]["expected"] == 8
    assert exchanges[-2].operation == "receiving update"
    with pytest.raises(ShipwireRejectedError, match="No items"):
        client.update_receiving(created.id, receiving(items=[]))


def test_cancel_then_cancel_again_and_unknown(client, sandbox):
    created = client.create_receiving(receiving())

    body = client.cancel_receiving(created.id)

    assert body["message"] == "Receiving was cancelled"
    with pytest.raises(ShipwireStateError):
        client.cancel_receiving(created.id)
    with pytest.raises(ShipwireNotFoundError):
        client.cancel_receiving(999999)
    sandbox.settings.receiving_cancelled_spelling = "canceled"
    assert client.get_receiving(created.id)["status"] == "canceled"
    assert len(client.search_receivings(status="cancelled")) == 1
    assert len(client.search_receivings(status=["canceled", "processed"])) == 1


def test_a_receiving_being_counted_cannot_be_cancelled(client, sandbox):
    created = client.create_receiving(receiving())
    control(sandbox, created.id, "receive", {"sku": "DIAMOND-1", "good": 2})

    with pytest.raises(ShipwireStateError, match="cannot be cancelled"):
        client.cancel_receiving(created.id)

    read = client.get_receiving(created.id, expand="items")
    assert read["status"] == "delivered"
    item = read["items"]["resource"]["items"][0]["resource"]
    assert (item["pending"], item["good"]) == (3, 2)


def test_pages_follow_next_links_with_expand(client, sandbox, exchanges):
    ids = [client.create_receiving(receiving(f"P-{n}")).id for n in range(5)]

    pages = list(client.receiving_pages(expand="items", page_size=2))

    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(r["id"] for page in pages for r in page) == sorted(ids)
    assert all("resource" in r["items"] for page in pages for r in page)
    assert [e.operation for e in exchanges[-3:]] == ["receiving search"] * 3
    found = client.search_receivings(ids=ids[:2], external_ids=["P-1", "P-4"])
    assert [r["externalId"] for r in found] == ["P-1"]


def test_updated_after_keeps_what_changed_since(client, sandbox):
    moments = itertools.count(1_700_000_000, 60)
    sandbox.store.clock = lambda: float(next(moments))
    old = client.create_receiving(receiving("OLD"))
    new = client.create_receiving(receiving("NEW"))
    after = datetime.fromtimestamp(1_700_000_030, timezone(timedelta(hours=-8)))

    found = client.search_receivings(updated_after=after)

    assert [r["id"] for r in found] == [new.id]
    control(sandbox, old.id, "complete")
    assert {r["id"] for r in client.search_receivings(updated_after=after)} == {
        old.id,
        new.id,
    }
    completed = client.search_receivings(status="completed")
    assert [r["id"] for r in completed] == [old.id]


def test_labels_come_as_pdf_bytes(client, exchanges):
    created = client.create_receiving(receiving())

    pdf = client.receiving_labels_pdf(created.id)

    assert pdf.startswith(b"%PDF-1.4")
    assert exchanges[-1].operation == "receiving labels"
    assert "bytes of application/pdf" in exchanges[-1].response_body
    with pytest.raises(ShipwireNotFoundError):
        client.receiving_labels_pdf(999999)
