"""``main(argv)``: run a sandbox in the foreground until SIGINT or SIGTERM."""

import argparse
import json
import signal
import threading

from .catalogue import DEMO_CATALOGUE
from .server import Sandbox
from .settings import CHOICES, SandboxSettings


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m shipwire_api sandbox",
        description="Run a local imitation of Shipwire's REST API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--user", default="sandbox")
    parser.add_argument("--password", default="sandbox")
    parser.add_argument(
        "--state-file", help="keep the state in this JSON file across restarts"
    )
    parser.add_argument(
        "--catalogue",
        help="JSON file with warehouses and stock (default: the demo catalogue)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay before every API answer",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of API requests that get a random fault "
        "(latency, timeout, 5xx, reset, bad JSON)",
    )
    parser.add_argument(
        "--fault-seconds",
        type=float,
        default=None,
        help="duration of latency and timeout faults",
    )
    parser.add_argument(
        "--split-suffix-on",
        choices=CHOICES["split_suffix_on"],
        default=SandboxSettings.split_suffix_on,
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the random faults"
    )
    parser.add_argument("--log-requests", action="store_true")
    return parser


def main(argv=None):
    options = build_parser().parse_args(argv)
    settings = SandboxSettings(
        latency=options.latency,
        split_suffix_on=options.split_suffix_on,
        log_requests=options.log_requests,
    )
    if options.seed is not None:
        settings.seed = options.seed
    if options.fault_seconds is not None:
        settings.fault_seconds = options.fault_seconds
    catalogue = DEMO_CATALOGUE
    if options.catalogue:
        with open(options.catalogue, encoding="utf-8") as handle:
            catalogue = json.load(handle)
    sandbox = Sandbox(
        host=options.host,
        port=options.port,
        username=options.user,
        password=options.password,
        settings=settings,
        catalogue=catalogue,
        state_file=options.state_file,
    )
    if options.fault_rate:
        sandbox.faults.inject_mix(options.fault_rate)

    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stopping.set())
    sandbox.start()
    # This banner is the command's output (read by people and scripts), not a log.
    # pylint: disable=print-used
    print(f"Shipwire sandbox: {sandbox.api_url}", flush=True)
    print(f"user: {sandbox.username}", flush=True)
    print(f"password: {sandbox.password}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0
