#!/usr/bin/env bash
# Build the addon's wheel, odoo_addon_sale_stock_shipwire-<version>-py3-none-any.whl,
# into dist/, whatever this checkout's folder is called.
#
# whool (the build backend named in pyproject.toml) takes the addon's name from the
# folder it builds in and has no option to set it. So the files of the addon are
# copied into a temporary folder named sale_stock_shipwire and built there.
#
# What goes in: the files git knows of (committed, staged, or new and not ignored),
# as they are in the work tree now, less what only serves development: bench/,
# tools/, .ci/, Makefile and the dotfiles at the top. pyproject.toml is read for
# the build and left out of the wheel by whool itself.
#
# Usage: bash tools/build_wheel.sh [extra pip wheel options]
# Environment: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ADDON=sale_stock_shipwire
repo=$PWD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/$ADDON"
mkdir "$copy"

# Development-only paths, as extended regular expressions on paths from the top.
excluded='^(bench|tools|\.ci|\.benchmarks|build|dist)/|^Makefile$|^\.[^/]*$'
git ls-files -z --cached --others --exclude-standard \
    | { grep -zEv "$excluded" || true; } \
    | while IFS= read -r -d '' file; do
        # A file deleted in the work tree but not yet in git is skipped.
        [[ -f "$file" ]] && printf '%s\0' "$file"
    done \
    | tar --null -T - -cf - | tar -C "$copy" -xf -

mkdir -p dist
# The copy is not a git work tree: whool then packs every file in it, and the
# ceiling keeps git from finding a repository around the temporary folder.
(cd "$copy" && GIT_CEILING_DIRECTORIES="$work" \
    "$PYTHON" -m pip wheel --no-deps --wheel-dir "$repo/dist" "$@" .)
ls -1 "dist/odoo_addon_${ADDON}-"*.whl
