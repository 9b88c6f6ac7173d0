from odoo import api, fields, models
from odoo.exceptions import ValidationError

MAX_RATE_CACHE_MINUTES = 1440


class ShipwireBackendRates(models.Model):
    """How the account quotes shipping for delivery methods: how long a quote may
    take, and how long its answer serves the same cart."""

    # Kept apart from shipwire_backend.py by feature.
    _inherit = "shipwire.backend"  # pylint: disable=consider-merging-classes-inherited

    rate_timeout = fields.Float(
        string="Quote timeout (s)",
        default=8,
        help="A shipping quote waits this long for Shipwire, with one try: a "
        "customer is waiting for the page. Without an answer the delivery method "
        "shows no price.",
    )
    rate_cache_minutes = fields.Integer(
        string="Keep quotes (minutes)",
        default=10,
        help="Shipwire's answer serves the same cart (address, products and "
        "quantities, currency, ship date) for this long, for every delivery "
        "method of the account. A failed quote is asked again.",
    )

    @api.constrains("rate_timeout", "rate_cache_minutes")
    def _check_rate_limits(self):
        self._check_timeout("rate_timeout")
        for backend in self:
            if not 1 <= backend.rate_cache_minutes <= MAX_RATE_CACHE_MINUTES:
                raise ValidationError(
                    self.env._(
                        "%(account)s: keep quotes between 1 and %(max)s minutes.",
                        account=backend.name,
                        max=MAX_RATE_CACHE_MINUTES,
                    )
                )
