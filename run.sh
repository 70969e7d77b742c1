#!/usr/bin/env bash
# Set up (first time) and run the product. No arguments: the embedded default
# (in-process hall service, reference platform, kiosk with simulated devices).
# Any arguments are passed to main.py, e.g. ./run.sh hall-server --port 8600.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
exec .venv/bin/python main.py "$@"
