"""What the Odoo benchmarks start from: a Shipwire account on a sandbox serving the
database's default warehouse (as LAX), two products the sandbox stocks and a US
retailer, and confirmed orders for them."""

import collections

Fixture = collections.namedtuple("Fixture", "backend warehouse products retailer")

CREATE_CHUNK = 100


def create_fixture(env, sandbox_url, username, password, **backend_values):
    from odoo import Command

    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    backend = env["shipwire.backend"].create(
        {
            "name": "Bench sandbox",
            "environment": "custom",
            "custom_url": sandbox_url,
            "username": username,
            "password": password,
            "warehouse_ids": [
                Command.create(
                    {
                        "warehouse_id": warehouse.id,
                        "shipwire_warehouse_external_id": "LAX",
                    }
                )
            ],
            **backend_values,
        }
    )
    products = env["product.product"].create(
        [
            {
                "name": name,
                "default_code": sku,
                "type": "consu",
                "is_storable": True,
                "list_price": 100,
            }
            for name, sku in (("Diamond ring", "DIAMOND-1"), ("Ruby pendant", "RUBY-2"))
        ]
    )
    retailer = env["res.partner"].create(
        {
            "name": "Max Retail",
            "is_company": True,
            "street": "1 Main Lane",
            "city": "Los Angeles",
            "zip": "91111",
            "state_id": env.ref("base.state_us_5").id,  # California
            "country_id": env.ref("base.us").id,
        }
    )
    env.cr.commit()
    return Fixture(backend, warehouse, products, retailer)


def confirmed_orders(env, fixture, count):
    """``count`` confirmed orders of two of each product, committed in chunks."""
    from odoo import Command

    ids = []
    while len(ids) < count:
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": fixture.retailer.id,
                    "warehouse_id": fixture.warehouse.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 2})
                        for product in fixture.products
                    ],
                }
                for _ in range(min(CREATE_CHUNK, count - len(ids)))
            ]
        )
        orders.action_confirm()
        env.cr.commit()
        ids += orders.ids
        env.invalidate_all()
    return env["sale.order"].browse(ids)
