"""取号 and 预约签到 end to end: kiosk core → real hall service over HTTP → printer simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.kiosk.conftest import Kiosk


def _take(kiosk: Kiosk, zone: str, service: str) -> dict:
    kiosk.act("start", flow="ticket")
    view = kiosk.act("choose", id=zone)
    assert view["screen"]["template"] == "menu"
    assert any(c["id"] == service for c in view["screen"]["choices"])
    return kiosk.act("choose", id=service)


def test_real_name_ticket_is_issued_and_printed(kiosk: Kiosk) -> None:
    view = _take(kiosk, "social", "S0101")
    assert view["state"] == "card" and view["screen"]["template"] == "card"
    kiosk.insert_card("zhang_san")
    view = kiosk.wait_state("done")
    screen = view["screen"]
    assert screen["number"] == "A001" and screen["printed"] is True
    assert "/t/" in screen["qr"]
    pages = kiosk.sims["printer"].pages()
    assert len(pages) == 1 and pages[0].height > 400
    hall = kiosk.staff().waiting("S0101")
    assert [t["number"] for t in hall] == ["A001"]
    # Nothing personal on screen.
    assert "张三" not in str(view) and "1101011990" not in str(view)


def test_second_ticket_for_the_same_service_is_explained(kiosk: Kiosk) -> None:
    _take(kiosk, "social", "S0101")
    kiosk.insert_card("zhang_san")
    kiosk.wait_state("done")
    kiosk.act("home")
    assert kiosk.view()["notice"]  # "take your card"
    _take(kiosk, "social", "S0101")
    kiosk.remove_card()
    kiosk.insert_card("zhang_san")
    view = kiosk.wait_state("error")
    assert view["screen"]["title"] == "您已经取过号了"


def test_elderly_citizen_is_offered_the_green_channel(kiosk: Kiosk) -> None:
    _take(kiosk, "police", "S0301")
    kiosk.insert_card("elderly")
    view = kiosk.wait_state("green")
    assert [c["id"] for c in view["screen"]["choices"]] == ["green", "normal"]
    view = kiosk.act("green")
    assert view["state"] == "done" and view["screen"]["priority"] == "green"


def test_printer_out_of_paper_shows_the_ticket_and_alerts_staff(kiosk: Kiosk) -> None:
    kiosk.sims["printer"].set_status(paper_out=True)
    view = _take(kiosk, "assist", "S0501")  # not real-name: no card needed
    assert view["state"] == "done"
    screen = view["screen"]
    assert screen["printed"] is False and screen["number"] == "E001"
    assert any("未能打印" in line for line in screen["lines"])
    assert view["banner"]["kind"] == "warning"
    alerts = kiosk.staff("admin").alerts()
    assert any(a["kind"] == "printer" and "E001" in a["message"] for a in alerts)
    assert kiosk.sims["printer"].pages() == []


def _appointment(code: str, start: datetime) -> dict:
    return {"code": code, "service_id": "S0202", "id_number_hash": "0" * 64,
            "slot_start": start.isoformat(timespec="seconds"),
            "slot_end": (start + timedelta(minutes=30)).isoformat(timespec="seconds"), "name_masked": "张*"}


def test_appointment_check_in_by_qr(kiosk: Kiosk) -> None:
    now = datetime.now(UTC)
    kiosk.staff("admin").push_appointments([_appointment("APPT1:NOWSLOT01", now - timedelta(minutes=5)),
                                            _appointment("APPT1:LATERSLOT", now + timedelta(hours=3))])
    view = kiosk.act("start", flow="checkin")
    assert view["screen"]["accepts"] == ["card", "scan"]
    kiosk.scan("https://example.com/not-an-appointment")
    view = kiosk.wait(lambda v: bool(v["screen"].get("problem")))
    assert view["state"] == "identify"
    kiosk.scan("APPT1:NOWSLOT01")
    view = kiosk.wait_state("done", "error")
    assert view["state"] == "done", view["screen"]
    assert view["screen"]["priority"] == "appointment" and view["screen"]["number"].startswith("B")
    kiosk.act("home")
    kiosk.act("start", flow="checkin")
    kiosk.scan("APPT1:LATERSLOT")
    view = kiosk.wait_state("error")
    assert view["screen"]["title"] == "还没到签到时间"


def test_the_ticket_is_printed_in_the_citizens_language(kiosk: Kiosk) -> None:
    kiosk.act("language", language="en")  # the citizen presses "English" on the home screen
    view = _take(kiosk, "assist", "S0501")
    assert view["state"] == "done" and view["screen"]["printed"] is True
    paper = "\n".join(kiosk.sims["printer"].text_lines())
    assert "Queue ticket" in paper and "Information desk" in paper and "people ahead of you" in paper
    assert "排队取号凭条" not in paper and "前面还有" not in paper and "取号时间" not in paper
