"""The dashboard's 投诉 page against a real hall service process: a complaint a kiosk filed is
listed with its number and the citizen's words; a supervisor signed in on the window picks it,
assigns it to a counter, types the reply and closes it, each under their own 工号; the day's
投诉办结率 is shown; before signing in the buttons do nothing."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QPlainTextEdit, QTabBar

from queueing.client import HallClient
from tests.queueing.queue_helpers import ServerProcess, add_staff, enrol
from tests.ui.test_ui_counter import sign_in_by_keys
from tests.ui.test_ui_dashboard import _click_row, type_chinese
from ui.dashboard_app import DashboardWindow
from ui.dashboard_complaints import ComplaintsTab
from ui.qt_app import application


def _ok(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_a_supervisor_assigns_replies_and_closes_a_complaint(qtbot, hall_server: ServerProcess) -> None:
    application()
    data = hall_server.data_dir
    add_staff(data, "9001", "supervisor pw 1", "--supervisor")
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    number = kiosk.file_complaint(str(uuid.uuid4()), "attitude", "窗口人员不耐烦")["complaint"]["number"]
    kiosk.file_complaint(str(uuid.uuid4()), "facility", "饮水机没水")

    window = DashboardWindow(HallClient(hall_server.base_url, enrol(data, "dashboard", "dashboard-office")),
                             refresh_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    bar = window.tabs.findChild(QTabBar)
    index = next(i for i in range(bar.count()) if bar.tabText(i) == "投诉")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    page = window.tabs.currentWidget()
    assert isinstance(page, ComplaintsTab)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    texts = [page.table.item(r, 3).text() for r in range(2)]
    assert "窗口人员不耐烦" in texts and page.summary.text() == "收到 2 件 · 办结 0 件 · 投诉办结率 0%"
    assert not page.buttons["assign"].isEnabled()  # nobody signed in: nobody's name to put on it

    sign_in_by_keys(qtbot, window, "9001", "supervisor pw 1")
    qtbot.waitUntil(lambda: page.buttons["assign"].isEnabled(), timeout=5000)
    row = next(r for r in range(2) if page.table.item(r, 0).text() == number)
    _click_row(qtbot, page.table, row)
    qtbot.mouseClick(page.buttons["assign"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=3000)
    qtbot.keyClicks(page.dialog.findChild(QLineEdit), "W01")
    _ok(qtbot, page.dialog)
    qtbot.waitUntil(lambda: page.table.item(row, 5) is not None and page.table.item(row, 5).text() == "W01 1号窗口",
                    timeout=5000)

    row = next(r for r in range(2) if page.table.item(r, 0).text() == number)
    _click_row(qtbot, page.table, row)
    qtbot.mouseClick(page.buttons["reply"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible()
                    and page.dialog.objectName() == "complaint_reply_dialog", timeout=3000)
    type_chinese(page.dialog.findChild(QPlainTextEdit), "已约谈窗口人员并致歉")
    _ok(qtbot, page.dialog)
    qtbot.waitUntil(lambda: kiosk.complaint(number)["state"] == "replied", timeout=5000)

    row = next(r for r in range(2) if page.table.item(r, 0).text() == number)
    _click_row(qtbot, page.table, row)
    qtbot.mouseClick(page.buttons["close"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.summary.text() == "收到 2 件 · 办结 1 件 · 投诉办结率 50%", timeout=5000)
    followed = kiosk.complaint(number)
    assert (followed["state"], followed["reply"], followed["replied_by"], followed["closed_by"]) == (
        "closed", "已约谈窗口人员并致歉", "9001", "9001")
    assert followed["assigned_by"] == "9001"
