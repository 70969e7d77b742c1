"""The next citizen starts in Chinese, normal mode: whatever language and elder mode the last one
chose, after they tap 完成 or walk away (the idle timeout, from the hall's kiosk.toml)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.acceptance.person import Person


def _chinese_normal_home(person: Person) -> None:
    person.wait_for("您好，欢迎来办事")
    assert person.sees("English"), person.texts()  # the language button offers English: zh is on
    assert person.sees("自助申报") and person.sees("评价与建议")
    header = person._target("header_elder")
    assert header.height() < 90 * 1.4, "elder mode's larger header is still on"


def test_after_an_english_elder_session_and_done(person: Person) -> None:
    person.tap("header_elder")
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡挂失与补换")
    person.wait_for("请将身份证放在读卡区")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("取号成功")
    person.remove_card()
    person.tap("header_language")
    person.wait_for("A001")
    person.tap("button_home")  # Done
    _chinese_normal_home(person)


def test_after_an_english_elder_citizen_walks_away(people: Callable[..., Person], tmp_path: Path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text("[privacy]\nidle_seconds = 3\nform_idle_seconds = 3\nelder_idle_seconds = 3\n"
                    "countdown_seconds = 1\n", encoding="utf-8")
    person = people(config=toml)
    person.tap("header_elder")
    person.tap("header_language")
    person.wait_for("中文")
    person.wait(6)
    _chinese_normal_home(person)
