#!/usr/bin/env bash
# The project's one test command (`make test`): client and sandbox tests everywhere,
# Odoo tests in a throwaway database whenever python3 can import Odoo 18.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire
source tools/odoo.sh

have() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }
ensure() { # ensure MODULE PIP-REQUIREMENT: install only what is missing
    have "$1" || "$PYTHON" -m pip install --quiet "$2"
}

ensure requests requests
ensure pytest pytest

echo "== lint"
bash tools/lint.sh

echo "== client and sandbox tests"
# Exit status 5 is pytest's "no tests collected": a -k for Odoo tests only.
"$PYTHON" -m pytest -p no:odoo -p no:cacheprovider shipwire_api/tests "$@" || [[ $? == 5 ]]

odoo_version=$(odoo_version)
if [[ "$odoo_version" != 18.0* ]]; then
    echo "Odoo tests skipped: no Odoo 18 found (python3 cannot import odoo)."
    exit 0
fi
ensure pytest_odoo pytest-odoo

throwaway_odoo test

# The tour test (tests/test_tour.py) drives headless Chromium, which Odoo looks for on
# the PATH, through websocket-client. Without them Odoo skips it: say so.
find_browser() { # the names Odoo 18 looks for
    local name
    for name in google-chrome chromium chromium-browser google-chrome-stable; do
        command -v "$name" >/dev/null && return 0
    done
    return 1
}
if ! find_browser && command -v apt-get >/dev/null; then
    echo "== installing Chromium (Debian package chromium) for the tour test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
        >"$work/apt.log" 2>&1 || tail -n 5 "$work/apt.log"
fi
ensure websocket websocket-client || true
if ! find_browser; then
    echo "No Chromium, and it could not be installed: Odoo will SKIP the tour test."
elif ! have websocket; then
    echo "No websocket-client, and it could not be installed: Odoo will SKIP the tour test."
fi

echo "== Odoo tests"
report="$work/odoo-tests.txt"
set +e
(cd "$work/addons/$ADDON" && "$PYTHON" -m pytest -p no:cacheprovider \
    --odoo-config "$work/odoo.conf" --odoo-database "$database" --odoo-http \
    "$work/addons/$ADDON/tests" "$@") | tee "$report"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^=+ .*(passed|failed|error|no tests ran).* =+$' "$report" | tail -n 1 || true)
count() { { grep -oE "[0-9]+ ($1)" <<<"$summary" || true; } | awk '{n += $1} END {print n + 0}'; }
passed=$(count passed)
failed=$(count 'failed|errors?')
echo "Odoo tests: $((passed + failed)) ran on Odoo $odoo_version: $passed passed, $failed failed"
exit "$status"
