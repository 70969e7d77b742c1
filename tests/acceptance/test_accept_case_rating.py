"""一事多评 and the case's 追评 at the kiosk, in a hall that rates 受理 and 办结 (hall.toml
``[rating] stages``): a citizen submits a case at the kiosk and keeps the receipt; at the counter
the staff's own hall client serves a ticket and finishes it with the receipt's number as its 办件编号.
At the kiosk the citizen rates by the ticket's number (keypad taps): while served the screen says
受理环节, once finished 办结环节. In 办件查询 the receipt's QR under the scanner shows both ratings
and takes the 追评 of the latest (typed on the on-screen keyboard); scanned again, the other one's
追评 is offered, but the phone (a real POST from the receipt's printed QR page) gives it first:
the kiosk's is refused in words.

What links the rating to the application is the 办件编号 the counter typed (or scanned): the hall
keeps no other tie between a kiosk-submitted application and a ticket."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from common.i18n import translate
from queueing.client import HallClient
from queueing.hallconfig import sample_hall_toml
from tests.acceptance.person import Person
from tests.acceptance.test_accept_progress import _platform_number, submit_a_case
from tests.acceptance.test_accept_rating import _key_in, _to_the_keypad

pytestmark = pytest.mark.slow


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _rate(person: Person, number: str, stage: str, level: str) -> None:
    _to_the_keypad(person)
    _key_in(person, number)
    person.wait_for(zh("rating.levels", number=number))
    assert person.sees(zh("rating.stage", stage=zh(f"rating.stage.{stage}"))), person.texts()
    person.tap(next(t for t in person.texts() if t.splitlines()[-1] == zh(f"rating.level.{level}")))
    person.wait_for(zh("rating.scores"))
    person.tap(zh("rating.scores.skip"))
    person.wait_for(zh("rating.thanks"))
    person.tap(zh("common.home"))


def _scan_receipt(person: Person, receipt_url: str) -> None:
    person.wait_for(zh("home.title"))
    person.tap(zh("home.progress"))
    person.wait_for("请扫描回执上的二维码")
    person.scan(receipt_url)
    person.wait_for(zh("progress.rating"))


def test_two_stage_rating_and_the_followup_from_the_receipt(
        tmp_path: Path, people: Callable[..., Person]) -> None:
    hall_dir = tmp_path / "data0" / "hall"
    hall_dir.mkdir(parents=True)
    two = sample_hall_toml().replace('stages = ["finish"]', 'stages = ["accept", "finish"]', 1)
    (hall_dir / "hall.toml").write_text(two, encoding="utf-8")
    person = people()
    hall = person.assembly.hall
    staff, admin = HallClient(hall.url, hall.tokens["counter"]), HallClient(hall.url, hall.tokens["admin"])

    submit_a_case(person)
    receipt = _platform_number(person)
    receipt_url = person.printed_qr()
    person.tap("完成")
    counter = next(c["id"] for c in staff.counters()["counters"] if "S0501" in c["services"])
    number = HallClient(hall.url, hall.tokens["kiosk"]).issue_ticket("S0501")["ticket"]["number"]
    staff.call_next(counter)
    staff.start(counter)
    _rate(person, number, "accept", "very_satisfied")          # 受理: while being served
    staff.finish(counter, case_no=receipt)
    _rate(person, number, "finish", "satisfied")               # 办结: once finished
    assert [(r["stage"], r["level"]) for r in admin.case_ratings(receipt)] == [("accept", 5), ("finish", 4)]

    _scan_receipt(person, receipt_url)
    assert person.sees(zh("rating.stage.accept")) and person.sees(zh("rating.level.very_satisfied"))
    person.tap(zh("progress.followup"))
    person.wait_for(zh("rating.stage.finish"))
    person.tap("text")
    person.type("30")
    person.tap("button_send")
    person.wait_for(zh("rating.followup.thanks"))
    person.tap(zh("common.home"))

    _scan_receipt(person, receipt_url)
    assert person.sees(zh("progress.followed")), person.texts()
    person.tap(zh("progress.followup"))                      # now the 受理 rating's
    person.wait_for(zh("rating.stage.accept"))
    person.tap("text")
    person.type("31")
    phone = requests.post(receipt_url + "/followup", data={"stage": "accept", "comment": "手机上先追评"}, timeout=10)
    assert phone.status_code == 200 and "追评已收到" in phone.text
    person.tap("button_send")
    person.wait_for(zh("rating.followup.exists"))            # the second is refused, in words
    assert person.sees(zh("rating.followup.once")), person.texts()
    assert next(r for r in admin.ratings() if r["number"] == number)["followup_comment"] == "30"
    assert [r["followed_up"] for r in admin.case_ratings(receipt)] == [True, True]
