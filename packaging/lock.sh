#!/usr/bin/env bash
# Regenerate the release's lock files from pyproject.toml (run after changing a dependency):
#
#   packaging/lock.sh              keep every pin that still fits, add and drop what changed
#   packaging/lock.sh --upgrade    move every package to its newest allowed version
#
# Writes packaging/lock/runtime.txt (what packaging/install.sh and the wheelhouse install: the
# product's dependencies and its build-system requirements) and packaging/lock/dev.txt (the same
# pins plus the dev extras: what ./setup.sh installs for ./test.sh and CI). One universal
# resolution for Python 3.11+ on x86_64 and aarch64, every file's sha256 included; uv comes from
# the dev extras (./setup.sh installs it; UV=/path/to/uv to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
[ -x "$UV" ] || command -v "$UV" >/dev/null || { echo "lock: $UV not found: run ./setup.sh first" >&2; exit 1; }
PY=${PYTHON:-python3}

# The build backend is pinned too: installs build the product with --no-build-isolation from it.
build_in=packaging/lock/build-system.in
"$PY" - >"$build_in" <<'PYEOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    requires = tomllib.load(f)["build-system"]["requires"]
print("# [build-system] requires of pyproject.toml, written by packaging/lock.sh: do not edit")
print("\n".join(requires))
PYEOF

common=(--universal --python-version 3.11 --generate-hashes --quiet
        --custom-compile-command "packaging/lock.sh" "$@")
"$UV" pip compile "${common[@]}" pyproject.toml --extra dev packaging/lock/extra.in "$build_in" \
  -o packaging/lock/dev.txt
# Runtime pins are the dev pins (-c): what CI tested is what a kiosk installs.
"$UV" pip compile "${common[@]}" pyproject.toml packaging/lock/extra.in "$build_in" \
  -c packaging/lock/dev.txt -o packaging/lock/runtime.txt
echo "lock: packaging/lock/dev.txt $(grep -c '^[a-z0-9]' packaging/lock/dev.txt) pins," \
     "packaging/lock/runtime.txt $(grep -c '^[a-z0-9]' packaging/lock/runtime.txt) pins"
