"""Speech mode as a blind citizen uses it (issue 19): headphones on, hands on the tactile keypad,
never on the screen. Every key arrives through the keypad simulator (its evdev records over a
pty, read by the real driver); what the citizen hears is what the kiosk's speech-mode voice said
(:meth:`Person.heard`); they move with 2/8 until they hear the choice they want and press 5.
Cards and codes are brought to the reader and scanner as anyone does. The results are the real
ones: the printer simulator's bytes, the appointment checked in, the rating in the hall service,
the help alert raised and acknowledged."""

from __future__ import annotations

import re

import pytest

from common.i18n import translate
from queueing.client import HallClient
from queueing.credentials import DEMO_STAFF_PIN
from tests.acceptance.person import Person
from tests.acceptance.test_accept_progress import submit_a_case

pytestmark = pytest.mark.slow  # each visit by ear takes 15–35 s here (the voice's and the suite's waits)

TICKET_NO = re.compile(r"[A-Z]\d{3}")


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _heard_since(person: Person, mark: int) -> list[str]:
    return person.heard()[mark:]


def hear(person: Person, text: str, since: int = 0, timeout: float = 15.0) -> None:
    """Wait until a phrase containing ``text`` was said in the headphones (after phrase ``since``)."""
    for _ in range(int(timeout / 0.2)):
        if any(text in p for p in _heard_since(person, since)):
            return
        person.wait(0.2)
    raise AssertionError(f"never heard {text!r}; heard: {_heard_since(person, since)}")


def start(person: Person) -> None:
    """Any key starts speech mode: the keys explained, the screen said, the first choice."""
    person.wait_for(zh("home.title"))
    person.press_keypad("5")
    hear(person, zh("speech.focus", n=1, total=9, label="").split("：")[0])
    assert person.heard()[0] == zh("speech.started")


def choose(person: Person, label: str, tries: int = 30) -> None:
    """Press 2 until the focused choice heard is ``label`` (or starts with it), then 5."""
    for _ in range(tries):
        focus = [p for p in person.heard() if "项：" in p]
        said = focus[-1].split("：", 1)[1] if focus else ""
        if said == label or said.startswith(label + ","):
            mark = len(person.heard())
            person.press_keypad("5", settle=0.8)
            person.wait(0.3)
            assert len(person.heard()) >= mark
            return
        person.press_keypad("2", settle=0.4)
    raise AssertionError(f"never heard the choice {label!r}; heard: {person.heard()[-12:]}")


def take_a_ticket(person: Person) -> str:
    """From home in speech mode: 取号 → 辅助服务窗口 → 咨询服务; the number heard."""
    choose(person, "取号")
    choose(person, "辅助服务窗口")
    choose(person, "咨询服务")
    hear(person, "取号成功")
    return next(m.group(0) for p in person.heard() for m in [TICKET_NO.search(p)] if m)


def test_a_ticket_by_ear_and_keypad(person: Person) -> None:
    start(person)
    number = take_a_ticket(person)
    assert any(number in line for line in person.printed()), person.printed()   # the paper says it
    assert person.sees(number)
    assert person.sees_dark(), "the screen stays dark while the citizen listens"


def test_check_in_repeat_and_volume(person: Person) -> None:
    start(person)
    choose(person, "预约签到")
    hear(person, "请扫描预约二维码")
    mark = len(person.heard())
    person.press_keypad("*")                       # say it again
    hear(person, "请扫描预约二维码", since=mark)
    person.press_keypad("+")
    hear(person, zh("speech.volume", n=8), since=mark)
    person.place_card("zhang_san")                 # booked for today by the demo platform
    hear(person, "取号成功")
    staff = HallClient(person.assembly.hall.url, person.assembly.hall.tokens["counter"])
    assert len([t for t in staff.waiting() if t.get("priority") == "appointment"]) == 1
    assert any("预约" in line for line in person.printed()), person.printed()


def test_a_guide_read_passage_by_passage(person: Person) -> None:
    start(person)
    choose(person, "办事指南")
    choose(person, "按办事区域")
    choose(person, "公安业务板块")
    choose(person, "居民身份证换领")
    hear(person, "居民身份证换领")
    mark = len(person.heard())
    for _ in range(12):                            # 6: the next passage of the screen's text
        person.press_keypad("6", settle=0.3)
        if any("所需材料" in p for p in _heard_since(person, mark)):
            break
    hear(person, "所需材料", since=mark)
    person.press_keypad("4")                       # back to the zone's items
    hear(person, "请选择事项", since=mark)


