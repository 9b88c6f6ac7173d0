from odoo import fields, models
from odoo.exceptions import UserError

from ..const import GROUP_USER
from ..mapper import shipwire_id
from ..mapper.product import (
    product_payload,
    product_problems,
    product_update_payload,
)
from ..shipwire_api import ShipwireError, ShipwireNotFoundError
from .shipwire_backend import ensure_group, notification

# Products per create call. Shipwire may refuse a whole list (HTTP 400) over one
# bad product: such a refusal holds back this many at most.
PRODUCTS_PER_CREATE = 50
# Notification types, from the best outcome to the worst.
OUTCOMES = ("success", "warning", "danger")


class ProductProduct(models.Model):
    # Kept apart from product_product_stock.py by feature.
    _inherit = "product.product"  # pylint: disable=consider-merging-classes-inherited

    shipwire_product_ids = fields.One2many(
        "shipwire.product",
        "product_id",
        string="Shipwire catalogue",
        readonly=True,
        groups="base.group_user",
    )

    def action_shipwire_send_products(self):
        """Create or update the products in the catalogue of every active Shipwire
        account of the current company, after checking them all: none goes to
        another company's accounts, and another company's product is refused. An
        account that lacks its credentials is skipped and named, unless no account
        of the company can be used."""
        ensure_group(self.env, GROUP_USER)
        self.check_access("read")
        # The group was checked: the module does the rest.
        products = self.sudo()
        company = self.env.company
        backends = (
            self.env["shipwire.backend"]
            .sudo()
            .search([("company_id", "=", company.id)])
        )
        unusable = {
            backend: problems
            for backend in backends
            if (problems := backend._missing_configuration())
        }
        problems = []
        if not backends:
            problems.append(
                self.env._(
                    "%(company)s has no active Shipwire account; a Shipwire Manager "
                    "adds one under Inventory > Configuration > Shipwire > Accounts.",
                    company=company.name,
                )
            )
        elif len(unusable) == len(backends):
            problems += [line for lines in unusable.values() for line in lines]
        problems += product_problems(products)
        if problems:
            raise UserError("\n".join(problems))
        outcomes = [
            (
                "warning",
                self.env._(
                    "%(problems)s Nothing was sent to this account.",
                    problems=" ".join(unusable[backend]),
                ),
            )
            if backend in unusable
            else products.with_company(company)._shipwire_send_to(backend)
            for backend in backends
        ]
        worst = max((outcome for outcome, _message in outcomes), key=OUTCOMES.index)
        return notification(
            worst,
            "\n".join(message for _outcome, message in outcomes),
            title=self.env._("Send to Shipwire"),
            reload=True,
        )

    def _shipwire_send_to(self, backend):
        """Bring ``backend``'s catalogue in line with these checked products, and
        bind each product Shipwire confirmed to its product there. Returns
        ``(outcome, a sentence saying what was done)``, the outcome one of
        ``OUTCOMES``: "warning" when Shipwire refused some products, "danger"
        when a call failed and the products from it on were not sent.

        A product bound to a Shipwire product is updated; the others are first
        looked up by SKU, so that one already in the catalogue (made at Shipwire,
        or by a send whose answer was lost) is bound and updated, not created
        twice; the rest are created."""
        bindings = {
            binding.product_id: binding
            for binding in self.env["shipwire.product"].search(
                [("backend_id", "=", backend.id), ("product_id", "in", self.ids)]
            )
        }
        exchanges, confirmed, refused = [], {}, {}
        created = updated = 0
        failure = None
        calling = self.browse()
        client = backend._make_client(exchanges.append)
        try:
            unbound = self.browse()
            for product in self:
                bound_id = bindings.get(product) and bindings[product].shipwire_id
                if not bound_id:
                    unbound |= product
                    continue
                calling = product
                try:
                    client.update_product(
                        bound_id, product_update_payload(product, backend)
                    )
                except ShipwireNotFoundError:
                    unbound |= product  # no longer in Shipwire's catalogue
                    continue
                confirmed[product] = bound_id
                updated += 1
            calling = unbound
            found = {
                item.get("sku"): shipwire_id(item.get("id"))
                for item in (
                    client.list_products(skus=unbound.mapped("default_code"))
                    if unbound
                    else []
                )
                if isinstance(item, dict) and shipwire_id(item.get("id"))
            }
            for product in unbound.filtered(lambda p: p.default_code in found):
                calling = product
                found_id = found[product.default_code]
                client.update_product(
                    found_id, product_update_payload(product, backend)
                )
                confirmed[product] = found_id
                updated += 1
            new = unbound.filtered(lambda p: p.default_code not in found)
            for start in range(0, len(new), PRODUCTS_PER_CREATE):
                calling = new[start : start + PRODUCTS_PER_CREATE]
                result = client.create_products(
                    product_payload(product, backend) for product in calling
                )
                ids_by_sku = {
                    item.get("sku"): shipwire_id(item.get("id"))
                    for item in result.created
                }
                for product in calling:
                    sku = product.default_code
                    if ids_by_sku.get(sku):
                        confirmed[product] = ids_by_sku[sku]
                        created += 1
                    else:
                        refused[product] = result.refused.get(sku) or [
                            self.env._("Shipwire's answer gave no valid product id")
                        ]
                calling = self.browse()
        except ShipwireError as error:
            failure = error
        finally:
            client.close()
        self.env["shipwire.exchange"]._record(backend, exchanges)
        self._shipwire_bind(backend, bindings, confirmed)
        sentences = [
            self.env._(
                "%(account)s: %(created)s created and %(updated)s updated in "
                "Shipwire's catalogue.",
                account=backend.name,
                created=created,
                updated=updated,
            )
        ]
        if refused:
            sentences += [
                self.env._(
                    "Shipwire refused %(product)s: %(reasons)s.",
                    product=product.display_name,
                    reasons="; ".join(str(reason).rstrip(". ") for reason in reasons),
                )
                for product, reasons in refused.items()
            ]
            sentences.append(
                self.env._(
                    "Correct what Shipwire names on these products, then send them "
                    "again: the products already in its catalogue are updated, not "
                    "created twice."
                )
            )
        if failure is not None:
            sentences.append(
                self.env._(
                    "Then the call for %(products)s failed: %(error)s. %(left)s more "
                    "were not sent to this account. Send again once this is fixed: "
                    "what is already in Shipwire's catalogue is updated, not created "
                    "twice.",
                    products=", ".join(calling.mapped("display_name")),
                    error=failure,
                    left=len(self) - len(calling) - len(confirmed) - len(refused),
                )
            )
        outcome = "danger" if failure else "warning" if refused else "success"
        return outcome, " ".join(sentences)

    def _shipwire_bind(self, backend, bindings, confirmed):
        """Record ``{product: Shipwire product id}`` as ``backend``'s catalogue."""
        now = fields.Datetime.now()
        to_create = []
        for product, confirmed_id in confirmed.items():
            values = {
                "sku": product.default_code,
                "shipwire_id": confirmed_id,
                "last_sent": now,
            }
            if product in bindings:
                bindings[product].write(values)
            else:
                to_create.append(
                    {**values, "backend_id": backend.id, "product_id": product.id}
                )
        self.env["shipwire.product"].create(to_create)
