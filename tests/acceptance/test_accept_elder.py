"""Elder mode as an older citizen gets it: every choice of the home screen is there (at most six a
screen), and 评价与建议 leads on to 好差评; at every size the kiosk is laid out for."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.acceptance.person import Person

HOME = ("取号", "预约签到", "办事指南", "自助申报", "办件查询", "评价与建议")
SIZES = [pytest.param(None, id="1920x1080"),
         pytest.param((1280, 720), id="1280x720", marks=pytest.mark.slow),
         pytest.param((1080, 1920), id="1080x1920", marks=pytest.mark.slow)]


@pytest.mark.parametrize("size", SIZES)
def test_every_home_choice_in_elder_mode(people: Callable[..., Person], size: tuple[int, int] | None) -> None:
    person = people(size)
    person.tap("header_elder")
    person.wait_for("取号")
    for label in HOME:
        assert person.sees(label), (label, person.texts())
        assert person.in_sight(label), f"{label} is below the fold"
    person.tap("评价与建议")
    person.tap("评价办事服务")  # 好差评
    person.wait_for("请输入号票上的号码")
