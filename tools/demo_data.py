"""Demo data for `make demo`, loaded through Odoo's ORM in this process.

    python3 tools/demo_data.py --config ODOO.CONF --database DB \\
        --sandbox-url http://127.0.0.1:8765 --base-url http://localhost:8069

Creates what is missing and leaves the rest alone, so a second run changes nothing
but the account's URL and credentials (the sandbox port may differ between runs):

- the Shipwire account "Shipwire sandbox" (custom URL, splitting allowed), with the
  default warehouse mapped to the Shipwire warehouse LAX;
- products with weight and dimensions, whose Internal References the sandbox knows,
  and one it does not;
- a US retailer with a delivery address the sandbox cannot verify, and retailer SKUs;
- confirmed B2B orders: one with the retailer's PO number, a shipping window and a
  packing-list message; one that Shipwire splits between LAX and PHL; one with an
  unknown SKU, sent at once and rejected by Shipwire; one plain order.

The admin password is set to "admin" and ``web.base.url`` to the demo URL. Prints one
line per demo order: ``id<TAB>name<TAB>description``.
"""

import argparse
import sys
from datetime import timedelta

import odoo
from odoo import Command, fields

DEMO_ORIGIN = "Shipwire demo"
ACCOUNT_NAME = "Shipwire sandbox"
RETAILER_REF = "MAX-RETAIL"
PRODUCTS = [
    # (name, Internal Reference, barcode, weight in kg, (length, width, height) in mm)
    ("Diamond ring", "DIAMOND-1", "0001234567891", 0.2, (80, 80, 50)),
    ("Ruby pendant", "RUBY-2", False, 0.1, (60, 40, 20)),
    ("Emerald earrings", "EMERALD-3", False, 0.1, (60, 60, 30)),
    ("Walnut jewellery box", "ONLY-LAX", False, 1.5, (300, 200, 120)),
    ("Glass display case", "ONLY-PHL", False, 6.0, (600, 400, 400)),
    # Not in the sandbox's catalogue: the order with it is sent when the demo is
    # loaded and Shipwire rejects it. Send the product to Shipwire, then update the
    # order: Shipwire keeps the PO this time.
    ("Sapphire brooch", "SAPPHIRE-9", False, 0.1, (50, 50, 20)),
]
# The demo order sent at load, so that a rejected PO is there to look at.
REJECTED_ORDER = 2


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--database", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--sandbox-user", default="sandbox")
    parser.add_argument("--sandbox-password", default="sandbox")
    parser.add_argument("--base-url", required=True, help="the demo's Odoo URL")
    return parser.parse_args(argv)


def ensure_account(env, options):
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    backend = env["shipwire.backend"].search([("name", "=", ACCOUNT_NAME)], limit=1)
    values = {
        "environment": "custom",
        "custom_url": options.sandbox_url,
        "username": options.sandbox_user,
        "password": options.sandbox_password,
    }
    if backend:
        backend.write(values)
    else:
        backend = env["shipwire.backend"].create(
            {
                "name": ACCOUNT_NAME,
                "read_timeout": 30,
                "can_split": True,
                "channel_name": "Odoo demo",
                **values,
            }
        )
    if not backend.warehouse_ids.filtered(lambda m: m.warehouse_id == warehouse):
        backend.warehouse_ids = [
            Command.create(
                {"warehouse_id": warehouse.id, "shipwire_warehouse_external_id": "LAX"}
            )
        ]
    return backend


def ensure_products(env):
    products = {}
    for name, sku, barcode, weight, (length, width, height) in PRODUCTS:
        product = env["product.product"].search([("default_code", "=", sku)], limit=1)
        # Weight, dimensions and cost: what Shipwire's catalogue needs.
        values = {
            "weight": weight,
            "shipwire_length": length,
            "shipwire_width": width,
            "shipwire_height": height,
            "standard_price": 60,
        }
        if product:
            product.write(
                {key: value for key, value in values.items() if not product[key]}
            )
        else:
            product = env["product.product"].create(
                {
                    "name": name,
                    "default_code": sku,
                    "barcode": barcode,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 120,
                    **values,
                }
            )
        products[sku] = product
    return products


