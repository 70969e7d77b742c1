"""``main.py demo-hall`` on a real X server (Xvfb), its windows driven from outside the way
people drive them: a citizen clicks through 取号 on the kiosk process's own window, a clerk
signs in on the counter console process with the keyboard (F12, 工号 s-H01, PIN 123456) and
presses F1, and the display process shows the call. Pointer and keys go through the X server
(xdotool's XTEST), so each process gets them exactly as it gets a touch screen's or a keyboard's.

Where the kiosk's buttons are is learnt from a twin: the same kiosk at the same size in this
process (offscreen), tapped through the same screens; the demo's kiosk is clicked at the twin's
positions. There is no window manager: each window sits at the screen's top left and is raised
before it is clicked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.i18n import translate
from queueing.client import HallClient
from tests.acceptance.person import Person
from tests.acceptance.test_accept_tasks import SAMPLE
from tests.test_demo_hall import _wait, stop_demo
from ui.counter_app import SIGN_IN_KEY

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool (Debian xvfb, xdotool: ./setup.sh installs them)"),
]


def _zh(key: str) -> str:
    return str(translate("zh_CN", key))


@pytest.fixture
def x_display() -> Iterator[str]:
    """A throw-away X server; its display name (":N", picked by the server itself)."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24",
                               "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    deadline = time.monotonic() + 30
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        number += os.read(read, 16)
    os.close(read)
    try:
        assert number.strip(), "Xvfb gave no display number"
        yield f":{number.decode().strip()}"
    finally:
        server.terminate()
        server.wait(10)


class Screen:
    """The X server's pointer and keyboard, as a person at that screen uses them."""

    def __init__(self, display: str) -> None:
        self.display = display

    def xdo(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.display},
                              capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    def window(self, title: str, timeout: float = 90.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.xdo("search", "--onlyvisible", "--name", title)
            if found:
                return found.splitlines()[0]
            time.sleep(0.5)
        raise AssertionError(f"no window called {title!r} appeared")

    def click(self, window: str, x: int, y: int) -> None:
        self.xdo("windowraise", window)
        time.sleep(0.3)
        self.xdo("mousemove", "--sync", str(x), str(y))
        self.xdo("click", "1")
        time.sleep(0.6)

    def _front(self, window: str) -> None:
        """The window raised and given the keyboard (there is no window manager to do it)."""
        self.xdo("windowraise", window)
        self.xdo("windowfocus", "--sync", window)
        time.sleep(0.3)

    def keys(self, window: str, *keys: str) -> None:
        self._front(window)
        for key in keys:
            self.xdo("key", key)
            time.sleep(0.2)

    def picture(self, path: Path) -> Path:
        """The whole screen as a PNG (what went wrong, when a step fails)."""
        from PIL import ImageGrab

        ImageGrab.grab(xdisplay=self.display).save(path)
        return path

    def type(self, window: str, text: str) -> None:
        self._front(window)
        self.xdo("type", "--delay", "60", text)


def test_a_ticket_clicked_at_the_kiosk_is_called_by_keys_at_the_counter_and_shown(
        tmp_path: Path, x_display: str, qapp: object) -> None:
    data, out = tmp_path / "demo", tmp_path / "demo-hall.out"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "HALL_KIOSK_DATA")}
    env.update(DISPLAY=x_display, QT_QUICK_BACKEND="software")
    with out.open("w") as fh:
        demo = subprocess.Popen([sys.executable, "main.py", "demo-hall", "--data-dir", str(data),
                                 "--roles", "kiosk,display,counter", "--counter", "H01"], cwd=ROOT, env=env, stdout=fh,
                                stderr=subprocess.STDOUT, text=True)
    twin = Person(tmp_path / "twin")
    try:
        _wait("the instructions", lambda: "Ctrl-C stops everything" in out.read_text(), 120, demo, out)
        screen = Screen(x_display)
        kiosk = screen.window("政务服务自助终端")
        counter = screen.window("H01")
        screen.window("叫号显示屏")

        # the citizen: 取号 → the 帮办代办 zone → a service of 总服务台 (H01), no card; the twin shows
        # where each button is
        zone = next(z["name"] for z in SAMPLE["zones"] if z["id"] == "assist")
        service = next(s["name"] for s in SAMPLE["services"] if s["id"] == "S0501")
        twin.wait_for(_zh("home.title"))
        time.sleep(3)  # the demo's kiosk has laid out its home screen too
        for label in (_zh("home.ticket"), zone, service):
            x, y = twin.where(label)
            twin.tap(label)
            screen.click(kiosk, x, y)
        twin.wait_for(_zh("ticket.done.title"))

        config = tomllib.loads((data / "counter-H01.toml").read_text(encoding="utf-8"))["hall_service"]
        hall = HallClient(config["url"], config["token"])
        _wait("the kiosk's ticket at the hall", lambda: hall.waiting("S0501"), 30, demo, out)
        number = hall.waiting("S0501")[0]["number"]

        # the clerk at 总服务台: F12, 工号, Enter, PIN, Enter, then F1 (叫号)
        screen.keys(counter, SIGN_IN_KEY)
        dialog = screen.window("H01 签到", timeout=15)
        screen.type(dialog, "s-H01")
        screen.keys(dialog, "Return")
        screen.type(dialog, "123456")
        screen.keys(dialog, "Return")
        log = data / "logs" / "counter-H01.log"
        time.sleep(2)
        screen.keys(counter, "F1")

        shown = data / "logs" / "display.log"
        try:
            _wait(f"the display showing {number}",
                  lambda: f"call shown number={number} counter=H01" in (shown.read_text() if shown.exists() else ""),
                  60, demo, out)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the screen: {screen.picture(tmp_path / 'screen.png')}; "
                                 f"the console's log: {log.read_text()[-1500:]}") from None
        desk = next(c for c in hall.counters()["counters"] if c["id"] == "H01")
        assert desk["current"]["number"] == number and desk["staff_id"] == "s-H01", desk
    finally:
        twin.leave()
        stop_demo(demo)
