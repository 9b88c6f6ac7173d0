"""How many purchase order creates per second the sandbox serves.

Starts a sandbox in a child process (or uses --url), then has --threads clients, each
with its own keep-alive ``requests.Session``, POST --creates purchase orders between
them. Prints the rate and exits non-zero when it is below --target.

    python3 bench/sandbox_creates.py [--threads 8] [--creates 4000] [--target 300]
"""

import argparse
import sys
import threading
import time

import requests
from harness import REPOSITORY, SandboxProcess

sys.path.insert(0, str(REPOSITORY))

from shipwire_api.sandbox.samples import sample_purchase_order  # noqa: E402


def purchase_order(number):
    body = sample_purchase_order(f"BENCH-{number}", canSplit=1)
    body["items"].append({"sku": "RUBY-2", "quantity": 2})
    return {**body, "doNotPersistOnWarnings": 1}


def run(api_url, auth, threads, creates, deadline_seconds):
    numbers = iter(range(creates))
    numbers_lock = threading.Lock()
    failures = []
    deadline = time.monotonic() + deadline_seconds

    def client():
        with requests.Session() as session:
            session.auth = auth
            while time.monotonic() < deadline:
                with numbers_lock:
                    number = next(numbers, None)
                if number is None:
                    return
                response = session.post(
                    f"{api_url}/purchaseOrders", json=purchase_order(number), timeout=30
                )
                if (
                    response.status_code != 200
                    or response.json()["resource"]["total"] != 1
                ):
                    failures.append(response.text[:200])

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    with numbers_lock:
        sent = next(numbers, creates)  # the first number no client took
    return sent, elapsed, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="API URL of a running sandbox (default: start one)"
    )
    parser.add_argument("--user", default="sandbox")
    parser.add_argument("--password", default="sandbox")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--creates", type=int, default=4000)
    parser.add_argument(
        "--target", type=float, default=300.0, help="creates per second to reach"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="stop sending after this long"
    )
    options = parser.parse_args(argv)

    sandbox = None
    api_url = options.url
    if api_url is None:
        sandbox = SandboxProcess(options.user, options.password).start()
        api_url = f"{sandbox.url}/api/v3"
    try:
        done, elapsed, failures = run(
            api_url,
            (options.user, options.password),
            options.threads,
            options.creates,
            options.max_seconds,
        )
    finally:
        if sandbox is not None:
            sandbox.stop()

    rate = done / elapsed if elapsed else 0.0
    print(
        f"{done} purchase order creates in {elapsed:.2f} s "
        f"with {options.threads} threads: {rate:.0f}/s"
    )
    print(f"failed creates: {len(failures)}")
    for failure in failures[:3]:
        print(f"  {failure}")
    met = rate >= options.target and not failures
    print(f"target {options.target:.0f}/s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
