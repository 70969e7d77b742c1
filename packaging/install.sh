#!/usr/bin/env bash
# Install or update one role of the hall kiosk product on Debian/Ubuntu. Idempotent: a second
# run with the same source changes nothing and says so ("0 changes").
#
#   sudo packaging/install.sh ROLE [options]      ROLE = kiosk | display | hall-server | counter
#
#   --root DIR     install into DIR as if it were / (tests, images): no apt, no systemctl
#                  start, no udev reload; the system packages must already be on this machine
#   --wheels DIR   install Python packages from this wheelhouse only (offline USB stick; built
#                  by packaging/build-wheelhouse.sh DIR from the same release)
#   --no-apt       never call apt-get; fail with the list of missing packages instead
#   --no-start     enable the units but do not (re)start them now
#   --tls-host N   hall-server: one more DNS name or address in the server certificate (repeat;
#                  the host name and every address of this machine are always in it)
#   --hall-ca FILE kiosk/display/counter: the hall CA (hall-kiosk hall-server ca on the hall
#                  server), installed as /etc/hall-kiosk/hall-ca.pem = hall_service.ca_bundle
#   --enrol ROLE:NAME[:COUNTER]   (hall-server) enrol a device (kiosk|counter|display|dashboard):
#                  its one-time token goes to /etc/hall-kiosk/enrolled/NAME.token (0600) for
#                  its hall_service.token; repeatable; a name with a token file is left alone
#   --disable-shared-roles   (hall-server) switch the shared role tokens off (admin stays)
#   --release-key FILE   (hall-server) import this Ed25519 release signing key (PEM) as
#                  /etc/hall-kiosk/release.key (root, 0600) instead of making a new one
#   --release-pub FILE   kiosk/display/counter: the release key's public half (on the hall
#                  server: /etc/hall-kiosk/release.pub), installed as /etc/hall-kiosk/release.pub
#
# Layout (the one kiosk/updates.py keeps, docs/updates.md): releases in /opt/hall-kiosk/releases/
# (<version>-<hash>/ each with its own venv and source; current and previous symlinks beside
# them), /opt/hall-kiosk/current -> releases/current, configuration in /etc/hall-kiosk, data in
# /var/lib/hall-kiosk/<role>, the hall's published releases in /var/lib/hall-kiosk/releases.
set -euo pipefail

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

ROLE=${1:-}
case $ROLE in
  kiosk | display | hall-server | counter) shift ;;
  -h | --help) usage ;;
  *) echo "install: ROLE must be kiosk, display, hall-server or counter" >&2; usage ;;
esac
ROOT=""
WHEELS=""
APT=1
START=1
TLS_HOSTS=()
HALL_CA=""
ENROL=()
SHARED_ROLES=""
RELEASE_KEY=""
RELEASE_PUB=""
while [ $# -gt 0 ]; do
  case $1 in
    --root) ROOT=$(readlink -f "${2:?--root needs a directory}"); APT=0; START=0; shift 2 ;;
    --wheels) WHEELS=$(readlink -f "${2:?--wheels needs a directory}"); shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-start) START=0; shift ;;
    --tls-host) TLS_HOSTS+=("${2:?--tls-host needs a name}"); shift 2 ;;
    --hall-ca) HALL_CA=$(readlink -f "${2:?--hall-ca needs a file}"); shift 2 ;;
    --enrol) ENROL+=("${2:?--enrol needs ROLE:NAME[:COUNTER]}"); shift 2 ;;
    --disable-shared-roles) SHARED_ROLES=disable; shift ;;
    --release-key) RELEASE_KEY=$(readlink -f "${2:?--release-key needs a file}"); shift 2 ;;
    --release-pub) RELEASE_PUB=$(readlink -f "${2:?--release-pub needs a file}"); shift 2 ;;
    *) echo "install: unknown option $1" >&2; usage ;;
  esac
done

HERE=$(dirname "$(readlink -f "$0")")
SRC=$(dirname "$HERE")
USER_NAME=kiosk
OPT=/opt/hall-kiosk
PYTHON=${PYTHON:-/usr/bin/python3}
CHANGES=0

[ "$(id -u)" = 0 ] || { echo "install: run as root (sudo $0 $ROLE ...)" >&2; exit 1; }
if [ ! -f "$SRC/main.py" ] || [ ! -f "$SRC/pyproject.toml" ]; then
  echo "install: $SRC is not the application source" >&2; exit 1
