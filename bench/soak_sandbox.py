"""The soak's sandbox faults, set through the control endpoints of a running
sandbox (``harness.SandboxControl``), and its own reads while they are on."""

from soak_settings import (
    FAULT_KINDS,
    FORCED_FAILURE_STATUS,
    HOLD_SECONDS,
    PER_KIND_RATE,
)


def faults_mix(sandbox):
    """The 20% mix, spread evenly over the five kinds (as --fault-rate does)."""
    sandbox.faults_off()
    for kind in FAULT_KINDS:
        sandbox.add_fault(kind, rate=PER_KIND_RATE)


def fail_everything(sandbox):
    sandbox.faults_off()
    sandbox.add_fault("server_error", status=FORCED_FAILURE_STATUS)


def hold_po_creates(sandbox):
    """Every PO create from now on is kept, then answered HOLD_SECONDS late (on
    top of the mix, until the mix is set again)."""
    sandbox.add_fault(
        "timeout_commit", method="POST", path="/purchaseOrders", seconds=HOLD_SECONDS
    )


def read_sandbox(sandbox, read, attempts=20):
    """``read(client)`` while the faults are on: the 20% mix hits this bench's own
    reads too, so it reads again. None when every attempt failed."""
    from odoo.addons.sale_stock_shipwire.shipwire_api import ShipwireError

    client = sandbox.client(read_timeout=5)
    try:
        for _attempt in range(attempts):
            try:
                return read(client)
            except ShipwireError:
                continue
        return None
    finally:
        client.close()
