#!/usr/bin/env bash
# Regenerate i18n/sale_stock_shipwire.pot, the translation template, with Odoo's own
# exporter: install the addon in a throwaway database, export its terms, drop the
# database. Needs python3 that imports Odoo 18 and PostgreSQL on 127.0.0.1:5432
# (PGHOST, PGPORT, PGUSER override it, as for tools/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire
source tools/odoo.sh

if [[ "$(odoo_version)" != 18.0* ]]; then
    echo "update_pot: no Odoo 18 found (python3 cannot import odoo)." >&2
    exit 1
fi

throwaway_odoo pot

echo "== exporting its terms"
# Without -l, Odoo writes a template (.pot) with empty translations.
"$PYTHON" -m odoo -c "$work/odoo.conf" -d "$database" --modules="$ADDON" \
    --i18n-export="$work/$ADDON.pot" --log-level=warn

mkdir -p i18n
cp "$work/$ADDON.pot" "i18n/$ADDON.pot"
echo "i18n/$ADDON.pot: $(grep -c '^msgid "' "i18n/$ADDON.pot") entries (the header included)"
