"""The technician panel's save on a kiosk whose base configuration is read-only, as under the
unit's ``ProtectSystem=strict`` (``/etc/hall-kiosk`` read-only, ``/var/lib/hall-kiosk/kiosk``
writable): the PIN typed into the real dialog, a value changed in the editor by typing, the save
button pressed; the value lands in ``<data_dir>/kiosk.d/technician.toml`` and a restart loads it,
the base file byte for byte as it was. A drop-in directory that cannot be written is reported in
the panel in words.

Read-only as root: tests may run as root, where mode bits do not stop a write. The immutable flag
(``chattr +i``, ext4 here) stops root too, so the base file and its directory are made immutable
when running as root and mode 0444/0555 otherwise; either way a probe write must fail first, or
the test is skipped rather than proving nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from kiosk.assembly import assemble_kiosk
from kiosk.config import load_config
from kiosk.pin import hash_pin
from ui.cli import open_technician_panel
from ui.qt_app import application, cjk_family

PIN = "739164"
BASE = """# Kiosk configuration of hall 3 (written by the installer; see docs/deploy.md)
version = 1
data_dir = "{data}"

[kiosk]
id = "kiosk-03"   # the hall's third kiosk

[platform]
sync_interval_s = 1.0

[devices.printer]
# the cabinet has the 80 mm printer
connection = "sim"
paper_mm = 80

[technician]
pin_hash = "{pin_hash}"
"""


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make ``paths`` unwritable for this process, root included; undone afterwards."""
    as_root = os.geteuid() == 0
    if as_root and not shutil.which("chattr"):
        pytest.skip("running as root without chattr: cannot make a file read-only for root")
    modes = {p: p.stat().st_mode for p in paths}
    try:
        for p in paths:
            if as_root:
                subprocess.run(["chattr", "+i", str(p)], check=True, capture_output=True)
            else:
                p.chmod(0o555 if p.is_dir() else 0o444)
        yield
    finally:
        for p in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(p)], check=False, capture_output=True)
            p.chmod(modes[p] & 0o7777)


def _assert_unwritable(directory: Path, file: Path | None = None) -> None:
    """The read-only condition really holds (else the test would prove nothing)."""
    probe = directory / ".probe"
    with pytest.raises(OSError):
        probe.write_text("x")
    if file is not None:
        with pytest.raises(OSError), file.open("a") as fh:
            fh.write("x")


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    etc, data = tmp_path / "etc", tmp_path / "data"
    etc.mkdir()
    base = etc / "kiosk.toml"
    base.write_text(BASE.format(data=data.as_posix(), pin_hash=hash_pin(PIN)), encoding="utf-8")
    yield base, data


def _open_panel(qtbot, base: Path):
    """As ``main.py technician --config base`` does: load, assemble, PIN dialog, then the panel."""
    application()
    assembly = assemble_kiosk(load_config(base), config_path=base)

    def type_pin() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, type_pin)
            return
        field = dialog.findChild(QLineEdit, "pin")
        qtbot.keyClicks(field, PIN)
        qtbot.mouseClick(dialog.findChild(QPushButton, "pin_ok"), Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, type_pin)
    panel = open_technician_panel(assembly, cjk_family())
    assert panel is not None, "the PIN dialog did not accept the PIN"
    qtbot.addWidget(panel)
    return assembly, panel


def _switch_language(qtbot, panel) -> None:
    qtbot.mouseClick(panel.findChild(QPushButton, "language"), Qt.MouseButton.LeftButton)


def _type_over(qtbot, editor, old: str, new: str) -> None:
    """Select ``old`` in the editor and type ``new`` over it, as a technician would."""
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    assert editor.find(old, QTextDocument.FindFlag.FindCaseSensitively), f"{old!r} not in the editor"
    qtbot.keyClicks(editor, new)


