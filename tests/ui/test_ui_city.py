"""The city view end to end, every part a real process on loopback: the reference platform
(``main.py platform``), one hall service (``main.py hall-server --platform-url …``, on SQLite: the
city knows it only from what it syncs), a kiosk as a citizen meets it (the Person's window, its
simulated printer) and a second kiosk (``main.py kiosk`` offscreen, another release). The city
window reads the platform.

The printer runs out of paper: the city sees it. The second kiosk is stopped and the hall's clock
moves on six minutes (libfaketime, wall and monotonic together, as in test_queue_fleet.py): the
hall raises its silence alert and the city shows the kiosk silent. The window is saved as the
docs' screenshots when ``HALL_CITY_SHOTS`` names a directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from queueing.client import HallClient
from tests.faketime import LIBFAKETIME
from tests.queueing.queue_helpers import ROOT, enrol, free_port

pytestmark = pytest.mark.skipif(not LIBFAKETIME or shutil.which("faketime") is None,
                                reason="libfaketime (Debian package faketime) missing")
HALL_TOML = """version = 1
[hall]
id = "sg-zj-01"
name = "浈江区政务服务中心"
district = "浈江区"
[[zones]]
id = "z"
name = "综合受理区"
[[services]]
id = "S1"
name = "社会保障卡申领"
zone = "z"
prefix = "A"
target_wait_minutes = 20
[[counters]]
id = "W01"
name = "1号窗口"
services = ["S1"]
"""


class Proc:
    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.log_path = name, log
        self.log = open(log, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--log-level", "INFO", *argv], cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def wait_until(what: str, ready: Any, pump: Any = None, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pump is not None:
            pump(0.3)
        else:
            time.sleep(0.3)
        found = ready()
        if found:
            return found
    raise AssertionError(f"{what}: not seen within {timeout:g} s")


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


def kiosk_toml(path: Path, data: Path, name: str, hall_url: str, token: str, platform: dict[str, str]) -> Path:
    path.write_text("\n".join([
        "version = 1", f'data_dir = "{data}"',
        "[kiosk]", f'id = "{name}"', 'hall_id = "sg-zj-01"', 'hall_name = "浈江区政务服务中心"',
        "[hall_service]", f'url = "{hall_url}"', f'token = "{token}"', "heartbeat_s = 1",
        "[platform]", f'url = "{platform["url"]}"', f'token = "{platform["device_token"]}"',
        f'hall_key = "{platform["hall_key"]}"', ""]), encoding="utf-8")
    return path


def close_city(city: Any) -> None:
    """Stop a CityWindow's refreshes, wait for its fetches and close it (None: nothing to do)."""
    if city is not None:
        city.timer.stop()
        city.pool.waitForDone(5000)
        city.close()


def start_platform(tmp_path: Path, procs: list[Proc]) -> tuple[str, dict[str, str], Path]:
    """A real reference platform, and a hall data dir enrolled with it (hall.toml, hall key)."""
    platform_dir, hall_dir = tmp_path / "platform", tmp_path / "hall"
    port = free_port()
    procs.append(Proc("platform", ["platform", "--port", str(port), "--data-dir", str(platform_dir)],
                      tmp_path / "platform.log"))
    platform_url = f"http://127.0.0.1:{port}"
    wait_until("the platform", lambda: (platform_dir / "platform-credentials.json").exists()
               and answers(platform_url + "/v1/catalogue"))
    creds = json.loads((platform_dir / "platform-credentials.json").read_text("utf-8"))
    hall_dir.mkdir()
    (hall_dir / "hall.toml").write_text(HALL_TOML, encoding="utf-8")
    (hall_dir / "credentials.json").write_text(json.dumps({"hall_key": creds["hall_key"]}), encoding="utf-8")
    return platform_url, creds, hall_dir


