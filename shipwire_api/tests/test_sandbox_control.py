"""Control endpoints, state-file persistence and the command line of the sandbox."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from shipwire_api.sandbox import Sandbox

REPOSITORY = Path(__file__).resolve().parents[2]


def test_control_drives_order_lifecycle(api, po_body):
    po = api.create_ok(po_body("CTRL-1"))
    [order] = api.orders_of(po["id"])
    held = api.control("POST", f"/orders/{order['id']}/hold", {"description": "Wait"})
    assert held.json()["resource"]["status"] == "held"
    assert (
        api.control("POST", f"/orders/{order['id']}/process").json()["resource"][
            "status"
        ]
        == "processed"
    )
    assert (
        api.control("POST", f"/orders/{order['id']}/submit").json()["resource"][
            "status"
        ]
        == "submitted"
    )
    completed = api.control(
        "POST",
        f"/orders/{order['id']}/complete",
        {
            "trackings": [
                {"carrier": "FEDEX", "tracking": "7777", "url": "https://t/7777"}
            ],
            "quantities": {},
        },
    )
    assert completed.json()["resource"]["status"] == "completed"
    assert (
        api.control("POST", f"/orders/{order['id']}/deliver").json()["resource"][
            "status"
        ]
        == "completed"  # a delivery shows on its trackings
    )
    refused = api.control("POST", f"/orders/{order['id']}/cancel")
    assert (refused.status_code, refused.json()["message"]) == (
        422,
        "Order cannot be cancelled",
    )
    assert api.control("POST", "/orders/1/process").status_code == 404
    assert (
        api.control(
            "POST", f"/orders/{order['id']}/complete", {"trackings": "x"}
        ).status_code
        == 400
    )


def test_control_settings_faults_stats_catalogue_and_reset(sandbox, api, po_body):
    settings = api.control(
        "PATCH", "/settings", {"split_suffix_on": "externalId", "max_page_size": 50}
    )
    assert settings.json()["resource"]["split_suffix_on"] == "externalId"
    assert sandbox.settings.max_page_size == 50
    assert api.control("GET", "/settings").json()["resource"]["max_page_size"] == 50
    assert api.control("PATCH", "/settings", {"no_such_setting": 1}).status_code == 400
    assert (
        api.control("PATCH", "/settings", {"max_page_size": "many"}).status_code == 400
    )

    assert (
        api.control(
            "POST", "/faults", {"kind": "server_error", "count": 1, "status": 503}
        ).status_code
        == 200
    )
    assert api.get("/orders").status_code == 503
    assert api.control("POST", "/faults", {"kind": "nope"}).status_code == 400
    api.control("POST", "/faults", {"kind": "server_error"})
    assert api.control("DELETE", "/faults").json()["resource"] == []
    assert api.get("/orders").status_code == 200

    catalogue = {
        "warehouses": [
            {"id": 1, "externalId": "AMS", "name": "Amsterdam", "region": "EU"}
        ],
        "stock": {"TULIP": {"AMS": 10}},
    }
    assert api.control("PUT", "/catalogue", catalogue).status_code == 200
    assert api.control("PUT", "/catalogue", {"warehouses": []}).status_code == 400
    po = api.create_ok(po_body("TULIP-1", sku="TULIP", quantity=4))
    [order] = api.orders_of(po["id"])
    assert order["routing"]["resource"]["warehouseExternalId"] == "AMS"
    assert api.control("GET", "/catalogue").json()["resource"]["stock"]["TULIP"] == {
        "AMS": 6
    }

    stats = api.control("GET", "/stats").json()["resource"]
    assert (
        stats["purchaseOrders"],
        stats["orders"],
        stats["pendingWebhookDeliveries"],
    ) == (1, 1, 0)
    assert api.control("POST", "/reset").json()["resource"]["purchaseOrders"] == 0
    assert api.get("/purchaseOrders").json()["resource"]["total"] == 0
    assert api.control("GET", "/catalogue").json()["resource"]["stock"]["TULIP"] == {
        "AMS": 10
    }
    assert api.control("GET", "/nothing").status_code == 404


def test_state_file_round_trip(tmp_path, po_body):
    state_file = tmp_path / "sandbox.json"
    auth = ("sandbox", "sandbox")
    with Sandbox(state_file=str(state_file)) as first:
        created = requests.post(
            f"{first.api_url}/purchaseOrders",
            json=po_body("KEPT-1"),
            auth=auth,
            timeout=5,
        ).json()
        po = created["resource"]["items"][0]["resource"]
        requests.post(
            f"{first.api_url}/webhooks",
            json={"topic": "order.created", "url": "https://h.test/x"},
            auth=auth,
            timeout=5,
        )
        secret = requests.post(f"{first.api_url}/secret", auth=auth, timeout=5).json()[
            "resource"
        ]
    assert state_file.exists()

    with Sandbox(state_file=str(state_file)) as second:
        again = requests.get(
            f"{second.api_url}/purchaseOrders/EKEPT-1", auth=auth, timeout=5
        ).json()["resource"]
        assert (again["id"], again["status"]) == (po["id"], "approved")
        assert len(second.orders(po["id"])) == 1
        assert (
            requests.get(
                f"{second.api_url}/secret/{secret['id']}", auth=auth, timeout=5
            ).json()["resource"]
            == secret
        )
        assert (
            requests.get(f"{second.api_url}/webhooks", auth=auth, timeout=5).json()[
                "resource"
            ]["total"]
            == 1
        )
        duplicate = requests.post(
            f"{second.api_url}/purchaseOrders",
            json=po_body("KEPT-1"),
            auth=auth,
            timeout=5,
        )
        assert duplicate.json()["resource"]["total"] == 0
        other = requests.post(
            f"{second.api_url}/purchaseOrders",
            json=po_body("KEPT-2"),
            auth=auth,
            timeout=5,
        )
        assert other.json()["resource"]["items"][0]["resource"]["id"] == po["id"] + 1


def test_command_line_serves_until_terminated():
    command = [
        sys.executable,
        "-c",
        "import sys; from shipwire_api.sandbox import main; "
        "sys.exit(main(sys.argv[1:]))",
        "--port",
        "0",
        "--user",
        "alice",
        "--password",
        "secret",
        "--split-suffix-on",
        "externalId",
    ]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=environment, cwd=REPOSITORY
    ) as process:
        try:
            api_url = process.stdout.readline().split()[-1]
            assert process.stdout.readline().strip() == "user: alice"
            assert process.stdout.readline().strip() == "password: secret"
            assert api_url.endswith("/api/v3")
            assert (
                requests.get(
                    f"{api_url}/orders", auth=("alice", "secret"), timeout=5
                ).status_code
                == 200
            )
            settings = requests.get(
                f"{api_url[: -len('/api/v3')]}/_sandbox/settings", timeout=5
            ).json()["resource"]
            assert settings["split_suffix_on"] == "externalId"
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
