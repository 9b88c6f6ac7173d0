from . import (
    test_concurrent_send,
    test_exchange_log,
    test_install,
    test_send,
    test_sync,
    test_webhook,
)
