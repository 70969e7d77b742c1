"""Static checks of packaging/: shellcheck on every script, no importable package, unit and
udev rule contents that the deployment relies on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.packaging.conftest import PACKAGING, REPO, need

UNITS = sorted((PACKAGING / "systemd").glob("*.service"))


TOP_LEVEL = [REPO / "setup.sh", REPO / "run.sh", REPO / "test.sh", REPO / ".ci" / "run"]


def shell_scripts() -> list[Path]:
    scripts = []
    for path in sorted(PACKAGING.rglob("*")):
        if path.is_file():
            head = path.read_bytes()[:64]
            if path.suffix == ".sh" or re.match(rb"#!\s*/\S*(ba|da)?sh\b|#!/usr/bin/env (ba)?sh\b", head):
                scripts.append(path)
    return scripts


def _shellcheck(scripts: list[Path]) -> None:
    shellcheck = need("shellcheck", "shellcheck")
    result = subprocess.run([shellcheck, "--external-sources", *map(str, scripts)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_packaging_script_passes_shellcheck() -> None:
    scripts = shell_scripts()
    assert {p.name for p in scripts} >= {"install.sh", "hall-kiosk", "hall-kiosk-session", "hall-kiosk-counter"}
    _shellcheck(scripts)


def test_top_level_scripts_pass_shellcheck() -> None:
    _shellcheck([p for p in TOP_LEVEL if p.exists()])


def test_packaging_is_never_an_importable_package() -> None:
    # pytest and pip import the PyPI "packaging"; an __init__.py here would shadow it.
    assert not list(PACKAGING.rglob("__init__.py"))
    import packaging

    # The venv may live inside the repo (.venv); what must not happen is resolving to packaging/.
    assert not Path(packaging.__file__).resolve().is_relative_to(PACKAGING.resolve())


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


UPDATE = PACKAGING / "systemd" / "hall-kiosk-update.service"
HOME = PACKAGING / "systemd" / "hall-kiosk-home.service"


def test_units_restart_watchdog_and_sandbox() -> None:
    assert {u.name for u in UNITS} == {"hall-kiosk-hall-server.service", "hall-kiosk-kiosk.service",
                                       "hall-kiosk-display.service", UPDATE.name, HOME.name}
    for unit in (u for u in UNITS if u not in (UPDATE, HOME)):
        d = directives(unit)
        assert d["Type"] == ["notify"], unit.name
        assert d["Restart"] == ["on-failure"], unit.name
        assert int(d["WatchdogSec"][0]) > 0, unit.name
        assert d["ProtectSystem"] == ["strict"], unit.name
        assert d["NoNewPrivileges"] == ["yes"] and d["PrivateTmp"] == ["yes"], unit.name
        assert any("/var/lib/hall-kiosk/" in v for v in d["ReadWritePaths"]), unit.name
        assert "network-online.target" in " ".join(d["After"]), unit.name
        assert d["User"] == ["kiosk"], unit.name


def test_session_units_own_tty1_without_a_way_out() -> None:
    for role in ("kiosk", "display"):
        d = directives(PACKAGING / "systemd" / f"hall-kiosk-{role}.service")
        assert d["TTYPath"] == ["/dev/tty1"] and d["PAMName"] == ["hall-kiosk-session"]
        assert "getty@tty1.service" in d["Conflicts"][0]
        assert d["ExecStart"] == [f"/opt/hall-kiosk/bin/hall-kiosk-session {role}"]
    session = (PACKAGING / "bin" / "hall-kiosk-session").read_text(encoding="utf-8")
    # cage -s would allow Ctrl+Alt+Fn to other terminals.
    # ($rotate is only ever empty or -r options: HALL_KIOSK_ROTATE for a panel mounted turned.)
    assert re.search(r"^cage -d \$rotate -- ", session, re.M) and "cage -s" not in session and "-ds" not in session
    assert set(re.findall(r'rotate="([^"]*)"', session)) == {"", "-r", "-r -r", "-r -r -r"}


def test_udev_rules_name_and_give_each_device_to_the_kiosk_group() -> None:
    rules = (PACKAGING / "udev" / "70-hall-kiosk.rules").read_text(encoding="utf-8")
    lines = [ln for ln in rules.splitlines() if ln and not ln.startswith(("#", "LABEL", "ACTION"))]
    assert lines
    pair = re.compile(r'^[A-Za-z_{}]+[=!+]?=(?:"[^"]*")$')
    for line in lines:
        parts = [p.strip() for p in line.split(", ")]
        assert all(pair.match(p) for p in parts), line
        assert 'GROUP="kiosk"' in parts and 'MODE="0660"' in parts, line
        assert re.search(r'ATTRS\{idVendor\}=="[0-9a-f]{4}"', line) and 'SYMLINK+="kiosk-' in line, line
    names = set(re.findall(r'SYMLINK\+="(kiosk-[a-z-]+)"', rules))
    assert {"kiosk-idcard", "kiosk-printer", "kiosk-scanner"} <= names


def test_fleet_update_units_stage_at_night_and_roll_back_outside_the_release() -> None:
    """docs/updates.md: the timer stages at night (inside kiosk.toml's default window), the check
    writes only the releases; the kiosk unit's boot and home steps run the installer's copy of
    kiosk/updates.py with the system Python (a broken release cannot break its rollback), as root,
    and never stop the kiosk from starting."""
    timer = directives(PACKAGING / "systemd" / "hall-kiosk-update.timer")
    assert timer["OnCalendar"] == ["*-*-* 01..04:00/20:00"] and timer["Unit"] == [UPDATE.name]
    assert timer["WantedBy"] == ["timers.target"]
    check = directives(UPDATE)
    assert check["Type"] == ["oneshot"] and check["ProtectSystem"] == ["strict"]
    assert check["ReadWritePaths"] == ["/opt/hall-kiosk/releases"] and check["NoNewPrivileges"] == ["yes"]
    assert check["ExecStart"] == ["/opt/hall-kiosk/bin/hall-kiosk-update check --config /etc/hall-kiosk/kiosk.toml"]
    assert "[Install]" not in UPDATE.read_text(encoding="utf-8")  # only its timer starts it
    kiosk = directives(PACKAGING / "systemd" / "hall-kiosk-kiosk.service")
    step = "/usr/bin/python3 -I /opt/hall-kiosk/lib/hall_kiosk_release.py {} --releases /opt/hall-kiosk/releases"
    assert kiosk["ExecStartPre"] == ["-+" + step.format("boot")]
    # not ExecStartPost=: it would get tty1 with TTYVHangup= and hang up the session just started
    assert "ExecStartPost" not in kiosk and HOME.name in kiosk["Wants"]
    home = directives(HOME)
    assert home["ExecStart"] == ["-" + step.format("home")] and home["Type"] == ["oneshot"]
    assert home["Requires"] == home["After"] == ["hall-kiosk-kiosk.service"]  # only after a start that succeeded
    assert "[Install]" not in HOME.read_text(encoding="utf-8")
    from kiosk.config import UpdatesSection

    toml = (PACKAGING / "etc" / "kiosk.toml").read_text(encoding="utf-8")
    assert 'window = "01:00-05:00"' in toml and UpdatesSection().window == "01:00-05:00"
    assert 'releases_dir = "/opt/hall-kiosk/releases"' in toml
    hall = directives(PACKAGING / "systemd" / "hall-kiosk-hall-server.service")
    assert "HALL_RELEASES_DIR=/var/lib/hall-kiosk/releases" in hall["Environment"]
    assert not any("/var/lib/hall-kiosk/releases" in v for v in hall["ReadWritePaths"])  # it only reads


def test_the_rollback_copy_needs_nothing_but_the_standard_library(tmp_path: Path) -> None:
    """``boot`` and ``home`` of kiosk/updates.py, copied out of the release as install.sh does, run
    with ``python3 -I`` (no venv, no repository on the path): a staged release becomes current."""
    import shutil

    lib = tmp_path / "lib" / "hall_kiosk_release.py"
    lib.parent.mkdir()
    shutil.copy(REPO / "kiosk" / "updates.py", lib)
    rel = tmp_path / "releases"
    for name in ("1.0.0-aaaa", "1.1.0"):
        (rel / name).mkdir(parents=True)
    (rel / "current").symlink_to("1.0.0-aaaa")
    (rel / "staged").write_text("1.1.0", encoding="utf-8")
    run = ["/usr/bin/python3", "-I", str(lib)]  # the system Python, as the unit runs it
    out = subprocess.run([*run, "boot", "--releases", str(rel)], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "1.1.0", out.stderr
    assert (rel / "current").readlink().name == "1.1.0" and (rel / "previous").readlink().name == "1.0.0-aaaa"
    assert subprocess.run([*run, "home", "--releases", str(rel)], timeout=60, check=False).returncode == 0
    assert (rel / "home-1.1.0").exists() and not (rel / "pending").exists()