def test_save_on_a_read_only_base_lands_in_the_drop_in(qtbot, deployed: tuple[Path, Path]) -> None:
    base, data = deployed
    before = base.read_bytes()
    with read_only(base, base.parent):
        _assert_unwritable(base.parent, base)
        assembly, panel = _open_panel(qtbot, base)
        try:
            editor = panel.config_edit
            shown = editor.toPlainText()
            assert "# the cabinet has the 80 mm printer" in shown  # the base file's comments show
            _type_over(qtbot, editor, "paper_mm = 80", "paper_mm = 58")
            qtbot.mouseClick(panel.findChild(QPushButton, "save_config"), Qt.MouseButton.LeftButton)
            message = panel.config_message.text()
            drop_in = data / "kiosk.d" / "technician.toml"
            assert message == f"已保存到 {drop_in}，重启后生效。", message
            _switch_language(qtbot, panel)  # the message is said again in English
            assert panel.config_message.text() == f"Saved to {drop_in}; it applies after a restart."
            saved = [e for e in assembly.audit.entries() if e["action"] == "config.saved"]
            assert saved[-1]["details"]["keys"] == ["devices.printer.paper_mm"]
        finally:
            assembly.stop()
        assert base.read_bytes() == before
    text = drop_in.read_text(encoding="utf-8")
    assert "paper_mm = 58" in text and "pin_hash" not in text  # only what differs from the base
    assert load_config(base).devices.printer.paper_mm == 58  # the restart's load
    assert load_config(base).kiosk.id == "kiosk-03"

    # a second save keeps the drop-in's lines and returns a value to the base's by removing it
    assembly, panel = _open_panel(qtbot, base)
    try:
        assert "paper_mm = 58" in panel.config_edit.toPlainText()
        _type_over(qtbot, panel.config_edit, "paper_mm = 58", "paper_mm = 80")
        _type_over(qtbot, panel.config_edit, 'id = "kiosk-03"', 'id = "kiosk-04"')
        qtbot.mouseClick(panel.findChild(QPushButton, "save_config"), Qt.MouseButton.LeftButton)
        assert "已保存" in panel.config_message.text()
    finally:
        assembly.stop()
    text = drop_in.read_text(encoding="utf-8")
    assert text.startswith("# Written by the technician panel") and "paper_mm" not in text
    reloaded = load_config(base)
    assert reloaded.kiosk.id == "kiosk-04" and reloaded.devices.printer.paper_mm == 80
    assert base.read_bytes() == before


def test_an_unwritable_drop_in_is_explained_in_the_panel(qtbot, deployed: tuple[Path, Path]) -> None:
    base, data = deployed
    drop_ins = data / "kiosk.d"
    drop_ins.mkdir(parents=True)
    with read_only(base, base.parent, drop_ins):
        _assert_unwritable(drop_ins)
        assembly, panel = _open_panel(qtbot, base)
        try:
            _type_over(qtbot, panel.config_edit, "paper_mm = 80", "paper_mm = 58")
            qtbot.mouseClick(panel.findChild(QPushButton, "save_config"), Qt.MouseButton.LeftButton)
            message = panel.config_message.text()
            assert message.startswith("未保存：无法写入") and str(drop_ins) in message, message
            assert "原设置不变" in message
            _switch_language(qtbot, panel)
            message = panel.config_message.text()
            assert "cannot be written" in message and str(drop_ins) in message, message
            assert "Nothing changed" in message
            failed = [e for e in assembly.audit.entries() if e["action"] == "config.save_failed"]
            assert failed and failed[-1]["details"]["path"].endswith("technician.toml")

            _type_over(qtbot, panel.config_edit, "paper_mm = 58", "paper_mm = 70")
            qtbot.mouseClick(panel.findChild(QPushButton, "save_config"), Qt.MouseButton.LeftButton)
            assert "devices.printer.paper_mm: expected one of 58, 80, got 70" in panel.config_message.text()
        finally:
            assembly.stop()
    assert load_config(base).devices.printer.paper_mm == 80
    assert not (drop_ins / "technician.toml").exists()
