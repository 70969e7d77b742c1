"""办事指南, complaints, idle wipe, elder mode and English through the kiosk core."""

from __future__ import annotations

from pathlib import Path

from tests.kiosk.conftest import Kiosk


def test_guide_search_by_pinyin_and_detail(kiosk: Kiosk) -> None:
    kiosk.act("start", flow="guide")
    view = kiosk.act("choose", id="search")
    assert view["screen"]["template"] == "search"
    view = kiosk.act("query", text="sb")
    assert "S0101" in [c["id"] for c in view["screen"]["choices"]]
    view = kiosk.act("choose", id="S0101")
    screen = view["screen"]
    assert screen["template"] == "guide" and screen["qr"].endswith("/g/S0101")
    materials = next(s for s in screen["sections"] if s["title"] == "所需材料")
    assert any("（必交）" in m for m in materials["items"])
    assert any("容缺" in m for m in materials["items"])
    # From the guide straight into self-service.
    view = kiosk.act("submit")
    assert view["flow"] == "submit" and view["state"] == "card"


def test_guide_browse_by_zone_and_back(kiosk: Kiosk) -> None:
    kiosk.act("start", flow="guide")
    kiosk.act("choose", id="zones")
    view = kiosk.act("choose", id="police")
    assert {c["id"] for c in view["screen"]["choices"]} >= {"S0301", "S0302"}
    view = kiosk.act("back")
    assert view["state"] == "zones"
    view = kiosk.act("home")
    assert view["flow"] == "home"


def test_complaint_is_kept_for_the_platform(kiosk: Kiosk) -> None:
    kiosk.act("start", flow="rating")
    kiosk.act("choose", id="complain")
    kiosk.act("choose", id="facility")
    view = kiosk.act("send")
    assert view["state"] == "complaint"  # empty text is not sent
    kiosk.act("text", text="二楼的叫号屏不亮了")
    view = kiosk.act("send")
    assert view["state"] == "thanks"
    kinds = [r.kind for r in kiosk.assembly.cache.records()]
    assert "complaint" in kinds


def test_idle_countdown_then_wipe_leaves_nothing(kiosk: Kiosk) -> None:
    now = [1000.0]
    kiosk.runtime.call(lambda c: setattr(c.idle, "clock", lambda: now[0]))
    kiosk.act("touch")
    kiosk.act("start", flow="submit")
    kiosk.act("choose", id="S0403")
    kiosk.insert_card("zhang_san")
    kiosk.wait_state("form")
    kiosk.act("set", key="phone", value="13800138000")
    kiosk.act("set", key="reason", value="购房")
    kiosk.act("set", key="amount", value="100")
    kiosk.act("next")
    kiosk.act("capture", index=1)
    view = kiosk.act("shoot")
    from kiosk.session import PHOTO_URL, held_photo

    token = view["screen"]["preview"].removeprefix(PHOTO_URL)
    assert held_photo(token)  # held in memory only (image://camera/photo/<token>)
    now[0] += 35  # the form's idle time is 45 s with a 15 s countdown
    kiosk.runtime.call(lambda c: c.tick())
    view = kiosk.view()
    assert view["countdown"] == 10
    now[0] += 11
    kiosk.runtime.call(lambda c: c.tick())
    view = kiosk.view()
    assert view["flow"] == "home" and view["countdown"] == 0
    assert held_photo(token) is None
    session = kiosk.runtime.call(lambda c: c.session)
    assert session.is_empty()
    sessions_root = Path(kiosk.assembly.config.data_dir) / "kiosk" / "sessions"
    assert not sessions_root.exists() or list(sessions_root.iterdir()) == []
    assert "张" not in str(view) and "13800138000" not in str(view)


def test_elder_mode_and_english(kiosk: Kiosk) -> None:
    view = kiosk.act("elder")
    assert view["elder"] is True
    assert len(view["screen"]["choices"]) == 6  # every choice, bigger (issue 13: none hidden)
    assert view["screen"]["speech"]
    view = kiosk.act("language")
    assert view["language"] == "en"
    assert view["screen"]["choices"][0]["label"] == "Take a ticket"
    view = kiosk.act("start", flow="ticket")
    assert view["screen"]["title"] == "Choose an area"
    assert "Social Security" in view["screen"]["choices"][0]["label"]
    assert view["language"] == "en" and view["elder"] is True  # kept within the visit
    view = kiosk.act("home")
    assert view["language"] == "zh_CN" and view["elder"] is False  # a new visit starts afresh


def test_elder_mode_speaks_each_new_step_once(kiosk: Kiosk) -> None:
    said: list[str] = []

    class Recorder:
        def say(self, text: str, language: str, volume: float, done) -> None:  # type: ignore[no-untyped-def]
            said.append(text)
            done()

    kiosk.runtime.call(lambda c: setattr(c, "voice", Recorder()))
    kiosk.act("start", flow="guide")
    assert said == []  # not in elder mode
    kiosk.act("home")
    kiosk.act("elder")
    kiosk.act("touch")
    kiosk.act("start", flow="ticket")
    assert said == ["您好，请点击屏幕上您要办理的事情", "请选择办事区域"]