def ensure_retailer(env, products):
    Partner = env["res.partner"]
    retailer = Partner.search([("ref", "=", RETAILER_REF)], limit=1)
    if retailer:
        store = retailer.child_ids.filtered(lambda p: p.type == "delivery")[:1]
        return retailer, store or retailer
    california = env.ref("base.state_us_5")
    us = env.ref("base.us")
    retailer = Partner.create(
        {
            "name": "Max Retail Inc.",
            "ref": RETAILER_REF,
            "is_company": True,
            "street": "1 Main Lane",
            "city": "Los Angeles",
            "zip": "90012",
            "state_id": california.id,
            "country_id": us.id,
            "phone": "+1 213 555 0100",
            "email": "purchasing@max-retail.example.com",
        }
    )
    # "Unverified" in the street: the sandbox answers with an address warning.
    store = Partner.create(
        {
            "name": "Store 12 receiving",
            "type": "delivery",
            "parent_id": retailer.id,
            "street": "88 Unverified Road",
            "city": "Pasadena",
            "zip": "91101",
            "state_id": california.id,
            "country_id": us.id,
            "phone": "+1 626 555 0112",
            "email": "store12@max-retail.example.com",
        }
    )
    env["shipwire.retailer.product"].create(
        [
            {
                "partner_id": retailer.id,
                "product_id": products["DIAMOND-1"].id,
                "retailer_sku": "MAX-DR-001",
                "retailer_description": "Ring, diamond, 14k",
            },
            {
                "partner_id": retailer.id,
                "product_id": products["RUBY-2"].id,
                "retailer_sku": "MAX-RP-002",
                "retailer_description": "Pendant, ruby",
            },
        ]
    )
    return retailer, store


def order_specs(today):
    """``[(description, order values, [(SKU, quantity)])]`` of the demo orders."""
    return [
        (
            "retailer PO number, shipping window, packing list; address warning",
            {
                "client_order_ref": "MAX-PO-4711",
                "shipwire_shipping_window_type": "BETWEEN",
                "shipwire_shipping_window_start": today + timedelta(days=3),
                "shipwire_shipping_window_end": today + timedelta(days=7),
                "shipwire_packing_message1": "Deliver to dock 4, Mon-Fri 8am-4pm",
            },
            [("DIAMOND-1", 2), ("RUBY-2", 3)],
        ),
        (
            "split between LAX and PHL (the account allows splitting)",
            {"client_order_ref": "MAX-PO-4712"},
            [("ONLY-LAX", 1), ("ONLY-PHL", 4)],
        ),
        (
            "unknown SKU SAPPHIRE-9: sent at load, rejected by Shipwire",
            {"client_order_ref": "MAX-PO-4713"},
            [("SAPPHIRE-9", 1), ("DIAMOND-1", 1)],
        ),
        ("plain order", {}, [("EMERALD-3", 6)]),
    ]


def ensure_orders(env, products, retailer, store):
    """``[(sale.order, description)]``; the orders are created on the first run."""
    SaleOrder = env["sale.order"]
    specs = order_specs(fields.Date.context_today(SaleOrder))
    existing = SaleOrder.search([("origin", "=", DEMO_ORIGIN)], order="id")
    if existing:
        return list(zip(existing, [spec[0] for spec in specs], strict=False))
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    salesperson = env.ref("base.user_admin")
    orders = []
    for index, (description, values, lines) in enumerate(specs):
        order = SaleOrder.create(
            {
                "partner_id": retailer.id,
                "user_id": salesperson.id,
                # The first order goes to the store, whose address the sandbox
                # cannot verify.
                "partner_shipping_id": (store if index == 0 else retailer).id,
                "warehouse_id": warehouse.id,
                "origin": DEMO_ORIGIN,
                "order_line": [
                    Command.create(
                        {"product_id": products[sku].id, "product_uom_qty": quantity}
                    )
                    for sku, quantity in lines
                ],
                **values,
            }
        )
        order.action_confirm()
        orders.append((order, description))
    # Sent before any stock sync tells Odoo the SKU is missing at Shipwire (after one,
    # Odoo would refuse to send it and say why instead).
    orders[REJECTED_ORDER][0].action_shipwire_send()
    return orders


def load(env, options):
    admin = env.ref("base.user_admin")
    admin.password = "admin"
    env["ir.config_parameter"].set_param("web.base.url", options.base_url)
    backend = ensure_account(env, options)
    products = ensure_products(env)
    retailer, store = ensure_retailer(env, products)
    orders = ensure_orders(env, products, retailer, store)
    return backend, orders


def main(argv=None):
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    odoo.tools.config.parse_config(
        ["-c", options.config, "-d", options.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(options.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        _backend, orders = load(env, options)
        lines = [f"{order.id}\t{order.name}\t{text}" for order, text in orders]
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
