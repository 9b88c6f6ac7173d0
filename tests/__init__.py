from . import (
    test_access,
    test_bad_input,
    test_concurrency,
    test_exchange_log,
    test_install,
    test_purchase_order_record,
    test_resilience,
    test_send,
    test_sync,
    test_tour,
    test_webhook,
)
