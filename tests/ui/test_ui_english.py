"""The counter console and the supervisor dashboard used fully in English, against a real hall
service whose hall.toml names its services and counters in English (names are the hall's data):
no Han character in any text the window shows, and the report is written in English with real
rows in its 跑动次数 (repeat visits) sheet."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit
from openpyxl import load_workbook
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTableWidget,
    QWidget,
)

from queueing.client import HallClient
from queueing.hallconfig import CATALOGUE, sample_hall_toml
from tests.queueing.queue_helpers import ServerProcess, add_staff
from tests.ui.test_ui_counter import sign_in_by_keys
from ui.counter_app import CounterController, CounterWindow
from ui.dashboard_app import DashboardWindow
from ui.qt_app import application

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
ASSIST_NAMES = {"H01": "Front desk", "H02": "Assisted applications", "H03": "Information desk",
                "H04": "Complaints"}
PERSON = "110105194912310021"


def english_hall_toml() -> str:
    """The sample hall as an English-speaking hall would write it: same layout, English names."""
    hall = tomllib.loads(sample_hall_toml())
    cat = json.loads(CATALOGUE.read_text("utf-8"))
    queued = [*cat["services"], *cat.get("bundles", [])]  # a 一件事 bundle is queued as one service
    english = {s["id"]: s["name_en"] for s in queued} | {z["id"]: z["name_en"] for z in cat["zones"]}
    hall["hall"]["name"] = "Civic Service Centre"
    for item in hall["zones"] + hall["services"]:
        item["name"] = english[item["id"]]
    for counter in hall["counters"]:
        counter["name"] = ASSIST_NAMES.get(counter["id"], f"Window {int(counter['id'][1:])}")
    return tomlkit.dumps(hall)


@pytest.fixture
def english_hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(english_hall_toml(), "utf-8")
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()


def visible_texts(window: QWidget) -> dict[str, str]:
    """Every text a person can read on the window: title, labels, buttons, fields, table cells
    and headers (keyed by where it is, for the failure message)."""
    texts = {"title": window.windowTitle()}
    for widget in [window, *window.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        name = widget.objectName() or type(widget).__name__
        if isinstance(widget, QLabel | QAbstractButton):
            texts[f"{name}#{id(widget)}"] = widget.text()
        elif isinstance(widget, QLineEdit):
            texts[f"{name}.placeholder"] = widget.placeholderText()
            texts[f"{name}.text"] = widget.text()
        elif isinstance(widget, QTableWidget):
            for c in range(widget.columnCount()):
                header = widget.horizontalHeaderItem(c)
                texts[f"{name}.header{c}"] = header.text() if header else ""
                for r in range(widget.rowCount()):
                    item = widget.item(r, c)
                    texts[f"{name}[{r},{c}]"] = item.text() if item else ""
    return texts


def han_in(texts: dict[str, str]) -> dict[str, str]:
    return {where: text for where, text in texts.items() if HAN.search(text)}


def assert_english(window: QWidget, switch: QWidget) -> None:
    """No Han character anywhere but on the language switch, which names 中文 in Chinese so a
    Chinese reader finds the way back (the convention of every language switch)."""
    texts = visible_texts(window)
    assert switch.isVisible() and switch.text() == "中文"  # type: ignore[attr-defined]
    texts = {k: v for k, v in texts.items() if not k.startswith("language#")}
    assert len(texts) > 20 and not han_in(texts), han_in(texts)


def _answer(qtbot, pick: str, seen: list[str]) -> None:
    """When the console's choice dialog opens: note its texts, choose ``pick`` and press OK."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, answer)
            return
        combo = dialog.findChild(QComboBox)
        options = [combo.itemText(i) for i in range(combo.count())]
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        seen[:] = [dialog.windowTitle(), *options, *(label.text() for label in dialog.findChildren(QLabel)),
                   ok.text()]
        if pick not in options:
            dialog.reject()  # never leave the test waiting on a modal dialog
            return
        combo.setCurrentIndex(options.index(pick))
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def test_counter_console_in_english(qtbot, english_hall: ServerProcess) -> None:
    application()
    kiosk = HallClient(english_hall.base_url, english_hall.token("kiosk"))
    first = kiosk.issue_ticket("S0501")["ticket"]["number"]
    kiosk.issue_ticket("S0501", priority="green")
    controller = CounterController(HallClient(english_hall.base_url, english_hall.token("counter")), "H03")
    window = CounterWindow(controller, language="en")  # kiosk.language = "en"
    qtbot.addWidget(window)
    window.show()
    add_staff(english_hall.data_dir, "staff-en", "counter pw 1")
    sign_in_by_keys(qtbot, window, "staff-en", "counter pw 1")
    assert window.sign_in_dialog is not None and window.sign_in_dialog.windowTitle() == "Sign in at H03"
    qtbot.waitUntil(lambda: window.message.text() == "staff-en signed in", timeout=5000)
    assert window.sign_in.text() == "Sign out"
    qtbot.waitUntil(lambda: window.link.text() == "● Connected" and window.table.rowCount() == 2, timeout=8000)
    qtbot.mouseClick(window.buttons["call_next"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.now_label.text() == first, timeout=5000)
    qtbot.mouseClick(window.buttons["start"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.now_detail.text() == "Information desk · Serving", timeout=5000)
    assert window.message.text() == f"Start ✓ {first}"
    assert {window.table.item(0, 2).text()} <= {"Priority lane", "Normal"}
    assert_english(window, window.language_button)

    seen: list[str] = []
    _answer(qtbot, "Done", seen)
    qtbot.mouseClick(window.buttons["finish"], Qt.MouseButton.LeftButton)  # modal: answered on return
    assert seen[0] == "Outcome" and len(seen) > 8, seen  # title, the seven outcomes, the form, OK
    assert not [t for t in seen if HAN.search(t)], seen
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    qtbot.waitUntil(lambda: window.counts.text().startswith("Today: served 1 · no-show 0"), timeout=8000)
    assert_english(window, window.language_button)


def test_dashboard_switched_to_english_and_its_report(qtbot, english_hall: ServerProcess, tmp_path: Path) -> None:
    application()
    kiosk = HallClient(english_hall.base_url, english_hall.token("kiosk"))
    counter = HallClient(english_hall.base_url, english_hall.token("counter"))
    admin = HallClient(english_hall.base_url, english_hall.token("admin"))
    for _ in range(2):  # the same person comes twice for the information desk: one repeat visit
        kiosk.issue_ticket("S0501", id_number=PERSON)
        served = counter.call_next("H03", staff_id="s-01")["ticket"]
        counter.start("H03", staff_id="s-01")
        counter.finish("H03", staff_id="s-01")
    kiosk.issue_ticket("S0101")
    kiosk.rate(served["id"], "very_dissatisfied", reason="attitude")
    kiosk.raise_alert("printer", "kiosk-02", "paper near end")

    window = DashboardWindow(admin, refresh_ms=60_000)  # kiosk.language left at zh_CN
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=10_000)
    assert window.windowTitle() == "大厅运行看板"
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)  # the supervisor reads English
    assert window.windowTitle() == "Supervisor dashboard"
    assert window.bad_table.item(0, 3).text() == "Very dissatisfied"
    assert window.bad_table.item(0, 4).text() == "Unfriendly staff"
    assert window.kpi["served"].text() == "2"
    assert_english(window, window.language_button)
    words = window.chart.words()  # the Qt Graphs graph's title, series labels and categories
    assert "Waiting" in words
    assert not [w for w in words if HAN.search(w)], words

    book = load_workbook(window.export(tmp_path / "report.xlsx"))
    assert book.sheetnames == ["Statistics", "Bad ratings", "Repeat visits"]
    cells = [v for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert not [v for v in cells if HAN.search(v)]
    visits = list(book["Repeat visits"].iter_rows(values_only=True))
    assert visits[0] == ("Service ID", "Service", "Repeat visits", "People")
    assert visits[1] == ("S0501", "Information desk", 1, 1)
    assert visits[2] == ("Total", None, 1, 1)
    bad = list(book["Bad ratings"].iter_rows(values_only=True))
    assert bad[1][:6] == (served["number"], "Information desk", "H03", "s-01", "Very dissatisfied", "Unfriendly staff")
    statistics = list(book["Statistics"].iter_rows(values_only=True))
    assert statistics[0][:3] == ("Group", "Item", "Issued") and statistics[1][:4] == ("Total", "all", 3, 2)

    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)  # and back: the report in Chinese
    book = load_workbook(window.export(tmp_path / "report-zh.xlsx"))
    assert list(book["跑动次数"].iter_rows(values_only=True))[1] == ("S0501", "Information desk", 1, 1)
