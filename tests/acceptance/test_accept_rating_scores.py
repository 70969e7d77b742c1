"""好差评's sub-scores (服务态度 / 办事效率 / 服务水平) and the one 追评, as citizens give them at the
kiosk after their tickets were served at a counter (the staff's own hall client): in Chinese all
three questions on one screen, one left out; the same ticket found again takes its one 追评 typed
on the on-screen keyboard, and a second is refused in words; in elder mode one question per screen
with large faces, the rest skipped. The hall stores what the citizen tapped, nothing more."""

from __future__ import annotations

import pytest

from common.i18n import translate
from queueing.client import HallClient
from tests.acceptance.person import Person
from tests.acceptance.test_accept_rating import _key_in, _served, _to_the_keypad

pytestmark = pytest.mark.slow


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _score_buttons(person: Person) -> list[tuple[str, float, float]]:
    return [b for b in person.pressables(besides=("demoPanel",)) if b[0].startswith("score_")]


def _rating_of(admin: HallClient, number: str) -> dict[str, object]:
    return next(r for r in admin.ratings() if r["number"] == number)


def test_sub_scores_and_one_followup_then_elder_mode(person: Person) -> None:
    hall = person.assembly.hall
    staff, admin = HallClient(hall.url, hall.tokens["counter"]), HallClient(hall.url, hall.tokens["admin"])
    first, _ = _served(person, staff)
    second, _ = _served(person, staff)

    _to_the_keypad(person)
    _key_in(person, first)
    person.wait_for(zh("rating.levels", number=first))
    satisfied = next(t for t in person.texts() if t.splitlines()[-1] == zh("rating.level.satisfied"))
    person.tap(satisfied)
    person.wait_for(zh("rating.scores"))
    person.picture("zh-rating-scores")
    for q in ("attitude", "efficiency", "competence"):
        assert person.sees(zh(f"rating.score.{q}")), person.texts()
    normal = _score_buttons(person)
    assert len(normal) == 15 and all(w >= 90 and h >= 90 for _, w, h in normal), normal  # the hall's touch size
    person.tap("score_attitude_very_satisfied")
    person.tap("score_efficiency_basic")              # 服务水平 left out
    person.tap("button_send")
    person.wait_for(zh("rating.thanks"))
    rated = _rating_of(admin, first)
    assert (rated["level"], rated["attitude"], rated["efficiency"], rated["competence"]) == (4, 5, 3, None), rated

    # the same ticket again: rated, so its one 追评 is offered
    person.tap(zh("common.home"))
    _to_the_keypad(person)
    _key_in(person, first)
    person.wait_for(zh("rating.already"))
    person.tap(zh("rating.followup"))
    person.tap("text")
    person.type("30")                                # digits: no pinyin candidates
    person.tap("button_send")
    person.wait_for(zh("rating.followup.thanks"))
    assert _rating_of(admin, first)["followup_comment"] == "30"

    person.tap(zh("common.home"))
    _to_the_keypad(person)
    _key_in(person, first)
    person.wait_for(zh("rating.already"))
    person.tap(zh("rating.followup"))
    person.tap("text")
    person.type("31")
    person.tap("button_send")
    person.wait_for(zh("rating.followup.exists"))    # a second 追评 is refused, in words
    assert person.sees(zh("rating.followup.once")), person.texts()
    assert _rating_of(admin, first)["followup_comment"] == "30"

    # elder mode: one question per screen
    person.tap(zh("common.home"))
    person.wait_for(zh("home.title"))
    person.tap("header_elder")
    _to_the_keypad(person)
    _key_in(person, second)
    person.wait_for(zh("rating.levels", number=second))
    very = next(t for t in person.texts() if t.splitlines()[-1] == zh("rating.level.very_satisfied"))
    person.tap(very)
    person.wait_for(zh("rating.score.attitude"))
    assert not person.sees(zh("rating.score.efficiency")), person.texts()
    large = _score_buttons(person)
    assert len(large) == 5 and min(h for _, _, h in large) > 1.5 * max(h for _, _, h in normal), large
    person.tap("score_attitude_satisfied")
    person.wait_for(zh("rating.score.efficiency"))
    assert not person.sees(zh("rating.score.attitude")), person.texts()
    person.tap(zh("rating.scores.skip"))            # the rest skipped
    person.wait_for(zh("rating.thanks"))
    rated = _rating_of(admin, second)
    assert (rated["level"], rated["attitude"], rated["efficiency"], rated["competence"]) == (5, 4, None, None), rated


def test_the_rating_pad_asks_when_its_counter_finishes(person: Person) -> None:
    """A kiosk run as the rating pad of a counter (what ``kiosk --rating-pad W03`` starts): the
    counter finishes a ticket, the pad asks for its rating; the citizen gives one sub-score."""
    from kiosk.rating_pad import follow_counter

    hall = person.assembly.hall
    staff, admin = HallClient(hall.url, hall.tokens["counter"]), HallClient(hall.url, hall.tokens["admin"])
    counter = next(c["id"] for c in staff.counters()["counters"] if "S0501" in c["services"])
    follow_counter(person.assembly, counter)
    number = HallClient(hall.url, hall.tokens["kiosk"]).issue_ticket("S0501")["ticket"]["number"]
    staff.call_next(counter)
    staff.start(counter)
    staff.finish(counter)
    person.wait_for(zh("rating.levels", number=number))
    basic = next(t for t in person.texts() if t.splitlines()[-1] == zh("rating.level.basic"))
    person.tap(basic)
    person.wait_for(zh("rating.scores"))
    person.tap("score_competence_satisfied")
    person.tap("button_send")
    person.wait_for(zh("rating.thanks"))
    rated = _rating_of(admin, number)
    assert (rated["level"], rated["attitude"], rated["competence"], rated["counter_id"]) == (3, None, 4, counter)
