# isort: skip_file
# The mixins come first: a model can only inherit what is already loaded.
from . import (
    shipwire_order_document,
    shipwire_purchase_order_calls,
)
from . import (
    product_product,
    product_product_stock,
    product_template,
    product_template_stock,
    sale_order,
    shipwire_backend,
    shipwire_backend_stock,
    shipwire_exchange,
    shipwire_extended_attribute,
    shipwire_fulfillment_order,
    shipwire_hold,
    shipwire_message,
    shipwire_product,
    shipwire_purchase_order,
    shipwire_retailer_product,
    shipwire_send_attempt,
    shipwire_service_level,
    shipwire_stock_level,
    shipwire_stock_sync,
    shipwire_sync,
    shipwire_tracking,
    shipwire_warehouse,
    shipwire_webhook_event,
    shipwire_webhook_secret,
    stock_picking,
)
