"""Screenshots of every kiosk screen (Chinese, elder mode, English) and of the staff roles, for
``docs/screenshots/``: ``python -m ui.screenshots [OUT_DIR [TOUR ...]]`` (tours: kiosk-zh, kiosk-elder,
kiosk-en, kiosk-720p, kiosk-portrait, kiosk-portrait-elder, staff; default all). Runs offscreen with the embedded
platform, hall service and simulators, driving the real QML through the real bridge."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")


def pump(app: Any, seconds: float) -> None:
    """Run the event loop for a while (a nested loop, not processEvents() in a Python loop)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _act_on(action: str, core: Any) -> Any:
    return core.act(action)


class KioskDriver:
    """The kiosk window with its assembly; ``do`` runs steps on the core and waits for the redraw."""

    def __init__(self, data_dir: Path, size: tuple[int, int] | None = None, *,
                 config: Path | None = None) -> None:
        from kiosk.assembly import assemble_kiosk
        from kiosk.config import load_config
        from ui.cli import runtime_of
        from ui.demo import DemoControls
        from ui.kiosk_bridge import KioskBridge
        from ui.qt_app import application, cjk_family, load_qml

        self.app = application()
        # A kiosk.toml when given (read as main.py reads it), else the defaults: the embedded demo.
        kiosk_config = load_config(config, data_dir=str(data_dir))
        kiosk_config.data_dir = str(data_dir)
        self.assembly = assemble_kiosk(kiosk_config, config_path=config)
        self.runtime = runtime_of(self.assembly)
        self.bridge = KioskBridge(self.runtime, demo=DemoControls(self.assembly.devices, self.runtime),
                                  font_family=cjk_family())
        from ui.camera_provider import CameraPreviewProvider

        self.engine, self.window = load_qml("kiosk/Main.qml", {"bridge": self.bridge},
                                            {"camera": CameraPreviewProvider(self.assembly.devices)})
        from ui.speech_nav import attach

        self.speech = attach(self.window, self.bridge)  # speech mode, as the kiosk role has it
        if size is not None:
            self.window.resize(*size)
        self.keep: tuple[str, ...] = ()  # modes the tour's visitor switches on again after home
        pump(self.app, 0.8)

    def do(self, fn: Callable[[Any], Any], settle: float = 0.4) -> None:
        self.runtime.call(fn)
        self.runtime.call(lambda c: c._publish())
        pump(self.app, settle)

    def act(self, action: str, settle: float = 0.4, **args: Any) -> None:
        self.do(lambda c: c.act(action, **args), settle)
        if action == "home":  # each visit starts in Chinese normal mode: the tour's visitor asks again
            for again in self.keep:
                self.do(partial(_act_on, again), settle)

    def wait_state(self, *states: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.runtime.call(lambda c: c.flow.state) in states:
                break
            pump(self.app, 0.1)
        pump(self.app, 0.4)

    def shot(self, path: Path) -> Path:
        from ui.qt_app import save_screenshot

        return save_screenshot(self.window, path)

    def close(self) -> None:
        from ui.qt_app import unload_qml

        unload_qml(self.engine)  # the pages go before the bridge they bind to
        self.assembly.stop()


# Kiosk tours: file prefix, steps before the tour, window size (None: the QML's 1920×1080).
TOURS: tuple[tuple[str, tuple[str, ...], tuple[int, int] | None], ...] = (
    ("kiosk-zh", (), None), ("kiosk-elder", ("elder",), None), ("kiosk-en", ("language",), None),
    ("kiosk-720p", (), (1280, 720)), ("kiosk-portrait", (), (1080, 1920)),
    ("kiosk-portrait-elder", ("elder",), (1080, 1920)))


def kiosk_tour(driver: KioskDriver, shot: Callable[[str], Any]) -> None:
    """Walk every screen once, calling ``shot(name)`` on each (save it, or check its layout)."""
    sims = driver.assembly.devices.simulators

    shot("01-home")
    driver.act("start", flow="ticket")
    shot("02-ticket-zone")
    driver.act("choose", id="social")
    shot("03-ticket-service")
    driver.act("choose", id="S0101")
    shot("04-ticket-card")
    sims["idcard"].insert("elderly")
    driver.wait_state("green")
    shot("05-ticket-green")
    driver.act("green")
    shot("06-ticket-done")
    sims["idcard"].remove()
    driver.act("home")
    sims["printer"].set_status(paper_out=True)
    driver.act("start", flow="ticket")
    driver.act("choose", id="assist")
    driver.act("choose", id="S0501")
    shot("07-ticket-not-printed")
    sims["printer"].set_status(paper_out=False)
    driver.act("home")
    driver.act("start", flow="checkin")
    shot("08-checkin")
    driver.act("home")
    driver.act("start", flow="guide")
    shot("09-guide")
    driver.act("choose", id="search")
    driver.act("query", text="sb")
    shot("10-guide-search")
    driver.act("choose", id="S0101")
    shot("11-guide-detail")
    driver.act("home")
    pump(driver.app, 1.2)  # the reader notices the card was taken away
    driver.act("start", flow="submit")
    shot("12-submit-pick")
    driver.act("choose", id="S0403")
    sims["idcard"].insert("zhang_san")
    driver.wait_state("form")
    driver.act("set", key="phone", value="1380013")
    shot("13-submit-form")
    driver.act("set", key="phone", value="13800138000")
    driver.act("set", key="reason", value="租房")
    driver.act("set", key="amount", value="3000")
    driver.act("next")
    shot("14-submit-materials")
    driver.act("capture", index=1, settle=0.8)
    shot("15-submit-camera")
    driver.act("shoot")
    driver.act("use")
    driver.act("next")
    shot("16-submit-commitment")
    driver.act("accept")
    shot("17-submit-review")
    driver.act("submit")
    driver.wait_state("done")
    shot("18-submit-receipt")
    sims["idcard"].remove()
    driver.act("home")
    driver.act("start", flow="progress")
    shot("19-progress")
    driver.act("type")
    for key in "SG2026":
        driver.act("key", key=key, settle=0.05)
    shot("20-progress-keypad")
    driver.act("home")
    driver.act("start", flow="rating")
    shot("21-rating")
    driver.act("choose", id="complain")
    driver.act("choose", id="facility")
    driver.act("text", text="二楼的叫号屏不亮了")
    shot("22-complaint")
    driver.act("home")


def staff_tour(out: Path, data_dir: Path) -> list[Path]:
    """Display, window screen, counter console, dashboard and technician panel with some traffic."""
    from kiosk.announcer import Announcer, SilentEngine
    from kiosk.assembly import assemble_kiosk
    from kiosk.config import Config
    from queueing.client import HallClient
    from queueing.credentials import DEMO_STAFF_PIN
    from ui.cli import core_of
    from ui.counter_app import CounterController, CounterWindow
    from ui.dashboard_app import DashboardWindow
    from ui.display_app import DisplayBridge
    from ui.qt_app import application, cjk_family, load_qml, save_screenshot, unload_qml
    from ui.technician_app import TechnicianWindow

    app = application()
    family = cjk_family()
    config = Config()
    config.data_dir = str(data_dir)
    assembly = assemble_kiosk(config)
    url, tokens = assembly.hall.url, assembly.hall.tokens
    kiosk, counter = HallClient(url, tokens["kiosk"]), HallClient(url, tokens["counter"])
    for service in ("S0101", "S0101", "S0102", "S0202", "S0301", "S0403", "S0501", "S0501", "S0403",
                    "S0101", "S0102", "S0101", "S0102", "S0101", "S0102"):
        kiosk.issue_ticket(service)
    for window_id in ("W01", "W09", "W13"):
        counter.call_next(window_id, staff_id="s-" + window_id)
    counter.start("W01", staff_id="s-W01")
    counter.finish("W01", staff_id="s-W01")
    counter.call_next("W01", staff_id="s-W01")
    for window_id in ("W02", "W03", "W04", "W05", "W06"):  # 8 current calls: two columns on the TV
        counter.call_next(window_id, staff_id="s-" + window_id)
    kiosk.raise_alert("printer", "kiosk-02", "打印纸将尽 paper near end")
    # Notices as a supervisor posts them (the dashboard's 显示屏公告 page does the same call).
    supervisor = HallClient(url, tokens["admin"])
    supervisor.sign_in("s-W01", DEMO_STAFF_PIN)
    now = datetime.fromisoformat(supervisor.notices()["now"])
    supervisor.post_notice("今日 12:00–13:30 部分窗口午间轮岗，请留意叫号。",
                           "Some windows rotate staff 12:00–13:30 today; please watch the calls.",
                           ends_at=(now + timedelta(hours=8)).isoformat())
    supervisor.post_notice("办理不动产登记请提前备好身份证和不动产权证书。",
                           "For real-estate registration, bring your ID card and property certificate.",
                           ends_at=(now + timedelta(days=7)).isoformat())
    # Help calls for the 帮办代办 counter (H02): one waiting, one already taken.
    helpdesk = HallClient(url, tokens["counter"])
    helpdesk.sign_in("s-H02", DEMO_STAFF_PIN, "H02")
    taken = kiosk.raise_alert("help", "kiosk-01", "kiosk-01 有群众需要帮助")
    helpdesk.ack_alert(int(taken["id"]))
    kiosk.raise_alert("help", "kiosk-03", "kiosk-03 有群众需要帮助")
    saved: list[Path] = []
    bridges = []
    for name, qml, counter_id in (("display-hall", "display/Main.qml", None),
                                  ("display-window", "display/Window.qml", "W09")):
        bridge = DisplayBridge(HallClient(url, tokens["display"]), Announcer(SilentEngine()),
                               hall_name=core_of(assembly).hall_name, font_family=family,
                               counter_id=counter_id).start()
        engine, window = load_qml(qml, {"bridge": bridge})
        pump(app, 2.0)
        saved.append(save_screenshot(window, out / f"{name}.png"))
        bridges.append((bridge, engine, window))
    console = CounterWindow(CounterController(HallClient(url, tokens["counter"]), "W01"), font_family=family)
    console.controller.sign_in("s-W01", DEMO_STAFF_PIN)  # the embedded hall's demo account
    console.show()
    pump(app, 2.0)
    saved.append(out / "counter-console.png")
    console.grab().save(str(saved[-1]))
    help_console = CounterWindow(CounterController(HallClient(url, tokens["counter"]), "H02"), font_family=family)
    help_console.controller.sign_in("s-H02", DEMO_STAFF_PIN)
    help_console.show()
    pump(app, 2.0)
    help_console.alerts.table.selectRow(0)
    pump(app, 0.3)
    saved.append(out / "counter-alerts.png")
    help_console.grab().save(str(saved[-1]))
    dashboard = DashboardWindow(HallClient(url, tokens["admin"]), font_family=family)
    dashboard.show()
    pump(app, 2.5)
    saved.append(out / "dashboard.png")
    dashboard.grab().save(str(saved[-1]))
    notices_page = next(t for t in dashboard.extra_tabs if t.objectName() == "notices")
    dashboard.tabs.setCurrentWidget(notices_page)  # type: ignore[arg-type]  # a QWidget by the Protocol
    pump(app, 1.0)
    saved.append(out / "dashboard-notices.png")
    dashboard.grab().save(str(saved[-1]))
    dashboard.tabs.setCurrentIndex(0)
    panel = TechnicianWindow(assembly.technician, font_family=family)
    panel.show()
    pump(app, 0.5)
    saved.append(out / "technician-devices.png")
    panel.grab().save(str(saved[-1]))
    panel.tabs.setCurrentIndex(1)
    pump(app, 0.3)
    saved.append(out / "technician-sync.png")
    panel.grab().save(str(saved[-1]))
    for bridge, engine, _window in bridges:
        unload_qml(engine)  # the pages go before the bridge they bind to
        bridge.stop()
    for widget in (console, help_console, dashboard, panel):
        widget.close()
    assembly.stop()
    return saved


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    only = set(argv[2:])  # e.g. "kiosk-720p staff": only these tours
    files: list[Path] = []
    # The design size in three languages/modes, then the same screens on a 1280×720 panel and on
    # an upright 1080×1920 kiosk (the common 政务 floor-standing model).
    for prefix, setup, size in TOURS:
        if only and prefix not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            driver = KioskDriver(Path(tmp) / "data", size)
            try:
                for action in setup:
                    driver.act(action)
                driver.keep = setup

                def shoot(name: str, p: str = prefix, d: KioskDriver = driver) -> None:
                    files.append(d.shot(out / f"{p}-{name}.png"))

                kiosk_tour(driver, shoot)
            finally:
                driver.close()
    if not only or "staff" in only:
        with tempfile.TemporaryDirectory() as tmp:
            files += staff_tour(out, Path(tmp) / "data")
    print("\n".join(str(f) for f in files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
