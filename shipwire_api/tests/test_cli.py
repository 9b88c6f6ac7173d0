import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(sandbox):
    def run(*args):
        env = {
            **os.environ,
            "SHIPWIRE_URL": sandbox.url,
            "SHIPWIRE_USER": sandbox.username,
            "SHIPWIRE_PASSWORD": sandbox.password,
        }
        return subprocess.run(
            [sys.executable, "-m", "shipwire_api", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def po_file(tmp_path, sku="DIAMOND-1", external_id="CLI-1"):
    path = tmp_path / f"{external_id}.json"
    path.write_text(
        json.dumps(
            {
                "externalId": external_id,
                "purchaseOrderNo": external_id,
                "options": {"isApproved": 0},
                "shipTo": {
                    "name": "Dock",
                    "address1": "1 Main Lane",
                    "city": "Los Angeles",
                    "state": "CA",
                    "postalCode": "91111",
                    "country": "US",
                },
                "items": [{"sku": sku, "quantity": 1}],
            }
        )
    )
    return path


def test_create_find_approve_and_cancel(run, tmp_path):
    created = run("po", "create", str(po_file(tmp_path)))
    assert created.returncode == 0, created.stderr
    po_id = json.loads(created.stdout)["purchaseOrder"]["id"]

    found = run("po", "find", "--external-id", "CLI-1")
    assert json.loads(found.stdout)["id"] == po_id
    assert run("po", "approve", str(po_id)).returncode == 0
    assert json.loads(run("po", "get", str(po_id)).stdout)["status"] == "approved"
    assert len(json.loads(run("po", "orders", str(po_id)).stdout)) == 1
    assert run("po", "cancel", str(po_id)).returncode == 0


def test_rejected_po_exits_2_with_the_messages(run, tmp_path):
    result = run("po", "create", str(po_file(tmp_path, sku="NOPE-9")))

    assert result.returncode == 2
    assert "NOPE-9" in result.stdout


def test_other_errors_exit_1(run, tmp_path):
    assert run("po", "get", "123456789").returncode == 1
    assert run("po", "create", str(tmp_path / "missing.json")).returncode == 1
    wrong = run("po", "get", "1", "--password", "wrong")
    assert wrong.returncode == 1
    assert "credentials" in wrong.stderr


def test_a_state_refusal_exits_2_with_shipwires_messages(run, tmp_path, sandbox):
    created = run("po", "create", str(po_file(tmp_path)))
    po_id = str(json.loads(created.stdout)["purchaseOrder"]["id"])
    assert run("po", "approve", po_id).returncode == 0
    (order,) = sandbox.orders(po_id)
    sandbox.complete_order(order["id"])

    for action in ("cancel", "approve"):
        result = run("po", action, po_id)

        assert result.returncode == 2, result.stderr
        (error,) = json.loads(result.stdout)["errors"]
        assert error["message"].startswith("Purchase order cannot be")
        assert error["id"] == po_id
