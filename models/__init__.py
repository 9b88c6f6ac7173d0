from . import (
    sale_order,
    shipwire_backend,
    shipwire_exchange,
    shipwire_extended_attribute,
    shipwire_fulfillment_order,
    shipwire_hold,
    shipwire_message,
    shipwire_retailer_product,
    shipwire_service_level,
    shipwire_tracking,
    shipwire_warehouse,
    stock_picking,
)
