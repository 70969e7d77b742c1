"""The installed units booted under a real systemd (issue 7): systemd-nspawn --boot on an overlay
of this machine's / with the installed root (installed_root) copied on top, so PID 1 of the
container is Debian's systemd 252 with the units enabled as install.sh left them.

This module owns: the hall server active (running) in its full sandbox, answering its health URL,
its data owned by kiosk; the watchdog restarting a frozen server and a frozen kiosk app; the kiosk
and display sessions started through PAM/logind (seat0, tty1) under cage, with the app's READY=1
and pings reaching the unit; a clean exit of the app bringing up the login prompt on tty1; no
failed hall-kiosk unit; the kiosk reaching the hall over https with a credential enrolled by the
CLI (shared role tokens off).

Changed for the container, in the booted copy only (never in packaging/): drop-ins that shorten
the units' own WatchdogSec (3-4 s, not 30) and give cage its headless backend (no DRM device in a
container); /dev/tty1 and /dev/tty0 are pseudo-terminals of this test, so logind sees a seat0 with
VTs and the TTYPath/PAM/utmp path runs unchanged, and the test reads what appears on "tty1"; the
display is not enabled at boot (it shares tty1 with the kiosk: one screen role per machine). Not
checked: DRM and input devices, VT switching, the picture (test_pkg_cage.py takes one headless).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.boot_container import Booted, boot
from tests.packaging.conftest import need, need_root

HALL = "hall-kiosk-hall-server.service"
KIOSK = "hall-kiosk-kiosk.service"
DISPLAY = "hall-kiosk-display.service"
HEADLESS = ("[Service]\nEnvironment=WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 "
            "QT_QUICK_BACKEND=software\nWatchdogSec=4\n")
# The technician's "exit" from the panel, reduced to what the session sees: READY=1, then status 0.
EXIT_0 = ("#!/usr/bin/python3\nimport os, socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
          "s.connect(os.environ['NOTIFY_SOCKET'])\ns.send(b'READY=1\\nSTATUS=technician exit')\n")


def _prepare_upper(installed: Path, upper: Path) -> None:
    """The installed root (but its releases) and the test's drop-ins as the overlay's upper layer."""
    tar = subprocess.Popen(["tar", "-C", str(installed), "-cf", "-", "--exclude=./opt/hall-kiosk/releases",
                            "--exclude=./usr/lib", "--exclude=./lib", "."], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-C", str(upper), "-xpf", "-"], stdin=tar.stdout, check=True, timeout=120)
    assert tar.wait(timeout=120) == 0
    (upper / "opt/hall-kiosk/releases").mkdir(exist_ok=True)
    units = upper / "etc/systemd/system"
    (units / "graphical.target.wants" / DISPLAY).unlink()
    for unit, text in ((HALL, "[Service]\nWatchdogSec=3\n"), (KIOSK, HEADLESS), (DISPLAY, HEADLESS)):
        # The drop-in only shortens the watchdog the installed unit has itself.
        assert re.search(r"^WatchdogSec=[1-9]", (units / unit).read_text(encoding="utf-8"), re.M), unit
        (units / f"{unit}.d").mkdir()
        (units / f"{unit}.d" / "test.conf").write_text(text, encoding="utf-8")
    fake = upper / "usr/local/lib/hall-kiosk-test/exit-0"
    fake.parent.mkdir(parents=True)
    fake.write_text(EXIT_0, encoding="utf-8")
    fake.chmod(0o755)


@pytest.fixture(scope="module")
def booted(installed_root) -> Iterator[Booted]:
    need_root()
    nspawn = need("systemd-nspawn", "systemd-container")
    need("nsenter", "util-linux")
    release = "/opt/hall-kiosk/releases"  # the slow part to copy: bound read-only instead
    with boot(nspawn, lambda upper: _prepare_upper(installed_root.path, upper),
              [f"{installed_root.path}{release}:{release}"]) as box:
        yield box


def app_pid(booted: Booted, role: str) -> int:
    out = booted.sh(f"pgrep -u kiosk -f -- '-m main {role} '", check=False)
    return int(out.split()[0]) if out else 0


def test_hall_server_runs_in_its_sandbox_and_answers(booted: Booted) -> None:
    state = booted.wait("active (running)", HALL, lambda s: s["SubState"] == "running", 60)
    assert state["StatusText"] == "serving" and state["User"] == "kiosk"  # READY=1 came from its health check
    pid = state["MainPID"]
    uid = booted.sh("id -u kiosk")
    status = booted.sh(f"grep -E '^(Uid|NoNewPrivs|CapBnd):' /proc/{pid}/status")
    assert f"Uid:\t{uid}\t{uid}" in status and "NoNewPrivs:\t1" in status and "CapBnd:\t0000000000000000" in status
    mounts = booted.sh(f"cat /proc/{pid}/mountinfo")
    root = next(line for line in mounts.splitlines() if line.split()[4] == "/")
    assert " ro," in f" {root.split()[5]},", root  # ProtectSystem=strict
    assert "tty0" not in booted.sh(f"ls /proc/{pid}/root/dev")  # PrivateDevices: /dev/tty0 is there outside
    # TLS with the hall CA the installer made (issue 14); plain HTTP gets no HTTP answer
    health = booted.sh("/usr/bin/python3 -c \"import ssl, urllib.request as u; r = u.urlopen("
                       "'https://127.0.0.1:8600/api/v1/health', timeout=10, context=ssl.create_default_context("
                       "cafile='/etc/hall-kiosk/hall-ca.pem')); print(r.status, r.read().decode())\"")
    assert health.startswith("200 ") and '"status":"ok"' in health.replace(" ", ""), health
    plain = booted.sh("/usr/bin/python3 -c \"import urllib.request as u; u.urlopen("
                      "'http://127.0.0.1:8600/api/v1/health', timeout=10)\" 2>&1 || echo refused", check=False)
    assert "refused" in plain, plain
    files = booted.sh("stat -c '%n %U %G %a' /var/lib/hall-kiosk/hall /var/lib/hall-kiosk/hall/hall.toml "
                      "/var/lib/hall-kiosk/hall/credentials.json").splitlines()
    assert all(" kiosk kiosk " in line for line in files), files
    assert files[2].endswith(" 600"), files


def test_watchdog_restarts_a_frozen_hall_server(booted: Booted) -> None:
    """SIGSTOP leaves the process alive, so Restart=on-failure alone never fires: only missing
    WATCHDOG=1 pings (WatchdogSec) make systemd kill and restart it; without them this fails."""
    state = booted.wait("active (running)", HALL, lambda s: s["SubState"] == "running", 60)
    assert state["WatchdogUSec"] == "3s"
    booted.pings(HALL, 2, 10)
    booted.freeze(int(state["MainPID"]))
    booted.wait("restart after the watchdog", HALL, lambda s: s["SubState"] == "running" and
                s["MainPID"] != state["MainPID"] and int(s["NRestarts"]) > int(state["NRestarts"]), 30)
    assert "Watchdog timeout" in booted.sh(f"journalctl -b --no-pager UNIT={HALL} _PID=1")
    booted.pings(HALL, 1, 10)


def test_kiosk_session_runs_under_pam_logind_and_cage(booted: Booted) -> None:
    state = booted.wait("active (running)", KIOSK, lambda s: s["SubState"] == "running", 45)
    assert state["StatusText"] == "window shown", state  # the app's READY=1, relayed by the main process
    assert "hall-kiosk-notify-relay" in booted.sh(f"tr '\\0' ' ' </proc/{state['MainPID']}/cmdline")
    app = app_pid(booted, "kiosk")
    assert app, booted.diag(KIOSK)
    assert booted.sh(f"ps -o user=,args= -p {app}").startswith("kiosk ")
    assert booted.sh(f"ps -o args= -p $(ps -o ppid= -p $(ps -o ppid= -p {app}))").startswith("cage -d")
    # pam_systemd moved the session out of the unit's cgroup into a logind scope (hence the relay).
    scope = booted.sh(f"sed -n 's/.*session-\\([0-9]*\\)[.]scope$/\\1/p' /proc/{app}/cgroup | head -1")
    session = booted.sh(f"loginctl show-session {scope} -p Name -p Seat -p TTY -p Active")
    assert session.splitlines() == ["Name=kiosk", "Seat=seat0", "TTY=tty1", "Active=yes"], session
    booted.pings(KIOSK, 2, 12)
    # The app's log is the session scope's, found by its identifier (journalctl -u sees systemd's only).
    assert "idcard reader ready" in booted.sh("journalctl -b --no-pager -t hall-kiosk-kiosk")


def test_watchdog_restarts_a_frozen_kiosk_without_a_login_prompt(booted: Booted) -> None:
    state = booted.wait("active (running)", KIOSK, lambda s: s["SubState"] == "running", 45)
    booted.pings(KIOSK, 1, 8)  # else the restart below would prove nothing
    app = app_pid(booted, "kiosk")
    booted.freeze(app)  # a hung event loop
    booted.wait("restart after the watchdog", KIOSK, lambda s: s["SubState"] == "running" and
                int(s["NRestarts"]) > int(state["NRestarts"]), 60)
    # logind ends the old session scope too (KillOnlyUsers=kiosk): nothing frozen is left behind.
    gone = f"for i in $(seq 50); do test -e /proc/{app} || {{ echo gone; break; }}; sleep 0.1; done"
    assert booted.sh(gone) == "gone" and app_pid(booted, "kiosk") not in (0, app)
    assert booted.sh("loginctl list-sessions --no-legend | wc -l") == "1"
    # systemd 252 fired OnSuccess= between restarts (issue #26903): a getty would take tty1 here.
    assert booted.sh("systemctl is-active getty@tty1.service", check=False) == "inactive"
    booted.pings(KIOSK, 1, 8)


def test_kiosk_reaches_the_hall_over_https_with_its_enrolled_credential(booted: Booted) -> None:
    """The deployment of issue 14: the kiosk's credential enrolled by the CLI on the hall server
    (as ``install.sh --enrol kiosk:kiosk-01`` runs it on a machine), the shared role tokens
    switched off, and the kiosk configured with the hall's https URL, its token and the hall CA.
    The kiosk's own client, with the installed kiosk.toml, takes a ticket over verified TLS; once
    the credential is revoked the same request is refused; the kiosk app starts on that config."""
    booted.wait("active (running)", HALL, lambda s: s["SubState"] == "running", 60)
    hall = "runuser -u kiosk -- /opt/hall-kiosk/bin/hall-kiosk hall-server {} --data-dir /var/lib/hall-kiosk/hall"
    booted.sh("install -d -m 0700 /etc/hall-kiosk/enrolled && (umask 077; "
              + hall.format("enrol --role kiosk --name kiosk-01") + " >/etc/hall-kiosk/enrolled/kiosk-01.token)",
              timeout=60)
    booted.sh(hall.format("roles --disable"), timeout=60)
    devices = booted.sh(hall.format("devices"), timeout=60)
    assert "kiosk-01" in devices, devices
    token = booted.sh("tail -n 1 /etc/hall-kiosk/enrolled/kiosk-01.token")
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token), token
    # the technician's edit of [hall_service] (its url and token come first in the file)
    conf = booted.sh("cat /etc/hall-kiosk/kiosk.toml")
    assert conf.index("[hall_service]") < conf.index('url = ""') < conf.index("[platform]"), conf
    conf = conf.replace('url = ""', 'url = "https://127.0.0.1:8600"', 1).replace('token = ""', f'token = "{token}"', 1)
    assert 'ca_bundle = "/etc/hall-kiosk/hall-ca.pem"' in conf
    booted.sh(f"cat >/etc/hall-kiosk/kiosk.toml <<'END'\n{conf}\nEND")
    take_ticket = (
        "cd / && runuser -u kiosk -- /opt/hall-kiosk/current/venv/bin/python -P -c '"
        "from kiosk.config import load_config; from queueing.client import HallClient, HallServiceError\n"
        "c = load_config(\"/etc/hall-kiosk/kiosk.toml\").hall_service\n"
        "assert c.url.startswith(\"https://\") and c.ca_bundle\n"
        "h = HallClient(c.url, c.token, ca_bundle=c.ca_bundle)\n"
        "try: print(h.issue_ticket(h.services()[\"services\"][0][\"id\"])[\"ticket\"][\"number\"])\n"
        "except HallServiceError as e: print(e.status, e.code)'")
    number = booted.sh(take_ticket, timeout=60)
    assert re.fullmatch(r"[A-Z]\d{3}", number), number
    since = booted.sh("date '+%Y-%m-%d %H:%M:%S'")
    booted.sh(f"systemctl restart {KIOSK}", timeout=150)
    state = booted.wait("active (running)", KIOSK, lambda s: s["SubState"] == "running", 60)
    assert state["StatusText"] == "window shown", booted.diag(KIOSK)
    started = booted.sh(f"journalctl --no-pager -t hall-kiosk-kiosk --since '{since}'")
    assert "idcard reader ready" in started and "embedded hall service" not in started, started
    booted.sh(hall.format("revoke kiosk-01"), timeout=60)
    assert booted.sh(take_ticket, timeout=60) == "401 unauthorized"

def test_display_session_runs_on_tty1(booted: Booted) -> None:
    booted.sh(f"systemctl stop {KIOSK} && systemctl start {DISPLAY}", timeout=150)
    try:
        state = booted.wait("active (running)", DISPLAY, lambda s: s["SubState"] == "running", 60)
        assert state["StatusText"] == "window shown", state
        assert booted.sh(f"ps -o user= -p {app_pid(booted, 'display')}") == "kiosk"
        booted.pings(DISPLAY, 2, 12)
    finally:
        booted.sh(f"systemctl stop {DISPLAY}", check=False)


def test_clean_exit_of_the_app_brings_up_a_login_prompt(booted: Booted) -> None:
    """The technician panel's exit (status 0): the unit stops for good and tty1 gets a login prompt."""
    booted.sh(f"mkdir -p /run/systemd/system/{KIOSK}.d && printf '[Service]\\nEnvironment="
              f"HALL_KIOSK_BIN=/usr/local/lib/hall-kiosk-test/exit-0\\n' >/run/systemd/system/{KIOSK}.d/exit.conf"
              f" && systemctl daemon-reload", timeout=150)
    booted.tty1_text.clear()
    booted.sh(f"systemctl restart {KIOSK}", timeout=150)
    state = booted.wait("a clean stop", KIOSK, lambda s: s["ActiveState"] == "inactive", 60)
    assert state["Result"] == "success", booted.diag(KIOSK)
    deadline = time.monotonic() + 30
    while b"login: " not in booted.tty1_text:
        assert time.monotonic() < deadline, f"no login prompt on tty1: {bytes(booted.tty1_text)!r}"
        time.sleep(0.3)
    assert booted.sh("systemctl is-active getty@tty1.service") == "active"


