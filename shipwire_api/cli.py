"""Command line: ``python -m shipwire_api sandbox ...`` and ``... po <action>``.

Exit codes: 0 success; 2 Shipwire refused the request (a rejection, or an action the
record's state does not allow), its messages printed as JSON; 1 any other error.
"""

import argparse
import dataclasses
import json
import os
import sys

from .client import ShipwireClient
from .errors import ShipwireError, ShipwireRejectedError, ShipwireStateError

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2


def _messages(messages):
    return [dataclasses.asdict(message) for message in messages]


def _result(result):
    return {
        "purchaseOrder": result.purchase_order,
        "recovered": result.recovered,
        "errors": _messages(result.errors),
        "warnings": _messages(result.warnings),
    }


def _po_parser():
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--url", default=os.environ.get("SHIPWIRE_URL"))
    connection.add_argument("--user", default=os.environ.get("SHIPWIRE_USER"))
    connection.add_argument("--password", default=os.environ.get("SHIPWIRE_PASSWORD"))
    parser = argparse.ArgumentParser(prog="python -m shipwire_api po")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser(
        "create", parents=[connection], help="create a PO from a JSON file"
    )
    create.add_argument("file")
    find = actions.add_parser(
        "find", parents=[connection], help="find a PO by its externalId"
    )
    find.add_argument("--external-id", required=True)
    for action in ("get", "cancel", "approve", "orders"):
        actions.add_parser(action, parents=[connection]).add_argument("id")
    return parser


def _run_po(args):
    if not args.url:
        raise ShipwireError("Give --url or set SHIPWIRE_URL (e.g. 'sandbox').")
    client = ShipwireClient(args.user, args.password, args.url)
    if args.action == "create":
        with open(args.file, encoding="utf-8") as handle:
            return _result(client.create_purchase_order(json.load(handle)))
    if args.action == "find":
        found = client.find_purchase_order(args.external_id)
        if found is None:
            raise ShipwireError(f"No purchase order with externalId {args.external_id}")
        return found
    if args.action == "get":
        return client.get_purchase_order(args.id)
    if args.action == "orders":
        return client.purchase_order_orders(args.id)
    if args.action == "cancel":
        return client.cancel_purchase_order(args.id)
    return client.approve_purchase_order(args.id)


def _write(stream, text):
    stream.write(f"{text}\n")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sandbox"]:
        from .sandbox import main as sandbox_main

        return sandbox_main(argv[1:])
    if argv[:1] != ["po"]:
        _write(sys.stderr, "usage: python -m shipwire_api {sandbox,po} ...")
        return EXIT_ERROR
    args = _po_parser().parse_args(argv[1:])
    try:
        output = _run_po(args)
    except (ShipwireRejectedError, ShipwireStateError) as error:
        _write(sys.stderr, error)
        messages = {
            "errors": _messages(error.errors),
            "warnings": _messages(error.warnings),
        }
        _write(sys.stdout, json.dumps(messages, indent=2))
        return EXIT_REFUSED
    except (ShipwireError, OSError, ValueError) as error:
        _write(sys.stderr, f"error: {error}")
        return EXIT_ERROR
    _write(sys.stdout, json.dumps(output, indent=2, sort_keys=True))
    return EXIT_OK
