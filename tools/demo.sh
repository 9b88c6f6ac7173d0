#!/usr/bin/env bash
# `make demo`: the Shipwire sandbox and, when python3 can import Odoo 18, a demo
# database with this addon and demo data, served by Odoo on 127.0.0.1. Ctrl-C stops
# both. Without Odoo, a command-line demo against the sandbox.
#
# Settings (environment): SANDBOX_PORT (8765), ODOO_PORT (8069), DEMO_DB
# (shipwire_demo), PYTHON (python3), PGHOST/PGPORT/PGUSER (127.0.0.1/5432/root).
# State is kept in .demo/ (git-ignored): the sandbox's POs, Odoo's data dir and logs.
# The database is created on the first run and reused after that; delete it with
# `dropdb shipwire_demo` and `rm -rf .demo` to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire
source tools/odoo.sh
SANDBOX_PORT=${SANDBOX_PORT:-8765}
ODOO_PORT=${ODOO_PORT:-8069}
DEMO_DB=${DEMO_DB:-shipwire_demo}
SANDBOX_USER=sandbox
SANDBOX_PASSWORD=sandbox
DEMO_DIR="$PWD/.demo"
SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
ODOO_URL="http://localhost:$ODOO_PORT"

mkdir -p "$DEMO_DIR"
work=$(mktemp -d)
groups=() # process groups started here, stopped in reverse order
stopped=false

