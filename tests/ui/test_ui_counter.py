"""The counter console end to end against a real hall service process: sign in, call, start,
finish, no-show and put back, transfer, pause; a lost connection refuses operations."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLineEdit

from queueing.client import HallClient
from tests.queueing.queue_helpers import ServerProcess, add_staff, enrol
from ui.counter_app import CounterController, CounterWindow
from ui.qt_app import application


def _window(qtbot, server: ServerProcess, counter_id: str = "H03") -> CounterWindow:
    application()
    controller = CounterController(HallClient(server.base_url, server.token("counter")), counter_id)
    window = CounterWindow(controller)
    qtbot.addWidget(window)
    return window


def sign_in_by_keys(qtbot, window: CounterWindow, staff_id: str, password: str) -> None:
    """Tap 签到, type the 工号, Enter, the password, Enter: as staff do at the console."""
    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sign_in_dialog is not None and window.sign_in_dialog.isVisible(), timeout=3000)
    dialog = window.sign_in_dialog
    qtbot.keyClicks(dialog.staff_edit, staff_id)
    qtbot.keyClick(dialog.staff_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)


def _sign_in(qtbot, window: CounterWindow, server: ServerProcess, staff_id: str) -> None:
    add_staff(server.data_dir, staff_id, "counter pw 1")
    sign_in_by_keys(qtbot, window, staff_id, "counter pw 1")
    # what staff see: their 工号 on the console (the controller learns it on a worker thread first)
    qtbot.waitUntil(lambda: window.staff_label.text().startswith(staff_id), timeout=5000)


def _click(qtbot, window: CounterWindow, operation: str) -> None:
    qtbot.mouseClick(window.buttons[operation], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=5000)


def test_counter_operations_end_to_end(qtbot, hall_server: ServerProcess) -> None:
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    numbers = [kiosk.issue_ticket("S0501")["ticket"]["number"] for _ in range(3)]
    window = _window(qtbot, hall_server)
    qtbot.waitUntil(lambda: window.table.rowCount() == 3, timeout=5000)
    assert not window.buttons["call_next"].isEnabled()  # sign in first
    _sign_in(qtbot, window, hall_server, "staff-007")
    assert window.buttons["call_next"].isEnabled()

    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == numbers[0], timeout=5000)
    _click(qtbot, window, "start")
    qtbot.waitUntil(lambda: "办理中" in window.now_detail.text(), timeout=5000)  # serving
    _answer_choice(qtbot, "办结", [])  # the button asks for the outcome in a dialog
    _click(qtbot, window, "finish")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)

    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == numbers[1], timeout=5000)
    _click(qtbot, window, "no_show")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    ticket = kiosk.ticket(_id_of(hall_server, numbers[1]))
    assert ticket["ticket"]["status"] == "no_show"

    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.table.visualItemRect(window.table.item(0, 0)).center())  # the first row
    chosen = window.table.item(0, 0).text()
    _answer_text(qtbot, "老人优先")  # 选号 asks why this one is called out of turn
    _click(qtbot, window, "call_ticket")
    qtbot.waitUntil(lambda: window.now_label.text() == chosen, timeout=5000)

    qtbot.waitUntil(lambda: "已办 1" in window.counts.text(), timeout=8000)  # served
    assert "过号 1" in window.counts.text()  # no-show


def _id_of(server: ServerProcess, number: str) -> str:
    import sqlite3

    con = sqlite3.connect(server.data_dir / "queue.db")
    try:
        return con.execute("SELECT id FROM tickets WHERE number=? ORDER BY issued_at DESC", (number,)).fetchone()[0]
    finally:
        con.close()


def test_a_refusal_is_said_in_the_console_language(qtbot, hall_server: ServerProcess) -> None:
    """The hall refuses a fourth 重呼 (max_recalls = 3): staff read why in Chinese, not the hall's
    English message."""
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    number = kiosk.issue_ticket("S0501")["ticket"]["number"]
    window = _window(qtbot, hall_server)
    _sign_in(qtbot, window, hall_server, "staff-008")
    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == number, timeout=5000)
    for _ in range(3):
        _click(qtbot, window, "recall")
        assert "未执行" not in window.message.text(), window.message.text()
    _click(qtbot, window, "recall")
    qtbot.waitUntil(lambda: "未执行" in window.message.text(), timeout=5000)
    assert window.message.text() == "未执行：重呼次数已到上限，可按过号", window.message.text()


def test_lost_connection_refuses_operations(qtbot, hall_server: ServerProcess) -> None:
    window = _window(qtbot, hall_server)
    _sign_in(qtbot, window, hall_server, "staff-007")
    qtbot.waitUntil(lambda: "已连接" in window.link.text(), timeout=5000)
    hall_server.kill9()
    qtbot.waitUntil(lambda: "连接中断" in window.link.text(), timeout=10000)  # the console's own refresh
    assert not window.buttons["call_next"].isEnabled()
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)  # shortcuts reach the active window only
    qtbot.keyClick(window, Qt.Key.Key_F1)  # the key of 叫号 still answers: with why nothing happened
    assert "未执行" in window.message.text() or "nothing was done" in window.message.text()


# -- the finish outcomes and transfer targets, as a member of staff reads and picks them ------------

# What staff read on the finish dialog for each outcome the hall service records.
OUTCOME_LABELS = {
    "materials_missing": "补齐材料后再办",
    "done": "办结",
    "accepted_with_commitment": "告知承诺",
    "accepted_with_gaps": "容缺受理",
    "rejected": "不予受理",
    "consulted": "咨询",
    "referred": "转其他部门",
}


def _answer_choice(qtbot, wanted: str, seen: list[str]) -> None:
    """When the console's choice dialog opens: note its options, move to the one that shows
    ``wanted`` (a word of its text) with the arrow keys and click OK; Escape when none does."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, answer)
            return
        combo = dialog.findChild(QComboBox)
        seen[:] = [combo.itemText(i) for i in range(combo.count())]
        target = next((i for i, text in enumerate(seen) if wanted in text.split()), None)
        if target is None:
            qtbot.keyClick(combo, Qt.Key.Key_Escape)
            return
        qtbot.keyClick(combo, Qt.Key.Key_Home)
        for _ in range(target):
            qtbot.keyClick(combo, Qt.Key.Key_Down)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def _answer_text(qtbot, text: str) -> None:
    """When the console's text dialog opens: type ``text`` and press Enter. Chinese arrives as an
    input method commits it (QTest's key clicks carry Latin-1 only)."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        edit = dialog.findChild(QLineEdit) if dialog is not None else None
        if edit is None or not edit.isVisible():
            QTimer.singleShot(20, answer)
            return
        commit = QInputMethodEvent("", [])
        commit.setCommitString(text)
        QApplication.sendEvent(edit, commit)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)


def _signed_in(qtbot, server: ServerProcess, counter_id: str) -> CounterWindow:
    window = _window(qtbot, server, counter_id)
    _sign_in(qtbot, window, server, "staff-011")
    qtbot.waitUntil(lambda: "已连接" in window.link.text(), timeout=5000)
    return window


def _call(qtbot, window: CounterWindow, number: str) -> None:
    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == number, timeout=5000)


def _answer_reject(qtbot, reason: str, supervisor: str = "", pin: str = "") -> None:
    """When the 不予受理 dialog opens: type the reason (Chinese, as an input method commits it),
    the supervisor's 工号 and PIN by keys, and click OK."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "reject_dialog":
            QTimer.singleShot(20, answer)
            return
        if reason:
            commit = QInputMethodEvent("", [])
            commit.setCommitString(reason)
            QApplication.sendEvent(dialog.findChild(QLineEdit, "reject_reason"), commit)
        if supervisor:
            qtbot.keyClicks(dialog.findChild(QLineEdit, "supervisor_id"), supervisor)
            qtbot.keyClicks(dialog.findChild(QLineEdit, "supervisor_pin"), pin)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)


