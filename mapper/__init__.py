"""Plain functions between Odoo records and Shipwire JSON."""

from .incoming import (
    as_text,
    fulfillment_order_values,
    hold_values,
    is_newer,
    is_older,
    last_updated,
    order_moves_back,
    order_state,
    purchase_order_moves_back,
    purchase_order_state,
    shipwire_id,
    tracking_values,
)
from .outgoing import (
    order_problems,
    purchase_order_payload,
    purchase_order_update_payload,
)
from .rate import (
    future_ship_date,
    normalized_address,
    rate_cache_key,
    rate_payload,
    rate_problems,
)
