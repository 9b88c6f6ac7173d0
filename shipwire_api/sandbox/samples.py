"""A purchase order the demo catalogue accepts, for tests, benchmarks and demos."""


def sample_purchase_order(
    external_id="PO-1", sku="DIAMOND-1", quantity=1, approved=True, **options
):
    """A valid create body; ``options`` land in ``options``."""
    return {
        "externalId": external_id,
        "purchaseOrderNo": f"SO-{external_id}"[:25],
        "options": {
            "isApproved": 1 if approved else 0,
            "serviceLevelCode": "GD",
            **options,
        },
        "shipTo": {
            "name": "Receiving Dept",
            "company": "Max Retail",
            "address1": "1 Main Lane",
            "city": "Los Angeles",
            "state": "CA",
            "postalCode": "91111",
            "country": "US",
            "isCommercial": 1,
        },
        "items": [{"sku": sku, "quantity": quantity}],
    }
