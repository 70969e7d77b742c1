"""The hall display follows calls live, survives the hall service restarting, and announces
each call in order without overlap (asserted on the announcer's queue, not on sound)."""

from __future__ import annotations

import itertools
import time

from kiosk.announcer import Announcer, SilentEngine
from queueing.client import HallClient
from tests.queueing.queue_helpers import ServerProcess
from ui.display_app import DisplayBridge
from ui.qt_app import application, cjk_family, load_qml, save_screenshot


def _wait(qtbot, predicate, timeout: float = 10.0) -> None:
    qtbot.waitUntil(predicate, timeout=int(timeout * 1000))


def test_display_follows_calls_and_survives_a_restart(qtbot, hall_server: ServerProcess, tmp_path) -> None:
    application()
    display = HallClient(hall_server.base_url, hall_server.token("display"))
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    announcer = Announcer(SilentEngine(seconds_per_char=0.005, minimum=0.05), repeat=2)
    bridge = DisplayBridge(display, announcer, hall_name="示范区政务服务中心", font_family=cjk_family())
    bridge.follower.retry_max = 0.5
    engine, window = load_qml("display/Main.qml", {"bridge": bridge})
    bridge.start()
    try:
        _wait(qtbot, lambda: bridge.view.get("connected") is True)
        first = kiosk.issue_ticket("S0501")["ticket"]["number"]
        second = kiosk.issue_ticket("S0501")["ticket"]["number"]
        _wait(qtbot, lambda: any(z["waiting"] == 2 for z in bridge.view["zones"]))
        called = counter.call_next("H03")
        assert called["ticket"]["number"] == first
        _wait(qtbot, lambda: [c["number"] for c in bridge.view["current"]] == [first])
        counter.recall("H03")
        _wait(qtbot, lambda: announcer.idle() and len(announcer.history) == 4)
        said = [a.text for a in announcer.history]
        assert said[0] == said[1] == said[2] == said[3] and first[0] in said[0]
        spans = [(a.started_at, a.finished_at) for a in announcer.history]
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
        save_screenshot(window, tmp_path / "display.png")

        hall_server.kill9()
        _wait(qtbot, lambda: bridge.view.get("connected") is False)
        hall_server.start()
        # The restarted service listens on a new port: point the display's client at it.
        display.base_url = hall_server.base_url
        counter.base_url = hall_server.base_url
        _wait(qtbot, lambda: bridge.view.get("connected") is True, timeout=20)
        counter.finish("H03")
        counter.call_next("H03")
        _wait(qtbot, lambda: [c["number"] for c in bridge.view["current"]] == [second], timeout=20)
        _wait(qtbot, lambda: any(a.number == second for a in announcer.history), timeout=10)
    finally:
        bridge.stop()
        window.close()
        del engine


def test_window_screen_shows_only_its_counter(qtbot, hall_server: ServerProcess) -> None:
    application()
    display = HallClient(hall_server.base_url, hall_server.token("display"))
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    announcer = Announcer(SilentEngine(seconds_per_char=0.001, minimum=0.01), repeat=1)
    bridge = DisplayBridge(display, announcer, hall_name="大厅", font_family=cjk_family(), counter_id="H03")
    engine, window = load_qml("display/Window.qml", {"bridge": bridge})
    bridge.start()
    try:
        _wait(qtbot, lambda: bridge.view.get("connected") is True)
        number = kiosk.issue_ticket("S0501")["ticket"]["number"]
        counter.call_next("H03")
        _wait(qtbot, lambda: (bridge.view.get("mine") or {}).get("number") == number)
        time.sleep(0.1)
        assert all(a.counter for a in announcer.history)
    finally:
        bridge.stop()
        window.close()
        del engine
