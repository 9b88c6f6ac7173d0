"""Returns: a soak of customer returns of shipped sales orders, a third of them
split over two Shipwire warehouses, through 20% faulted requests, return
webhooks delivered twice and out of order to Odoo's server, arrivals in steps
(good, damaged, in review), holds, completions and cancellations, with the
inbound sync and stock syncs in between (see return_soak.py); judged against
the sandbox at the end (see return_check.py).

Prints what it measured and one line ``RETURN RESULT <json>``; exits 1 when a
target is missed; skips without Odoo 18.

    python3 bench/returns.py [--returns 300] [--keep-db]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from harness import log, odoo18_missing, throwaway_database
from return_soak import soak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=300)
    parser.add_argument("--keep-db", action="store_true")
    options = parser.parse_args(argv)
    if options.returns < 6:
        parser.error("--returns must be at least 6")
    missing = odoo18_missing()
    if missing:
        print(f"skipped: no Odoo 18 ({missing})")
        return 0
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="shipwire_returns_") as work,
        throwaway_database(keep=options.keep_db, log=log) as registry,
    ):
        result = soak(registry, Path(work), options.returns)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    for name, target in result["targets"].items():
        print(f"{'met   ' if target['met'] else 'MISSED'} {name}: {target['value']}")
    for line in result["problems"]:
        print(f"  {line}")
    result["ok"] = all(target["met"] for target in result["targets"].values())
    print("RETURN RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
