"""systemd-analyze verify on every unit, inside the root the installer wrote (so the
ExecStart binaries, users and dependencies it names are the installed ones)."""

from __future__ import annotations

import subprocess

import pytest

from tests.packaging.conftest import PACKAGING, need

UNITS = sorted(p.name for p in (PACKAGING / "systemd").iterdir() if p.suffix in (".service", ".timer"))


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify(installed_root, unit: str) -> None:
    analyze = need("systemd-analyze", "systemd")
    installed = installed_root.path / "etc/systemd/system" / unit
    assert installed.read_bytes() == (PACKAGING / "systemd" / unit).read_bytes()
    result = subprocess.run([analyze, "verify", "--man=no", f"--root={installed_root.path}",
                             f"/etc/systemd/system/{unit}"], capture_output=True, text=True, timeout=120, check=False)
    # Warnings (unknown keys, bad values) are printed but do not change the exit code: both count.
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), \
        result.stdout + result.stderr


def test_verify_catches_a_broken_unit(installed_root, tmp_path) -> None:
    """The check above is not vacuous: a typo and a missing program are reported."""
    analyze = need("systemd-analyze", "systemd")
    broken = installed_root.path / "etc/systemd/system/hall-kiosk-broken.service"
    text = (PACKAGING / "systemd" / "hall-kiosk-hall-server.service").read_text(encoding="utf-8")
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSytem=strict")
                      .replace("/opt/hall-kiosk/bin/hall-kiosk ", "/opt/hall-kiosk/bin/missing "), encoding="utf-8")
    try:
        result = subprocess.run([analyze, "verify", "--man=no", f"--root={installed_root.path}",
                                 "/etc/systemd/system/hall-kiosk-broken.service"], capture_output=True, text=True,
                                timeout=120, check=False)
    finally:
        broken.unlink()
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "ProtectSytem" in output and "missing" in output
