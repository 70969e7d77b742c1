"""Alerts and the display's notices through the staff windows, against a real hall service:
a help call nobody at the 帮办代办 counter takes escalates (the service's clock is moved) and
shows on another counter's console, whose clerk takes it; a notice a supervisor posts on the
dashboard's 显示屏公告 page appears on the hall display window; eight counters calling at once are
all on the display (two columns), thirteen are paged; the display's clock is the hall's zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from common.i18n import translate
from kiosk.announcer import Announcer, SilentEngine
from queueing.client import HallClient
from queueing.embedded import RunningHall, start_hall_service
from tests.queueing.queue_helpers import FakeClock, ServerProcess, add_staff, at
from tests.ui.test_ui_counter import sign_in_by_keys
from tests.ui.test_ui_dashboard import _click_row, type_chinese
from ui.counter_app import CounterController, CounterWindow
from ui.dashboard_app import DashboardWindow
from ui.display_app import DisplayBridge
from ui.qt_app import application, cjk_family, load_qml, unload_qml


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _texts(window: Any) -> dict[str, str]:
    """What the display window shows: each visible named text item's text, by object name."""
    found: dict[str, str] = {}

    def walk(item: Any) -> None:
        for child in item.childItems():
            shown = child.isVisible() and child.width() > 0 and child.height() > 0
            if shown:
                if child.objectName() and child.property("text") is not None:
                    found[child.objectName()] = str(child.property("text"))
                walk(child)

    walk(window.contentItem())
    return found


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock(at(10))


@pytest.fixture
def hall(tmp_path: Path, fake: FakeClock) -> Iterator[RunningHall]:
    data = tmp_path / "hall"
    data.mkdir()
    add_staff(data, "2001", "help desk pw 1")
    add_staff(data, "3001", "window pw 1")
    running = start_hall_service(data, clock=fake)
    yield running
    running.stop()


def test_an_unacknowledged_help_call_escalates_to_every_counter(qtbot, hall: RunningHall, fake: FakeClock) -> None:
    application()
    helpdesk = CounterWindow(CounterController(HallClient(hall.base_url, hall.token("counter")), "H02"))
    window = CounterWindow(CounterController(HallClient(hall.base_url, hall.token("counter")), "W01"))
    for console, staff_id, password in ((helpdesk, "2001", "help desk pw 1"), (window, "3001", "window pw 1")):
        qtbot.addWidget(console)
        console.show()
        sign_in_by_keys(qtbot, console, staff_id, password)
        qtbot.waitUntil(lambda c=console, s=staff_id: c.staff_label.text().startswith(s), timeout=5000)

    raised = HallClient(hall.base_url, hall.token("kiosk")).raise_alert("help", "kiosk-01", "kiosk-01 needs help")
    helpdesk.alerts.refresh()
    qtbot.waitUntil(lambda: helpdesk.alerts.table.rowCount() == 1, timeout=10_000)
    window.alerts.refresh()
    qtbot.wait(500)
    assert window.alerts.table.rowCount() == 0  # the 帮办代办 counter's, for 2 minutes

    fake.advance(minutes=2, seconds=5)  # nobody took it
    window.alerts.refresh()
    qtbot.waitUntil(lambda: window.alerts.table.rowCount() == 1, timeout=10_000)
    assert window.alerts.table.item(0, 3).text() == zh("staff.alerts.state.escalated")
    assert zh("staff.alerts.waiting", n=1) in window.alerts.title.text()
    qtbot.mouseClick(window.alerts.ack, Qt.MouseButton.LeftButton)  # none selected: the waiting one
    qtbot.waitUntil(lambda: window.alerts.table.item(0, 3) is not None
                    and window.alerts.table.item(0, 3).text() == zh("staff.alerts.state.acknowledged"), timeout=10_000)
    assert window.alerts.table.item(0, 4).text().startswith("3001（1号窗口）")
    helpdesk.alerts.refresh()  # the help desk sees it taken (an escalated alert is everyone's)
    qtbot.waitUntil(lambda: helpdesk.alerts.table.item(0, 3) is not None
                    and helpdesk.alerts.table.item(0, 3).text() == zh("staff.alerts.state.acknowledged"),
                    timeout=10_000)

    # the clerk who took it marks it 已处理 on the console: off both lists, the hall says who and when
    _click_row(qtbot, window.alerts.table, 0)
    qtbot.mouseClick(window.alerts.resolve, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.alerts.table.rowCount() == 0, timeout=10_000)
    helpdesk.alerts.refresh()
    qtbot.waitUntil(lambda: helpdesk.alerts.table.rowCount() == 0, timeout=10_000)
    done = HallClient(hall.base_url, hall.token("admin")).alert(int(raised["id"]))
    assert (done["state"], done["resolved_by"]) == ("resolved", "3001") and done["resolved_at"]


