"""What the return benchmark starts from: an account that may split orders, on a
sandbox of its own stocking some products in both its warehouses (LAX, PHL) and
others in one only, serving the company's warehouse as LAX; a retailer, a receipt
clerk and a stock manager; sales orders sent to Shipwire and shipped by it, a
third of them split over both warehouses, their deliveries validated by the sync;
then return pickings of those deliveries, as the clerk makes them with Return."""

import collections
import random

from harness import SandboxProcess, log
from receiving_fixture import CLERK_GROUPS, MANAGER_GROUPS, WAREHOUSES
from webhook_check import run_sync_job

SHARED_SKUS = [f"RET-{index}" for index in range(1, 5)]
# A split order takes one of each: Shipwire ships them from different warehouses.
SPLIT_SKUS = {"LAX": ["RET-LAX-1", "RET-LAX-2"], "PHL": ["RET-PHL-1", "RET-PHL-2"]}
STOCK = 100_000
SEND_CHUNK = 50
CREATE_CHUNK = 50
SPLIT_SHARE = 1 / 3
# Of split orders' returns: both fulfillment orders concerned, else one of them.
SPLIT_BOTH_SHARE = 0.75

Account = collections.namedtuple("Account", "backend warehouse products clerk manager")


def catalogue():
    stock = {sku: dict.fromkeys(("LAX", "PHL"), STOCK) for sku in SHARED_SKUS}
    for code, skus in SPLIT_SKUS.items():
        stock.update({sku: {code: STOCK} for sku in skus})
    return {
        "warehouses": [
            {"id": shipwire_id, "externalId": code, "name": city, "region": code}
            for shipwire_id, code, city in WAREHOUSES
        ],
        "stock": stock,
    }


def start_sandbox(workdir, name, **options):
    return SandboxProcess(
        name,
        f"{name}-password",
        catalogue=catalogue(),
        log_path=workdir / f"{name}.log",
        **options,
    ).start()


def set_up(env, sandbox, **backend_values):
    """The account, its products and users, and a retailer; committed."""
    from odoo import Command

    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    backend = env["shipwire.backend"].create(
        {
            "name": "Bench returns",
            "environment": "custom",
            "custom_url": sandbox.url,
            "username": sandbox.username,
            "password": sandbox.password,
            "external_id_prefix": "RET-",
            "can_split": True,
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
    skus = SHARED_SKUS + [sku for group in SPLIT_SKUS.values() for sku in group]
    products = (
        env["product.template"]
        .with_context(tracking_disable=True)
        .create(
            [
                {
                    "name": f"Returned {sku}",
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
    clerk, manager = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": login,
                "login": login,
                "email": f"{login}@example.com",
                "groups_id": [Command.set([env.ref(g).id for g in groups.split(",")])],
            }
        )
        for login, groups in (
            ("returns_clerk", CLERK_GROUPS),
            ("returns_manager", MANAGER_GROUPS),
        )
    )
    env.cr.commit()
    return Account(backend, warehouse, products, clerk, manager)


def _retailer(env):
    return env["res.partner"].create(
        {
            "name": "Max Retail",
            "is_company": True,
            "street": "1 Main Lane",
            "city": "Los Angeles",
            "zip": "91111",
            "state_id": env.ref("base.state_us_5").id,
            "country_id": env.ref("base.us").id,
        }
    )


def order_lines(rng, split):
    """``[(sku, units)]`` of one sales order: one product of each warehouse for a
    split order, else one or two products both warehouses stock."""
    if split:
        skus = [rng.choice(SPLIT_SKUS["LAX"]), rng.choice(SPLIT_SKUS["PHL"])]
    else:
        skus = rng.sample(SHARED_SKUS, rng.randint(1, 2))
    return [(sku, rng.randint(2, 6)) for sku in skus]


def shipped_orders(registry, env, account, sandbox, count, seed):
    """``count`` sales orders (a third split), sent to Shipwire, shipped there and
    their deliveries validated by the sync job. Returns ``(order ids, split ids)``."""
    from odoo import Command

    rng = random.Random(seed)
    split_count = round(count * SPLIT_SHARE)
    kinds = [True] * split_count + [False] * (count - split_count)
    rng.shuffle(kinds)
    retailer = _retailer(env)
    by_sku = {product.default_code: product for product in account.products}
    SaleOrder = env["sale.order"].with_context(tracking_disable=True)
    ids, split_ids = [], []
    for start in range(0, count, CREATE_CHUNK):
        chunk = kinds[start : start + CREATE_CHUNK]
        orders = SaleOrder.create(
            [
                {
                    "partner_id": retailer.id,
                    "warehouse_id": account.warehouse.id,
                    "user_id": account.clerk.id,
                    "order_line": [
                        Command.create(
                            {"product_id": by_sku[sku].id, "product_uom_qty": units}
                        )
                        for sku, units in order_lines(rng, split)
                    ],
                }
                for split in chunk
            ]
        )
        orders.action_confirm()
        for i in range(0, len(orders), SEND_CHUNK):
            orders[i : i + SEND_CHUNK].action_shipwire_send()
        env.cr.commit()
        ids += orders.ids
        split_ids += [o.id for o, split in zip(orders, chunk, strict=True) if split]
        env.invalidate_all()
    fulfillment_orders = sandbox.orders()
    for fulfillment_order in fulfillment_orders:
        sandbox.complete(fulfillment_order["id"])
    log(f"  {len(fulfillment_orders)} fulfillment orders shipped at the sandbox")
    run_sync_job(registry, [account.backend.id])
    env.invalidate_all()
    orders = env["sale.order"].browse(ids)
    not_done = orders.picking_ids.filtered(lambda p: p.state != "done")
    if not_done:
        raise RuntimeError(f"{len(not_done)} deliveries not validated by the sync")
    two_way = orders.browse(split_ids).filtered(
        lambda o: len(o.shipwire_purchase_order_id.fulfillment_order_ids) == 2
    )
    if len(two_way) != len(split_ids):
        raise RuntimeError(f"{len(split_ids) - len(two_way)} orders were not split")
    return ids, split_ids


def returned_units(rng, order, split):
    """``{product: units}`` the customer sends back of ``order``'s delivery."""
    lines = order.order_line
    if split and rng.random() >= SPLIT_BOTH_SHARE:
        lines = lines[rng.randrange(2)]
    elif not split and len(lines) == 2 and rng.random() < 0.3:
        lines = lines[rng.randrange(2)]
    return {line.product_id: rng.randint(1, int(line.qty_delivered)) for line in lines}


def make_returns(env, account, order_ids, split_ids, seed):
    """A confirmed return picking of each order's delivery, made by the clerk
    with Return; committed one by one. Returns ``{picking id: {sku: units}}``."""
    rng = random.Random(seed)
    split = set(split_ids)
    made = {}
    for order in env["sale.order"].browse(order_ids):
        delivery = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
        )
        quantities = returned_units(rng, order, order.id in split)
        wizard = (
            env["stock.return.picking"]
            .with_user(account.clerk)
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        for line in wizard.product_return_moves:
            line.quantity = quantities.get(line.product_id, 0)
        picking = env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        env.cr.commit()
        made[picking.id] = {
            product.default_code: units for product, units in quantities.items()
        }
    return made
