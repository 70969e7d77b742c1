"""The main citizen tasks, each from the home screen to its end, in Chinese, in English and in
elder mode (长辈模式, where a form is reached by swiping): a ticket without and with the ID card,
check-in by the appointment QR, the guide, 办件查询 by the card, a bad rating with its reason, and
a 即办件 typed on the keyboard to its receipt. Each task is one :meth:`Person.journey`: its taps,
keys, swipes and seconds go to the journeys file, from which ``python -m tests.acceptance.journeys``
writes the table in docs/kiosk.md. The tap goals are asserted (taps are what the design decides);
seconds are recorded, never asserted."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from common.i18n import translate
from kiosk.catalogue import SAMPLE_CATALOGUE
from offline_cache.platform_store import DEMO_APPOINTMENT_CODE
from queueing.client import HallClient
from tests.acceptance.person import Person
from tests.acceptance.test_accept_progress import submit_a_case

SAMPLE = json.loads(SAMPLE_CATALOGUE.read_text(encoding="utf-8"))
MODES = ["zh", "en", "elder"]
PLATFORM_NO = re.compile(r"SG\d{13}")
TICKET_NO = re.compile(r"^[A-Z]\d{3}$")


class Visit:
    """A citizen's visit in one mode: words in its language, catalogue names in its language."""

    def __init__(self, person: Person, mode: str) -> None:
        self.person, self.mode = person, mode
        self.lang = "en" if mode == "en" else "zh_CN"

    def say(self, key: str, **params: object) -> str:
        return str(translate(self.lang, key, **params))

    def name(self, service_id: str) -> str:
        item = next(s for s in SAMPLE["services"] if s["id"] == service_id)
        return str(item["name_en"] if self.lang == "en" else item["name"])

    def zone(self, zone_id: str) -> str:
        zone = next(z for z in SAMPLE["zones"] if z["id"] == zone_id)
        return str(zone["name_en"] if self.lang == "en" else zone["name"])

    def start(self) -> None:
        """At home in this visit's mode (a visit starts in Chinese, normal mode)."""
        p = self.person
        p.wait_for(translate("zh_CN", "home.title"))
        if self.mode == "en":
            p.tap("English")
        elif self.mode == "elder":
            p.tap("header_elder")
        p.wait_for(self.say("home.title"))

    def tap(self, label: str) -> None:
        """Tap what shows ``label``, swiping to it first where it is below the fold (elder mode)."""
        self.person.swipe_to(label)
        self.person.tap(label)

    def home(self) -> None:
        if not self.person.sees(translate("zh_CN", "home.title")):
            self.person.tap("nav_home")
        self.person.wait_for(translate("zh_CN", "home.title"))


@pytest.fixture(params=MODES)
def visit(request: pytest.FixtureRequest, person: Person) -> Visit:
    return Visit(person, str(request.param))


def test_a_ticket_without_a_card(visit: Visit) -> None:
    p = visit.person
    visit.start()
    with p.journey("ticket without a card", visit.mode) as did:
        p.tap(visit.say("home.ticket"))
        visit.tap(visit.zone("assist"))
        visit.tap(visit.name("S0501"))
        p.wait_for(visit.say("ticket.done.title"))
    assert any(TICKET_NO.match(t) for t in p.texts()), p.texts()
    assert did.taps <= 3 and did.brought == 0, did


def test_a_ticket_with_the_id_card(visit: Visit) -> None:
    p = visit.person
    visit.start()
    with p.journey("ticket with the ID card", visit.mode) as did:
        p.tap(visit.say("home.ticket"))
        visit.tap(visit.zone("social"))
        visit.tap(visit.name("S0102"))
        p.wait_for(visit.say("speech.insert_card"))
        p.place_card("zhang_san")
        p.wait_for(visit.say("ticket.done.title"))
    assert did.taps + did.brought <= 4, did


def test_check_in_by_the_appointment_qr(visit: Visit) -> None:
    p = visit.person
    visit.start()
    with p.journey("check-in by the appointment QR", visit.mode):
        p.tap(visit.say("home.checkin"))
        p.wait_for(visit.say("checkin.how"))
        p.scan(DEMO_APPOINTMENT_CODE)
        p.wait_for(visit.say("ticket.done.title"))


