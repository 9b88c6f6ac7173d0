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
from .shipwire_backend import ensure_group

# Products per create call. Shipwire refuses the whole list over one bad product:
# a refusal holds back this many at most.
PRODUCTS_PER_CREATE = 50


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
        account of the current company, after checking them all."""
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
        problems = []
        if not backends:
            problems.append(
                self.env._(
                    "%(company)s has no active Shipwire account; a Shipwire Manager "
                    "adds one under Inventory > Configuration > Shipwire > Accounts.",
                    company=company.name,
                )
            )
        for backend in backends:
            problems += backend._missing_configuration()
        problems += product_problems(products)
        if problems:
            raise UserError("\n".join(problems))
        outcomes = [
            products.with_company(backend.company_id)._shipwire_send_to(backend)
            for backend in backends
        ]
        failed = any(not sent for sent, _message in outcomes)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Send to Shipwire"),
                "type": "danger" if failed else "success",
                "message": "\n".join(message for _sent, message in outcomes),
                "sticky": failed,
            },
        }

    def _shipwire_send_to(self, backend):
        """Bring ``backend``'s catalogue in line with these checked products, and
        bind each product Shipwire confirmed to its product there. Returns
        ``(whether all went, a sentence saying what was done)``.

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
        exchanges, confirmed = [], {}
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
                answers = client.create_products(
                    product_payload(product, backend) for product in calling
                )
                ids_by_sku = {
                    item.get("sku"): shipwire_id(item.get("id"))
                    for item in answers
                    if isinstance(item, dict) and shipwire_id(item.get("id"))
                }
                for product in calling:
                    if product.default_code in ids_by_sku:
                        confirmed[product] = ids_by_sku[product.default_code]
                        created += 1
                unconfirmed = calling.filtered(lambda p: p not in confirmed)
                if unconfirmed:
                    calling = unconfirmed
                    raise ShipwireError(
                        self.env._("Shipwire's answer confirmed no product id for them")
                    )
        except ShipwireError as error:
            failure = error
        finally:
            client.close()
        self.env["shipwire.exchange"]._record(backend, exchanges)
        self._shipwire_bind(backend, bindings, confirmed)
        done = self.env._(
            "%(account)s: %(created)s created and %(updated)s updated in Shipwire's "
            "catalogue.",
            account=backend.name,
            created=created,
            updated=updated,
        )
        if failure is None:
            return True, done
        return False, self.env._(
            "%(done)s Then the call for %(products)s failed: %(error)s. "
            "%(left)s more were not sent to this account. Send again once this is "
            "fixed: what is already in Shipwire's catalogue is updated, not created "
            "twice.",
            done=done,
            products=", ".join(calling.mapped("display_name")),
            error=failure,
            left=len(self) - len(calling) - len(confirmed),
        )

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