fi

say() { printf 'install: %s\n' "$*"; }
changed() { CHANGES=$((CHANGES + 1)); say "changed: $*"; }

# --- 1. system packages --------------------------------------------------------------------
PKGS=(python3 python3-venv ca-certificates)
QT_PKGS=(fonts-noto-cjk libpulse0 libxcb-cursor0 libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3
         libwayland-client0 libwayland-cursor0 libwayland-egl1)
case $ROLE in
  # CUPS and ipptool for the A4 printer ([devices.a4_printer]); WenQuanYi: the font A4 PDFs embed
  kiosk) PKGS+=("${QT_PKGS[@]}" cage xwayland libzbar0 cups-daemon cups-client cups-ipp-utils fonts-wqy-zenhei) ;;
  display) PKGS+=("${QT_PKGS[@]}" cage xwayland espeak-ng) ;;
  counter) PKGS+=("${QT_PKGS[@]}" libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-render-util0
                  libxcb-shape0 libxcb-randr0 libxcb-keysyms1) ;;
  hall-server) PKGS+=(fonts-wqy-zenhei) ;;   # the monthly report's PDF embeds it
esac
# evdev (HID scanners) is published as source only: online, pip builds it here. A wheelhouse
# brings it built, so an offline machine needs no compiler.
[ -z "$WHEELS" ] && PKGS+=(gcc libc6-dev linux-libc-dev python3-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ $APT = 0 ]; then
    echo "install: missing Debian packages (install them, then run again): apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  changed "system packages ${missing[*]}"
fi

# --- helpers that write only when something differs ----------------------------------------
# Owner lookups read $ROOT/etc/passwd so that a --root install never depends on this machine's users.
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/group"; }
owner_ids() { # user:group -> uid:gid
  local u=${1%%:*} g=${1##*:} ui gi
  if [ "$u" = root ]; then ui=0; else ui=$(uid_of "$u"); fi
  if [ "$g" = root ]; then gi=0; else gi=$(gid_of "$g"); fi
  echo "$ui:$gi"
}
ensure_dir() { # path mode user:group
  local path=$ROOT$1 mode=$2 ids
  ids=$(owner_ids "$3")
  if [ ! -d "$path" ]; then mkdir -p "$path"; changed "directory $1"; fi
  if [ "$(stat -c '%a %u:%g' "$path")" != "${mode#0} $ids" ]; then
    chmod "$mode" "$path"; chown "$ids" "$path"; changed "owner/mode of $1"
  fi
}
ensure_file() { # source dest mode user:group
  local src=$1 dest=$ROOT$2 mode=$3 ids
  ids=$(owner_ids "$4")
  if ! cmp -s "$src" "$dest"; then
    mkdir -p "$(dirname "$dest")"; cp "$src" "$dest.new"; chmod "$mode" "$dest.new"; chown "$ids" "$dest.new"
    mv -f "$dest.new" "$dest"; changed "file $2"
  elif [ "$(stat -c '%a %u:%g' "$dest")" != "${mode#0} $ids" ]; then
    chmod "$mode" "$dest"; chown "$ids" "$dest"; changed "owner/mode of $2"
  fi
}
ensure_file_once() { # like ensure_file, but never replaces an existing (edited) file
  if [ -e "$ROOT$2" ]; then return 0; fi
  ensure_file "$@"
}
ensure_link() { # target linkpath
  if [ "$(readlink "$ROOT$2" 2>/dev/null)" != "$1" ]; then
    mkdir -p "$(dirname "$ROOT$2")"; ln -sfn "$1" "$ROOT$2"; changed "link $2 -> $1"
  fi
}

# --- 2. the kiosk system user ----------------------------------------------------------------
for f in passwd group shadow gshadow; do
  [ -f "$ROOT/etc/$f" ] || { echo "install: $ROOT/etc/$f is missing (a --root needs a base /etc)" >&2; exit 1; }
done
prefix=()
[ -n "$ROOT" ] && prefix=(--prefix "$ROOT")
if [ -z "$(uid_of "$USER_NAME")" ]; then
  useradd "${prefix[@]}" --system --user-group --home-dir /var/lib/hall-kiosk/home --no-create-home \
    --shell /usr/sbin/nologin --comment "hall kiosk" "$USER_NAME"
  changed "system user $USER_NAME"
fi
case $ROLE in
  kiosk) GROUPS_WANTED=(dialout lp input video render audio) ;;
  display) GROUPS_WANTED=(video render audio) ;;
  *) GROUPS_WANTED=() ;;
