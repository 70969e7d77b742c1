#!/usr/bin/env bash
# Shared set-up for ./run.sh and ./test.sh: system packages, then the virtual environment.
# Idempotent: a second run checks and changes nothing.
set -euo pipefail
cd "$(dirname "$0")"

# System libraries the product needs on Debian/Ubuntu:
#   fonts-noto-cjk   Chinese text on screen and on raster tickets
#   libzbar0         pyzbar QR decoding
#   libpulse0        Qt Virtual Keyboard / Qt Multimedia QML plugins
#   libxcb-cursor0, libegl1, libgl1, libxkbcommon0, libfontconfig1, libdbus-1-3  Qt runtime
#   fontconfig       fc-match finds the CJK font for raster printing
#   fonts-wqy-zenhei  a TrueType CJK font that A4 PDFs embed (reportlab cannot embed Noto CJK's CFF)
#   cups-client cups-ipp-utils  lp/lpstat and ipptool: the A4 printer driver's IPP client to CUPS
#   espeak-ng        offline voice for call announcements, elder mode and speech mode
#   pulseaudio-utils pactl: the headphone jack starts speech mode ([devices.keypad] headphones)
# For the tests (deployment checks and the phone pages in a real browser):
#   the ShellCheck linter, systemd (systemd-analyze), systemd-container (systemd-nspawn boots the
#   installed units), udev + umockdev (the udev rules applied to emulated devices),
#   cage grim xwayland + wayland libraries, chromium
#   faketime         libfaketime steps a real hall-server's wall clock (the guarded clock's test)
#   postgresql       the PostgreSQL store's suites start a throw-away server (initdb, pg_ctl)
#   xvfb xdotool     a real X server whose pointer and keys drive demo-hall's own windows
#   poppler-utils    pdftoppm renders the supervisor's monthly PDF report to check what it shows
#   cups-daemon      the A4 printer suites start a throw-away cupsd on loopback (tests/cups_server.py)
# shellcheck disable=SC2206  # EXTRA_SYSTEM_PACKAGES is a space-separated list on purpose
SYSTEM_PACKAGES=(fonts-noto-cjk fontconfig libzbar0 libpulse0 libxcb-cursor0 libegl1 libgl1 libxkbcommon0
                 libfontconfig1 libdbus-1-3 espeak-ng fonts-wqy-zenhei cups-client cups-ipp-utils pulseaudio-utils
                 shellcheck systemd systemd-container udev umockdev cage grim xwayland libwayland-client0
                 libwayland-cursor0 libwayland-egl1 libxcb-keysyms1 chromium faketime postgresql xvfb xdotool
                 poppler-utils cups-daemon ${EXTRA_SYSTEM_PACKAGES:-})

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: these Debian packages are missing and I cannot install them without root:" >&2
    echo "       apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; } \
    || { echo "setup: could not install ${missing[*]}; install them and run again" >&2; exit 1; }
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2; exit 1; }

# Virtual environment: exactly the pins of packaging/lock/dev.txt (the release's lock plus the dev
# tools, every file checked by its sha256), reinstalled only when pyproject.toml or the lock changed.
LOCK=packaging/lock/dev.txt
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
stamp=.venv/.installed-$(cat pyproject.toml "$LOCK" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv from $LOCK (first run takes a few minutes)"
  pip=(.venv/bin/python -m pip --disable-pip-version-check)
  # Then the product itself, editable, built by the locked setuptools; pip check fails on a lock
  # that no longer covers pyproject.toml (regenerate it: packaging/lock.sh).
  if ! { "${pip[@]}" install --require-hashes -r "$LOCK" \
         && "${pip[@]}" install --no-deps --no-build-isolation -e . \
         && "${pip[@]}" check; } >.venv/pip-install.log 2>&1; then
    tail -30 .venv/pip-install.log >&2; echo "setup: pip install failed (full log: .venv/pip-install.log)" >&2; exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
