"""Shipwire REST client and sandbox, free of any Odoo import."""

from .client import (
    Exchange,
    ProductsResult,
    PurchaseOrderResult,
    ShipwireClient,
)
from .errors import (
    ShipwireAuthError,
    ShipwireError,
    ShipwireInputError,
    ShipwireMessage,
    ShipwireNotFoundError,
    ShipwireNotReturnableError,
    ShipwireRejectedError,
    ShipwireStateError,
    ShipwireTimeoutError,
    ShipwireTransientError,
)
from .identifiers import (
    parse_split_suffix,
    strip_split_suffix,
    validate_external_id,
    validate_external_id_prefix,
    validate_order_no,
)
from .rates import (
    QUOTE_TIMEOUT,
    RateQuote,
    RateService,
    RateShipment,
    parse_rate_quote,
)
from .receivings import ReceivingResult
from .returns import ReturnResult
from .signature import (
    SIGNATURE_HEADER,
    build_signature_header,
    verify_signature,
)
