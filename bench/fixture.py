"""What the Odoo benchmarks start from: a Shipwire account on a sandbox serving the
database's default warehouse (as LAX), two products the sandbox stocks and a US
retailer, and confirmed orders for them. A second company, with a warehouse of
its own served by a second account, shares the products and the retailer."""

import collections

Fixture = collections.namedtuple("Fixture", "backend warehouse products retailer")

CREATE_CHUNK = 100


def create_fixture(env, sandbox_url, username, password, **backend_values):

    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    backend = _account(
        env, "Bench sandbox", warehouse, sandbox_url, username, password, backend_values
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


def _account(env, name, warehouse, sandbox_url, username, password, values):
    """An account on ``sandbox_url`` serving ``warehouse`` as LAX, in its company."""
    from odoo import Command

    company = warehouse.company_id
    return (
        env["shipwire.backend"]
        .with_company(company)
        .create(
            {
                "name": name,
                "company_id": company.id,
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
                **values,
            }
        )
    )


def second_company_fixture(
    env, fixture, sandbox_url, username, password, **backend_values
):
    """A second company (the administrator works in both) with its own warehouse
    mapped, as LAX, to a second account on ``sandbox_url``."""

    company = env["res.company"].create(
        {
            "name": "Bench company B",
            "currency_id": env.company.currency_id.id,
        }
    )
    env.ref("base.user_admin").company_ids |= company
    # Odoo makes a new company's warehouse only in its own tests.
    warehouse = (
        env["stock.warehouse"]
        .with_company(company)
        .create({"name": "Bench B", "code": "BNCHB", "company_id": company.id})
    )
    backend = _account(
        env,
        "Bench sandbox B",
        warehouse,
        sandbox_url,
        username,
        password,
        backend_values,
    )
    env.cr.commit()
    return Fixture(backend, warehouse, fixture.products, fixture.retailer)


def confirmed_orders(env, fixture, count):
    """``count`` confirmed orders of two of each product in the fixture's company,
    committed in chunks."""
    from odoo import Command

    SaleOrder = env["sale.order"].with_company(fixture.warehouse.company_id)
    ids = []
    while len(ids) < count:
        orders = SaleOrder.create(
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