stop() {
    $stopped && return
    stopped=true
    local index pgid
    for ((index = ${#groups[@]} - 1; index >= 0; index--)); do
        pgid=${groups[index]}
        kill -TERM -- "-$pgid" 2>/dev/null || continue
        # Odoo and the sandbox shut down gracefully on SIGTERM; give them 20 s.
        for _ in $(seq 200); do
            kill -0 -- "-$pgid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pgid" 2>/dev/null || true
        wait "$pgid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap 'echo; echo "Stopping ..."; stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT
trap "" PIPE # a closed output (e.g. `make demo | tee`) must not stop the clean-up

# start LOG COMMAND...: run COMMAND in the background in a process group of its own
# (so that stop() ends it and everything it started), output to LOG.
start() {
    local log=$1
    shift
    set -m
    "$@" </dev/null >>"$log" 2>&1 &
    set +m
    groups+=("$!")
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS PGID URL: until URL answers over HTTP; fails when the process
# group is gone or the time is up.
wait_until() {
    local deadline=$((SECONDS + $1)) pgid=$2 url=$3
    until "$PYTHON" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5)' "$url" 2>/dev/null; do
        if ! kill -0 -- "-$pgid" 2>/dev/null || ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.5
    done
}

start_sandbox() { # STATE-FILE
    if port_busy "$SANDBOX_PORT"; then
        echo "Port $SANDBOX_PORT is in use: stop what runs there, or set SANDBOX_PORT." >&2
        exit 1
    fi
    echo "== starting the Shipwire sandbox on $SANDBOX_URL (log: .demo/sandbox.log)"
    start "$DEMO_DIR/sandbox.log" "$PYTHON" -m shipwire_api sandbox \
        --host 127.0.0.1 --port "$SANDBOX_PORT" \
        --user "$SANDBOX_USER" --password "$SANDBOX_PASSWORD" \
        --state-file "$1"
    if ! wait_until 30 "${groups[-1]}" "$SANDBOX_URL/_sandbox/stats"; then
        echo "The sandbox did not start:" >&2
        tail -n 20 "$DEMO_DIR/sandbox.log" >&2
        exit 1
    fi
}

# -- without Odoo: the command-line demo ----------------------------------------------

cli_demo() {
    "$PYTHON" -c 'import requests' 2>/dev/null || "$PYTHON" -m pip install --quiet requests
    # A sandbox of its own, new each time, so that the PO is created (not found again).
    rm -f "$DEMO_DIR/cli-sandbox-state.json"
    start_sandbox "$DEMO_DIR/cli-sandbox-state.json"
    export SHIPWIRE_URL=$SANDBOX_URL SHIPWIRE_USER=$SANDBOX_USER
    export SHIPWIRE_PASSWORD=$SANDBOX_PASSWORD
    local created="$DEMO_DIR/cli-create.json" orders="$DEMO_DIR/cli-orders.json" status
    echo
    echo "\$ python3 -m shipwire_api po create tools/demo_purchase_order.json"
    set +e
    "$PYTHON" -m shipwire_api po create tools/demo_purchase_order.json >"$created"
    status=$?
    set -e
    if ((status != 0)); then
        cat "$created"
        echo "po create failed (exit $status)" >&2
        exit 1
    fi
    local po_id
    po_id=$("$PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1]))["purchaseOrder"]["id"])' "$created")
    echo "\$ python3 -m shipwire_api po orders $po_id"
    "$PYTHON" -m shipwire_api po orders "$po_id" >"$orders"
    "$PYTHON" - "$created" "$orders" <<'PY'
import json
import sys

with open(sys.argv[1]) as handle:
    created = json.load(handle)
with open(sys.argv[2]) as handle:
    orders = json.load(handle)
po = created["purchaseOrder"]
print(f"\nPurchase order {po['id']} ({po['externalId']}): {po['status']}")
if created["recovered"]:
    print("  (sent before, by an earlier run: linked, not created twice)")
for kind in ("errors", "warnings"):
    for message in created[kind]:
        print(f"  {kind[:-1]}: {message['message']} [{message['code']}]")
print(f"Fulfillment orders ({len(orders)}):")
for order in orders:
    warehouse = order["routing"]["resource"]["warehouseExternalId"]
    print(f"  {order['id']}  {order['externalId']:<14} {warehouse}  {order['status']}")
PY
    echo
    echo "Full answers: .demo/cli-create.json, .demo/cli-orders.json. To go on by hand:"
    echo "  python3 -m shipwire_api sandbox --port $SANDBOX_PORT --state-file .demo/cli-sandbox-state.json"
    echo "  curl -X POST $SANDBOX_URL/_sandbox/orders/<fulfillment order id>/complete"
    echo "  python3 -m shipwire_api po get $po_id --url $SANDBOX_URL --user sandbox --password sandbox"
    echo
    echo "This was the command-line demo: Odoo 18 was not found."
    echo "Install Odoo 18 so that python3 -c 'import odoo' works, then run make demo again."
}

# -- with Odoo 18 ---------------------------------------------------------------------

odoo_demo() {
    # Its state outlives the demo, like the database whose orders refer to its POs.
    start_sandbox "$DEMO_DIR/sandbox-state.json"
    if port_busy "$ODOO_PORT"; then
        echo "Port $ODOO_PORT is in use: stop what runs there, or set ODOO_PORT." >&2
        exit 1
    fi
    write_odoo_config "$work" "$DEMO_DIR/data" \
        "db_name = $DEMO_DB" "dbfilter = ^$DEMO_DB\$" "http_interface = 127.0.0.1" \
        "http_port = $ODOO_PORT" "max_cron_threads = 1"

    local state
    state=$(
        "$PYTHON" - "$DEMO_DB" "$DB_HOST" "$DB_PORT" "$DB_USER" <<'PY'
import sys

import psycopg2

database, host, port, user = sys.argv[1:]
try:
    connection = psycopg2.connect(dbname=database, host=host, port=port, user=user)
except psycopg2.OperationalError as error:
    print("missing" if "does not exist" in str(error) else f"error: {error}")
    sys.exit()
with connection, connection.cursor() as cr:
    try:
        cr.execute(
            "SELECT state FROM ir_module_module WHERE name = 'sale_stock_shipwire'"
        )
        row = cr.fetchone()
    except psycopg2.Error:
        row = None
print(row[0] if row else "not installed")
PY
    )
    case $state in
    installed)
        echo "== reusing the demo database $DEMO_DB; updating $ADDON in it"
        "$PYTHON" -m odoo -c "$work/odoo.conf" -d "$DEMO_DB" -u "$ADDON" \
            --stop-after-init --log-level=warn ;;
    missing | "not installed" | "to install" | uninstalled)
        echo "== creating the demo database $DEMO_DB with $ADDON (a few minutes)"
        "$PYTHON" -m odoo -c "$work/odoo.conf" -d "$DEMO_DB" -i "$ADDON" \
            --stop-after-init --without-demo=all --log-level=warn ;;
    *)
        echo "Cannot use the database $DEMO_DB ($state)." >&2
        exit 1 ;;
    esac

    echo "== loading the demo data"
    local orders
    orders=$("$PYTHON" tools/demo_data.py --config "$work/odoo.conf" \
        --database "$DEMO_DB" --sandbox-url "$SANDBOX_URL" \
        --sandbox-user "$SANDBOX_USER" --sandbox-password "$SANDBOX_PASSWORD" \
        --base-url "$ODOO_URL")

    echo "== starting Odoo on $ODOO_URL (log: .demo/odoo.log)"
    start "$DEMO_DIR/odoo.log" "$PYTHON" -m odoo -c "$work/odoo.conf" -d "$DEMO_DB"
    local odoo_group=${groups[-1]}
    if ! wait_until 180 "$odoo_group" "http://127.0.0.1:$ODOO_PORT/web/login"; then
        echo "Odoo did not start:" >&2
        tail -n 30 "$DEMO_DIR/odoo.log" >&2
        exit 1
    fi

    local first_id first_name
    IFS=$'\t' read -r first_id first_name _ <<<"$orders"
    cat <<BANNER

==============================================================================
 Odoo      $ODOO_URL   (database $DEMO_DB)
 Login     admin / admin
 Sandbox   $SANDBOX_URL   (API user $SANDBOX_USER, password $SANDBOX_PASSWORD)
 Account   Inventory > Configuration > Shipwire > Accounts > Shipwire sandbox

 Demo orders (Sales > Orders; buttons in the header, messages on the Shipwire tab):
$(while IFS=$'\t' read -r _id name text; do printf '   %-8s %s\n' "$name" "$text"; done <<<"$orders")

 Ship an order at the sandbox: press "Send to Shipwire" on $first_name, then
   curl -X POST $SANDBOX_URL/_sandbox/orders/EODOO-$first_id/complete \\
        -H 'Content-Type: application/json' \\
        -d '{"trackings": [{"carrier": "FEDEX", "tracking": "7700001",
              "url": "https://www.fedex.com/fedextrack/?trknbr=7700001"}]}'
   and press "Refresh from Shipwire" (the sync job also runs every 15 minutes):
   the order becomes Shipped and its delivery is validated.

 Logs: .demo/odoo.log, .demo/sandbox.log.   Ctrl-C stops Odoo and the sandbox.
==============================================================================
BANNER
    # Until Ctrl-C, or until one of them stops by itself.
    set +e
    wait -n "${groups[@]}"
    status=$?
    set -e
    echo "Odoo or the sandbox stopped (exit $status); see .demo/odoo.log and .demo/sandbox.log." >&2
    exit 1
}

if [[ "$(odoo_version)" == 18.0* ]]; then
    odoo_demo
else
    cli_demo
fi
