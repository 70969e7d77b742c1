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


def test_units_restart_watchdog_and_sandbox() -> None:
    assert {u.name for u in UNITS} == {"hall-kiosk-hall-server.service", "hall-kiosk-kiosk.service",
                                       "hall-kiosk-display.service"}
    for unit in UNITS:
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
