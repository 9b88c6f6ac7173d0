"""Plain functions between Odoo records and Shipwire JSON."""

from .incoming import (
    fulfillment_order_values,
    hold_values,
    is_older,
    last_updated,
    order_state,
    tracking_values,
)
from .outgoing import (
    order_problems,
    purchase_order_payload,
    purchase_order_update_payload,
)
