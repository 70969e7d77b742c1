#!/usr/bin/env bash
# Set up (first time) and run the whole test suite offscreen. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
export QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software
.venv/bin/ruff check .
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exit 5 = no tests collected: that is a failure here, there must be tests.
if [ $rc -eq 5 ]; then echo "test: pytest collected no tests" >&2; exit 1; fi
exit $rc
