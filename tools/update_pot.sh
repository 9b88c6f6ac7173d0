#!/usr/bin/env bash
# Regenerate i18n/sale_stock_shipwire.pot, the translation template, with Odoo's own
# exporter: install the addon in a throwaway database, export its terms, drop the
# database. Needs python3 that imports Odoo 18 and PostgreSQL on 127.0.0.1:5432
# (PGHOST, PGPORT, PGUSER override it, as for tools/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire

odoo_version=$(cd / && "$PYTHON" -c 'import odoo.release as r; print(r.version)' 2>/dev/null || true)
if [[ "$odoo_version" != 18.0* ]]; then
    echo "update_pot: no Odoo 18 found (python3 cannot import odoo)." >&2
    exit 1
fi

work=$(mktemp -d)
database="${ADDON}_pot_$$"
cleanup() {
    dropdb --if-exists -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-root}" "$database" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# Odoo names an addon after its folder, whatever this checkout is called.
mkdir -p "$work/addons"
ln -s "$PWD" "$work/addons/$ADDON"
addons_path="$work/addons,$(cd / && "$PYTHON" -c 'import odoo, os; print(os.path.join(os.path.dirname(odoo.__path__[0]), "addons"))')"
cat > "$work/odoo.conf" <<CONF
[options]
addons_path = $addons_path
data_dir = $work/data
db_host = ${PGHOST:-127.0.0.1}
db_port = ${PGPORT:-5432}
db_user = ${PGUSER:-root}
list_db = False
CONF

echo "== installing $ADDON into the throwaway database $database"
"$PYTHON" -m odoo -c "$work/odoo.conf" -d "$database" -i "$ADDON" --stop-after-init \
    --without-demo=all --log-level=warn

echo "== exporting its terms"
# Without -l, Odoo writes a template (.pot) with empty translations.
"$PYTHON" -m odoo -c "$work/odoo.conf" -d "$database" --modules="$ADDON" \
    --i18n-export="$work/$ADDON.pot" --log-level=warn

mkdir -p i18n
cp "$work/$ADDON.pot" "i18n/$ADDON.pot"
echo "i18n/$ADDON.pot: $(grep -c '^msgid "' "i18n/$ADDON.pot") entries (the header included)"
