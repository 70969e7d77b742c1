"""The technician panel speaks the session's language about the devices: a technician who opens the
panel (PIN first) on a kiosk set to Chinese or English, makes the simulated document camera fail
with one of the simulator's own faults, refreshes and runs the camera test reads the device table
and the test's answer in that language only, in the catalogue's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from common.i18n import translate
from kiosk.assembly import assemble_kiosk
from kiosk.pin import hash_pin
from tests.kiosk.conftest import make_config
from tests.test_catalogue_literals import HAN
from ui.cli import open_technician_panel
from ui.qt_app import application

ASCII_WORD = re.compile(r"[A-Za-z]{2,}")  # "A4打印机" keeps its single letter; a word is two or more


def _open_panel(qtbot, built):
    def type_pin() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, type_pin)
            return
        qtbot.keyClicks(dialog.findChild(QLineEdit, "pin"), "975310")
        qtbot.keyClick(dialog.findChild(QLineEdit, "pin"), Qt.Key.Key_Return)

    QTimer.singleShot(50, type_pin)
    panel = open_technician_panel(built, "Noto Sans CJK SC")
    assert panel is not None, "the PIN dialog did not accept the PIN"
    qtbot.addWidget(panel)
    return panel


def _rows(panel) -> dict[str, list[str]]:
    """The device table as the technician reads it: the row of each device by its first cell."""
    table = panel.device_table
    return {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_faulted_camera_in_the_session_language(qtbot, tmp_path: Path, language: str) -> None:
    config = make_config(tmp_path)
    config.technician = config.technician.model_copy(update={"pin_hash": hash_pin("975310")})
    config.kiosk = config.kiosk.model_copy(update={"language": language})
    built = assemble_kiosk(config)
    application()

    def t(key: str, **params: object) -> str:
        return translate(language, key, **params)

    try:
        panel = _open_panel(qtbot, built)
        camera = t("staff.city.device.camera")
        # The fault list offers the simulator's own faults, each in words; pick "all black".
        box = panel.fault_boxes["camera"]
        offered = [box.itemText(i) for i in range(box.count())]
        assert t("camera.problem.black_frame") in offered and "black_frame" not in offered
        box.setCurrentIndex(offered.index(t("camera.problem.black_frame")))
        refresh = panel.findChild(QPushButton, "refresh")

        def camera_failed() -> bool:
            qtbot.mouseClick(refresh, Qt.MouseButton.LeftButton)
            return _rows(panel).get(camera, [""])[1] == t("staff.city.reason.error")

        qtbot.waitUntil(camera_failed, timeout=10000)
        rows = _rows(panel)
        assert rows[camera] == [camera, t("staff.city.reason.error"), t("camera.problem.black_frame"),
                                t("technician.devices.simulated"), t("technician.devices.simulated")]
        assert rows[t("staff.city.device.a4_printer")][1:3] == [t("staff.city.reason.disconnected"),
                                                               t("technician.reason.not_configured")]
        assert rows[t("staff.city.device.printer")][1] == t("printer.status.ready")

        qtbot.mouseClick(panel.findChild(QPushButton, "test_camera"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "✗" in panel.test_output.toPlainText(), timeout=15000)
        said = panel.test_output.toPlainText()
        frames = re.search(r"\d+(?=\D*$)", said)
        assert frames is not None
        assert said == (f"{t('technician.button.test_camera')}: ✗\n" + t(
            "technician.test.no_photo", problem=t("camera.problem.black_frame"), state=t("staff.city.reason.error"),
            reason=t("camera.problem.black_frame"), frames=frames.group()))

        # and so does all else the devices tab says: every fault offered, the sync line
        faults = [b.itemText(i) for b in panel.fault_boxes.values() for i in range(b.count())]
        seen = [cell for row in rows.values() for cell in row] + [said] + faults + [panel.sync_label.text()]
        if language == "zh_CN":
            assert "故障" in rows[camera] and "画面全黑" in said
            assert not [text for text in seen if ASCII_WORD.search(text)], seen
        else:
            assert "error" in rows[camera] and "No photo: picture all black" in said
            assert not [text for text in seen if HAN.search(text)], seen
    finally:
        built.stop()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_code_the_panel_words_has_a_text(language: str) -> None:
    """Every state, reason, fault and test outcome the devices can report has words in the
    catalogue of each language (a new code without words would reach the panel raw)."""
    from common.i18n import catalogue
    from devices.a4.simulator import A4Simulator
    from devices.camera.simulator import DocumentCameraSimulator
    from devices.idcard.simulator import IdCardSimulator
    from devices.keypad.simulator import KeypadSimulator
    from devices.printer.simulator import PrinterSimulator
    from devices.scanner.simulator import ScannerSimulator
    from devices.state import DeviceKind, DeviceState, StartupReason
    from kiosk import device_words
    from kiosk.technician import TestOutcome
    from ui import technician_words as words

    cat = catalogue(language)
    keys = [*device_words.STATE_KEYS.values(), *device_words.STARTUP_KEYS.values(), *device_words.A4_KEYS.values(),
            *device_words.CAMERA_KEYS.values(), *(f"technician.test.{o.value}" for o in TestOutcome),
            *(f"scan.kind.{k}" for k in words.SCAN_KINDS), *(f"staff.city.device.{k.value}" for k in DeviceKind),
            *(f"printer.status.{c}" for c in device_words.PRINTER_CODES)]
    assert not [key for key in keys if key not in cat]
    assert set(device_words.STATE_KEYS) == set(DeviceState) and set(device_words.STARTUP_KEYS) == set(StartupReason)
    faults = {"idcard": IdCardSimulator.FAULTS, "printer": (*PrinterSimulator.FAULTS, "retract_jam"),
              "scanner": ScannerSimulator.FAULTS, "camera": DocumentCameraSimulator.FAULTS,
              "a4_printer": A4Simulator.FAULTS, "keypad": KeypadSimulator.FAULTS}
    fault_keys = {(kind, f): words.fault_key(kind, f) for kind, names in faults.items() for f in names}
    assert not [fault for fault, key in fault_keys.items() if key is None or key not in cat]
