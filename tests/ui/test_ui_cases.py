"""Issue 15 at the staff windows, against a real hall-server process: the counter console's finish
step takes the 办件编号 typed (or scanned: a scanner types and presses Enter); the dashboard's
整改 page shows every open 差评 loop with the overdue ones highlighted, a supervisor signed in by
keys records the callback of the selected row, and the lists are saved as XLSX."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLineEdit, QPlainTextEdit

from queueing.client import HallClient
from tests.faketime import LIBFAKETIME
from tests.queueing.queue_helpers import ServerProcess, add_staff, enrol, small_hall
from tests.ui.test_ui_counter import _click, _signed_in, sign_in_by_keys
from ui.dashboard_app import DashboardWindow
from ui.dashboard_rectification import RectificationTab
from ui.qt_app import application


def _finish_with_case(qtbot, outcome_label: str, case_no: str) -> None:
    """When the finish dialog opens: pick the outcome with the arrow keys, then type the case number
    into its field and press Enter, as a scanner does."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        edit = dialog.findChild(QLineEdit, "case_no") if dialog is not None else None
        if edit is None or not edit.isVisible():
            QTimer.singleShot(20, answer)
            return
        combo = dialog.findChild(QComboBox)
        target = next(i for i in range(combo.count()) if combo.itemText(i) == outcome_label)
        qtbot.keyClick(combo, Qt.Key.Key_Home)
        for _ in range(target):
            qtbot.keyClick(combo, Qt.Key.Key_Down)
        qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(edit, case_no)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)


def test_the_counter_finishes_a_case_with_its_number(qtbot, hall_server: ServerProcess) -> None:
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    first = kiosk.issue_ticket("S0501")["ticket"]
    second = kiosk.issue_ticket("S0501")["ticket"]
    window = _signed_in(qtbot, hall_server, "H03")
    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == first["number"], timeout=5000)
    _finish_with_case(qtbot, "办结", "330100202612020001")
    _click(qtbot, window, "finish")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    assert admin.ticket(first["id"])["ticket"]["case_no"] == "330100202612020001"

    # a number the hall refuses is said on the console, and the case stays at the counter
    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == second["number"], timeout=5000)
    _finish_with_case(qtbot, "办结", "no good!")
    _click(qtbot, window, "finish")
    qtbot.waitUntil(lambda: "办件编号只能由字母" in window.message.text(), timeout=5000)
    assert window.now_label.text() == second["number"]


def set_clock(stamp: Path, when: str) -> None:
    """The hall's libfaketime timestamp file, replaced whole: the hall reads it at every clock
    call, and a half-written file would read as no fake time at all (a step to today and back)."""
    part = stamp.with_suffix(".part")
    part.write_text(when + "\n")
    part.replace(stamp)


@pytest.fixture
def late_hall(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    """A hall-server whose wall clock libfaketime sets (the monotonic clocks follow)."""
    if not LIBFAKETIME or shutil.which("faketime") is None:
        pytest.skip("libfaketime (Debian package faketime) missing")
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    stamp = tmp_path / "faketime"
    set_clock(stamp, "@2026-09-30 10:00:00")
    server = ServerProcess(data, heartbeat=1.0, env={
        "LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(stamp), "FAKETIME_NO_CACHE": "1",
        "TZ": "Asia/Shanghai"}).start()
    yield server, stamp
    server.stop()


def test_the_rectification_page_highlights_overdue_loops_and_takes_a_supervisors_callback(
        qtbot, late_hall: tuple[ServerProcess, Path], tmp_path: Path) -> None:
    application()
    hall, stamp = late_hall
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    counter = HallClient(hall.base_url, hall.token("counter"))
    admin = HallClient(hall.base_url, hall.token("admin"))

    def bad_case(case_no: str) -> str:
        kiosk.issue_ticket("S1")
        served = counter.call_next("C1", staff_id="1001")
        assert served is not None
        counter.finish("C1", staff_id="1001", case_no=case_no)
        kiosk.rate(served["ticket"]["id"], 1, reason="slow")
        return str(served["ticket"]["id"])

    old = bad_case("CASE-OLD")
    set_clock(stamp, "@2026-10-09 09:00:00")  # 8 October was the callback deadline
    # The hall's monotonic clock leaps with it, ours does not: by the hall's clock the kiosk's and
    # counter's pooled connections have idled nine days, and it closes them at its next wake-up,
    # which a next request could race. A real client idle that long has dropped its pool
    # (HallClient.pool_idle_s); these two say so by closing theirs.
    kiosk.close()
    counter.close()
    bad_case("CASE-NEW")

    window = DashboardWindow(HallClient(hall.base_url, enrol(hall.data_dir, "dashboard", "office")),
                             refresh_ms=60_000)
    qtbot.addWidget(window)
    tab = next(t for t in window.extra_tabs if isinstance(t, RectificationTab))
    window.tabs.setCurrentWidget(tab)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "整改"
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=10_000)
    assert [tab.table.item(r, 2).text() for r in range(2)] == ["CASE-OLD", "CASE-NEW"]
    assert tab.overdue_rows() == [0]  # the older one, highlighted
    assert tab.summary.text() == "未办结整改 2 件，其中逾期 1 件"
    assert not tab.buttons["callback"].isEnabled()

    sign_in_by_keys(qtbot, window, "9001", "supervisor pw 1")
    qtbot.waitUntil(lambda: tab.buttons["callback"].isEnabled(), timeout=5000)
    rect = tab.table.visualItemRect(tab.table.item(0, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(tab.buttons["callback"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.note_dialog is not None and tab.note_dialog.isVisible(), timeout=3000)
    editor = tab.note_dialog.findChild(QPlainTextEdit)
    qtbot.keyClicks(editor, "called back, apologised")
    ok = tab.note_dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.table.item(0, 6) is not None and tab.table.item(0, 6).text() != "—",
                    timeout=10_000)
    loop = next(r for r in admin.rectifications() if r["ticket_id"] == old)
    assert loop["callback"]["by"] == "9001" and loop["callback"]["note"] == "called back, apologised"

    # the 问题清单 of the month, saved as the supervisor hands it in
    tab.list_from.setFocus()
    qtbot.keyClick(tab.list_from, Qt.Key.Key_Home)
    qtbot.keyClicks(tab.list_from, "2026-09-01")
    tab.list_to.setFocus()
    qtbot.keyClick(tab.list_to, Qt.Key.Key_Home)
    qtbot.keyClicks(tab.list_to, "2026-10-31")
    assert (tab.list_from.date().toString("yyyy-MM-dd"), tab.list_to.date().toString("yyyy-MM-dd")) == (
        "2026-09-01", "2026-10-31")
    saved = tab.export("problems", "xlsx", tmp_path / "problems.xlsx")
    sheet = load_workbook(saved).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert sheet.title == "问题清单" and table[0][2] == "办件编号"
    assert [r[2] for r in table[1:]] == ["CASE-OLD", "CASE-NEW"]
