"""自助申报 typed entirely on the Qt Virtual Keyboard: the citizen taps a field once, types every
character on the keyboard's keys (digits on its number layout), ↵ goes to the next field, and the
review screen shows what was typed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.acceptance.person import Person


def _to_the_form(person: Person) -> None:
    person.tap("自助申报")
    person.tap("住房公积金提取")
    person.wait_for("请将身份证放在读卡区")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("联系电话")


SIZES = [pytest.param(None, False, id="1920x1080"),
         pytest.param((1280, 720), False, id="1280x720", marks=pytest.mark.slow),
         pytest.param((1080, 1920), False, id="1080x1920", marks=pytest.mark.slow)]


@pytest.mark.parametrize(("size", "elder"), SIZES)
def test_a_form_typed_on_the_keyboard(people: Callable[..., Person], size: tuple[int, int] | None,
                                      elder: bool) -> None:
    person = people(size)
    if elder:
        person.tap("header_elder")
    _to_the_form(person)
    person.tap("租房")  # the choice first, while the top of the form is in sight
    person.tap("field_phone")
    assert person.keyboard_shown()
    assert person.in_sight("field_phone"), "the field is under the keyboard"
    person.type("13812345678")
    assert person.keyboard_shown(), "the keyboard closed while typing the phone number"
    assert person.focused() == "field_phone", person.focused()
    person.press_key("\n")  # ↵: on to the next field to type (the amount; the reason is a choice)
    assert person.keyboard_shown()
    assert person.focused() == "field_amount", person.focused()
    assert person.in_sight("field_amount"), "the next field is under the keyboard"
    person.type("3000")
    person.press_key("\n")  # the last field to type: the keyboard closes, 下一步 is in sight
    assert not person.keyboard_shown()
    person.tap("下一步")
    person.wait_for("稍后补交")
    person.tap("稍后补交")
    person.tap("下一步")
    person.tap("我已阅读，我承诺")
    person.wait_for("请核对申请信息")
    assert person.sees("138****78"), person.texts()
    assert person.sees("3000"), person.texts()
    assert person.sees("租房"), person.texts()
    person.tap("确认提交")
    person.wait_for("完成")
    printed = "\n".join(person.printed())  # a Chinese session's receipt stays Chinese
    assert "住房公积金提取" in printed and "购房合同或租房证明" in printed, printed
