"""Every touch target is at least 90 px both ways at 1920×1080 (≈ 15 mm on a hall's 24" panel) and
the upright 1080×1920, and the same share of the screen on a smaller one (60 px at 1280×720), in
normal and elder mode: a
citizen walks the kiosk's screens (home, each task's first screens, the guide's detail, the
receipt keypad, the rating keypad, a form, its materials and review) and on each one everything
pressable that is shown (MouseArea, button, text field, anything with a clicked/tapped/pressed
signal; the Qt Virtual Keyboard's own keys aside) is measured in window pixels.

The demo panel is left out: it is the demonstration's stand-in for a card and a code held up to
the simulated devices (kiosk.demo_panel, off at a hall with real devices), a presenter's tool, and
at full touch size it would cover the citizen's own buttons on a 1280×720 screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.acceptance.person import Person

MIN_AT_1080 = 90


def _walk(person: Person, check: Callable[[str], None], elder: bool) -> None:
    check("home")
    person.tap("办事指南")
    check("guide")
    person.tap("按办事区域")
    check("guide zones")
    person.tap("公安业务板块")
    check("guide list")
    person.tap("居民身份证换领")
    person.wait_for("所需材料")
    check("guide detail")
    person.tap("nav_back")
    person.tap("nav_back")
    person.tap("nav_back")
    person.tap("搜索事项")
    person.tap("searchField")
    person.type("sb")
    person.wait_for("社会保障卡申领")
    check("guide search")
    person.tap("社会保障卡申领")  # to its guide: the keyboard goes away with the search field
    for task in ("取号", "预约签到", "办件查询"):
        _home(person, elder)
        person.tap(task)
        check(task)
    person.tap("输入受理编号")
    check("receipt keypad")
    _home(person, elder)
    person.tap("评价与建议")
    check("评价与建议")
    person.tap("评价办事服务")
    person.wait_for("请输入号票上的号码")
    check("rating keypad")
    _home(person, elder)
    person.tap("自助申报")
    check("自助申报")
    person.tap("不动产登记资料查询")
    person.wait_for("请将身份证放在读卡区")
    check("card")
    person.place_card("zhang_san")
    person.wait_for("查询用途")
    check("form")
    person.swipe_to("办理贷款")  # below the fold in elder mode
    person.tap("办理贷款")
    person.swipe_to("下一步")
    person.tap("下一步")
    person.wait_for("提交材料")
    check("materials")
    person.tap("下一步")
    person.wait_for("请核对申请信息")
    check("review")


def _home(person: Person, elder: bool) -> None:
    """Back to the start screen the way a citizen does (the 首页 button), and into elder mode again:
    going home ends the visit, and the next citizen starts in normal mode."""
    if not person.sees("您好，欢迎来办事"):
        person.tap("nav_home")
    person.wait_for("您好，欢迎来办事")
    if elder:
        person.tap("header_elder")


SIZES = [pytest.param(None, False, id="1920x1080"),
         pytest.param(None, True, id="1920x1080-elder"),
         pytest.param((1280, 720), False, id="1280x720", marks=pytest.mark.slow),
         pytest.param((1280, 720), True, id="1280x720-elder", marks=pytest.mark.slow),
         pytest.param((1080, 1920), False, id="1080x1920", marks=pytest.mark.slow),
         pytest.param((1080, 1920), True, id="1080x1920-elder", marks=pytest.mark.slow)]


def _unit(width: int, height: int) -> float:
    """The layout's scale at this window size (Theme.unitFor): 1 at 1920×1080 and at the upright
    1080×1920."""
    return max(0.5, min(width / 1080, height / 1920) if height > width else min(width / 1920, height / 1080))


@pytest.mark.parametrize(("size", "elder"), SIZES)
def test_every_touch_target_is_big_enough(people: Callable[..., Person], size: tuple[int, int] | None,
                                          elder: bool) -> None:
    person = people(size)
    if elder:
        person.tap("header_elder")
    least = MIN_AT_1080 * _unit(person.window.width(), person.window.height()) - 0.5  # rounding of scaled sizes
    small: list[str] = []
    seen: list[str] = []

    def check(screen: str) -> None:
        found = person.pressables(besides=("demoPanel",))
        assert found, f"{screen}: nothing pressable found (the walk is broken?)"
        seen.append(screen)
        small.extend(f"{screen}: {label} is {w:.0f}×{h:.0f} px" for label, w, h in found
                     if min(w, h) < least)

    _walk(person, check, elder)
    assert len(seen) == 17, seen
    assert not small, f"smaller than {least:.0f} px:\n" + "\n".join(dict.fromkeys(small))