def test_the_city_sees_a_paper_out_and_a_silent_kiosk(tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from offline_cache.platform_server import PlatformAdmin
    from tests.acceptance.person import Person, _pump
    from ui.city_app import CityWindow

    app = QApplication.instance()

    def pump(seconds: float) -> None:
        _pump(app, seconds)

    procs: list[Proc] = []
    person = city = None
    try:
        platform_url, creds, hall_dir = start_platform(tmp_path, procs)
        stamp = tmp_path / "faketime"
        stamp.write_text("+0\n")
        hall_port = free_port()
        hall_url = f"http://127.0.0.1:{hall_port}"
        procs.append(Proc("hall-server", ["hall-server", "--port", str(hall_port), "--data-dir", str(hall_dir),
                                          "--platform-url", platform_url], tmp_path / "hall.log",
                          env={"HALL_PLATFORM_TOKEN": creds["device_token"], "LD_PRELOAD": LIBFAKETIME,
                               "FAKETIME_TIMESTAMP_FILE": str(stamp), "FAKETIME_NO_CACHE": "1"}))
        wait_until("the hall service", lambda: answers(hall_url + "/api/v1/health"))
        platform = {"url": platform_url, **creds}
        a = kiosk_toml(tmp_path / "kiosk-a.toml", tmp_path / "kiosk-a", "kiosk-a", hall_url,
                       enrol(hall_dir, "kiosk", "kiosk-a"), platform)
        b = kiosk_toml(tmp_path / "kiosk-b.toml", tmp_path / "kiosk-b", "kiosk-b", hall_url,
                       enrol(hall_dir, "kiosk", "kiosk-b"), platform)
        kiosk_b = Proc("kiosk-b", ["kiosk", "--config", str(b)], tmp_path / "kiosk-b.log",
                       env={"QT_QPA_PLATFORM": "offscreen", "HALL_KIOSK_RELEASE": "0.1.1"})
        procs.append(kiosk_b)
        person = Person(tmp_path / "kiosk-a", config=a)

        city = CityWindow(PlatformAdmin(platform_url, creds["admin_token"]), refresh_ms=500)
        city.resize(1800, 1000)
        city.show()
        city.choose_hall("sg-zj-01")

        def detail_names() -> set[str]:
            return {row[0] for row in city.cells(city.detail_table)}

        wait_until("both kiosks in the city view", lambda: {"kiosk-a", "kiosk-b"} <= detail_names(), pump)
        halls = city.cells(city.halls)
        assert halls[0][0] == "浈江区政务服务中心" and halls[0][1] == "浈江区"
        assert "0.1.1×1" in halls[0][8]  # the version of every machine

        person.break_device("printer", "paper_out")

        def paper_out() -> bool:
            return any(r[1] == "kiosk-a" and "打印机：缺纸" in r[4] for r in city.cells(city.machines))

        wait_until("the paper-out in the city view", paper_out, pump)

        kiosk_b.stop()  # the second kiosk goes dark
        pump(1.5)
        stamp.write_text("+6m\n")  # the hall's clock: six minutes later
        admin = HallClient(hall_url, json.loads((hall_dir / "credentials.json").read_text("utf-8"))["admin"])
        wait_until("the hall's silence alert",
                   lambda: [x for x in admin.alerts() if x["kind"] == "fleet_silent" and x["source"] == "kiosk-b"],
                   pump)

        def silent() -> bool:
            return any(r[1] == "kiosk-b" and "失联" in r[4] for r in city.cells(city.machines)) and \
                any("kiosk-b" in r[3] for r in city.cells(city.alerts))

        wait_until("the silent kiosk in the city view", silent, pump)
        # the first kiosk still beats (each second): right after the hall's six-minute step it may
        # be counted silent until its next beat reaches the city; then it is not, still out of paper
        wait_until("the beating kiosk not silent", lambda: paper_out() and not any(
            r[1] == "kiosk-a" and "失联" in r[4] for r in city.cells(city.machines)), pump)

        city.choose_district("浈江区")
        wait_until("the district filter", lambda: city.cells(city.halls) and city.district == "浈江区", pump)
        shots = os.environ.get("HALL_CITY_SHOTS")
        if shots:
            pump(1.0)
            assert city.grab().save(str(Path(shots) / "city-zh-silent-kiosk-paper-out.png"))
            city.toggle_language()
            pump(1.5)
            assert city.grab().save(str(Path(shots) / "city-en-silent-kiosk-paper-out.png"))
    finally:
        close_city(city)
        if person is not None:
            person.leave()
        for p in reversed(procs):
            p.stop()
