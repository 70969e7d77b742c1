"""预约 over days, as a hall runs it: the reference platform on loopback, the hall service as its own
process whose clock libfaketime moves (its monotonic clocks follow, so a step is days passing),
and the kiosk window pointed at both by its kiosk.toml. Last week's tickets, issued through the
hall's API, make the 错峰 hint; the citizen books a slot for tomorrow at the kiosk; tomorrow
morning the slip's QR code under the scanner checks the booking in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import tomlkit

from offline_cache.platform_server import start_reference_platform
from queueing.client import HallClient
from tests.acceptance.person import Person
from tests.acceptance.test_accept_booking import _code, _first
from tests.faketime import LIBFAKETIME
from tests.queueing.queue_helpers import ServerProcess

CST = timezone(timedelta(hours=8))
WEEKDAYS = "一二三四五六日"


def _fake_clock(path: Path, when: datetime) -> None:
    path.write_text(f"@{when.astimezone(CST):%Y-%m-%d %H:%M:%S}\n")


@pytest.mark.slow
@pytest.mark.skipif(not LIBFAKETIME or shutil.which("faketime") is None, reason="libfaketime missing")
def test_booked_at_the_kiosk_checked_in_on_the_day(tmp_path: Path, people: Callable[..., Person]) -> None:
    platform = start_reference_platform(tmp_path / "platform", hall_id="demo-hall")
    hall_dir = tmp_path / "hall"
    hall_dir.mkdir()
    (hall_dir / "credentials.json").write_text(json.dumps({"hall_key": platform.hall_key}))
    clock = tmp_path / "faketime"
    now = datetime.now(CST)
    last_week = (now - timedelta(days=7)).replace(hour=10, minute=20, second=0, microsecond=0)
    _fake_clock(clock, last_week)
    hall = ServerProcess(hall_dir, env={"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(clock),
                                        "FAKETIME_NO_CACHE": "1", "TZ": "Asia/Shanghai",
                                        "HALL_PLATFORM_TOKEN": platform.token},
                         args=("--platform-url", platform.base_url))
    try:
        hall.start()
        kiosk_api = HallClient(hall.base_url, hall.token("kiosk"))
        for _ in range(6):  # last week's 10 o'clock rush on this weekday
            kiosk_api.issue_ticket("S0101", channel="kiosk")
        _fake_clock(clock, now)
        config = tmp_path / "kiosk.toml"
        config.write_text(tomlkit.dumps({
            "version": 1, "data_dir": str(tmp_path / "kiosk"),
            "kiosk": {"id": "kiosk-a", "hall_id": "demo-hall"},
            "hall_service": {"url": hall.base_url, "token": hall.token("kiosk")},
            "platform": {"url": platform.base_url, "token": platform.token, "device_id": "kiosk-a",
                         "hall_key": platform.hall_key}}))
        person = people(config=config)
        person.tap("预约签到")
        person.tap("预约其他日期")
        person.tap("人社医保服务区")
        person.tap("社会保障卡申领")
        person.place_card("zhang_san")
        person.wait_for("请选择日期")
        hint = _first(person, "错峰提示：.*")
        weekday = f"周{WEEKDAYS[now.weekday()]}"
        assert hint.startswith(f"错峰提示：{weekday} ") and "10:00–11:00" not in hint, hint
        person.tap(_first(person, r"\d\d-\d\d 周."))
        person.wait_for("请选择时段")
        slot = _first(person, r"\d\d:\d\d–\d\d:\d\d")
        person.tap(slot)
        person.tap("确认预约")
        person.wait_for("预约成功", timeout=20)
        code = _code(person)
        assert code in person.printed()
        person.remove_card()
        person.tap("完成")
        [booked] = platform.admin().bookings()
        start = datetime.fromisoformat(str(booked["slot_start"]))

        _fake_clock(clock, start - timedelta(minutes=10))  # the morning of the booked day
        person.wait(1.0)
        person.tap("预约签到")
        person.wait_for("请扫描预约二维码")
        person.scan_printed_qr()  # the booking slip under the scanner
        person.wait_for("取号成功", timeout=30)
        counter = HallClient(hall.base_url, hall.token("counter"))
        assert [t["priority"] for t in counter.waiting()] == ["appointment"]
    finally:
        if hall.proc is not None:
            hall.stop()
        platform.stop()
