"""The phone pages in a real headless browser (Debian's chromium driven by Playwright) against a
running hall service: the ticket page turns into "your turn" live when a counter calls it, a
forged or expired link gets a plain page, the rating form, the application page against the
reference platform, the guide page, and the page without JavaScript. Screenshots at phone size
go to docs/screenshots/phone-*.png."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="pip install playwright (dev extra)")
from playwright.sync_api import expect

from offline_cache.client import PlatformClient
from queueing.embedded import start_hall_service
from queueing.public_sources import PlatformSettings
from queueing.public_tokens import application_token

log = logging.getLogger(__name__)
LIVE_TIMEOUT_MS = 10_000  # generous: the point is that it changes without a reload, not how fast


def counter_for(hall, service_id: str) -> str:
    return next(c.id for c in hall.engine.hall.counters.values() if service_id in c.services)


def test_ticket_page_turns_to_your_turn_when_called(hall, kiosk, counter, phone, screenshots: Path) -> None:
    kiosk.issue_ticket("S0101")
    kiosk.issue_ticket("S0101")
    mine = kiosk.issue_ticket("S0101")
    number = mine["ticket"]["number"]
    response = phone.goto(hall.base_url + mine["public_path"])
    assert response is not None and response.status == 200
    assert phone.locator("#number").inner_text() == number
    assert "前面还有 2 人" in phone.locator("#detail").inner_text()
    expect(phone.locator("#live")).to_have_text("实时更新中")  # the event stream is open
    phone.screenshot(path=str(screenshots / "phone-ticket.png"))
    navigations: list[str] = []
    phone.on("framenavigated", lambda frame: navigations.append(frame.url))  # a reload would show here

    cid = counter_for(hall, "S0101")
    counter.call_next(cid)
    expect(phone.locator("#detail")).to_contain_text("前面还有 1 人", timeout=LIVE_TIMEOUT_MS)
    counter.finish(cid)
    counter.call_next(cid)
    counter.finish(cid)
    window = hall.engine.hall.counters[cid].name
    called_at = time.monotonic()
    counter.call_next(cid)
    expect(phone.locator("#headline")).to_have_text(f"轮到您了，请到 {window}", timeout=LIVE_TIMEOUT_MS)
    log.info("ticket page showed the call", extra={"ctx": {"seconds": round(time.monotonic() - called_at, 3)}})
    assert navigations == []
    assert "called" in phone.locator("#state").get_attribute("class")
    assert phone.locator("#hint").is_hidden()
    phone.wait_for_timeout(1300)  # let the three pulses of the call animation finish before the picture
    phone.screenshot(path=str(screenshots / "phone-ticket-called.png"))

    counter.recall(cid)
    expect(phone.locator("#detail")).to_contain_text("第 2 次呼叫", timeout=LIVE_TIMEOUT_MS)
    counter.start(cid)
    counter.finish(cid)
    phone.locator("#rate").wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    assert phone.locator("#headline").inner_text() == "办理完成"

    # the rating form: a bad rating needs a reason
    phone.locator("#rate").click()
    phone.wait_for_load_state()
    phone.get_by_role("radio", name="非常不满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_load_state()
    assert "请写下原因" in phone.locator(".err").inner_text()
    phone.get_by_role("radio", name="非常不满意", exact=True).check()  # kept by the form; harmless again
    phone.locator("#reason").fill("窗口告知不清楚")
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_load_state()
    assert "感谢您的评价" in phone.locator("h1").inner_text()
    phone.screenshot(path=str(screenshots / "phone-rating-thanks.png"))
    assert kiosk.ticket_by_token(mine["public_path"][3:])["rating"] == {"level": 1}


def test_english_switch_and_no_javascript(hall, kiosk, browser) -> None:
    a = kiosk.issue_ticket("S0101")
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(hall.base_url + a["public_path"])
        assert page.locator("#number").inner_text() == a["ticket"]["number"]
        assert page.locator("#headline").inner_text() == "请耐心等候"
        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.locator("#headline").inner_text() == "Please wait"
        assert page.locator("html").get_attribute("lang") == "en"
        assert "refreshes every 30 seconds" in page.locator("main").inner_text()
        # nothing overflows a small phone sideways
        box = page.locator("main").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    finally:
        ctx.close()


def test_forged_and_expired_links_get_a_plain_page(hall, kiosk, clock, phone, screenshots: Path) -> None:
    r = phone.goto(hall.base_url + "/t/" + "f" * 48)
    assert r is not None and r.status == 404
    assert phone.locator("h1").inner_text() == "链接无效"
    assert "本大厅打印的小票" in phone.locator("main").inner_text()
    phone.screenshot(path=str(screenshots / "phone-invalid.png"))
    a = kiosk.issue_ticket("S0101")
    clock.offset = 86400.0
    r = phone.goto(hall.base_url + a["public_path"])
    assert r is not None and r.status == 410
    assert phone.locator("h1").inner_text() == "链接已过期"
    phone.screenshot(path=str(screenshots / "phone-expired.png"))


@pytest.fixture
def stepping_platform(tmp_path: Path):
    """A reference platform whose cases advance a step every 0.3 s (so one is already waiting
    for a missing document when the page is opened)."""
    from offline_cache.platform_server import start_reference_platform

    running = start_reference_platform(tmp_path / "platform-step", status_step_seconds=0.3)
    yield running
    running.stop()


def test_application_page_against_the_reference_platform(tmp_path, stepping_platform, phone,
                                                          screenshots: Path) -> None:
    p = stepping_platform
    data = tmp_path / "hall-app"
    data.mkdir()
    (data / "credentials.json").write_text(json.dumps({"hall_key": p.hall_key}))
    payload = {"service_id": "S0101", "name": "张三", "id_number": "11010519491231002X",
               "missing_materials": ["户口簿"]}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    rid = str(uuid.uuid4())
    client = PlatformClient(p.base_url, p.token, "kiosk-test")
    receipt = client.post_batch([{"id": rid, "kind": "application", "created_at": "2026-11-23T09:15:02+08:00",
                                  "payload": payload, "attachments": [],
                                  "payload_sha256": hashlib.sha256(canonical.encode()).hexdigest()}])[rid]["receipt_no"]
    client.close()
    time.sleep(0.4)  # one status step of the reference platform: 已受理 → 需补齐材料
    with start_hall_service(data, platform=PlatformSettings(p.base_url, p.token)) as hall:
        r = phone.goto(hall.base_url + "/a/" + application_token(p.hall_key, receipt))
        assert r is not None and r.status == 200
        text = phone.locator("main").inner_text()
        assert receipt in text and "社会保障卡申领" in text and "需补齐材料" in text and "户口簿" in text
        assert "张三" not in phone.content()
        phone.screenshot(path=str(screenshots / "phone-application.png"), full_page=True)
        r = phone.goto(hall.base_url + "/a/" + receipt + "-0123456789abcdef")
        assert r is not None and r.status == 404 and phone.locator("h1").inner_text() == "链接无效"


def test_guide_page(hall, phone, screenshots: Path) -> None:
    r = phone.goto(hall.base_url + "/g/S0101")
    assert r is not None and r.status == 200
    assert phone.locator("h1").inner_text() == "社会保障卡申领"
    text = phone.locator("main").inner_text()
    assert "申请材料" in text and "可容缺后补" in text and "人社医保服务区" in text
    phone.screenshot(path=str(screenshots / "phone-guide.png"), full_page=True)
    phone.emulate_media(media="print")
    assert phone.locator("header a").is_hidden()  # the language switch is not printed