esac
for g in "${GROUPS_WANTED[@]}"; do
  [ -n "$(gid_of "$g")" ] || { groupadd "${prefix[@]}" --system "$g"; changed "group $g"; }
  if ! awk -F: -v g="$g" -v u="$USER_NAME" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) f = 1 } END { exit !f }' "$ROOT/etc/group"; then
    usermod "${prefix[@]}" --append --groups "$g" "$USER_NAME"; changed "$USER_NAME joins group $g"
  fi
done

# --- 3. the application release in its own virtual environment --------------------------------
cd "$SRC"
if [ -n "$WHEELS" ]; then
  if [ ! -f "$WHEELS/requirements.txt" ] || [ ! -f "$WHEELS/lock.sha256" ]; then
    echo "install: $WHEELS is not a wheelhouse of packaging/build-wheelhouse.sh (no requirements.txt, lock.sha256)" >&2
    exit 1
  fi
  if [ "$(cat "$WHEELS/lock.sha256")" != "$(sha256sum <packaging/lock/runtime.txt | cut -d' ' -f1)" ]; then
    echo "install: $WHEELS was built from another release's lock: packaging/build-wheelhouse.sh $WHEELS" >&2
    exit 1
  fi
fi
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
APP_PATHS=(main.py pyproject.toml README.md common kiosk devices queueing offline_cache ui packaging docs/deploy.md)
present=()
for p in "${APP_PATHS[@]}"; do [ -e "$p" ] && present+=("$p"); done
HASH=$(find "${present[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | LC_ALL=C sort -z \
       | xargs -0 sha256sum | sha256sum | cut -c1-12)
RELEASE=$VERSION-$HASH
REL_DIR=$ROOT$OPT/releases/$RELEASE
ensure_dir /opt/hall-kiosk 0755 root:root
ensure_dir /opt/hall-kiosk/releases 0755 root:root
if [ ! -f "$REL_DIR/.complete" ]; then
  say "building release $RELEASE (virtual environment and Python packages; takes a minute)"
  rm -rf "$REL_DIR"
  mkdir -p "$REL_DIR/src"
  # pip builds in the source tree: copy it so a read-only USB stick works and nothing is left behind.
  tar -cf - --exclude=__pycache__ --exclude='*.pyc' "${present[@]}" | tar -xf - -C "$REL_DIR/src"
  "$PYTHON" -m venv "$REL_DIR/venv"
  # Exactly the release's lock (packaging/lock/runtime.txt), every file checked by its sha256;
  # then the product itself, built by the locked setuptools (no other download, no resolution).
  pip_args=(--quiet --disable-pip-version-check --no-warn-script-location)
  if [ -n "$WHEELS" ]; then
    deps=(--no-index --find-links "$WHEELS" --require-hashes -r "$WHEELS/requirements.txt")
  else
    deps=(--require-hashes -r "$REL_DIR/src/packaging/lock/runtime.txt")
  fi
  vpip=("$REL_DIR/venv/bin/python" -m pip)
  if ! { "${vpip[@]}" install "${pip_args[@]}" "${deps[@]}" \
         && "${vpip[@]}" install "${pip_args[@]}" --no-index --no-deps --no-build-isolation "$REL_DIR/src" \
         && "${vpip[@]}" check; } >"$REL_DIR/pip.log" 2>&1; then
    tail -20 "$REL_DIR/pip.log" >&2
    echo "install: pip install failed (log: $REL_DIR/pip.log)" >&2
    exit 1
  fi
  rm -rf "$REL_DIR/src/build" "$REL_DIR/src/"*.egg-info
  # Byte-compile now, as root: the sandboxed services cannot write into /opt.
  "$REL_DIR/venv/bin/python" -m compileall -q "$REL_DIR/venv/lib" >/dev/null 2>&1 || true
  "$REL_DIR/venv/bin/python" -P -m main --version >/dev/null
  echo "$RELEASE" >"$REL_DIR/.complete"
  changed "release $RELEASE"
fi
# current and previous live beside the releases, switched as kiosk/updates.py switches them (a new
# symlink renamed over the old). A release installed by hand is not "pending": no rollback check.
RELS=$ROOT$OPT/releases
switch_link() { # release name
  ln -sfn "$1" "$RELS/.$2.tmp"; mv -fT "$RELS/.$2.tmp" "$RELS/$2"
}
CURRENT=$(readlink "$RELS/current" 2>/dev/null || true)
PREVIOUS=$CURRENT
legacy=$(readlink "$ROOT$OPT/current" 2>/dev/null || true)
if [ -z "$PREVIOUS" ] && [ -n "$legacy" ] && [ "$legacy" != releases/current ]; then
  PREVIOUS=${legacy#releases/}   # the layout before fleet updates: /opt/hall-kiosk/current -> releases/<r>
fi
if [ "$CURRENT" != "$RELEASE" ]; then
  if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$RELEASE" ] && [ -d "$RELS/$PREVIOUS" ]; then
    switch_link "$PREVIOUS" previous
    say "previous release kept for rollback: $PREVIOUS"
  fi
  switch_link "$RELEASE" current
  rm -f "$RELS/staged" "$RELS/pending"   # what the updater had staged does not replace this release
  changed "current release $RELEASE"
fi
ensure_link releases/current /opt/hall-kiosk/current
if [ -f "$ROOT$OPT/previous" ] && [ ! -L "$ROOT$OPT/previous" ]; then
  rm -f "$ROOT$OPT/previous"; changed "removed the old-layout file /opt/hall-kiosk/previous"
fi
# Keep the current, the previous and one more release; older ones go.
keep=$(printf '%s\n%s\n' "$(readlink "$RELS/current")" "$(readlink "$RELS/previous" 2>/dev/null || true)")
old=$(find "$RELS" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %f\n' | sort -rn | awk '{ print $2 }' | tail -n +4)
for r in $old; do
  grep -qx "$r" <<<"$keep" || { rm -rf "${RELS:?}/$r" "$RELS/home-$r"; changed "removed old release $r"; }
done
# The rollback check (the kiosk unit's ExecStartPre=, hall-kiosk-home.service) runs this copy with the system
# Python, outside every release: a broken release cannot break its own way back.
ensure_dir /opt/hall-kiosk/lib 0755 root:root
ensure_file "$REL_DIR/src/kiosk/updates.py" /opt/hall-kiosk/lib/hall_kiosk_release.py 0644 root:root

ensure_dir /opt/hall-kiosk/bin 0755 root:root
for b in hall-kiosk hall-kiosk-session hall-kiosk-counter hall-kiosk-notify-relay hall-kiosk-update; do
  ensure_file "$HERE/bin/$b" "/opt/hall-kiosk/bin/$b" 0755 root:root
done
ensure_dir /usr/local/bin 0755 root:root
ensure_link /opt/hall-kiosk/bin/hall-kiosk /usr/local/bin/hall-kiosk

# --- 4. configuration in /etc, data in /var/lib ------------------------------------------------
ensure_dir /etc/hall-kiosk 0750 root:$USER_NAME
ensure_dir /var/lib/hall-kiosk 0755 root:root
ensure_dir /var/lib/hall-kiosk/home 0750 $USER_NAME:$USER_NAME
case $ROLE in
  kiosk | display | counter)
    ensure_file "$HERE/etc/$ROLE.toml" "/etc/hall-kiosk/$ROLE.toml.dist" 0640 root:$USER_NAME
    ensure_file_once "$HERE/etc/$ROLE.toml" "/etc/hall-kiosk/$ROLE.toml" 0640 root:$USER_NAME ;;
  hall-server)
    ensure_file_once "$HERE/etc/hall-server.env" /etc/hall-kiosk/hall-server.env 0640 root:$USER_NAME ;;
esac
DATA=/var/lib/hall-kiosk/${ROLE/hall-server/hall}
if [ "$ROLE" = counter ]; then
  # Staff accounts that run the console join the kiosk group (docs/deploy.md).
  ensure_dir "$DATA" 2770 $USER_NAME:$USER_NAME
  ensure_file_once "$HERE/etc/counter.env" /etc/hall-kiosk/counter.env 0640 root:$USER_NAME
else
  ensure_dir "$DATA" 0750 $USER_NAME:$USER_NAME
fi
if [ "$ROLE" = hall-server ]; then
  # The hall CA and the server certificate (docs/deploy.md "TLS"), made once with the release's
  # own Python (cryptography); a re-run keeps them. The service reads server.key; ca.key stays
  # root's, so a compromised service cannot mint certificates.
  if [ ! -f "$ROOT$DATA/tls/server.pem" ]; then
    hosts=(--host "$(hostname)" --host localhost --host 127.0.0.1)
    fqdn=$(hostname -f 2>/dev/null || true)
    [ -n "$fqdn" ] && [ "$fqdn" != "$(hostname)" ] && hosts+=(--host "$fqdn")
    for ip in $(hostname -I 2>/dev/null || true); do hosts+=(--host "$ip"); done
    for h in "${TLS_HOSTS[@]}"; do hosts+=(--host "$h"); done
    "$REL_DIR/venv/bin/python" -P -m main hall-server make-cert --data-dir "$ROOT$DATA" "${hosts[@]}" >/dev/null
    changed "hall CA and server certificate in $DATA/tls"
  fi
  ensure_dir "$DATA/tls" 0750 root:$USER_NAME
  for f in ca.key server.key; do
    chown "$(owner_ids root:root)" "$ROOT$DATA/tls/$f"; chmod 0600 "$ROOT$DATA/tls/$f"
  done
  chown "$(owner_ids $USER_NAME:$USER_NAME)" "$ROOT$DATA/tls/server.key"
  # Clients copy it from here (or: hall-kiosk hall-server ca).
  ensure_file "$ROOT$DATA/tls/ca.pem" /etc/hall-kiosk/hall-ca.pem 0644 root:root
elif [ -n "$HALL_CA" ]; then
  ensure_file "$HALL_CA" /etc/hall-kiosk/hall-ca.pem 0644 root:root
fi

# Release signing (docs/updates.md): the hall server holds the Ed25519 private key (root only,
# 0600: the hall service never reads it), made here once or imported with --release-key; every
# machine trusts its public half in /etc/hall-kiosk/release.pub. Kiosks take only what it signed.
if [ "$ROLE" = hall-server ]; then
  key=$ROOT/etc/hall-kiosk/release.key
  if [ -n "$RELEASE_KEY" ] && ! cmp -s "$RELEASE_KEY" "$key"; then
    ensure_file "$RELEASE_KEY" /etc/hall-kiosk/release.key 0600 root:root
    rm -f "$ROOT/etc/hall-kiosk/release.pub"
  elif [ ! -f "$key" ]; then
    (umask 077; "$REL_DIR/venv/bin/python" -P -m common.releases keys --private "$key" \
       --public "$ROOT/etc/hall-kiosk/release.pub")
    changed "release signing key /etc/hall-kiosk/release.key"
  fi
  ensure_file "$key" /etc/hall-kiosk/release.key 0600 root:root
  if [ ! -f "$ROOT/etc/hall-kiosk/release.pub" ]; then
    "$REL_DIR/venv/bin/python" -P -m common.releases public --private "$key" --public "$ROOT/etc/hall-kiosk/release.pub"
    changed "release public key /etc/hall-kiosk/release.pub"
  fi
  ensure_file "$ROOT/etc/hall-kiosk/release.pub" /etc/hall-kiosk/release.pub 0644 root:root
  # What the hall serves its kiosks (python -m common.releases publish writes it, as root; the
  # service only reads it: HALL_RELEASES_DIR in hall-server.env).
  ensure_dir /var/lib/hall-kiosk/releases 0755 root:root
elif [ -n "$RELEASE_PUB" ]; then
  ensure_file "$RELEASE_PUB" /etc/hall-kiosk/release.pub 0644 root:root
elif [ "$ROLE" = kiosk ] && [ ! -f "$ROOT/etc/hall-kiosk/release.pub" ]; then
  say "no release key yet: fleet updates wait for --release-pub /etc/hall-kiosk/release.pub of the hall server"
fi

# One credential per device (docs/queueing.md, "Devices and staff"): tokens are printed once and
# stored hashed in queue.db; the file here is what the technician carries to the device.
if [ "$ROLE" = hall-server ] && { [ ${#ENROL[@]} -gt 0 ] || [ -n "$SHARED_ROLES" ]; }; then
  if [ -n "$ROOT" ]; then
    say "--root: device enrolment skipped (run hall-kiosk hall-server enrol on the machine)"
  else
    hall() { runuser -u $USER_NAME -- /opt/hall-kiosk/bin/hall-kiosk hall-server "$@" --data-dir "$DATA"; }
    ensure_dir /etc/hall-kiosk/enrolled 0700 root:root
    for spec in "${ENROL[@]}"; do
      IFS=: read -r e_role e_name e_counter <<<"$spec"
      out=/etc/hall-kiosk/enrolled/$e_name.token
      [ -s "$out" ] && continue
      (umask 077; hall enrol --role "$e_role" --name "$e_name" ${e_counter:+--counter "$e_counter"} >"$out")
      changed "enrolled $e_name ($e_role) -> $out"
    done
    [ -n "$SHARED_ROLES" ] && hall roles --disable >/dev/null && say "shared role tokens disabled"
  fi
fi

# --- 5. systemd units, session, lockdown, devices -----------------------------------------------
UNITS=()
case $ROLE in
  kiosk) UNITS=(hall-kiosk-kiosk.service hall-kiosk-home.service hall-kiosk-update.service hall-kiosk-update.timer) ;;
  display | hall-server) UNITS=("hall-kiosk-$ROLE.service") ;;
esac
units_changed=$CHANGES
for u in "${UNITS[@]}"; do ensure_file "$HERE/systemd/$u" "/etc/systemd/system/$u" 0644 root:root; done
if [ "$ROLE" = kiosk ] || [ "$ROLE" = display ]; then
  ensure_file "$HERE/pam/hall-kiosk-session" /etc/pam.d/hall-kiosk-session 0644 root:root
  ensure_file "$HERE/etc/logind-hall-kiosk.conf" /etc/systemd/logind.conf.d/hall-kiosk.conf 0644 root:root
  ensure_file "$HERE/etc/sysctl-hall-kiosk.conf" /etc/sysctl.d/90-hall-kiosk.conf 0644 root:root
  ensure_file "$HERE/etc/grub-hall-kiosk.cfg" /etc/default/grub.d/hall-kiosk.cfg 0644 root:root
  # No Ctrl+Alt+Del reboot from a keyboard on a public kiosk.
  ensure_link /dev/null /etc/systemd/system/ctrl-alt-del.target
  ensure_link /lib/systemd/system/graphical.target /etc/systemd/system/default.target
fi
if [ "$ROLE" = kiosk ]; then
  ensure_file "$HERE/udev/70-hall-kiosk.rules" /etc/udev/rules.d/70-hall-kiosk.rules 0644 root:root
fi
if [ "$ROLE" = counter ]; then
  ensure_file "$HERE/desktop/hall-kiosk-counter.desktop" /usr/share/applications/hall-kiosk-counter.desktop 0644 root:root
  ensure_file "$HERE/desktop/hall-kiosk-counter.desktop" /etc/xdg/autostart/hall-kiosk-counter.desktop 0644 root:root
fi
for u in "${UNITS[@]}"; do
  # What `systemctl enable` does, written directly so that --root needs no systemctl.
  target=multi-user.target
  case $u in
    hall-kiosk-update.service | hall-kiosk-home.service) continue ;;   # started by the timer / the kiosk unit
    hall-kiosk-update.timer) target=timers.target ;;
    hall-kiosk-hall-server.service) ;;
    *) target=graphical.target ;;
  esac
  ensure_link "/etc/systemd/system/$u" "/etc/systemd/system/$target.wants/$u"
