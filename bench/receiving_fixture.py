"""What the receiving benchmarks start from: an account on a sandbox of its own
serving two Odoo warehouses (as LAX and PHL), products the sandbox stocks in both,
a vendor with an address, a receipt clerk and a stock manager, and confirmed
receipts of those products."""

import collections
import random

from harness import SandboxProcess

WAREHOUSES = (
    # Shipwire id, external id (= region), name
    (10, "LAX", "Los Angeles"),
    (20, "PHL", "Philadelphia"),
)
INITIAL_UNITS = 40
CREATE_CHUNK = 100
CLERK_GROUPS = "stock.group_stock_user,sale_stock_shipwire.group_shipwire_user"
MANAGER_GROUPS = "stock.group_stock_manager,sale_stock_shipwire.group_shipwire_manager"

Account = collections.namedtuple(
    "Account", "backend warehouses products vendor clerk manager"
)


def start_sandbox(workdir, name, skus, **options):
    """A sandbox process stocking ``skus`` in both warehouses."""
    catalogue = {
        "warehouses": [
            {"id": shipwire_id, "externalId": code, "name": city, "region": code}
            for shipwire_id, code, city in WAREHOUSES
        ],
        "stock": {sku: dict.fromkeys(_codes(), INITIAL_UNITS) for sku in skus},
    }
    return SandboxProcess(
        name,
        f"{name}-password",
        catalogue=catalogue,
        log_path=workdir / f"{name}.log",
        **options,
    ).start()


def _codes():
    return [code for _id, code, _name in WAREHOUSES]


def set_up(env, sandbox, tag, skus, **backend_values):
    """The account (named and prefixed after ``tag``) with its warehouses,
    products, vendor and users; committed."""
    from odoo import Command

    warehouses = env["stock.warehouse"].create(
        [
            {"name": f"{tag} {name}", "code": f"{tag[:2]}{code}"}
            for _id, code, name in WAREHOUSES
        ]
    )
    backend = env["shipwire.backend"].create(
        {
            "name": f"Bench {tag}",
            "environment": "custom",
            "custom_url": sandbox.url,
            "username": sandbox.username,
            "password": sandbox.password,
            "external_id_prefix": f"{tag.upper()}-",
            "warehouse_ids": [
                Command.create(
                    {
                        "warehouse_id": warehouse.id,
                        "shipwire_warehouse_external_id": code,
                    }
                )
                for warehouse, code in zip(warehouses, _codes(), strict=True)
            ],
            **backend_values,
        }
    )
    products = (
        env["product.template"]
        .with_context(tracking_disable=True)
        .create(
            [
                {
                    "name": f"{tag} {sku}",
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10,
                    "standard_price": 4,
                }
                for sku in skus
            ]
        )
        .product_variant_ids
    )
    vendor = env["res.partner"].create(
        {
            "name": f"{tag} Gem Supplies",
            "is_company": True,
            "street": "5 Quarry Road",
            "city": "Reno",
            "zip": "89501",
            "state_id": env.ref("base.state_us_5").id,
            "country_id": env.ref("base.us").id,
        }
    )
    clerk, manager = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": login,
                "login": login,
                "groups_id": [Command.set([env.ref(g).id for g in groups.split(",")])],
            }
        )
        for login, groups in (
            (f"{tag}_clerk", CLERK_GROUPS),
            (f"{tag}_manager", MANAGER_GROUPS),
        )
    )
    env.cr.commit()
    return Account(backend, warehouses, products, vendor, clerk, manager)


def create_receipts(env, account, count, seed, max_lines=1):
    """``count`` confirmed receipts spread over the warehouses, each of 1 to
    ``max_lines`` of the products (5 to 20 units each); committed in chunks.
    Returns their ids."""
    from odoo import Command

    rng = random.Random(seed)
    supplier = env.ref("stock.stock_location_suppliers")
    Picking = env["stock.picking"].with_context(tracking_disable=True)
    ids = []
    while len(ids) < count:
        values = []
        for index in range(len(ids), min(count, len(ids) + CREATE_CHUNK)):
            warehouse = account.warehouses[index % len(account.warehouses)]
            picking_type = warehouse.in_type_id
            destination = picking_type.default_location_dest_id
            products = rng.sample(list(account.products), rng.randint(1, max_lines))
            values.append(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": account.vendor.id,
                    "location_id": supplier.id,
                    "location_dest_id": destination.id,
                    "origin": f"PO-BENCH-{index}",
                    "move_ids": [
                        Command.create(
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": rng.randint(5, 20),
                                "product_uom": product.uom_id.id,
                                "location_id": supplier.id,
                                "location_dest_id": destination.id,
                            }
                        )
                        for product in products
                    ],
                }
            )
        receipts = Picking.create(values)
        receipts.action_confirm()
        env.cr.commit()
        ids += receipts.ids
        env.invalidate_all()
    return ids
