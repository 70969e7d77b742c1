"""自助申报 end to end: card → form → photos → commitment → review → offline cache → platform,
including the platform down then back (the application arrives exactly once)."""

from __future__ import annotations

import time

from offline_cache.platform_server import start_reference_platform
from tests.kiosk.conftest import Kiosk


def _fill_and_submit(kiosk: Kiosk, service: str = "S0403") -> dict:
    kiosk.act("start", flow="submit")
    view = kiosk.act("choose", id=service)
    assert view["state"] == "card"
    kiosk.insert_card("zhang_san")
    view = kiosk.wait_state("form")
    screen = view["screen"]
    assert "张*" in screen["who"] and "110101********" in screen["who"]
    assert screen["can_next"] is False
    view = kiosk.act("set", key="phone", value="1380013")
    assert view["screen"]["fields"][0]["error"]  # validated as you type
    kiosk.act("set", key="phone", value="13800138000")
    kiosk.act("set", key="reason", value="租房")
    kiosk.act("set", key="amount", value="abc")
    assert kiosk.view()["screen"]["can_next"] is False
    view = kiosk.act("set", key="amount", value="3000")
    assert view["screen"]["can_next"] is True
    view = kiosk.act("next")
    assert view["state"] == "materials"
    rows = view["screen"]["rows"]
    assert rows[0]["done"] is True  # the ID card itself was read
    assert view["screen"]["can_next"] is False
    view = kiosk.act("capture", index=1)
    assert view["state"] == "camera" and view["screen"]["live"] and view["screen"]["preview"] == ""
    view = kiosk.act("shoot")
    assert view["screen"]["preview"].startswith("image://camera/photo/")  # in memory, not a file
    view = kiosk.act("retake")
    assert view["screen"]["live"] and view["screen"]["preview"] == ""
    kiosk.act("shoot")
    view = kiosk.act("use")
    assert view["state"] == "materials" and view["screen"]["can_next"] is True
    view = kiosk.act("next")
    assert view["state"] == "commitment"
    view = kiosk.act("accept")
    assert view["state"] == "review"
    shown = str(view["screen"]["rows"])
    assert "13800138000" not in shown and "138****00" in shown
    return view


def test_submission_reaches_the_platform_with_a_receipt(kiosk: Kiosk) -> None:
    _fill_and_submit(kiosk)
    kiosk.act("submit")  # 正在提交, then the receipt
    view = kiosk.wait_state("done")
    number = view["screen"]["number"]
    assert number.startswith("SG"), view["screen"]["lines"]
    kiosk.act("submit")  # a double tap does nothing more
    platform = kiosk.assembly.platform.running
    stored = [r for r in platform.store.list_records() if r["device_id"] == "kiosk-01" and r["kind"] == "application"]
    assert len(stored) == 1 and stored[0]["receipt_no"] == number
    assert len(kiosk.sims["printer"].pages()) == 1  # the receipt
    # Progress by receipt number on the keypad.
    kiosk.act("home")
    kiosk.act("start", flow="progress")
    kiosk.act("type")
    for key in number:
        kiosk.act("key", key=key)
    view = kiosk.act("ok")
    assert view["state"] == "confirm"  # a typed number has no tag: the applicant's card shows it
    kiosk.remove_card()
    time.sleep(1.0)
    kiosk.insert_card("zhang_san")
    view = kiosk.wait_state("result")
    assert view["screen"]["rows"][0]["label"] == number


def test_platform_down_then_back_delivers_exactly_once(kiosk: Kiosk) -> None:
    link = kiosk.assembly.platform
    port = int(link.url.rsplit(":", 1)[1])
    link.running.stop()
    _fill_and_submit(kiosk)
    kiosk.act("submit")  # 正在提交, then the receipt
    view = kiosk.wait_state("done")
    lines = " ".join(view["screen"]["lines"])
    assert "本机编号" in lines and "自动提交" in lines
    record_id = kiosk.runtime.call(lambda c: c.flow.outcome.record_id)
    assert kiosk.assembly.cache.get(record_id).state in ("pending", "inflight")
    restarted = start_reference_platform(link.running.data_dir, port=port)
    kiosk.assembly.stops.append(restarted.stop)
    kiosk.assembly.sync.sync_now()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and kiosk.assembly.cache.get(record_id).state != "acked":
        time.sleep(0.1)
    info = kiosk.assembly.cache.get(record_id)
    assert info.state == "acked" and info.receipt_no
    records = [r for r in restarted.store.list_records() if r["id"] == record_id]
    assert len(records) == 1 and records[0]["payload_sha256"] == info.payload_sha256


def test_personal_data_is_not_in_the_kiosk_files(kiosk: Kiosk) -> None:
    _fill_and_submit(kiosk)
    kiosk.act("submit")
    kiosk.wait_state("done")
    kiosk.assembly.cache.close()
    data = kiosk.assembly.config.data_dir
    from pathlib import Path

    for path in (Path(data) / "kiosk").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for secret in ("110101199003070514", "张三", "13800138000", "示例胡同"):
                assert secret.encode() not in blob, (secret, path)
