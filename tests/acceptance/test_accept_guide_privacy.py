"""办事指南 on to 自助申报, browsing back out of a zone, a complaint written on the on-screen
keyboard, and the idle wipe, as a citizen meets them: the guide of an item marks the required and
the 容缺 materials and leads straight to the card step; 返回上一步 from a zone is the zone list;
an empty complaint is not sent, a written one reaches the platform; a citizen who walks away from
a half-done application (a photo taken) is warned by a countdown, then the kiosk goes home and
keeps nothing of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import take_photo


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def test_the_guide_to_self_service_back_out_of_a_zone_and_a_complaint(person: Person) -> None:
    person.tap("办事指南")
    person.tap("搜索事项")
    person.tap("searchField")
    person.type("sb")
    person.wait_for("社会保障卡申领", timeout=3)
    person.tap("社会保障卡申领")
    person.wait_for("所需材料")
    assert person.sees("（必交）") and person.sees("容缺"), person.texts()
    person.tap(zh("guide.do_here"))                 # straight on to 自助申报 of this item
    person.wait_for("请将身份证放在读卡区")
    person.tap(zh("common.home"))
    person.wait_for(zh("home.title"))
    person.tap("办事指南")
    person.tap("按办事区域")
    person.tap("公安业务板块")
    person.wait_for("居民身份证换领")
    assert person.sees("户口迁移"), person.texts()
    person.tap(zh("common.back"))
    person.wait_for("人社医保服务区")                # the zone list again
    assert not person.sees("居民身份证换领"), person.texts()
    person.tap(zh("common.home"))
    person.wait_for(zh("home.title"))

    # a complaint, by the same person (one journey: a kiosk costs seconds to start)
    person.tap("评价与建议")
    person.tap(zh("rating.complain"))
    person.tap(zh("complaint.topic.facility"))
    person.tap("button_send")                       # nothing written: not sent
    person.wait(0.5)
    assert not person.sees(zh("rating.thanks")), person.texts()
    person.tap("text")
    person.type("2 12345")                         # e.g. the floor and the screen number
    person.tap("button_send")
    person.wait_for(zh("complaint.done.title"))     # its number on screen and paper (test_accept_complaint.py)
    platform = person.assembly.platform.running
    deadline, kinds = time.monotonic() + 20, []
    while time.monotonic() < deadline and "complaint" not in kinds:
        person.wait(0.5)
        kinds = [r["kind"] for r in platform.store.list_records()]
    assert "complaint" in kinds, kinds


def test_walking_away_from_an_application_wipes_it(people: Callable[..., Person], tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text("[privacy]\nidle_seconds = 30\nform_idle_seconds = 4\nelder_idle_seconds = 30\n"
                    "countdown_seconds = 2\n", encoding="utf-8")
    person = people(config=toml)
    person.tap("自助申报")
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for("联系电话")
    person.tap("购房")
    person.tap("field_phone")
    person.type("13800138000")
    person.press_key("\n")
    person.type("100")
    person.press_key("\n")
    person.tap(zh("common.next"))
    person.wait_for(zh("submit.owe"))
    take_photo(person)
    person.remove_card()                            # and the citizen walks away
    person.wait_for("您还在吗", timeout=10)          # the countdown
    person.wait_for(zh("home.title"), timeout=10)
    assert not person.sees("张*") and not person.sees("138****00"), person.texts()
    sessions = Path(person.assembly.config.data_dir) / "kiosk" / "sessions"
    assert not sessions.exists() or list(sessions.iterdir()) == []
    person.tap("自助申报")                           # the next citizen starts from nothing
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.wait(1.0)
    assert not person.sees("联系电话"), person.texts()
