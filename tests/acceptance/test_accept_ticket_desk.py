"""取号 and 预约签到 as citizens meet them at the desk, beyond the plain journeys of
test_accept_tasks.py: a real-name ticket is printed and waits at the hall with nothing personal on
screen; a second ticket for the same service is explained; an older citizen is offered the green
channel, and with the printer out of paper is shown the number while the staff are told; an
English visitor's ticket is printed in English; an appointment QR is checked in, and a code that is
no appointment and an appointment not due yet are explained. The hall's side is read with the
staff's own client; the appointments are pushed the way the platform does."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from common.i18n import translate
from queueing.client import HallClient
from tests.acceptance.person import Person

TICKET_NO = re.compile(r"^[A-Z]\d{3}$")


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _number(person: Person) -> str:
    return next(t for t in person.texts() if TICKET_NO.match(t))


def _staff(person: Person, role: str = "counter") -> HallClient:
    hall = person.assembly.hall
    return HallClient(hall.url, hall.tokens[role])


def test_real_name_tickets_a_second_one_and_the_green_channel(person: Person) -> None:
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡申领")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for(zh("ticket.done.title"))
    assert _number(person) == "A001"
    assert person.sees(zh("ticket.done.printed")), person.texts()
    assert not any("张三" in t or "1101011990" in t for t in person.texts()), person.texts()
    pages = person.sims["printer"].pages()
    assert len(pages) == 1 and pages[0].height > 400
    assert [t["number"] for t in _staff(person).waiting("S0101")] == ["A001"]

    person.tap("完成")                               # the card still on the reader
    person.wait_for(zh("notice.take_card"))
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡申领")
    person.remove_card()
    person.wait(1.0)
    person.place_card("zhang_san")
    person.wait_for("您已经取过号了")
    person.remove_card()
    person.wait(1.0)

    person.tap(zh("common.home"))
    person.wait_for(zh("home.title"))
    person.break_device("printer", "paper_out")       # and the printer runs out of paper
    person.tap("取号")
    person.tap("公安业务板块")
    person.tap("居民身份证换领")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("elderly")
    person.wait_for(zh("ticket.green.yes"))
    assert person.sees(zh("ticket.green.no")), person.texts()
    person.tap(zh("ticket.green.yes"))
    person.wait_for(zh("ticket.done.title"))
    number = _number(person)                          # shown large: it cannot be printed
    assert person.sees(zh("ticket.done.not_printed")), person.texts()
    waiting = _staff(person).waiting("S0301")
    assert [(t["number"], t["priority"]) for t in waiting] == [(number, "green")], waiting
    assert len(person.sims["printer"].pages()) == 1   # still only the first ticket
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(
            a["kind"] == "printer" and number in a["message"] for a in _staff(person, "admin").alerts()):
        person.wait(0.5)
    assert any(a["kind"] == "printer" and number in a["message"] for a in _staff(person, "admin").alerts())


def _appointment(code: str, start: datetime) -> dict[str, object]:
    return {"code": code, "service_id": "S0202", "id_number_hash": "0" * 64,
            "slot_start": start.isoformat(timespec="seconds"),
            "slot_end": (start + timedelta(minutes=30)).isoformat(timespec="seconds"), "name_masked": "张*"}


def test_an_english_ticket_and_appointments_at_check_in(person: Person) -> None:
    person.tap("English")
    person.tap(str(translate("en", "home.ticket")))
    person.tap("Assistance Windows")
    person.tap("Information desk")
    person.wait_for(str(translate("en", "ticket.done.title")))
    paper = "\n".join(person.printed())
    assert "Queue ticket" in paper and "Information desk" in paper and "people ahead of you" in paper, paper
    assert "排队取号凭条" not in paper and "前面还有" not in paper and "取号时间" not in paper, paper
    person.tap("button_home")                       # Done: the next visit is in Chinese
    person.wait_for(zh("home.title"))

    now = datetime.now(UTC)
    _staff(person, "admin").push_appointments([_appointment("APPT1:NOWSLOT01", now - timedelta(minutes=5)),
                                               _appointment("APPT1:LATERSLOT", now + timedelta(hours=3))])
    person.tap("预约签到")
    person.wait_for(zh("checkin.how"))
    person.scan("https://example.com/not-an-appointment")
    person.wait_for(zh("checkin.not_appointment"))
    person.scan("APPT1:NOWSLOT01")
    person.wait_for(zh("ticket.done.title"))
    number = _number(person)
    assert number.startswith("B"), number
    waiting = _staff(person).waiting("S0202")
    assert [(t["number"], t["priority"]) for t in waiting] == [(number, "appointment")], waiting
    person.tap("完成")
    person.wait_for(zh("home.title"))
    person.tap("预约签到")
    person.wait_for(zh("checkin.how"))
    person.scan("APPT1:LATERSLOT")
    person.wait_for("还没到签到时间")
