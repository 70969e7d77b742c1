"""Supervisor dashboard against a real hall service process: figures, bad ratings and their
rectification, alerts, and the CSV/XLSX report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QPlainTextEdit, QTableWidget, QWidget

from queueing.client import HallClient, HallServiceError
from tests.queueing.queue_helpers import ServerProcess, add_staff, enrol
from tests.ui.test_ui_counter import sign_in_by_keys
from ui.dashboard_app import DashboardWindow
from ui.qt_app import application


def test_dashboard_figures_rectification_and_export(qtbot, hall_server: ServerProcess, tmp_path: Path) -> None:
    application()
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    for _ in range(3):
        kiosk.issue_ticket("S0501")
    served = counter.call_next("H03", staff_id="s-01")["ticket"]
    counter.start("H03", staff_id="s-01")
    counter.finish("H03", staff_id="s-01")
    kiosk.rate(served["id"], "very_dissatisfied", reason="attitude")
    kiosk.raise_alert("printer", "kiosk-02", "paper near end")

    window = DashboardWindow(admin, refresh_ms=60_000)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=10_000)
    assert window.kpi["waiting"].text() == "2"
    assert window.kpi["served"].text() == "1"
    assert window.kpi["satisfaction"].text() == "0%"
    assert window.kpi["rectified"].text() == "0%"
    assert window.alerts_table.rowCount() == 1 and window.bad_table.rowCount() == 1

    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    admin.sign_in("9001", "supervisor pw 1")  # a supervisor's own session signs it off
    admin.rectify(served["id"], "已整改：窗口人员培训")
    window.refresh()
    qtbot.waitUntil(lambda: window.kpi["rectified"].text() == "100%", timeout=10_000)

    rows = list(csv.DictReader(io.StringIO(window.export(tmp_path / "r.csv").read_text("utf-8-sig"))))
    total = next(r for r in rows if r["分组"] == "合计")  # group, total
    assert total["取号"] == "3" and total["办结"] == "1" and total["差评数"] == "1"  # issued, served, bad
    book = load_workbook(window.export(tmp_path / "r.xlsx"))
    bad = list(book["差评整改"].iter_rows(values_only=True))
    assert bad[1][0] == served["number"] and bad[1][8] == "已整改：窗口人员培训"


def type_chinese(editor: QWidget, text: str) -> None:
    """Chinese as a supervisor's input method (Pinyin) hands it over: one committed string (QTest's
    key clicks carry ASCII keys only)."""
    editor.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(editor, event)


def _click_row(qtbot, table: QTableWidget, row: int) -> None:
    """A click on the row's first cell, as a supervisor picks it."""
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_supervisor_signs_in_at_the_dashboard_and_rectifies_under_their_own_name(
        qtbot, hall_server: ServerProcess) -> None:
    """The shared admin token alone no longer rectifies a 差评: a supervisor signs in with their own
    account on the dashboard (an enrolled dashboard device) by keys, picks the bad rating, types
    the response; a member of staff who is not a supervisor may acknowledge alerts but not rectify."""
    application()
    data = hall_server.data_dir
    add_staff(data, "9001", "supervisor pw 1", "--supervisor")
    add_staff(data, "1001", "counter pw 1")
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    kiosk.issue_ticket("S0501")
    served = counter.call_next("H03", staff_id="s-01")["ticket"]
    counter.finish("H03", staff_id="s-01")
    kiosk.rate(served["id"], "very_dissatisfied", reason="attitude")
    kiosk.raise_alert("printer", "kiosk-02", "paper near end")
    with pytest.raises(HallServiceError) as refused:
        admin.rectify(served["id"], "typed by whoever holds the admin token", staff_id="9001")
    assert refused.value.code == "supervisor_required"

    window = DashboardWindow(HallClient(hall_server.base_url, enrol(data, "dashboard", "dashboard-office")),
                             refresh_ms=60_000)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.snapshot is not None and window.bad_table.rowCount() == 1, timeout=10_000)
    assert not window.respond.isEnabled() and not window.ack.isEnabled()

    sign_in_by_keys(qtbot, window, "1001", "counter pw 1")
    qtbot.waitUntil(lambda: window.staff_label.text().startswith("1001"), timeout=5000)
    assert window.ack.isEnabled() and not window.respond.isEnabled()  # not a supervisor
    _click_row(qtbot, window.alerts_table, 0)
    qtbot.mouseClick(window.ack, Qt.MouseButton.LeftButton)  # 接单: the row stays, saying who took it
    qtbot.waitUntil(lambda: window.alerts_table.item(0, 4) is not None
                    and window.alerts_table.item(0, 4).text().startswith("1001"), timeout=5000)
    assert admin.alerts(include_acked=True)[0]["acked_by"] == "1001"
    _click_row(qtbot, window.alerts_table, 0)
    qtbot.mouseClick(window.resolve, Qt.MouseButton.LeftButton)  # 已处理: off the list
    qtbot.waitUntil(lambda: window.alerts_table.rowCount() == 0, timeout=5000)
    assert admin.alerts(include_acked=True)[0]["resolved_by"] == "1001"

    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)  # 签退
    qtbot.waitUntil(lambda: window.staff_label.text() == "", timeout=5000)
    sign_in_by_keys(qtbot, window, "9001", "supervisor pw 1")
    qtbot.waitUntil(lambda: window.respond.isEnabled(), timeout=5000)
    _click_row(qtbot, window.bad_table, 0)
    qtbot.mouseClick(window.respond, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.rectify_dialog is not None and window.rectify_dialog.isVisible(), timeout=3000)
    type_chinese(window.rectify_dialog.findChild(QPlainTextEdit), "已约谈窗口人员")
    ok = window.rectify_dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.kpi["rectified"].text() == "100%", timeout=10_000)
    fix = admin.ratings(bad=True)[0]["rectification"]
    assert fix["response"] == "已约谈窗口人员" and fix["by"] == "9001"
