"""The kiosk's screens as a citizen reaches them, for the suite's measurements (touch targets,
docs/accessibility.md): :data:`SCREENS` lists each screen by a short name and the taps that bring a
citizen to it from the one before (the walk goes top to bottom in one visit); a new screen is one
more :class:`Screen` in the list (``home=True`` starts it from the home screen)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.acceptance.person import Person

WELCOME = "您好，欢迎来办事"


@dataclass(frozen=True)
class Screen:
    """One screen: its name in reports and how a citizen gets there (from the screen before it, or
    from the home screen when ``home``)."""

    name: str
    reach: Callable[[Person], None]
    home: bool = False


def _taps(*labels: str, wait: str | None = None) -> Callable[[Person], None]:
    def reach(person: Person) -> None:
        for label in labels:
            person.tap(label)
        if wait:
            person.wait_for(wait)
    return reach


def _search(person: Person) -> None:
    person.tap("办事指南")
    person.tap("搜索事项")
    person.tap("searchField")
    person.type("sb")
    person.wait_for("社会保障卡申领")


def _form(person: Person) -> None:
    person.place_card("zhang_san")
    person.wait_for("查询用途")


def _materials(person: Person) -> None:
    person.swipe_to("办理贷款")  # below the fold in elder mode
    person.tap("办理贷款")
    person.swipe_to("下一步")
    person.tap("下一步")
    person.wait_for("提交材料")


SCREENS: list[Screen] = [
    Screen("home", lambda person: None),
    Screen("guide", _taps("办事指南")),
    Screen("guide zones", _taps("按办事区域")),
    Screen("guide list", _taps("公安业务板块")),
    Screen("guide detail", _taps("居民身份证换领", wait="所需材料")),
    Screen("guide search", _search, home=True),
    # to the item's guide: the keyboard goes away with the search field
    Screen("guide search result", _taps("社会保障卡申领")),
    Screen("ticket", _taps("取号"), home=True),
    Screen("check-in", _taps("预约签到"), home=True),
    Screen("progress", _taps("办件查询"), home=True),
    Screen("receipt keypad", _taps("输入受理编号")),
    Screen("rating", _taps("评价与建议"), home=True),
    Screen("rating keypad", _taps("评价办事服务", wait="请输入号票上的号码")),
    Screen("submit", _taps("自助申报"), home=True),
    Screen("card", _taps("不动产登记资料查询", wait="请将身份证放在读卡区")),
    Screen("form", _form),
    Screen("materials", _materials),
    Screen("review", _taps("下一步", wait="请核对申请信息")),
]


def go_home(person: Person, elder: bool) -> None:
    """Back to the start screen the way a citizen does (the 首页 button), and into elder mode again:
    going home ends the visit, and the next citizen starts in normal mode."""
    if not person.sees(WELCOME):
        person.tap("nav_home")
    person.wait_for(WELCOME)
    if elder:
        person.tap("header_elder")


def walk(person: Person, elder: bool, check: Callable[[str], None],
         screens: list[Screen] | None = None) -> None:
    """Reach every screen as a citizen and call ``check`` with its name on each."""
    if elder:
        person.tap("header_elder")
    for screen in screens or SCREENS:
        if screen.home:
            go_home(person, elder)
        screen.reach(person)
        check(screen.name)
