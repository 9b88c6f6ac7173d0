"""Receivings: following 1,000 open receivings with the sync job against a read
per receiving, and a soak of 200 receivings through faults, partial arrivals,
damaged and reviewed units, cancellations and shortages, with stock syncs in
between (see receiving_follow.py and receiving_soak.py).

Prints what it measured and one line ``RECEIVING RESULT <json>``; exits 1 when a
target is missed; skips without Odoo 18.

    python3 bench/receivings.py [--receivings 1000] [--latency 0.05]
                                [--soak 200] [--profile FILE] [--keep-db]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from harness import log, odoo18_missing, throwaway_database
from receiving_follow import follow
from receiving_soak import soak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receivings", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--soak", type=int, default=200, help="0: no soak")
    parser.add_argument(
        "--profile", help="py-spy's raw samples of the measured sync run, to FILE"
    )
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args(argv)
    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0
    result = {}
    with (
        tempfile.TemporaryDirectory(prefix="shipwire_receivings_") as work,
        throwaway_database(keep=options.keep_db, log=log) as registry,
    ):
        if options.receivings:
            result["follow"] = follow(
                registry,
                Path(work),
                options.receivings,
                options.latency,
                options.profile,
            )
        if options.soak:
            result["soak"] = soak(registry, Path(work), options.soak)
    targets = {
        f"{part}_{name}": target
        for part, figures in result.items()
        for name, target in figures["targets"].items()
    }
    for name, target in targets.items():
        print(f"{'met   ' if target['met'] else 'MISSED'} {name}: {target['value']}")
    result["ok"] = all(target["met"] for target in targets.values())
    print("RECEIVING RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
