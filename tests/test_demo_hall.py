"""``main.py demo-hall`` as a newcomer runs it: real processes on loopback (platform, one hall
service, the kiosk, the display and a counter console), each window pointed at that one hall
with its own credential; a ticket taken with the kiosk's credential is called by a clerk who
signs in at a counter console with what the instructions print (工号 s-W01, PIN 123456) and taps 叫号,
and the display process shows the call it got from its event stream. Ctrl-C stops every process.

Here the windows run offscreen, so the ticket is issued with the kiosk process's own device token
and the clerk works a console in this process built from the demo's ``counter-W01.toml``: the
same configuration, the same credential, the same hall. tests/test_demo_hall_x11.py drives the
demo's own kiosk and counter windows on a real X server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from queueing.client import HallClient
from queueing.hallconfig import load_hall

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_QUICK_BACKEND="software")
    env.pop("HALL_KIOSK_DATA", None)
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(what: str, check: Any, timeout: float = 90.0, proc: subprocess.Popen[str] | None = None,
          log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"demo-hall exited ({proc.returncode}) before {what}: "
                                 f"{log.read_text()[-3000:] if log else ''}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


@pytest.fixture
def demo_hall(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, Path]]:
    data = tmp_path / "demo"
    out = tmp_path / "demo-hall.out"
    with out.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "main.py", "demo-hall", "--data-dir", str(data),
                                 "--roles", "kiosk,display,counter"], cwd=ROOT, env=_env(), stdout=fh,
                                stderr=subprocess.STDOUT, text=True)
    try:
        _wait("the instructions", lambda: "Ctrl-C stops everything" in out.read_text(), proc=proc, log=out)
        yield proc, data, out
    finally:
        stop_demo(proc)


def stop_demo(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C to demo-hall, as its user stops it; killed only if it does not stop within 60 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _sign_in_and_call(qtbot: Any, config: dict[str, Any]) -> Any:
    """The clerk at counter W01: taps 签到, types 工号 and PIN as printed, Enter, then taps 叫号."""
    from ui.counter_app import CounterController, CounterWindow
    from ui.qt_app import application

    application()
    client = HallClient(config["hall_service"]["url"], config["hall_service"]["token"])
    window = CounterWindow(CounterController(client, "W01"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.table.rowCount() >= 1, timeout=10000)  # the waiting ticket is listed
    qtbot.mouseClick(window.sign_in, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.sign_in_dialog is not None and window.sign_in_dialog.isVisible(), timeout=3000)
    dialog = window.sign_in_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.staff_edit, "s-W01")
    qtbot.keyClick(dialog.staff_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.password_edit, "123456")
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.staff_label.text().startswith("s-W01"), timeout=10000)
    qtbot.waitUntil(lambda: window.buttons["call_next"].isEnabled(), timeout=5000)
    qtbot.mouseClick(window.buttons["call_next"], Qt.MouseButton.LeftButton)  # 叫号 [F1]
    return window


def test_a_kiosk_ticket_is_called_at_the_counter_and_shown_on_the_display(
        qtbot: Any, demo_hall: tuple[subprocess.Popen[str], Path, Path]) -> None:
    proc, data, out = demo_hall
    printed = out.read_text()
    assert "staff ID s-W01, PIN 123456" in printed and "F1 calls the next ticket" in printed
    summary = json.loads((data / "demo-hall.json").read_text())
    hall_url = summary["hall_url"]
    assert f"hall service   {hall_url}" in printed
    configs = {name: tomllib.loads(Path(path).read_text()) for name, path in summary["configs"].items()}
    assert set(configs) == {"kiosk", "display", "counter-W01"}
    # one hall for all, and each window its own credential (none of the shared role tokens)
    assert {c["hall_service"]["url"] for c in configs.values()} == {hall_url}
    tokens = [c["hall_service"]["token"] for c in configs.values()]
    assert len(set(tokens)) == 3
    shared = json.loads((data / "hall" / "credentials.json").read_text())
    assert not set(tokens) & set(shared.values())
    devices = subprocess.run([sys.executable, "main.py", "hall-server", "devices", "--data-dir", str(data / "hall")],
                             cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60).stdout
    assert "demo-kiosk" in devices and "demo-display" in devices and "demo-counter-W01" in devices

    display_log = Path(summary["logs"]["display"])
    _wait("the display following the hall", lambda: "display following the hall's calls" in display_log.read_text(),
          proc=proc, log=out)

    service = load_hall(data / "hall").counters["W01"].services[0]
    kiosk = HallClient(hall_url, configs["kiosk"]["hall_service"]["token"])
    number = kiosk.issue_ticket(service)["ticket"]["number"]

    window = _sign_in_and_call(qtbot, configs["counter-W01"])
    qtbot.waitUntil(lambda: window.now_label.text() == number, timeout=10000)

    _wait("the call on the display", lambda: f"call shown number={number} counter=W01" in display_log.read_text(),
          timeout=30, proc=proc, log=out)
    for name in ("kiosk", "display", "counter-W01", "hall-server", "platform"):
        log = Path(summary["logs"][name])
        assert _alive(summary["pids"][name]), f"{name} is not running: {log.read_text()[-2000:]}"

    # every window beats its hall, and the hall tells its platform: the city view shows them
    admin = HallClient(hall_url, shared["admin"])
    _wait("every window's heartbeat", lambda: {m["device"] for m in admin.fleet()["machines"]} >= {
        "demo-kiosk", "demo-display", "demo-counter-W01"}, timeout=60, proc=proc, log=out)
    from offline_cache.platform_server import PlatformAdmin

    platform_dir = data / "platform"
    city = PlatformAdmin(summary["platform_url"], json.loads((platform_dir / "platform-credentials.json").read_text())[
        "admin_token"])
    _wait("the hall's machines in the city", lambda: len(city.city()["halls"]) == 1 and
          city.city()["halls"][0]["machines_total"] == 3, timeout=90, proc=proc, log=out)
    shot = data / "city.png"
    ran = subprocess.run([sys.executable, "main.py", "city", "--platform-url", summary["platform_url"],
                          "--platform-data-dir", str(platform_dir), "--quit-after", "3", "--screenshot", str(shot)],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=90)
    assert ran.returncode == 0 and shot.stat().st_size > 10_000, ran.stderr[-2000:]

    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(60) == 0, out.read_text()[-3000:]
    _wait("every process gone", lambda: not any(_alive(pid) for pid in summary["pids"].values()), timeout=20)
    assert "Traceback" not in out.read_text()


def test_wrong_roles_are_refused_with_the_known_ones(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "main.py", "demo-hall", "--data-dir", str(tmp_path), "--roles", "kiosk,tv"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "expected some of kiosk, display, counter, dashboard, got 'kiosk,tv'" in out.stderr


def test_an_unknown_counter_is_refused_with_the_hall_s_counters(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "main.py", "demo-hall", "--data-dir", str(tmp_path), "--counter", "Z99"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "no counter Z99 in" in out.stderr and "W01" in out.stderr