def test_console_records_every_outcome_the_hall_knows(qtbot, hall_server: ServerProcess) -> None:
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    window = _signed_in(qtbot, hall_server, "W01")
    for outcome, label in OUTCOME_LABELS.items():
        issued = kiosk.issue_ticket("S0101")["ticket"]
        qtbot.waitUntil(lambda: window.table.rowCount() >= 1, timeout=5000)
        _call(qtbot, window, issued["number"])
        seen: list[str] = []
        _answer_choice(qtbot, label, seen)
        if outcome == "rejected":  # 窗口无否决权: why, and a supervisor signs it off
            _answer_reject(qtbot, "材料不符合法定形式", "9001", "supervisor pw 1")
        _click(qtbot, window, "finish")
        qtbot.waitUntil(lambda: window.now_label.text() == "—" or "未执行" in window.message.text(),
                        timeout=5000)
        assert "未执行" not in window.message.text(), (label, window.message.text())
        assert len(seen) == len(OUTCOME_LABELS)  # every outcome the hall records, nothing else
        assert admin.ticket(issued["id"])["ticket"]["outcome"] == outcome


def test_console_transfers_to_any_service_of_the_hall(qtbot, hall_server: ServerProcess) -> None:
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    services = {s["id"]: s["name"] for s in kiosk.services()["services"]}
    window = _signed_in(qtbot, hall_server, "W01")  # 一窗受理: 人社医保 and 综合受理 only
    for target in ("S0301", "S0502"):  # 居民身份证换领 (公安), 帮办代办
        issued = kiosk.issue_ticket("S0101")["ticket"]
        qtbot.waitUntil(lambda: window.table.rowCount() >= 1, timeout=5000)
        _call(qtbot, window, issued["number"])
        seen: list[str] = []
        _answer_choice(qtbot, services[target], seen)
        _click(qtbot, window, "transfer")  # the dialog is modal: answered when the click returns
        assert any(services[target] in option.split() for option in seen), seen
        assert len(seen) == len(services) - 1  # every service of the hall but the ticket's own
        qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
        waiting = HallClient(hall_server.base_url, hall_server.token("counter")).waiting(target)
        assert issued["number"] in [t["number"] for t in waiting]


