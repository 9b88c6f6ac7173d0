"""An Odoo product as a product of Shipwire's catalogue, and what stops it from
being one."""

from collections import defaultdict
from datetime import date

from .outgoing import SKU_MAX_LENGTH

# Shipwire's units are inches and pounds. Inferred: its API does not name them, but
# Shipwire is US-based and the examples of its documentation are in those units.
SHIPWIRE_LENGTH_UOM = "uom.product_uom_inch"
SHIPWIRE_WEIGHT_UOM = "uom.product_uom_lb"
# A thousandth of an inch (0.03 mm), a ten-thousandth of a pound (0.05 g).
LENGTH_DIGITS = 3
WEIGHT_DIGITS = 4
DIMENSIONS = ("length", "width", "height")
FLAGS = (
    "isPackagedReadyToShip",
    "isFragile",
    "isDangerous",
    "isPerishable",
    "isLiquid",
    "isMedia",
    "isAdult",
    "hasInnerPack",
    "hasMasterCase",
    "hasPallet",
)
# What Odoo does not know of a product: sent when the product is created, then left
# as it is set at Shipwire.
CREATE_ONLY_FIELDS = ("category", "batteryConfiguration", "flags")


def product_external_id(product, backend):
    """Stable for the product and account, apart from the POs' externalIds."""
    return f"{backend.external_id_prefix}P{product.id}"


def product_dimensions(product):
    """``{length, width, height, weight}`` in inches and pounds, converted from the
    database's length unit and the product's weight unit."""
    Template = product.env["product.template"]
    length_uom = Template._get_length_uom_id_from_ir_config_parameter()
    weight_uom = Template._get_weight_uom_id_from_ir_config_parameter()
    inch = product.env.ref(SHIPWIRE_LENGTH_UOM)
    pound = product.env.ref(SHIPWIRE_WEIGHT_UOM)
    dimensions = {
        name: round(
            length_uom._compute_quantity(
                product[f"shipwire_{name}"], inch, round=False
            ),
            LENGTH_DIGITS,
        )
        for name in DIMENSIONS
    }
    dimensions["weight"] = round(
        weight_uom._compute_quantity(product.weight, pound, round=False),
        WEIGHT_DIGITS,
    )
    return dimensions


def _values(product, backend):
    """Cost and sales price in the account's currency (its company's when unset)."""
    company = backend.company_id
    product = product.with_company(company)
    currency = backend.currency_id or company.currency_id
    today = date.today()
    return {
        "costValue": round(
            product.cost_currency_id._convert(
                product.standard_price, currency, company, today, round=False
            ),
            2,
        ),
        "retailValue": round(
            product.currency_id._convert(
                product.lst_price, currency, company, today, round=False
            ),
            2,
        ),
    }


def product_payload(product, backend):
    """The JSON of one product in the list that creates products at Shipwire."""
    return {
        "sku": product.default_code,
        "externalId": product_external_id(product, backend),
        # The SKU goes apart: the name, with the variant's attributes.
        "description": product.with_context(display_default_code=False).display_name,
        "classification": "baseProduct",
        "category": "OTHER",
        "batteryConfiguration": "NOBATTERY",
        "values": _values(product, backend),
        "dimensions": product_dimensions(product),
        # Not ready to ship: Shipwire's warehouse packs it. Whoever knows better sets
        # the flags at Shipwire; updates leave them.
        "flags": dict.fromkeys(FLAGS, 0),
    }


def product_update_payload(product, backend):
    """The JSON that brings a product of Shipwire's catalogue in line with Odoo."""
    payload = product_payload(product, backend)
    for key in CREATE_ONLY_FIELDS:
        del payload[key]
    return payload


def _other_products_by_sku(products):
    """``{sku: products}`` of the active goods outside ``products`` that share
    their SKUs and may be used in the current company."""
    skus = [sku for sku in products.mapped("default_code") if sku]
    others = products.search(
        [
            ("default_code", "in", skus),
            ("id", "not in", products.ids),
            ("active", "=", True),
            ("type", "=", "consu"),
            *products._check_company_domain(products.env.company),
        ]
    )
    by_sku = defaultdict(lambda: products.browse())
    for other in others:
        by_sku[other.default_code] |= other
    return by_sku


def _sku_problems(product, selected_by_sku, others_by_sku):
    _ = product.env._
    sku = product.default_code
    if not sku:
        return [
            _(
                "%(product)s: no Internal Reference, which Shipwire uses as SKU; set "
                "it on the product.",
                product=product.display_name,
            )
        ]
    problems = []
    if len(sku) > SKU_MAX_LENGTH:
        problems.append(
            _(
                "%(product)s: the Internal Reference has %(length)s characters; "
                "Shipwire accepts %(limit)s. Shorten it on the product.",
                product=product.display_name,
                length=len(sku),
                limit=SKU_MAX_LENGTH,
            )
        )
    if "," in sku:
        problems.append(
            _(
                "%(product)s: the Internal Reference has a comma, which Shipwire's "
                "search by SKU cannot take; remove it on the product.",
                product=product.display_name,
            )
        )
    twins = (selected_by_sku[sku] - product) | others_by_sku.get(sku, product.browse())
    if twins:
        problems.append(
            _(
                "%(product)s: the Internal Reference %(sku)s is also that of "
                "%(others)s, and Shipwire keeps one product per SKU; give each "
                "product its own Internal Reference.",
                product=product.display_name,
                sku=sku,
                others=", ".join(twins.mapped("display_name")),
            )
        )
    return problems


def product_problems(products):
    """Every reason ``products`` cannot go to the Shipwire catalogues of the
    current company, as sentences that name the product, the field and the fix.
    Empty when they can. A product may go there when it is shared between
    companies or belongs to the current company (or a company above it)."""
    _ = products.env._
    selected_by_sku = defaultdict(lambda: products.browse())
    for product in products:
        selected_by_sku[product.default_code] |= product
    others_by_sku = _other_products_by_sku(products)
    problems = []
    company = products.env.company
    for product in products:
        name = product.display_name
        owner = product.company_id
        if owner and owner not in company.parent_ids:
            problems.append(
                _(
                    "%(product)s: the product belongs to %(owner)s, so it goes to "
                    "%(owner)s's Shipwire accounts only, not to those of "
                    "%(company)s, the company you are working in. Switch to "
                    "%(owner)s in the company switcher, then send it from there.",
                    product=name,
                    owner=owner.name,
                    company=company.name,
                )
            )
            continue
        if not product.active:
            problems.append(
                _(
                    "%(product)s: the product is archived; restore it or leave it out.",
                    product=name,
                )
            )
        if product.type != "consu":
            problems.append(
                _(
                    "%(product)s: Shipwire's catalogue takes goods only; leave this "
                    "service or combo out, or make its Product Type Goods.",
                    product=name,
                )
            )
            continue
        problems += _sku_problems(product, selected_by_sku, others_by_sku)
        dimensions = product_dimensions(product)
        if dimensions["weight"] <= 0:
            problems.append(
                _(
                    "%(product)s: the Weight must be above 0; set it on the "
                    "product's Inventory tab.",
                    product=name,
                )
            )
        labels = {"length": _("Length"), "width": _("Width"), "height": _("Height")}
        missing = [labels[name] for name in DIMENSIONS if dimensions[name] <= 0]
        if missing:
            problems.append(
                _(
                    "%(product)s: %(fields)s must be above 0; set them on the "
                    "product's Inventory tab.",
                    product=name,
                    fields=", ".join(missing),
                )
            )
    return problems