def test_progress_by_the_card_in_speech_mode(person: Person) -> None:
    submit_a_case(person)                          # an earlier visit, by touch
    person.tap("完成")
    start(person)
    choose(person, "办件查询")
    hear(person, "请扫描回执上的二维码")            # what the screen asks, said on arrival
    person.place_card("zhang_san")
    hear(person, zh("speech.more_text", n=4).split("4")[0])   # the result has more to say: 6 reads on
    mark = len(person.heard())
    for _ in range(6):
        person.press_keypad("6", settle=0.3)
    hear(person, "已受理", since=mark)


def test_a_rating_keyed_in_and_stored(person: Person) -> None:
    hall = person.assembly.hall
    staff, admin = HallClient(hall.url, hall.tokens["counter"]), HallClient(hall.url, hall.tokens["admin"])
    start(person)
    number = take_a_ticket(person)
    choose(person, "完成")
    counter = next(c["id"] for c in staff.counters()["counters"] if "S0501" in c["services"])
    staff.call_next(counter)
    staff.start(counter)
    staff.finish(counter)

    hear(person, zh("home.title").split("，")[0])
    choose(person, zh("home.rating"))
    choose(person, zh("rating.rate"))
    hear(person, zh("rating.identify"))
    for char in number:                            # the on-screen keypad, key by key, by ear
        choose(person, char)
        hear(person, char)
    choose(person, zh("common.next"))
    hear(person, zh("rating.levels", number=number))
    choose(person, zh("rating.level.satisfied"))
    hear(person, zh("rating.scores"))              # the optional sub-scores: skipped
    choose(person, zh("rating.scores.skip"))
    hear(person, zh("rating.thanks"))
    assert [r["level"] for r in admin.ratings() if r["number"] == number] == [4]


def test_help_called_and_the_answer_heard(person: Person) -> None:
    hall = person.assembly.hall
    admin = HallClient(hall.url, hall.tokens["admin"])
    start(person)
    person.press_keypad("#")                       # the keys explained, how to call
    hear(person, zh("speech.call_hint"))
    person.press_keypad("#")                       # again: staff are called
    hear(person, zh("notice.help_waiting"))
    alert = next(a for a in admin.alerts() if a["kind"] == "help")
    clerk = HallClient(hall.url, hall.tokens["counter"])
    clerk.sign_in("s-H02", DEMO_STAFF_PIN, "H02")  # the demo hall's 帮办代办 clerk takes it
    clerk.ack_alert(int(alert["id"]), "s-H02")
    hear(person, zh("notice.help_on_the_way_at", staff="s-H02", counter="帮办代办"), timeout=20)


def test_english_by_keypad_and_the_visit_ends_with_speech_mode(people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "kiosk.toml"
    config.write_text("[privacy]\nidle_seconds = 4\nform_idle_seconds = 4\nelder_idle_seconds = 4\n"
                      "countdown_seconds = 1\n")
    person = people(config=config)
    start(person)
    choose(person, "English")                      # the header's language key, walked to by ear
    hear(person, "Choice 1 of")
    assert person.sees_dark()
    person.wait(7.0)                               # walks away: the idle wipe ends the visit
    assert not person.sees_dark()
    assert person.heard() == []                    # nothing said to the last citizen is kept
    mark = len(person.heard())
    person.press_keypad("5")                       # the next citizen starts it again, in Chinese
    hear(person, zh("speech.started"), since=mark)


def test_a_step_that_needs_sight_says_so_and_staff_are_called(person: Person) -> None:
    start(person)
    choose(person, "办事指南")
    choose(person, "搜索事项")                      # a field typed on the on-screen keyboard
    hear(person, zh("speech.needs_sight"))
    person.press_keypad("#")
    person.press_keypad("#")
    hear(person, zh("notice.help_waiting"))


def test_self_service_submission_says_it_needs_sight_and_calls_staff(person: Person) -> None:
    hall = person.assembly.hall
    admin = HallClient(hall.url, hall.tokens["admin"])
    start(person)
    choose(person, zh("home.submit"))              # the form is typed on the screen: staff called
    hear(person, zh("speech.submit_staff_called"))
    hear(person, zh("notice.help_waiting"))
    alerts = [a for a in admin.alerts() if a["kind"] == "help"]
    assert len(alerts) == 1 and alerts[0]["source"] == person.assembly.core.kiosk_id, alerts
    clerk = HallClient(hall.url, hall.tokens["counter"])
    clerk.sign_in("s-H02", DEMO_STAFF_PIN, "H02")  # the 帮办代办 clerk takes it, as at the console
    clerk.ack_alert(int(alerts[0]["id"]), "s-H02")
    hear(person, zh("notice.help_on_the_way_at", staff="s-H02", counter="帮办代办"), timeout=20)