def test_staff_sign_in_with_their_own_password_on_an_enrolled_counter(qtbot, hall_server: ServerProcess) -> None:
    """Issue 14 finding 2: the 工号 is no longer typed free text. An enrolled counter device signs
    a member of staff in with 工号 + password; a wrong password is refused; every operation and
    the statistics carry the signed-in staff; signing out stops the buttons."""
    application()
    token = enrol(hall_server.data_dir, "counter", "counter-h03", "H03")
    add_staff(hall_server.data_dir, "1001", "correct horse 1")
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    number = kiosk.issue_ticket("S0501")["ticket"]["number"]
    window = CounterWindow(CounterController(HallClient(hall_server.base_url, token), "H03"))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.table.rowCount() == 1, timeout=5000)

    sign_in_by_keys(qtbot, window, "1001", "not my password")
    qtbot.waitUntil(lambda: "工号或密码不对" in window.message.text(), timeout=5000)
    assert window.controller.staff_id is None and not window.buttons["call_next"].isEnabled()

    sign_in_by_keys(qtbot, window, "1001", "correct horse 1")
    qtbot.waitUntil(lambda: "1001" in window.staff_label.text(), timeout=5000)
    assert window.sign_in.text() == "签退" and window.buttons["call_next"].isEnabled()
    _click(qtbot, window, "call_next")
    qtbot.waitUntil(lambda: window.now_label.text() == number, timeout=5000)
    _answer_choice(qtbot, "办结", [])
    _click(qtbot, window, "finish")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    assert list(admin.stats()["by_staff"]) == ["1001"]

    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)  # 签退
    assert window.controller.staff_id is None and not window.buttons["call_next"].isEnabled()
    qtbot.waitUntil(lambda: window.sign_in.text() == "签到", timeout=3000)


def test_rejected_at_the_console_needs_a_reason_and_a_supervisor(qtbot, hall_server: ServerProcess) -> None:
    """窗口无否决权: a clerk picks 不予受理; without a reason, then without a supervisor's sign-off,
    the hall refuses and the console says why; with the supervisor's 工号 and password typed in
    the dialog it is recorded, with the reason and who signed it off, in the finish event."""
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    window = _signed_in(qtbot, hall_server, "W01")
    issued = kiosk.issue_ticket("S0101")["ticket"]
    qtbot.waitUntil(lambda: window.table.rowCount() >= 1, timeout=5000)
    _call(qtbot, window, issued["number"])
    for reason, supervisor, pin, said in (("", "", "", "未执行：请写明原因"),
                                          ("材料不符合法定形式", "", "", "未执行：不予受理须经主管签批"),
                                          ("材料不符合法定形式", "9001", "not it", "未执行：主管工号或密码不对")):
        _answer_choice(qtbot, "不予受理", [])
        _answer_reject(qtbot, reason, supervisor, pin)
        _click(qtbot, window, "finish")
        qtbot.waitUntil(lambda said=said: window.message.text() == said, timeout=5000)
        assert window.now_label.text() == issued["number"]  # still this counter's ticket
    _answer_choice(qtbot, "不予受理", [])
    _answer_reject(qtbot, "材料不符合法定形式", "9001", "supervisor pw 1")
    _click(qtbot, window, "finish")
    qtbot.waitUntil(lambda: window.now_label.text() == "—", timeout=5000)
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    assert admin.ticket(issued["id"])["ticket"]["outcome"] == "rejected"
    import sqlite3

    with sqlite3.connect(hall_server.data_dir / "queue.db") as con:
        data = [json.loads(d) for (d,) in con.execute("SELECT data FROM events WHERE kind='finish'")]
    assert [(d["reason"], d["approved_by"], d["staff_id"]) for d in data] == [
        ("材料不符合法定形式", "9001", "staff-011")]
