# Sourced by the scripts that run this addon in an installed Odoo 18: the database
# settings (PGHOST, PGPORT, PGUSER override them) and an Odoo configuration in a
# work folder. Expects PYTHON and ADDON to be set.
DB_HOST=${PGHOST:-127.0.0.1}
DB_PORT=${PGPORT:-5432}
DB_USER=${PGUSER:-root}

# The version of the Odoo that python3 imports, or nothing.
odoo_version() {
    (cd / && "$PYTHON" -c 'import odoo.release as r; print(r.version)' 2>/dev/null) || true
}

# write_odoo_config WORK DATA-DIR [OPTION-LINE...]: WORK/odoo.conf with this
# checkout and Odoo's own addons on the addons path, plus the given option lines.
write_odoo_config() {
    local work=$1 data_dir=$2 odoo_addons
    shift 2
    # Odoo names an addon after its folder, whatever this checkout is called.
    mkdir -p "$work/addons"
    ln -sfn "$PWD" "$work/addons/$ADDON"
    odoo_addons=$(cd / && "$PYTHON" -c 'import odoo, os
print(os.path.join(os.path.dirname(odoo.__path__[0]), "addons"))')
    {
        echo "[options]"
        echo "addons_path = $work/addons,$odoo_addons"
        echo "data_dir = $data_dir"
        echo "db_host = $DB_HOST"
        echo "db_port = $DB_PORT"
        echo "db_user = $DB_USER"
        echo "list_db = False"
        printf '%s\n' "$@"
    } >"$work/odoo.conf"
}

free_port() {
    "$PYTHON" -c 'import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])'
}

# throwaway_odoo PURPOSE: sets $work (a folder with odoo.conf) and $database (new,
# with this addon, without demo data); both are removed when the script exits.
throwaway_odoo() {
    work=$(mktemp -d)
    database="${ADDON}_$1_$$"
    trap 'dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$database" \
        >/dev/null 2>&1; rm -rf "$work"' EXIT
    # A free port, not Odoo's 8069: another Odoo on this machine may hold that one.
    write_odoo_config "$work" "$work/data" "http_port = $(free_port)"
    echo "== installing $ADDON into the throwaway database $database"
    "$PYTHON" -m odoo -c "$work/odoo.conf" -d "$database" -i "$ADDON" \
        --stop-after-init --without-demo=all --log-level=warn
}
