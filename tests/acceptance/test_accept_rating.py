"""好差评 as a citizen gives it at the kiosk, after two tickets were served at a counter (the
staff's own hall client): a number that is not a ticket is explained and corrected on the keypad,
a bad rating is not sent until a reason is chosen, its comment typed on the on-screen keyboard;
the hall holds it and the supervisor's rectification, the platform gets both through the hall's
outbox; the same ticket cannot be rated twice; and a ticket rated meanwhile from its printed QR
on a phone is explained in words. (A bad rating in each language and mode is test_accept_tasks.py.)"""

from __future__ import annotations

import re
import time

import requests

from common.i18n import translate
from queueing.client import HallClient
from queueing.credentials import DEMO_STAFF_PIN
from tests.acceptance.person import Person

TICKET_NO = re.compile(r"^[A-Z]\d{3}$")


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _served(person: Person, staff: HallClient) -> tuple[str, str]:
    """A 咨询服务 ticket taken without a card and served: its number and its printed QR."""
    person.tap("取号")
    person.tap("辅助服务窗口")
    person.tap("咨询服务")
    person.wait_for("取号成功")
    number = next(t for t in person.texts() if TICKET_NO.match(t))
    qr = person.printed_qr()
    person.tap("完成")
    counter = next(c["id"] for c in staff.counters()["counters"] if "S0501" in c["services"])
    called = staff.call_next(counter)
    assert called is not None and called["ticket"]["number"] == number
    staff.start(counter)
    staff.finish(counter)
    return number, qr


def _to_the_keypad(person: Person) -> None:
    person.wait_for(zh("home.title"))
    person.tap(zh("home.rating"))
    person.tap(zh("rating.rate"))
    person.wait_for(zh("rating.identify"))


def _key_in(person: Person, number: str) -> None:
    for key in number:
        person.tap(f"key_{key}", settle=0.15)
    person.tap("button_ok")


def test_ratings_at_the_kiosk(person: Person) -> None:
    hall = person.assembly.hall
    staff, admin = HallClient(hall.url, hall.tokens["counter"]), HallClient(hall.url, hall.tokens["admin"])
    first, _ = _served(person, staff)
    second, second_qr = _served(person, staff)

    _to_the_keypad(person)
    _key_in(person, "E999")                          # not a ticket of today
    person.wait_for(zh("rating.not_found"))
    assert person.sees(zh("rating.identify")), person.texts()
    for _ in range(4):
        person.tap("key_del", settle=0.15)
    _key_in(person, first)
    person.wait_for(zh("rating.levels", number=first))
    for level in ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"):
        assert person.sees(zh(f"rating.level.{level}")), " / ".join(person.texts())
    person.tap(zh("rating.level.dissatisfied"))
    person.wait_for(zh("rating.reasons"))
    person.tap(zh("common.send"))                    # no reason chosen: not sent
    person.wait(0.5)
    assert person.sees(zh("rating.reasons")) and not person.sees(zh("rating.thanks")), person.texts()
    person.tap(zh("rating.reason.slow"))
    person.tap("comment")
    person.type("40")                                # the comment (digits: no pinyin candidates)
    comment = next(t for t in person.texts() if t.startswith("40"))   # what the comment field shows
    person.tap(zh("common.send"))
    person.tap(zh("rating.scores.skip"))             # the sub-scores are optional
    person.wait_for(zh("rating.thanks"))

    bad = admin.ratings(bad=True)
    assert [(r["number"], r["level"], r["reason"]) for r in bad] == [(first, 2, "slow")], bad
    assert bad[0].get("comment") == comment, bad      # what was shown is what was sent
    assert bad[0]["rectification"] is None
    # the supervisor signs in (the demo hall's first counter account: queueing.credentials.seed_demo_staff)
    admin.sign_in(f"s-{next(iter(hall.running.service.engine.hall.counters))}", DEMO_STAFF_PIN)
    admin.rectify(bad[0]["ticket_id"], "已约谈窗口人员并增开窗口")
    assert admin.ratings(bad=True)[0]["rectification"]["response"].startswith("已约谈")

    person.tap(zh("common.home"))
    _to_the_keypad(person)
    _key_in(person, first)                           # the same ticket again
    person.wait_for("已经评价")
    assert not person.sees(zh("rating.level.satisfied")), person.texts()

    person.tap(zh("common.home"))
    _to_the_keypad(person)
    _key_in(person, second)
    person.wait_for(zh("rating.levels", number=second))
    token = second_qr.rstrip("/").rsplit("/t/", 1)[-1]  # meanwhile, on a phone, from the printed QR
    phone = requests.post(f"{hall.url}/t/{token}/rate", data={"level": "5"}, timeout=10)
    assert phone.status_code == 200
    satisfied = next(t for t in person.texts() if t.splitlines()[-1] == zh("rating.level.satisfied"))
    person.tap(satisfied)                            # the button that says 满意 (not the question)
    person.tap(zh("rating.scores.skip"))
    person.wait_for(zh("rating.already"))
    assert [r["level"] for r in admin.ratings() if r["number"] == second] == [5]

    platform = person.assembly.platform.running
    deadline, kinds = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        hall.sync.sync_now()
        kinds = [r["kind"] for r in platform.store.list_records() if r["device_id"].startswith("hall-")]
        if kinds.count("rating") >= 3:   # the two ratings and the rectification
            break
        person.wait(0.2)
    assert kinds.count("rating") >= 3 and "ticket_event" in kinds, kinds
    ids = [r["id"] for r in platform.store.list_records()]
    assert len(ids) == len(set(ids))