def test_a_notice_posted_on_the_dashboard_appears_on_the_display(qtbot, hall_server: ServerProcess) -> None:
    application()
    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    bridge = DisplayBridge(HallClient(hall_server.base_url, hall_server.token("display")),
                           Announcer(SilentEngine()), hall_name="大厅", font_family=cjk_family())
    engine, display = load_qml("display/Main.qml", {"bridge": bridge})
    bridge.start()
    dashboard = DashboardWindow(HallClient(hall_server.base_url, hall_server.token("admin")), refresh_ms=60_000)
    qtbot.addWidget(dashboard)
    dashboard.show()
    try:
        qtbot.waitUntil(lambda: bridge.view.get("connected") is True, timeout=10_000)
        page = next(t for t in dashboard.extra_tabs if t.objectName() == "notices")
        dashboard.tabs.setCurrentWidget(page)
        assert not page.post.isEnabled()  # nobody signed in
        sign_in_by_keys(qtbot, dashboard, "9001", "supervisor pw 1")
        qtbot.waitUntil(lambda: page.post.isEnabled(), timeout=5000)
        qtbot.waitUntil(lambda: page._defaults_set, timeout=5000)  # start now, end in 4 hours
        type_chinese(page.text_zh, "今日下午三点起暂停办理公积金提取")
        qtbot.keyClicks(page.text_en, "Housing fund withdrawals pause from 15:00 today")
        qtbot.mouseClick(page.post, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
        assert page.table.item(0, 4).text() == "9001"
        assert page.table.item(0, 5).text() == zh("staff.notices.status.active")
        qtbot.waitUntil(lambda: _texts(display).get("notice_0") == "今日下午三点起暂停办理公积金提取", timeout=10_000)
        assert _texts(display)["notice_en_0"] == "Housing fund withdrawals pause from 15:00 today"

        _click_row(qtbot, page.table, 0)
        qtbot.mouseClick(page.withdraw, Qt.MouseButton.LeftButton)  # taken down early
        qtbot.waitUntil(lambda: "notice_0" not in _texts(display), timeout=10_000)
    finally:
        bridge.stop()  # its events thread first: nothing reaches the bridge while the window goes
        unload_qml(engine)


def _bottom(window: Any, name: str) -> float:
    """Where a named item of the display ends, in the window's pixels."""
    from PySide6.QtCore import QPointF

    def find(item: Any) -> Any:
        for child in item.childItems():
            if child.objectName() == name:
                return child
            found = find(child)
            if found is not None:
                return found
        return None

    item = find(window.contentItem())
    assert item is not None, name
    return float(item.mapToScene(QPointF(0, item.height())).y())


def test_eight_current_calls_are_all_on_the_display(qtbot, hall_server: ServerProcess) -> None:
    """…with two notices (Chinese and English) under them, all inside the TV's 1080 lines, and a
    third posted for tomorrow not shown yet."""
    application()
    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    supervisor = HallClient(hall_server.base_url, hall_server.token("admin"))
    supervisor.sign_in("9001", "supervisor pw 1")  # the dashboard's 显示屏公告 page posts the same way
    now = datetime.fromisoformat(supervisor.notices()["now"])
    supervisor.post_notice("今日 12:00–13:30 部分窗口午间轮岗，请留意叫号。",
                           "Some windows rotate staff 12:00–13:30 today; please watch the calls.",
                           ends_at=(now + timedelta(hours=8)).isoformat())
    supervisor.post_notice("办理不动产登记请提前备好身份证和不动产权证书。",
                           "For real-estate registration, bring your ID card and property certificate.",
                           ends_at=(now + timedelta(days=7)).isoformat())
    supervisor.post_notice("明日系统升级，暂停自助申报。", "System upgrade tomorrow: no self-service submissions.",
                           starts_at=(now + timedelta(days=1)).isoformat(),
                           ends_at=(now + timedelta(days=2)).isoformat())  # scheduled: not on the screen today
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    bridge = DisplayBridge(HallClient(hall_server.base_url, hall_server.token("display")),
                           Announcer(SilentEngine(seconds_per_char=0.001, minimum=0.01)), hall_name="大厅",
                           font_family=cjk_family())
    engine, display = load_qml("display/Main.qml", {"bridge": bridge})
    bridge.start()
    try:
        qtbot.waitUntil(lambda: bridge.view.get("connected") is True, timeout=10_000)
        for _ in range(8):
            kiosk.issue_ticket("S0101")
        called = {counter.call_next(f"W0{n}", staff_id=f"s-{n}")["ticket"]["number"]: f"{n}号窗口"
                  for n in range(1, 9)}
        qtbot.waitUntil(lambda: len(bridge.view.get("current", [])) == 8, timeout=10_000)
        qtbot.wait(300)
        shown = _texts(display)
        numbers = {shown[f"call_{i}"]: shown[f"call_counter_{i}"].removeprefix("→ ") for i in range(8)
                   if f"call_{i}" in shown}
        assert numbers == called  # all eight, each with its window
        assert "page" not in shown  # one page: nothing hidden behind a page turn
        qtbot.waitUntil(lambda: "notice_en_1" in _texts(display), timeout=10_000)
        assert _texts(display)["notice_en_0"].startswith("Some windows rotate staff")
        assert "notice_2" not in _texts(display)  # tomorrow's waits for its start
        last_zone = f"waiting_{len(bridge.view['zones']) - 1}"
        for name in ("notice_0", "notice_en_0", "notice_1", "notice_en_1", "call_7", last_zone):
            assert _bottom(display, name) <= display.height(), name  # on the screen, not below its edge
    finally:
        bridge.stop()  # its events thread first: nothing reaches the bridge while the window goes
        unload_qml(engine)


def test_more_calls_than_two_columns_hold_are_paged(qtbot, hall_server: ServerProcess) -> None:
    """Thirteen counters calling: twelve on the first page, the thirteenth on the next, in turn;
    a full page of twelve still leaves the notices on the screen."""
    application()
    add_staff(hall_server.data_dir, "9001", "supervisor pw 1", "--supervisor")
    supervisor = HallClient(hall_server.base_url, hall_server.token("admin"))
    supervisor.sign_in("9001", "supervisor pw 1")
    now = datetime.fromisoformat(supervisor.notices()["now"])
    for zh_text, en_text in (("今日 12:00–13:30 部分窗口午间轮岗，请留意叫号。", "Some windows rotate staff at lunch."),
                             ("办理不动产登记请提前备好身份证和不动产权证书。", "Bring your ID card for real estate.")):
        supervisor.post_notice(zh_text, en_text, ends_at=(now + timedelta(hours=8)).isoformat())
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    bridge = DisplayBridge(HallClient(hall_server.base_url, hall_server.token("display")),
                           Announcer(SilentEngine(seconds_per_char=0.001, minimum=0.01)), hall_name="大厅",
                           font_family=cjk_family(), page_seconds=1)
    engine, display = load_qml("display/Main.qml", {"bridge": bridge})
    bridge.start()
    try:
        qtbot.waitUntil(lambda: bridge.view.get("connected") is True, timeout=10_000)
        counters = [c for c in counter.counters()["counters"] if c["id"].startswith("W")][:13]
        for c in counters:
            for _ in range(2):
                kiosk.issue_ticket(c["services"][0])
        called = set()
        for c in counters:
            answer = counter.call_next(c["id"], staff_id="s-" + c["id"])
            assert answer is not None
            called.add(answer["ticket"]["number"])
        qtbot.waitUntil(lambda: len(bridge.view.get("current", [])) == 13, timeout=10_000)
        seen: dict[str, set[str]] = {}
        full_pages: list[bool] = []

        def look() -> bool:
            shown = _texts(display)
            if shown.get("page") == "1 / 2" and "call_11" in shown:  # the full page: nothing below the screen
                for name in ("call_11", "notice_en_0", "notice_en_1"):
                    assert _bottom(display, name) <= display.height(), name
                full_pages.append(True)
            if "page" in shown:
                seen.setdefault(shown["page"], set()).update(v for k, v in shown.items() if k.startswith("call_")
                                                             and not k.startswith("call_counter_"))
            return set(seen) == {"1 / 2", "2 / 2"} and seen["1 / 2"] | seen["2 / 2"] == called

        # the pages turn by themselves; every call is shown, on one page or the other
        qtbot.waitUntil(look, timeout=15_000)
        assert len(seen["1 / 2"]) == 12 and len(seen["2 / 2"]) == 1 and full_pages
    finally:
        bridge.stop()  # its events thread first: nothing reaches the bridge while the window goes
        unload_qml(engine)


def test_the_display_clock_is_the_halls_time_zone(qtbot, tmp_path: Path) -> None:
    """A hall whose hall.toml says America/New_York shows New York's time, whatever this machine's zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.queueing.queue_helpers import small_hall

    application()
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall().replace('"Asia/Shanghai"', '"America/New_York"'), encoding="utf-8")
    server = ServerProcess(data, heartbeat=1.0).start()
    bridge = DisplayBridge(HallClient(server.base_url, server.token("display")), Announcer(SilentEngine()),
                           hall_name="大厅", font_family=cjk_family())
    engine, display = load_qml("display/Main.qml", {"bridge": bridge})
    bridge.start()
    try:
        qtbot.waitUntil(lambda: bridge.view.get("connected") is True, timeout=10_000)
        zone = ZoneInfo("America/New_York")
        qtbot.waitUntil(lambda: _texts(display).get("clock", "")[:14]
                        == datetime.now(zone).strftime("%Y-%m-%d  %H"), timeout=5000)
    finally:
        bridge.stop()  # its events thread first: nothing reaches the bridge while the window goes
        unload_qml(engine)
        server.stop()