done

# --- 6. apply on the live system ---------------------------------------------------------------
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  if [ $CHANGES -gt "$units_changed" ] || [ "$CURRENT" != "$RELEASE" ]; then
    systemctl daemon-reload
    [ "$ROLE" = kiosk ] && command -v udevadm >/dev/null && { udevadm control --reload; udevadm trigger; }
    { [ "$ROLE" = kiosk ] || [ "$ROLE" = display ]; } && command -v update-grub >/dev/null && update-grub >/dev/null 2>&1
    sysctl --system >/dev/null 2>&1 || true
    if [ $START = 1 ]; then
      for u in "${UNITS[@]}"; do
        case $u in hall-kiosk-update.service | hall-kiosk-home.service) continue ;; esac
        systemctl restart "$u"; say "restarted $u"
      done
    fi
  fi
fi
case $ROLE in
  kiosk | display)
    # A reminder, not a change: with real devices the technician panel opens to no PIN until one is set.
    if ! grep -Eq '^[[:space:]]*pin_hash[[:space:]]*=[[:space:]]*"scrypt[$]' "$ROOT/etc/hall-kiosk/$ROLE.toml"; then
      say "no technician PIN yet: sudo hall-kiosk set-pin --config /etc/hall-kiosk/$ROLE.toml"
    fi ;;
esac
say "role $ROLE, release $RELEASE: $CHANGES changes"