def test_the_guide_of_an_item(visit: Visit) -> None:
    p = visit.person
    visit.start()
    with p.journey("guide: an item's materials", visit.mode):
        p.tap(visit.say("home.guide"))
        if visit.mode == "en":  # the pinyin search is for Chinese; an English visitor browses
            p.tap(visit.say("guide.by_zone"))
            visit.tap(visit.zone("police"))
            visit.tap(visit.name("S0301"))
        else:
            p.tap(visit.say("guide.search"))
            p.tap("searchField")
            p.type("sb")
            p.wait_for(visit.name("S0101"), timeout=3)
            p.tap(visit.name("S0101"))
        p.wait_for(visit.say("guide.materials"))


def _submit_in_chinese(person: Person) -> None:
    """A case submitted earlier (in Chinese, by the same citizen): what 办件查询 then finds."""
    submit_a_case(person)
    person.tap("完成")


def test_progress_by_the_id_card(visit: Visit) -> None:
    p = visit.person
    _submit_in_chinese(p)
    visit.start()
    with p.journey("progress by the ID card", visit.mode):
        p.tap(visit.say("home.progress"))
        p.wait_for(visit.say("progress.how"))
        p.place_card("zhang_san")
        deadline = 15.0
        while deadline > 0 and not any(PLATFORM_NO.search(t) for t in p.texts()):
            p.wait(0.2)
            deadline -= 0.2
    assert any(PLATFORM_NO.search(t) for t in p.texts()), p.texts()


def _served_ticket(person: Person) -> str:
    """A ticket taken (without a card) and served at a counter by the staff's own client."""
    person.tap("取号")
    person.tap("辅助服务窗口")
    person.tap("咨询服务")
    person.wait_for("取号成功")
    number = next(t for t in person.texts() if TICKET_NO.match(t))
    person.tap("完成")
    hall = person.assembly.hall
    staff = HallClient(hall.url, hall.tokens["counter"])
    counter = next(c for c in staff.counters()["counters"] if "S0501" in c["services"])
    called = staff.call_next(counter["id"])
    assert called is not None and called["ticket"]["number"] == number
    staff.start(counter["id"])
    staff.finish(counter["id"])
    return number


def test_a_bad_rating_with_its_reason(visit: Visit) -> None:
    p = visit.person
    number = _served_ticket(p)
    visit.start()
    with p.journey("bad rating with a reason", visit.mode):
        p.tap(visit.say("home.rating"))
        p.tap(visit.say("rating.rate"))
        p.wait_for(visit.say("rating.identify"))
        for key in number:
            p.tap(f"key_{key}", settle=0.15)
        p.tap("button_ok")
        visit.tap(visit.say("rating.level.dissatisfied"))
        visit.tap(visit.say("rating.reason.slow"))
        visit.tap(visit.say("common.send"))
        visit.tap(visit.say("rating.scores.skip"))  # the sub-scores are optional
        p.wait_for(visit.say("rating.thanks"))
    hall = p.assembly.hall
    bad = HallClient(hall.url, hall.tokens["admin"]).ratings(bad=True)
    assert any(r.get("level") == 2 and "slow" in str(r.get("reason")) for r in bad), bad


def _answers(visit: Visit) -> dict[str, Any]:
    withdrawal = next(s for s in SAMPLE["services"] if s["id"] == "S0403")
    reason = next(f for f in withdrawal["form"] if f["key"] == "reason")
    return {"renting": reason["options_en" if visit.lang == "en" else "options"][1],
            "owe": visit.say("submit.owe")}


def test_a_same_day_item_typed_on_the_keyboard(visit: Visit) -> None:
    """住房公积金提取 (即办件): the card, the reason chosen, the phone number and the amount typed on
    the keyboard, the proof owed (容缺), the commitment accepted, to the printed receipt."""
    p = visit.person
    answers = _answers(visit)
    visit.start()
    with p.journey("即办件 typed on the keyboard", visit.mode):
        p.tap(visit.say("home.submit"))
        visit.tap(visit.name("S0403"))
        p.wait_for(visit.say("speech.insert_card"))
        p.place_card("zhang_san")
        p.wait_for(answers["renting"])
        visit.tap(answers["renting"])
        visit.tap("field_phone")
        p.type("13812345678")
        p.press_key("\n")
        p.type("3000")
        p.press_key("\n")
        visit.tap(visit.say("common.next"))
        p.wait_for(answers["owe"])
        visit.tap(answers["owe"])
        visit.tap(visit.say("common.next"))
        visit.tap(visit.say("submit.accept"))
        p.wait_for(visit.say("submit.review"))
        visit.tap(visit.say("submit.submit"))
        p.wait_for(visit.say("submit.done.title"), timeout=15)
    assert any("3000" in line or "住房公积金" in line or "Housing" in line for line in p.printed()), p.printed()
