"""Technician panel: PIN lockout, device tests against the simulators, faults, dead letters,
configuration validated before saving, a diagnostics bundle with no secrets or personal data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from common.i18n import translate
from kiosk.assembly import assemble_kiosk
from kiosk.pin import PinGuard, hash_pin
from tests.kiosk.conftest import make_config
from tests.test_catalogue_literals import HAN
from ui.cli import open_technician_panel
from ui.qt_app import application
from ui.technician_app import PinDialog, TechnicianWindow


@pytest.fixture
def assembly(tmp_path: Path):
    built = assemble_kiosk(make_config(tmp_path))
    yield built
    built.stop()


def test_pin_lockout_in_the_dialog(qtbot, tmp_path: Path, assembly) -> None:
    application()
    guard = PinGuard(hash_pin("975310"), tmp_path / "pin.json", assembly.audit, max_attempts=3, lockout_seconds=120)
    dialog = PinDialog(guard)
    qtbot.addWidget(dialog)
    for wrong in ("1", "2", "3"):
        qtbot.keyClicks(dialog.pin, wrong)
        qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert "120" in dialog.message.text()
    qtbot.keyClicks(dialog.pin, "975310")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.result() != PinDialog.DialogCode.Accepted and dialog.message.text() == "已锁定 120 秒"
    # a technician who reads English switches the dialog: the same message, in English
    qtbot.mouseClick(dialog.findChild(QPushButton, "language"), Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Locked for 120 s"
    actions = [e["action"] for e in assembly.audit.entries()]
    assert actions[-4:] == ["pin.failed", "pin.failed", "pin.locked", "pin.refused_locked"]


def test_deployed_kiosk_without_a_pin_says_how_to_set_one(qtbot, tmp_path: Path, assembly) -> None:
    application()
    guard = PinGuard("", tmp_path / "pin.json", assembly.audit, demo_allowed=False)
    dialog = PinDialog(guard)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.pin, "123456")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    assert dialog.result() != PinDialog.DialogCode.Accepted
    assert "set-pin" in dialog.message.text() and "未设置维护密码" in dialog.message.text()


def test_device_tests_and_faults_from_the_panel(qtbot, assembly) -> None:
    application()
    window = TechnicianWindow(assembly.technician)
    qtbot.addWidget(window)
    states = {window.device_table.item(r, 0).text(): window.device_table.item(r, 1).text()
              for r in range(window.device_table.rowCount())}
    assert set(states) == {translate("zh_CN", f"staff.city.device.{kind}") for kind in
                           ("idcard", "printer", "scanner", "camera", "a4_printer", "keypad")}
    # Fault choices are the simulators' own lists (named in words), not a copy in the panel.
    for kind, sim in assembly.devices.simulators.items():
        box = window.fault_boxes[kind]
        assert [box.itemData(i) for i in range(1, box.count())] == list(sim.FAULTS)
        assert not [box.itemText(i) for i in range(box.count()) if box.itemText(i) in sim.FAULTS]
    before = len(assembly.devices.simulators["printer"].pages())
    qtbot.mouseClick(_button(window, "test_printer"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✓" in window.test_output.toPlainText(), timeout=10000)
    assert len(assembly.devices.simulators["printer"].pages()) == before + 1

    qtbot.mouseClick(_button(window, "test_idcard"), Qt.MouseButton.LeftButton)
    assembly.devices.simulators["idcard"].insert("rare_name")
    qtbot.waitUntil(lambda: "✓" in window.test_output.toPlainText(), timeout=10000)
    shown = window.test_output.toPlainText()
    assert "王*" in shown and "440304" in shown and "䶮" not in shown

    window.fault_boxes["printer"].setCurrentText("打印纸用完")
    qtbot.mouseClick(_button(window, "test_printer"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✗" in window.test_output.toPlainText(), timeout=10000)
    assert "未打印：打印纸用完" in window.test_output.toPlainText()

    qtbot.mouseClick(_button(window, "test_camera"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✓" in window.test_output.toPlainText(), timeout=15000)
    assert "找到材料页并已裁切" in window.test_output.toPlainText()
    window.fault_boxes["camera"].setCurrentText("画面全黑")
    qtbot.mouseClick(_button(window, "test_camera"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✗" in window.test_output.toPlainText(), timeout=15000)
    assert "没有拍到照片：画面全黑" in window.test_output.toPlainText()


def _button(window, name: str):
    from PySide6.QtWidgets import QPushButton

    return window.findChild(QPushButton, name)


def test_config_is_validated_and_bundle_has_no_secrets(qtbot, assembly, tmp_path: Path) -> None:
    application()
    window = TechnicianWindow(assembly.technician, recent_logs=lambda: ["read card 11010519491231002X ok"])
    qtbot.addWidget(window)
    text = window.config_edit.toPlainText()
    window.config_edit.setPlainText(text.replace("paper_mm = 80", "paper_mm = 70"))
    qtbot.mouseClick(_button(window, "save_config"), Qt.MouseButton.LeftButton)
    assert "devices.printer.paper_mm: expected one of 58, 80, got 70" in window.config_message.text()
    assert not assembly.technician.drop_in_path.exists()
    window.config_edit.setPlainText(text.replace("paper_mm = 80", "paper_mm = 58"))
    qtbot.mouseClick(_button(window, "save_config"), Qt.MouseButton.LeftButton)
    assert "paper_mm = 58" in assembly.technician.drop_in_path.read_text()
    audit = [e for e in assembly.audit.entries() if e["action"] == "config.saved"]
    assert audit and audit[-1]["details"]["keys"] == ["devices.printer.paper_mm"]

    assembly.technician.config.platform.token = "s3cr3t-device-token"
    bundle = window.export_to(tmp_path / "diag.zip")
    with zipfile.ZipFile(bundle) as zf:
        config = json.loads(zf.read("config.json"))
        log = zf.read("recent.log").decode()
        everything = b"".join(zf.read(name) for name in zf.namelist())
        assert set(zf.namelist()) >= {"devices.json", "sync.json", "dead_letters.json", "audit_head.json"}
    assert config["platform"]["token"] == "***" and b"s3cr3t-device-token" not in everything
    assert "11010519491231002X" not in log and "110105********002X" in log


def _visible_texts(widget: QWidget) -> list[tuple[str, str]]:
    """Every text a person sees on ``widget`` and its children: (object name, text)."""
    found: list[tuple[str, str]] = [("window title", widget.windowTitle())]
    for child in [widget, *widget.findChildren(QWidget)]:
        name = child.objectName() or type(child).__name__
        if isinstance(child, QLabel | QAbstractButton | QLineEdit):
            found.append((name, child.text()))
        elif isinstance(child, QComboBox):
            found += [(name, child.itemText(i)) for i in range(child.count())]
        elif isinstance(child, QTabWidget):
            found += [(name, child.tabText(i)) for i in range(child.count())]
        elif isinstance(child, QTableWidget):
            for c in range(child.columnCount()):
                header = child.horizontalHeaderItem(c)
                found.append((name, header.text() if header else ""))
            found += [(name, item.text()) for r in range(child.rowCount()) for c in range(child.columnCount())
                      if (item := child.item(r, c)) is not None]
        elif isinstance(child, QPlainTextEdit) and child.objectName() != "config":
            found.append((name, child.toPlainText()))  # the configuration editor shows the file (data)
    return found


def test_the_panel_of_an_english_hall_shows_no_chinese(qtbot, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config.technician = config.technician.model_copy(update={"pin_hash": hash_pin("975310")})
    config.kiosk = config.kiosk.model_copy(update={"language": "en"})
    built = assemble_kiosk(config)
    application()
    seen: dict[str, list[tuple[str, str]]] = {}

    def type_pin() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, type_pin)
            return
        seen["dialog"] = _visible_texts(dialog)
        qtbot.keyClicks(dialog.findChild(QLineEdit, "pin"), "975310")
        qtbot.keyClick(dialog.findChild(QLineEdit, "pin"), Qt.Key.Key_Return)

    try:
        QTimer.singleShot(50, type_pin)
        panel = open_technician_panel(built, "Noto Sans CJK SC")
        assert panel is not None, "the PIN dialog did not accept the PIN"
        qtbot.addWidget(panel)
        seen["panel"] = _visible_texts(panel)
        for tab in range(panel.tabs.count()):  # every tab, as the technician opens them
            panel.tabs.setCurrentIndex(tab)
            seen[f"tab {tab}"] = _visible_texts(panel)
        for where, texts in seen.items():
            assert ("language", "中文") in texts, where  # the switch is named in the other language
            chinese = [(name, text) for name, text in texts if HAN.search(text) and name != "language"]
            assert not chinese, (where, chinese)
        assert ("window title", "Technician panel") in seen["panel"]
        assert any(text == "Print a test page" for _, text in seen["panel"])
    finally:
        built.stop()
