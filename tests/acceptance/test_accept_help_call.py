"""呼叫工作人员 as a citizen presses it: the kiosk says honestly that staff were told and to wait;
the clerk at the 帮办代办 counter sees the help call in the real counter console window, selects it
and presses 接单; the kiosk then shows who is on the way (工号 and counter)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from common.i18n import translate
from queueing.client import HallClient
from queueing.credentials import DEMO_STAFF_PIN
from tests.acceptance.person import Person
from tests.ui.test_ui_counter import sign_in_by_keys
from ui.counter_app import CounterController, CounterWindow


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def test_the_citizen_is_told_when_someone_is_coming(person: Person, qtbot) -> None:
    hall = person.assembly.hall
    console = CounterWindow(CounterController(HallClient(hall.url, hall.tokens["counter"]), "H02"))
    qtbot.addWidget(console)
    console.show()
    sign_in_by_keys(qtbot, console, "s-H02", DEMO_STAFF_PIN)  # the demo hall's 帮办代办 clerk
    qtbot.waitUntil(lambda: console.staff_label.text().startswith("s-H02"), timeout=5000)

    person.wait_for(zh("home.title"))
    person.tap(zh("common.help"))
    person.wait_for(zh("notice.help_waiting"))  # told, and nothing more, until someone takes it
    assert not any("正在赶来" in t for t in person.texts())

    panel = console.alerts
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10_000)  # the console's timer fetches it
    assert panel.table.item(0, 1).text() == zh("staff.alerts.kind.help")
    assert panel.table.item(0, 3).text() == zh("staff.alerts.state.raised")
    rect = panel.table.visualItemRect(panel.table.item(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(panel.ack, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1
                    and panel.table.item(0, 3).text() == zh("staff.alerts.state.acknowledged"), timeout=10_000)

    person.wait_for(zh("notice.help_on_the_way_at", staff="s-H02", counter="帮办代办"), timeout=15)

    qtbot.mouseClick(panel.resolve, Qt.MouseButton.LeftButton)  # helped: 已处理
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10_000)
    done = HallClient(hall.url, hall.tokens["admin"]).alerts(include_acked=True)[0]
    assert (done["kind"], done["acked_by"], done["acked_counter"]) == ("help", "s-H02", "H02")
