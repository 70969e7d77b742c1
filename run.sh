#!/usr/bin/env bash
# Set up (first time) and run the product. No arguments: the embedded default
# (in-process hall service, reference platform, kiosk with simulated devices).
# Any arguments are passed to main.py, e.g. ./run.sh hall-server --port 8600.
# --headless first: run it with no screen (Qt offscreen); the hall service, the phone pages and the
# platform answer on loopback as usual.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
headless=0
if [ "${1:-}" = "--headless" ]; then headless=1; shift; fi
case "${1:-}" in
  ""|-*|kiosk|display|counter|dashboard|technician|demo-hall) qt_role=1 ;;
  *) qt_role=0 ;;
esac
if [ $headless = 1 ]; then
  export QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software
elif [ $qt_role = 1 ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  cat >&2 <<'MSG'
run: there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window can open.
     To try the product anyway:
       ./run.sh --headless                      everything runs; the kiosk draws offscreen, and the
                                                hall service, phone pages and API answer on loopback
       ./run.sh --headless --screenshot k.png --quit-after 8    a picture of the kiosk, then exit
       xvfb-run -s '-screen 0 1920x1080x24' ./run.sh            a virtual X screen (Debian: xvfb)
MSG
  exit 2
fi
exec .venv/bin/python main.py "$@"
