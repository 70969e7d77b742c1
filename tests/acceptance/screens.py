"""The kiosk's screens as a citizen reaches them, for the suite's measurements (touch targets,
docs/accessibility.md): :data:`SCREENS` lists each screen by a short name and the taps that bring a
citizen to it from the one before (the walk goes top to bottom in one visit); a new screen is one
more :class:`Screen` in the list (``home=True`` starts it from the home screen)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from queueing.client import HallClient
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


def _first(pattern: str, wait: str) -> Callable[[Person], None]:
    """Tap the first shown text matching ``pattern`` (a day, a time slot), then wait for ``wait``."""
    def reach(person: Person) -> None:
        shown = [t for t in person.texts() if re.fullmatch(pattern, t)]
        assert shown, f"nothing matching {pattern!r} on screen: {person.texts()}"
        person.tap(shown[0])
        person.wait_for(wait)
    return reach


def _booking_day(person: Person) -> None:
    person.place_card("zhang_san")
    person.wait_for("请选择日期")


def _card_back_then(label: str) -> Callable[[Person], None]:
    """The citizen who booked takes the ID card off the reader, then the next task."""
    def reach(person: Person) -> None:
        person.remove_card()
        person.tap(label)
    return reach


def _delivery(person: Person) -> None:
    """The card back from the first submission, then 无犯罪记录证明 (delivered by post or picked up)
    up to the question of how the result reaches the citizen."""
    person.remove_card()
    person.tap("自助申报")
    person.tap("无犯罪记录证明")
    person.wait_for("请刷身份证")
    person.place_card("zhang_san")
    person.wait_for("联系电话")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")  # the only field to type: the keyboard closes
    person.swipe_to("就业")  # elder mode's bigger form runs on below
    person.tap("就业")
    person.tap("下一步")
    person.wait_for("已读取身份证")
    person.tap("下一步")
    person.wait_for("请核对申请信息")
    person.tap("确认提交")
    person.wait_for("办好后如何领取结果？")


def _served_then_rate(person: Person) -> None:
    """A 咨询服务 ticket taken at another kiosk of the hall and served at a counter (each by its own
    hall client, as those machines do), then 评价与建议 → 评价办事服务 → its number on the keypad:
    the five levels. (Taking it at this kiosk would end the visit at 完成, and elder mode with it.)"""
    hall = person.assembly.hall
    number = HallClient(hall.url, hall.tokens["kiosk"]).issue_ticket("S0501")["ticket"]["number"]
    staff = HallClient(hall.url, hall.tokens["counter"])
    counter = next(c["id"] for c in staff.counters()["counters"] if "S0501" in c["services"])
    staff.call_next(counter)
    staff.start(counter)
    staff.finish(counter)
    person.tap("评价与建议")
    person.tap("评价办事服务")
    person.wait_for("请输入号票上的号码")
    for key in number:
        person.tap(f"key_{key}", settle=0.15)
    person.tap("button_ok")
    person.wait_for(f"您对 {number} 号的办事服务满意吗？")


def _satisfied(person: Person) -> None:
    """满意 on the levels screen: the sub-scores (all three questions, or one per screen in elder
    mode)."""
    person.tap(next(t for t in person.texts() if t.splitlines()[-1] == "满意"))
    person.wait_for("服务态度")


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
    Screen("booking zone", _taps("预约其他日期", wait="请选择要预约的业务类别")),
    Screen("booking service", _taps("人社医保服务区", wait="请选择要预约的事项")),
    Screen("booking card", _taps("社会保障卡申领", wait="请放置身份证")),
    Screen("booking day", _booking_day),
    Screen("booking slot", _first(r"\d\d-\d\d 周.", "请选择时段")),
    Screen("booking confirm", _first(r"\d\d:\d\d–\d\d:\d\d", "请确认预约")),
    Screen("bundle", _taps("办事指南", "按办事区域", "一件事专区", "新生儿出生一件事", wait="一件事包含事项"),
           home=True),
    Screen("progress", _card_back_then("办件查询"), home=True),
    Screen("receipt keypad", _taps("输入受理编号")),
    Screen("rating", _taps("评价与建议"), home=True),
    Screen("rating keypad", _taps("评价办事服务", wait="请输入号票上的号码")),
    Screen("rating levels", _served_then_rate, home=True),
    Screen("rating scores", _satisfied),
    Screen("submit", _taps("自助申报"), home=True),
    Screen("card", _taps("不动产登记资料查询", wait="请将身份证放在读卡区")),
    Screen("form", _form),
    Screen("materials", _materials),
    Screen("review", _taps("下一步", wait="请核对申请信息")),
    Screen("delivery", _delivery, home=True),
    Screen("delivery address", _taps("邮寄", wait="请填写收件地址")),
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
