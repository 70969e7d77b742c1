"""The technician PIN at a public screen: lockouts escalate (5 failures → 5 min, 10 → 1 h, 15 →
until a supervisor resets it with ``main.py pin-unlock``), each lockout is an alert to the hall,
and a torn state file keeps the kiosk locked (and says so).

Keys are pressed into the real PinDialog (pytest-qt); the guard is built by the same function
the kiosk's technician entry uses; the hall's alerts are read from the real hall service; the
state is read from the file on disk; the reset is the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.assembly import assemble_kiosk
from kiosk.pin import hash_pin, kiosk_pin_guard
from queueing.client import HallClient
from tests.kiosk.conftest import make_config
from ui.qt_app import application
from ui.technician_app import PinDialog

ROOT = Path(__file__).resolve().parents[2]
RIGHT = "975310"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def assembly(tmp_path: Path):
    config = make_config(tmp_path)
    config.technician = config.technician.model_copy(update={"pin_hash": hash_pin(RIGHT)})
    config.kiosk = config.kiosk.model_copy(update={"language": "en"})  # a hall whose staff read English
    built = assemble_kiosk(config, start_devices=False)
    yield built
    built.stop()


def _type(qtbot, dialog: PinDialog, pin: str) -> str:
    qtbot.keyClicks(dialog.pin, pin)
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    return dialog.message.text()


def _pin_alerts(assembly) -> list[dict]:
    client = HallClient(assembly.hall.url, assembly.hall.tokens["admin"])
    return [a for a in client.alerts() if a["kind"] == "pin_lockout"]


def _state(assembly) -> dict:
    return json.loads((Path(assembly.config.data_dir) / "kiosk" / "pin-state.json").read_text())


def test_lockout_escalates_to_a_supervisor_reset(qtbot, tmp_path: Path, assembly) -> None:
    application()
    clock = Clock()
    dialog = PinDialog(kiosk_pin_guard(assembly, clock=clock), language=assembly.config.kiosk.language)
    qtbot.addWidget(dialog)
    for _ in range(5):
        text = _type(qtbot, dialog, "000000")
    assert "300" in text
    qtbot.waitUntil(lambda: len(_pin_alerts(assembly)) == 1, timeout=10000)
    clock.now += 301
    for _ in range(5):
        text = _type(qtbot, dialog, "111111")
    assert "3600" in text and _state(assembly)["failures"] == 10
    qtbot.waitUntil(lambda: len(_pin_alerts(assembly)) == 2, timeout=10000)
    clock.now += 3601
    for _ in range(5):
        text = _type(qtbot, dialog, "222222")
    assert "supervisor" in text and _state(assembly)["supervisor_lock"] is True
    qtbot.waitUntil(lambda: len(_pin_alerts(assembly)) == 3, timeout=10000)
    clock.now += 30 * 86400  # a month later: still locked
    assert "supervisor" in _type(qtbot, dialog, RIGHT)
    assert dialog.result() != PinDialog.DialogCode.Accepted
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'data_dir = "{assembly.config.data_dir}"\n')
    done = subprocess.run([sys.executable, "main.py", "pin-unlock", "--config", str(toml), "--by", "supervisor-7"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _state(assembly) == {"failures": 0, "locked_until": 0, "supervisor_lock": False}
    _type(qtbot, dialog, RIGHT)
    assert dialog.result() == PinDialog.DialogCode.Accepted
    actions = [e["action"] for e in assembly.audit.entries()]
    assert actions.count("pin.locked") == 3 and "pin.supervisor_reset" in actions
    assert assembly.audit.verify() == len(actions)


def test_a_torn_state_file_stays_locked(qtbot, assembly) -> None:
    application()
    clock = Clock()
    dialog = PinDialog(kiosk_pin_guard(assembly, clock=clock), language=assembly.config.kiosk.language)
    qtbot.addWidget(dialog)
    for _ in range(5):
        _type(qtbot, dialog, "000000")
    state = Path(assembly.config.data_dir) / "kiosk" / "pin-state.json"
    state.write_bytes(state.read_bytes()[:9])  # torn by a power cut, or cut on purpose
    # the kiosk restarted
    fresh = PinDialog(kiosk_pin_guard(assembly, clock=clock), language=assembly.config.kiosk.language)
    qtbot.addWidget(fresh)
    text = _type(qtbot, fresh, RIGHT)
    assert fresh.result() != PinDialog.DialogCode.Accepted
    assert "unreadable" in text and "supervisor" in text
    assert assembly.audit.entries()[-1]["action"] == "pin.state_unreadable"
