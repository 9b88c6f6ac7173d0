#!/usr/bin/env bash
# The project's lint command (`make lint`): ruff (check and format), pylint-odoo with
# the mandatory profile in .pylintrc-mandatory, and a check of __manifest__.py.
# Exits non-zero when anything is found; the last line says how it went.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire
# Pinned so that every machine reports the same findings: ruff's rules and format style
# change between releases; pylint-odoo 9.1.x (on pylint 3.1) is the line OCA uses for
# Odoo 18.0.
RUFF_REQUIREMENT=${RUFF_REQUIREMENT:-ruff==0.17.6}
PYLINT_ODOO_REQUIREMENT=${PYLINT_ODOO_REQUIREMENT:-pylint-odoo==9.1.3}

have() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }
if ! "$PYTHON" -m ruff --version >/dev/null 2>&1; then
    "$PYTHON" -m pip install --quiet "$RUFF_REQUIREMENT" || exit 2
fi
if ! have pylint || ! have pylint_odoo; then
    "$PYTHON" -m pip install --quiet "$PYLINT_ODOO_REQUIREMENT" || exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=0

# run_step TITLE PATTERN COMMAND...: show the command's output, count the lines that
# match PATTERN as problems (at least one if the command failed without such a line).
run_step() {
    local title=$1 pattern=$2 output status found
    shift 2
    echo "== $title"
    output=$("$@" 2>&1)
    status=$?
    [[ -n "$output" ]] && printf '%s\n' "$output"
    found=$(grep -cE "$pattern" <<<"$output")
    if ((status != 0 && found == 0)); then
        found=1
    fi
    problems=$((problems + found))
}

run_step "ruff check" '^[^ :]+:[0-9]+:[0-9]+: ' \
    "$PYTHON" -m ruff check --no-cache --output-format=concise .
run_step "ruff format --check" '^[^ :]+:[0-9]+:[0-9]+: |^Would reformat' \
    "$PYTHON" -m ruff format --no-cache --check --output-format=concise .

# pylint-odoo takes the addon's name from its folder, and this checkout may be called
# anything: lint it through a link named like the addon. Paths are shown from the repo.
pylint_addon() {
    local repo=$PWD output status
    mkdir -p "$work/addons"
    ln -sfn "$repo" "$work/addons/$ADDON"
    output=$(cd "$work/addons" && "$PYTHON" -m pylint \
        --rcfile="$repo/.pylintrc-mandatory" --output-format=text "$ADDON" 2>&1)
    status=$?
    grep -v '^\*\*\*\*\*\*\*\*\*\*\*\*\* Module ' <<<"$output" | sed "s#^$ADDON/##" | grep -v '^$'
    return "$status"
}
run_step "pylint-odoo (mandatory checks, .pylintrc-mandatory)" '^[^ :]+:[0-9]+: \[' \
    pylint_addon

run_step "manifest" '^__manifest__\.py: ' "$PYTHON" - <<'PY'
import ast
import csv
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

AUTHOR = "sale_stock_shipwire developers"
# Folders whose .xml/.csv files Odoo only loads when the manifest lists them.
DATA_FOLDERS = ("data", "demo", "report", "reports", "security", "views", "wizard")
findings = []


def finding(message):
    findings.append(message)
    print(f"__manifest__.py: {message}")


try:
    manifest = ast.literal_eval(pathlib.Path("__manifest__.py").read_text())
except (OSError, SyntaxError, ValueError) as error:
    finding(f"cannot be read as a Python literal: {error}")
    sys.exit(1)
if not isinstance(manifest, dict):
    finding("is not a dict")
    sys.exit(1)


def string(key):
    value = manifest.get(key)
    if not isinstance(value, str) or not value.strip():
        finding(f"{key!r} must be a non-empty string, not {value!r}")
        return None
    return value


string("name")
string("license")
version = string("version")
if version and not re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", version):
    finding(f"'version' must look like 18.0.x.y.z, not {version!r}")
author = string("author")
if author and author != AUTHOR:
    finding(f"'author' must be {AUTHOR!r}, not {author!r}")

for key in ("depends", "data", "demo"):
    value = manifest.get(key, [] if key == "demo" else None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        finding(f"{key!r} must be a list of strings, not {value!r}")
        value = []
    manifest[key] = value
if not manifest["depends"]:
    finding("'depends' is empty")

listed = set()
for key in ("data", "demo"):
    for name in manifest[key]:
        if name in listed:
            finding(f"{name!r} is listed more than once")
        listed.add(name)
        path = pathlib.Path(name)
        if path.is_absolute() or ".." in path.parts or not path.is_file():
            finding(f"{key!r} lists {name!r}, which is not a file of the addon")
            continue
        try:
            if path.suffix == ".xml":
                ET.parse(path)
            elif path.suffix == ".csv":
                with path.open(newline="", encoding="utf-8") as stream:
                    list(csv.reader(stream))
        except (ET.ParseError, csv.Error, UnicodeDecodeError) as error:
            finding(f"{name!r} cannot be parsed: {error}")

for folder in DATA_FOLDERS:
    for path in sorted(pathlib.Path(folder).rglob("*")):
        if path.suffix in (".xml", ".csv") and path.as_posix() not in listed:
            finding(f"{path.as_posix()!r} is not listed in 'data' or 'demo'")

sys.exit(1 if findings else 0)
PY

echo
if ((problems == 0)); then
    echo "lint: clean"
else
    echo "lint: $problems problems"
    exit 1
fi
