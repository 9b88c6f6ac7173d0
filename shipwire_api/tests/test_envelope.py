from shipwire_api.envelope import collect_messages, mentions_duplicate


def test_messages_of_every_known_shape_are_collected_once():
    body = {
        "status": 200,
        "message": "Successful",
        "errors": [
            {
                "type": "error",
                "code": "orderSubmitFailed",
                "message": "No items in order",
            }
        ],
        "warnings": ["Could not verify shipping address"],
        "v4Errors": [{"code": 42, "message": "Bad SKU", "field": "items[0].sku"}],
        "v4Warnings": [{"unexpected": "shape"}],
        "resource": {
            "total": 0,
            "items": [
                {
                    "errors": [
                        {
                            "type": "error",
                            "code": "orderSubmitFailed",
                            "message": "No items in order",
                        }
                    ]
                }
            ],
        },
    }

    errors, warnings = collect_messages(body)

    assert [e.message for e in errors] == ["No items in order", "Bad SKU"]
    assert errors[1].code == "42" and errors[1].field == "items[0].sku"
    assert str(errors[1]) == "Bad SKU (items[0].sku)"
    assert warnings[0].message == "Could not verify shipping address"
    assert "unexpected" in warnings[1].message


def test_duplicate_is_found_in_any_place_and_case():
    assert mentions_duplicate({"message": "DUPLICATE order"})
    assert mentions_duplicate({"v4Errors": [{"message": "Duplicate externalId"}]})
    assert mentions_duplicate({"errors": ["duplicate"]})
    assert not mentions_duplicate({"message": "Successful", "errors": ["No items"]})
