"""The product catalogue: creating products in a list, reading, searching and
updating them, and what their SKUs mean to purchase orders."""

import pytest


def product_body(sku, **changes):
    return {
        "sku": sku,
        "externalId": f"odoo-{sku}",
        "description": f"Product {sku}",
        "category": "OTHER",
        "batteryConfiguration": "NOBATTERY",
        "values": {"costValue": 4.5, "wholesaleValue": 7, "retailValue": "9.99"},
        "dimensions": {"length": 10, "width": 5, "height": 2, "weight": 0.4},
        "flags": {"isFragile": 1, "isPerishable": 0},
        "classification": "baseProduct",
        **changes,
    }


def test_created_products_echo_what_was_sent_with_their_id(sandbox, api):
    bodies = [product_body("NEW-1"), product_body("NEW-2")]

    response = api.post("/products", bodies)

    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["resourceLocation"] == (
        f"{sandbox.api_url}/products?offset=0&limit=2"
    )
    assert "errors" not in envelope
    created = envelope["resource"]
    assert (created["total"], created["next"]) == (2, None)
    # In another order than sent, as recorded.
    assert [entry["resource"]["sku"] for entry in created["items"]] == [
        "NEW-2",
        "NEW-1",
    ]
    for body, entry in zip(bodies, reversed(created["items"]), strict=True):
        product = entry["resource"]
        assert entry["resourceLocation"] == (
            f"{sandbox.api_url}/products/baseProducts/{product['id']}"
        )
        assert {key: product[key] for key in body} == body
        assert product["status"] == "outofstock"
        again = api.get(f"/products/{product['id']}").json()
        assert (again["resourceLocation"], again["resource"]) == (
            entry["resourceLocation"],
            product,
        )
        assert api.get(entry["resourceLocation"]).json()["resource"] == product


def test_products_are_searched_by_sku_and_the_skus_starting_with_it(api):
    api.post("/products", [product_body("NEW-1"), product_body("NEW-10")])

    found = api.get("/products", params={"sku": "NEW-1,DIAMOND-1,NONE"}).json()
    assert [e["resource"]["sku"] for e in found["resource"]["items"]] == [
        "DIAMOND-1",
        "NEW-1",
        "NEW-10",
    ]
    everything = api.get("/products", params={"limit": 5}).json()["resource"]
    assert everything["total"] == 9
    assert len(everything["items"]) == 5
    assert everything["next"].endswith("offset=5&limit=5")


def test_a_list_creates_its_valid_products_and_names_each_refused_one(api):
    """As recorded: 4 products sent, 3 created, an error for the fourth."""
    unclassified = product_body("NEW-4")
    del unclassified["classification"]
    bodies = [product_body("NEW-1"), product_body("NEW-2")]
    bodies += [unclassified, product_body("NEW-3")]

    response = api.post("/products", bodies)

    assert response.status_code == 200, response.text
    envelope = response.json()
    assert (envelope["status"], envelope["message"]) == (200, "Successful")
    assert envelope["resource"]["total"] == 3
    created = [entry["resource"] for entry in envelope["resource"]["items"]]
    assert [product["sku"] for product in created] == ["NEW-3", "NEW-2", "NEW-1"]
    assert all(product["id"] for product in created)
    assert envelope["errors"] == [
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3 (sku NEW-4): Product Classification not detected. "
            "Please pass classification for each product.",
            "field": "classification",
        }
    ]
    found = api.get("/products", params={"sku": "NEW-4"}).json()["resource"]
    assert found["total"] == 0


@pytest.mark.parametrize("named_by", ["sku", "externalId"])
def test_the_error_of_a_refused_product_can_name_it_by_a_field(sandbox, api, named_by):
    sandbox.settings.refused_product_named_by = named_by
    sandbox.settings.refused_product_skus = {"NEW-2": "Product refused"}
    refused = product_body("NEW-2")

    envelope = api.post("/products", [product_body("NEW-1"), refused]).json()

    assert [e["resource"]["sku"] for e in envelope["resource"]["items"]] == ["NEW-1"]
    assert envelope["errors"] == [
        {
            "type": "error",
            "code": "productSubmitFailed",
            "message": "Product refused",
            named_by: refused[named_by],
        }
    ]


def test_one_invalid_product_can_refuse_the_whole_list_naming_it(sandbox, api):
    sandbox.settings.product_list_refusal = "whole"
    invalid = product_body("BAD-2", description=" ")
    invalid["dimensions"]["weight"] = 0
    del invalid["values"]["retailValue"]

    response = api.post("/products", [product_body("GOOD-1"), invalid, {"x": 1}])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 2 (sku BAD-2): description is required",
            "field": "description",
        },
        {
            "type": "error",
            "code": "invalidField",
            "message": "Item 2 (sku BAD-2): dimensions.weight must be a number above 0",
            "field": "dimensions.weight",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 2 (sku BAD-2): values.retailValue is required",
            "field": "values.retailValue",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3: sku is required",
            "field": "sku",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3: description is required",
            "field": "description",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3: Product Classification not detected. Please pass "
            "classification for each product.",
            "field": "classification",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3: dimensions (length, width, height, weight) "
            "are required",
            "field": "dimensions",
        },
        {
            "type": "error",
            "code": "missingField",
            "message": "Item 3: values (costValue, retailValue) are required",
            "field": "values",
        },
    ]
    found = api.get("/products", params={"sku": "GOOD-1"}).json()["resource"]
    assert found["total"] == 0


