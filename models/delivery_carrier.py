import json
import logging
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..mapper.outgoing import (
    ADDRESS_PARTNER_FIELDS,
    _warehouse_options,
    address,
    line_units,
)
from ..mapper.rate import rate_cache_key, rate_payload, rate_problems
from ..shipwire_api import ShipwireError, ShipwireInputError, ShipwireRejectedError

_logger = logging.getLogger(__name__)

# What a standing quote reads of the account.
QUOTE_BACKEND_FIELDS = [
    "company_id",
    "currency_id",
    "can_split",
    "rate_cache_minutes",
    "default_service_level",
]


class DeliveryCarrier(models.Model):
    """Shipwire as a delivery method: the price and delivery window Shipwire quotes
    for the order's service level. Orders still ship through purchase orders, so
    a Shipwire method only rates (integration level "Get Rate")."""

    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("shipwire", "Shipwire")],
        ondelete={"shipwire": "set default"},
    )
    shipwire_backend_id = fields.Many2one(
        "shipwire.backend",
        string="Shipwire Account",
        check_company=True,
        ondelete="restrict",
        help="The account whose warehouses the price is quoted from. The service "
        "level is the account's mapping of this method, or its default.",
    )

    @api.onchange("delivery_type")
    def _onchange_shipwire_delivery_type(self):
        if self.delivery_type == "shipwire":
            self.integration_level = "rate"

    @api.constrains("delivery_type", "integration_level", "shipwire_backend_id")
    def _check_shipwire_method(self):
        for carrier in self.filtered(lambda c: c.delivery_type == "shipwire"):
            if carrier.integration_level != "rate":
                raise ValidationError(
                    self.env._(
                        "%(method)s: Shipwire ships the order through its purchase "
                        "order, so a Shipwire delivery method only gets rates; set "
                        "its Integration Level to Get Rate.",
                        method=carrier.name,
                    )
                )
            if not carrier.shipwire_backend_id:
                raise ValidationError(
                    self.env._(
                        "%(method)s: choose the Shipwire Account that quotes it.",
                        method=carrier.name,
                    )
                )

    def shipwire_rate_shipment(self, order):
        """Odoo's rate answer for ``order``: never raises; anything that stops the
        quote is a ``success: False`` with a message the customer may read."""
        self.ensure_one()
        # Read as Odoo's rule-based prices read it, as superuser: a quote needs
        # what the order holds, and checking the user's record rules on each
        # record read was half the time of a standing quote.
        order = order.sudo()
        # Only the columns a quote reads are loaded: whole rows of these wide
        # tables cost more than the rest of a standing quote.
        backend = self.shipwire_backend_id.sudo()
        backend.fetch(QUOTE_BACKEND_FIELDS)
        currency = backend.currency_id or order.currency_id
        ship_to = address(_address_loaded(order.partner_shipping_id))
        # Odoo prices the method's product next (taxes, fiscal position).
        self.product_id.fetch(["product_tmpl_id"])
        self.product_id.product_tmpl_id.fetch(["uom_id", "taxes_id", "company_id"])
        try:
            payload = rate_payload(
                ship_to,
                _rate_lines(order),
                warehouse=_warehouse_options(backend, order.warehouse_id),
                can_split=backend.can_split,
                currency=currency.name,
                ship_date=order.commitment_date,
                _=self.env._,
            )
        except ShipwireInputError:
            # Products are named only here: their names cost queries a quote
            # does not need.
            problems = rate_problems(
                ship_to, _rate_lines(order, named=True), self.env._
            )
            return _failure("\n".join(problem.message for problem in problems))
        if backend.company_id != order.company_id:
            return _failure(self._shipwire_unavailable())
        state, answer = (
            self.env["shipwire.rate.quote"]
            .sudo()
            ._answer(
                backend,
                rate_cache_key(backend.id, payload),
                lambda: self._shipwire_quote(backend, payload, order),
            )
        )
        if state == "failed":
            return _failure(self._shipwire_unavailable())
        if state == "refused":
            return _failure(
                self.env._(
                    "Shipwire cannot quote shipping for this order: %(reasons)s",
                    reasons="; ".join(answer["reasons"]),
                )
            )
        code = backend._service_level_for(self)
        service = next((s for s in answer["services"] if s["code"] == code), None)
        if service is None:
            return _failure(
                self.env._(
                    "%(method)s is not offered for this address; choose another "
                    "delivery method.",
                    method=self.name,
                )
            )
        quoted_in = (
            currency
            if service["currency"] == currency.name
            else self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", service["currency"])], limit=1)
        )
        if not quoted_in:
            return _failure(self._shipwire_unavailable())
        price = quoted_in._convert(
            float(service["cost"]),
            order.currency_id,
            order.company_id,
            fields.Date.today(),
        )
        notes = list(answer["warnings"])
        if service["earliest"] and service["latest"]:
            notes.append(
                self.env._(
                    "Expected delivery between %(earliest)s and %(latest)s.",
                    earliest=service["earliest"],
                    latest=service["latest"],
                )
            )
        return {
            "success": True,
            "price": price,
            "error_message": False,
            "warning_message": "\n".join(notes) or False,
        }

    def _shipwire_quote(self, backend, payload, order):
        """``(state, answer)`` of one ``POST /rate``: the answer holds every
        service level, so that one quote serves all the account's methods."""
        exchanges = []
        try:
            client = backend._make_client(exchanges.append)
        except UserError:
            return "failed", {}
        try:
            quote = client.rate(payload, timeout=backend.rate_timeout)
        except ShipwireRejectedError as error:
            return "refused", {"reasons": [problem.message for problem in error.errors]}
        except ShipwireError as error:
            _logger.info("Shipwire quote for %s failed: %s", order.name, error)
            return "failed", {}
        finally:
            client.close()
            self.env["shipwire.exchange"].sudo()._record(backend, exchanges)
        return "quoted", {
            "services": [
                {
                    "code": service.code,
                    "cost": str(service.cost),
                    "currency": service.currency,
                    "earliest": _day(service.delivery_min_date),
                    "latest": _day(service.delivery_max_date),
                }
                for service in quote.services
            ],
            "warnings": [warning.message for warning in quote.warnings],
        }

    def shipwire_get_tracking_link(self, picking):
        """The carrier's page for each tracking number Shipwire reported on the
        delivery: one link, Odoo's JSON list of ``[number, link]`` pairs for
        several, or False. Only web links are given: Shipwire's data never puts
        another scheme on the page."""
        trackings = (
            picking.sudo()
            .shipwire_fulfillment_order_ids.filtered("delivery_done")
            .tracking_ids
        )
        links = [
            [tracking.tracking_number, tracking.url.strip()]
            for tracking in trackings
            if _is_web_link(tracking.url)
        ]
        if len(links) > 1:
            return json.dumps(links)
        return links[0][1] if links else False

    def shipwire_cancel_shipment(self, pickings):
        """Odoo cannot take back what Shipwire's warehouse ships or shipped: the
        order is cancelled at Shipwire by a Shipwire Manager, or the goods come
        back as a return. Never cancels anything at Shipwire itself."""
        pickings.sudo().sale_id._shipwire_check_cancel()
        shipped = pickings.filtered(
            lambda picking: picking.sudo().shipwire_fulfillment_order_ids.filtered(
                "delivery_done"
            )
        )
        if shipped:
            raise UserError(
                self.env._(
                    "Not cancelled: Shipwire's warehouse shipped %(deliveries)s of "
                    "%(orders)s, and a shipment that left the warehouse cannot be "
                    "cancelled. Bring the goods back with a return.",
                    deliveries=", ".join(shipped.mapped("name")),
                    orders=", ".join(shipped.sudo().sale_id.mapped("name")),
                )
            )

    def _shipwire_unavailable(self):
        return self.env._(
            "Shipping prices for %(method)s are not available right now; try again "
            "in a moment or choose another delivery method.",
            method=self.name,
        )