def test_fleet_update_timer_is_armed_and_its_check_runs_in_its_sandbox(booted: Booted) -> None:
    """docs/updates.md: install.sh enabled the night timer; the check it starts runs under systemd
    (its ExecStart, sandbox and kiosk.toml) and ends well on a kiosk with nothing to take."""
    assert booted.sh("systemctl is-active hall-kiosk-update.timer") == "active"
    assert "hall-kiosk-update.service" in booted.sh("systemctl list-timers --all --no-legend hall-kiosk-update.timer")
    booted.sh("systemctl start hall-kiosk-update.service", timeout=150)
    state = booted.sh("systemctl show hall-kiosk-update.service -p Result -p ExecMainStatus")
    assert set(state.splitlines()) == {"Result=success", "ExecMainStatus=0"}, booted.diag("hall-kiosk-update.service")
    # every start of the kiosk that succeeded (at boot, the watchdog's automatic restart, the
    # restarts of the tests above) started the home step after it, in its own unit (not on tty1);
    # a kiosk that stops at once (the technician's exit above) stops it too (its Requires=)
    started = booted.sh("journalctl -b --no-pager -u hall-kiosk-home.service | grep -c 'Starting hall-kiosk-home'",
                        check=False)
    assert int(started or 0) >= 4, booted.diag("hall-kiosk-home.service")
    assert "Finished hall-kiosk-home" in booted.sh("journalctl -b --no-pager -u hall-kiosk-home.service")


