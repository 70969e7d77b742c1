"""办事指南 as a citizen uses it: search by typing pinyin on the on-screen keyboard (the results follow
each key, no ↵), by initials (`sb`) and by full pinyin (`shebao`), and browsing by zone to an
item's guide."""

from __future__ import annotations

from tests.acceptance.person import Person


def _to_search(person: Person) -> None:
    person.tap("办事指南")
    person.tap("搜索事项")
    person.tap("searchField")
    assert person.keyboard_shown(), "the keyboard did not come up for the search field"


def test_search_follows_pinyin_as_it_is_typed(person: Person) -> None:
    _to_search(person)
    person.type("sb")  # no ↵: the Pinyin keyboard is still composing
    person.wait_for("社会保障卡申领", timeout=3)
    assert person.keyboard_shown()
    for _ in "sb":
        person.press_key("\b")
    person.wait(0.3)
    assert not person.sees("社会保障卡申领"), "results stay after the query was erased"
    person.type("shebao")
    person.wait_for("社会保障卡申领", timeout=3)
    assert person.sees("职工退休待遇申领")  # the 社保 theme's items, not only names with 社保 in them


def test_browse_by_zone_to_an_items_guide(person: Person) -> None:
    person.tap("办事指南")
    person.tap("按办事区域")
    person.tap("公安业务板块")
    person.tap("居民身份证换领")
    person.wait_for("所需材料")
    assert person.sees("办理时限")