def _address_loaded(partner):
    """``partner`` with what ``address`` reads of it, and only that, loaded."""
    partner.fetch(ADDRESS_PARTNER_FIELDS)
    partner.commercial_partner_id.fetch(["name", "is_company"])
    partner.state_id.fetch(["code"])
    partner.country_id.fetch(["code"])
    return partner


def _rate_lines(order, named=False):
    """The order's lines as the rate mapper takes them, reading only the fields
    a quote depends on; ``named`` adds each product's name, for messages."""
    order_lines = order.order_line
    order_lines.fetch(
        ["display_type", "product_id", "is_delivery", "product_uom", "product_uom_qty"]
    )
    order_lines.product_id.fetch(["default_code", "product_tmpl_id"])
    order_lines.product_id.product_tmpl_id.fetch(["type", "uom_id"])
    lines = order_lines.filtered(
        lambda line: not line.display_type and line.product_id and not line.is_delivery
    )
    return [
        {
            "sku": line.product_id.default_code,
            "quantity": line_units(line),
            "storable": line.product_id.type == "consu",
            **({"product": line.product_id.display_name} if named else {}),
        }
        for line in lines
    ]


def _failure(message):
    return {
        "success": False,
        "price": 0.0,
        "error_message": message,
        "warning_message": False,
    }


def _is_web_link(url):
    if not url or any(char.isspace() or ord(char) < 32 for char in url.strip()):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _day(moment):
    return moment.date().isoformat() if moment else None
