#!/usr/bin/env bash
# Build the offline wheelhouse of this release on a connected machine with the same Debian,
# Python and processor as the kiosks (x86_64 or aarch64):
#
#   packaging/build-wheelhouse.sh DIR      then on the hall machine: install.sh ROLE --wheels DIR
#
# DIR gets one wheel per package of packaging/lock/runtime.txt that applies to this machine, the
# build backend (setuptools) included, every download checked against the lock's sha256. Packages
# published only as source (evdev) are built into wheels here, so the hall machine needs no
# compiler. DIR/requirements.txt pins every wheel by its own sha256, and DIR/lock.sha256 names the
# lock it came from: install.sh --wheels refuses a wheelhouse built from another release's lock.
set -euo pipefail
DIR=${1:?usage: packaging/build-wheelhouse.sh DIR}
SRC=$(dirname "$(dirname "$(readlink -f "$0")")")
LOCK=$SRC/packaging/lock/runtime.txt
PY=${PYTHON:-python3}
mkdir -p "$DIR"
DIR=$(readlink -f "$DIR")
rm -f "$DIR"/*.whl "$DIR/requirements.txt" "$DIR/lock.sha256"

# pip of a throwaway venv: the machine's own pip may be too old or configured elsewhere.
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$PY" -m venv "$tools/venv"
# --no-deps: the lock is the whole set (--require-hashes refuses anything unpinned or unhashed).
"$tools/venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --require-hashes --no-deps \
  -r "$LOCK" -w "$DIR"

"$tools/venv/bin/python" - "$DIR" <<'PYEOF'
import hashlib
import sys
from pathlib import Path

# One pin per wheel, by the hash of the file on the stick (for PyPI's wheels the lock's own hash).
wheelhouse = Path(sys.argv[1])
lines = ["# written by packaging/build-wheelhouse.sh: every wheel of this directory, by sha256"]
for wheel in sorted(wheelhouse.glob("*.whl")):
    name, version = wheel.name.split("-")[:2]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lines.append(f"{name}=={version} --hash=sha256:{digest}")
(wheelhouse / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
PYEOF
sha256sum <"$LOCK" | cut -d' ' -f1 >"$DIR/lock.sha256"
echo "wheelhouse: $(find "$DIR" -name '*.whl' | wc -l) wheels in $DIR ($(du -sh "$DIR" | cut -f1))"