# A kiosk leaving for a staged release (kiosk.updates.RESTART_STATUS), then, started again, the
# technician's exit (so that the unit ends up stopped and the test can read what happened).
EXIT_75 = ("#!/usr/bin/python3\nimport os, socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
           "s.connect(os.environ['NOTIFY_SOCKET'])\ns.send(b'READY=1')\n"
           "mark = '/var/lib/hall-kiosk/kiosk/left-for-update'\n"
           "if os.path.exists(mark):\n    os.unlink(mark)\n    sys.exit(0)\n"
           "open(mark, 'w').close()\nsys.exit(75)\n")


def test_a_kiosk_leaving_for_an_update_is_started_again_not_given_a_login_prompt(booted: Booted) -> None:
    """Status 75 (nobody served, a release staged) goes through cage, the session script and the
    notify relay as a failure: systemd restarts the unit (its ExecStartPre= would switch to the
    staged release) instead of the login prompt a clean exit brings."""
    from kiosk.updates import RESTART_STATUS

    assert RESTART_STATUS == 75
    booted.sh(f"cat >/usr/local/lib/hall-kiosk-test/exit-75 <<'END'\n{EXIT_75}END\n"
              "chmod 0755 /usr/local/lib/hall-kiosk-test/exit-75")
    booted.sh(f"mkdir -p /run/systemd/system/{KIOSK}.d && printf '[Service]\\nEnvironment="
              f"HALL_KIOSK_BIN=/usr/local/lib/hall-kiosk-test/exit-75\\n' >/run/systemd/system/{KIOSK}.d/zz-exit75.conf"
              f" && systemctl daemon-reload", timeout=150)
    try:
        before = int(booted.show(KIOSK)["NRestarts"])
        since = booted.sh("date '+%Y-%m-%d %H:%M:%S'")
        booted.sh(f"systemctl start {KIOSK}", timeout=150)
        state = booted.wait("the second run's clean stop", KIOSK, lambda s: s["ActiveState"] == "inactive"
                            and int(s["NRestarts"]) > before, 90)
        assert int(state["NRestarts"]) == before + 1 and state["Result"] == "success", booted.diag(KIOSK)
        log = booted.sh(f"journalctl --no-pager --since '{since}' -t hall-kiosk-kiosk")
        assert "application exited with status 75" in log, log
        starts = booted.sh(f"journalctl --no-pager --since '{since}' -u {KIOSK} | grep -c 'Started hall-kiosk-kiosk'",
                           check=False)
        assert int(starts or 0) == 2, booted.diag(KIOSK)
    finally:
        booted.sh(f"rm -f /run/systemd/system/{KIOSK}.d/zz-exit75.conf && systemctl daemon-reload", timeout=150)


def test_no_hall_kiosk_unit_failed(booted: Booted) -> None:
    failed = booted.sh("systemctl list-units --failed --plain --no-legend", check=False)
    running = booted.sh("systemctl is-system-running", check=False)
    assert "hall-kiosk" not in failed, failed
    assert running in ("running", "degraded"), (running, failed)