def test_other_refusals_of_a_product_list(api):
    cases = [
        ([product_body("X" * 51)], "sku must be at most 50 characters"),
        ([product_body("K-1", classification="kit")], "classification must be"),
        ([product_body("F-1", flags={"isFragile": 2})], "flags must each be 0 or 1"),
        (
            [product_body("V-1", values={"costValue": "cheap", "retailValue": -1})],
            "values.costValue must be a number 0 or more",
        ),
        ([product_body("S-1"), product_body("S-1")], "SKU S-1 is given more than once"),
    ]
    for bodies, message in cases:
        response = api.post("/products", bodies)
        assert response.status_code == 200
        errors = response.json()["errors"]
        assert any(message in error["message"] for error in errors), errors
    for body in ({"sku": "A"}, []):
        assert api.post("/products", body).status_code == 400


def test_a_sku_in_the_account_already_is_refused(api):
    response = api.post("/products", [product_body("DIAMOND-1")])

    assert response.status_code == 200
    assert response.json()["resource"]["total"] == 0
    [error] = response.json()["errors"]
    assert error == {
        "type": "error",
        "code": "duplicateSku",
        "message": "Item 1 (sku DIAMOND-1): SKU DIAMOND-1 already exists",
        "field": "sku",
    }


def test_a_created_sku_is_known_to_purchase_orders_without_stock(api, po_body):
    refused = api.create(po_body("UNKNOWN-1", sku="NEW-1"))
    assert "Missing or unrecognized SKUs" in refused["v4Errors"][0]["message"]
    created = api.post("/products", [product_body("NEW-1")]).json()
    product_id = created["resource"]["items"][0]["resource"]["id"]

    assert api.get("/stock", params={"sku": "NEW-1"}).json()["resource"]["total"] == 0
    po = api.create_ok(po_body("KNOWN-1", sku="NEW-1"))
    [order] = api.orders_of(po["id"])
    holds = api.get(f"/orders/{order['id']}/holds").json()["resource"]["items"]
    assert [hold["resource"]["description"] for hold in holds] == [
        "Insufficient stock: NEW-1 (ordered 1, available 0)"
    ]
    items = api.get(f"/orders/{order['id']}/items").json()["resource"]["items"]
    assert [item["resource"]["productId"] for item in items] == [product_id]


def test_update_changes_a_product_and_keeps_skus_unique(api, po_body):
    [entry] = api.post("/products", [product_body("NEW-1")]).json()["resource"]["items"]
    product_id = entry["resource"]["id"]

    updated = api.put(
        f"/products/{product_id}",
        {
            "description": "Renamed",
            "sku": "NEW-9",
            "dimensions": {**entry["resource"]["dimensions"], "weight": 2},
        },
    )

    assert updated.status_code == 200, updated.text
    product = updated.json()["resource"]
    assert (product["id"], product["sku"], product["description"]) == (
        product_id,
        "NEW-9",
        "Renamed",
    )
    assert product["dimensions"]["weight"] == 2
    assert product["values"] == entry["resource"]["values"]
    assert api.create(po_body("OLD-SKU", sku="NEW-1"))["resource"]["total"] == 0
    api.create_ok(po_body("NEW-SKU", sku="NEW-9"))

    taken = api.put(f"/products/{product_id}", {"sku": "RUBY-2"})
    assert taken.status_code == 400
    assert taken.json()["errors"][0]["message"] == (
        f"Product {product_id} (sku NEW-9): SKU RUBY-2 already exists"
    )
    invalid = api.put(f"/products/{product_id}", {"values": {"costValue": 1}})
    assert invalid.json()["errors"][0]["field"] == "values.retailValue"
    assert api.get(f"/products/{product_id}").json()["resource"] == product
    assert api.put("/products/999", product_body("NEW-1")).status_code == 404


def test_product_details_can_read_as_the_bare_links_recorded(sandbox, api):
    sandbox.settings.product_details_as_links = True

    created = api.post("/products", [product_body("NEW-1")]).json()

    product = created["resource"]["items"][0]["resource"]
    details = ("values", "dimensions", "flags")
    assert {key: product[key] for key in details} == dict.fromkeys(
        details, {"resourceLocation": None}
    )
    assert (product["sku"], product["externalId"]) == ("NEW-1", "odoo-NEW-1")
