"""A local HTTP imitation of Shipwire's REST API (purchase orders, orders, products,
stock, receivings, returns, webhooks and secrets), with settings for the unknowns
and fault injection.

    with Sandbox() as sandbox:
        auth = (sandbox.username, sandbox.password)
        requests.get(sandbox.api_url + "/purchaseOrders", auth=auth)
"""

from .catalogue import DEMO_CATALOGUE
from .cli import main
from .faults import FAULT_KINDS, Faults
from .server import Sandbox
from .settings import SandboxSettings
from .store import SandboxError

__all__ = [
    "DEMO_CATALOGUE",
    "FAULT_KINDS",
    "Faults",
    "Sandbox",
    "SandboxError",
    "SandboxSettings",
    "main",
]
