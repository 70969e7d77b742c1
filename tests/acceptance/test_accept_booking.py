"""预约 as a citizen does it: from 预约签到 (or a sold-out service) to a day and a time, the ID card
on the reader, 确认预约, and the booking slip from the printer with the appointment code; the
booking is in the platform's list of that day, where the hall's check-in finds it. A lost answer
retried books once; a platform that is down is said in plain words and nothing is booked. The
reference platform is the embedded one, over loopback; faults through its admin API."""

from __future__ import annotations

import re
from datetime import date

import pytest
import requests

from common.i18n import translate
from tests.acceptance.person import Person

LANG = {"zh": "zh_CN", "elder": "zh_CN", "en": "en"}


def _say(mode: str, key: str, **fmt: object) -> str:
    return translate(LANG[mode], key, **fmt)


def _start(person: Person, mode: str) -> None:
    person.wait_for("您好，欢迎来办事")
    if mode == "elder":
        person.tap("header_elder")
    elif mode == "en":
        person.tap("English")
    person.wait_for(_say(mode, "home.checkin"))
    person.tap(_say(mode, "home.checkin"))
    person.tap(_say(mode, "booking.offer"))
    person.wait_for(_say(mode, "booking.zone.title"))


def _first(person: Person, pattern: str) -> str:
    shown = [t for t in person.texts() if re.fullmatch(pattern, t)]
    assert shown, person.texts()
    return shown[0]


def _choose_slot(person: Person, mode: str) -> str:
    """Zone, service, card, the first day and its first time; the confirmation screen is up."""
    person.tap("人社医保服务区" if mode != "en" else "Social Security & Medical Insurance")
    person.wait_for(_say(mode, "booking.service.title"))
    person.tap("社会保障卡申领" if mode != "en" else "Social security card application")
    person.wait_for(_say(mode, "booking.card.title"))
    person.place_card("zhang_san")
    person.wait_for(_say(mode, "booking.day.title"))
    person.picture(f"{mode}-booking-day")
    person.tap(_first(person, r"\d\d-\d\d (周.|[A-Z][a-z]{2})"))
    person.wait_for(_say(mode, "booking.slot.title"), timeout=5)
    slot = _first(person, r"\d\d:\d\d–\d\d:\d\d")
    person.tap(slot)
    person.wait_for(_say(mode, "booking.confirm.title"))
    person.picture(f"{mode}-booking-confirm")
    return slot


def _code(person: Person) -> str:
    found = [m.group(0) for t in person.texts() for m in [re.search(r"APPT1:[0-9A-Z]{8}", t)] if m]
    assert found, person.texts()
    return found[0]


def _bookings(person: Person) -> list[dict[str, object]]:
    return person.assembly.platform.running.admin().bookings()


def _day_list(person: Person, day: str) -> list[dict[str, object]]:
    """The day's appointments as the hall's feed reads them (GET /v1/appointments)."""
    running = person.assembly.platform.running
    r = requests.get(f"{running.base_url}/v1/appointments", params={"hall_id": person.assembly.config.kiosk.hall_id,
                     "date": day}, headers={"Authorization": f"Bearer {running.token}", "X-Device-Id": "hall"},
                     timeout=10)
    r.raise_for_status()
    return list(r.json()["appointments"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["zh", "elder", "en"])
def test_book_a_slot_and_take_the_slip(person: Person, mode: str) -> None:
    _start(person, mode)
    _choose_slot(person, mode)
    assert any("110101" in t and "*" in t for t in person.texts()), "the confirmation shows the masked ID"
    person.tap(_say(mode, "booking.confirm.ok"))
    person.wait_for(_say(mode, "booking.done.printed"))
    code = _code(person)
    assert code in person.printed(), person.printed()
    assert not any("11010119900307051" in line for line in person.printed()), "the slip masks the ID"
    assert person.printed_qr() == code
    booked = _bookings(person)
    assert [b["code"] for b in booked] == [code]
    day = date.fromisoformat(str(booked[0]["slot_start"])[:10]).isoformat()
    assert code in [a["code"] for a in _day_list(person, day)]
    person.remove_card()
    person.tap(_say(mode, "common.finish"))
    person.wait_for("您好，欢迎来办事")  # the next citizen starts in Chinese, normal mode


def test_a_lost_answer_retried_books_once(person: Person) -> None:
    admin = person.assembly.platform.running.admin()
    _start(person, "zh")
    _choose_slot(person, "zh")
    admin.add_fault(fault="lose_after_commit", path="/v1/bookings", times=1)
    person.tap("确认预约")
    person.wait_for("现在无法预约", timeout=40)
    assert len(_bookings(person)) == 1  # booked, though the kiosk never heard so
    person.tap("再试一次")
    person.wait_for("预约成功", timeout=20)
    assert [b["code"] for b in _bookings(person)] == [_code(person)]
    assert _code(person) in person.printed()


def test_platform_down_is_said_and_nothing_is_booked(person: Person) -> None:
    _start(person, "zh")
    _choose_slot(person, "zh")
    admin = person.assembly.platform.running.admin()
    admin.add_fault(fault="reset", path="/v1/bookings")
    person.tap("确认预约")
    person.wait_for("现在无法预约", timeout=40)
    assert person.sees("暂时连不上预约系统，这次没有预约成功，也没有留下您的信息。请稍后再试，或到服务台预约")
    assert _bookings(person) == []
    person.tap("返回首页")
    person.wait_for("您好，欢迎来办事")


def test_a_platform_without_booking_says_so(person: Person) -> None:
    """An older platform answers the booking calls 404: the kiosk says booking is not offered here."""
    person.assembly.platform.running.admin().add_fault(
        fault="raw", status=404, path="/v1/booking", body='{"error": {"code": "not_found", "message": "no route"}}')
    _start(person, "zh")
    person.tap("人社医保服务区")
    person.tap("社会保障卡申领")
    person.place_card("zhang_san")
    person.wait_for("这里暂不提供预约")
    assert person.sees("本大厅的预约还没有在自助终端开通，请到服务台或通过网上办事大厅预约")
    person.tap("返回首页")
    person.wait_for("您好，欢迎来办事")
