from . import test_install
from . import test_send
from . import test_concurrent_send
from . import test_sync
from . import test_webhook
