"""The technician PIN on a deployed kiosk: the demo PIN opens only an all-simulated kiosk, and
``main.py set-pin`` (a real subprocess) writes a strong PIN's hash into the configuration file,
keeping every other line and the file's mode, refusing weak PINs and leaving the file untouched."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.audit import AuditLog
from kiosk.config import Config, load_config
from kiosk.pin import DEMO_PIN, PinGuard, set_pin_in_config, weak_pin_reason

REPO = Path(__file__).resolve().parents[2]

DEPLOYED = """version = 1
data_dir = "/var/lib/hall-kiosk/kiosk"

[kiosk]
id = "kiosk-03"   # the hall's third kiosk

[technician]
# set with: sudo hall-kiosk set-pin
pin_hash = ""
max_attempts = 4

[devices.idcard]
port = "/dev/kiosk-idcard"
"""


def _set_pin(config: Path, pin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "main.py"), "set-pin", "--config", str(config), "--stdin"],
                          input=pin + "\n", capture_output=True, text=True, timeout=60, check=False)


def test_demo_pin_opens_only_a_simulated_kiosk(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    demo = Config()
    assert not demo.has_real_devices()
    assert PinGuard("", tmp_path / "a.json", audit, demo_allowed=not demo.has_real_devices()).check(DEMO_PIN).ok
    deployed = load_config(_write(tmp_path / "kiosk.toml", DEPLOYED))
    assert deployed.has_real_devices()
    guard = PinGuard("", tmp_path / "b.json", audit, demo_allowed=not deployed.has_real_devices())
    result = guard.check(DEMO_PIN)
    assert not result.ok and result.unset
    assert [e["action"] for e in audit.entries()][-1] == "pin.refused_unset"


def test_set_pin_writes_the_hash_and_keeps_the_rest(tmp_path: Path) -> None:
    config = _write(tmp_path / "kiosk.toml", DEPLOYED)
    config.chmod(0o640)
    out = _set_pin(config, "739164")
    assert out.returncode == 0, out.stderr
    assert "739164" not in out.stdout + out.stderr
    text = config.read_text(encoding="utf-8")
    assert "739164" not in text
    assert text.count("pin_hash =") == 1  # replaced, not added
    for kept in ('id = "kiosk-03"   # the hall\'s third kiosk', "max_attempts = 4",
                 "# set with: sudo hall-kiosk set-pin", 'port = "/dev/kiosk-idcard"'):
        assert kept in text
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    loaded = load_config(config)
    audit = AuditLog(tmp_path / "audit.jsonl")
    guard = PinGuard(loaded.technician.pin_hash, tmp_path / "pin.json", audit,
                     demo_allowed=not loaded.has_real_devices())
    assert guard.check("739164").ok
    assert not guard.check(DEMO_PIN).ok


def test_set_pin_adds_the_section_when_missing(tmp_path: Path) -> None:
    config = _write(tmp_path / "display.toml", 'version = 1\n\n[display]\nvoice = false\n')
    set_pin_in_config(config, "5820461")
    loaded = load_config(config)
    assert loaded.technician.pin_hash.startswith("scrypt$") and loaded.display.voice is False


@pytest.mark.parametrize("pin", ["123456", "000000", "12345", "abcdef", "456789", "987654", "1234567890123"])
def test_weak_pins_are_refused_and_nothing_changes(tmp_path: Path, pin: str) -> None:
    assert weak_pin_reason(pin)
    config = _write(tmp_path / "kiosk.toml", DEPLOYED)
    before = config.read_bytes()
    out = _set_pin(config, pin)
    assert out.returncode == 2 and "nothing changed" in out.stderr
    assert config.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p != "kiosk.toml"]  # no temporary file left


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
