"""新生儿出生一件事 as a parent does it, in Chinese, elder mode and English: the bundle found in the
guide as one entry with its four items and its 通办 line, submitted with one form (联系电话, which
all four items ask for, typed once) and one material list (居民身份证 and 户口簿, which several items
ask for, listed once), one receipt printed; the platform on loopback holds ONE record naming the
four items. Then a ticket for the bundle from the guide: its paper carries the 通办 line and a
counter program calling at the 一件事 window (W16) gets exactly that ticket."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from common.i18n import translate
from offline_cache.pulls import load_sample_catalogue
from queueing.client import HallClient
from tests.acceptance.person import Person

SAMPLE = load_sample_catalogue()
BUNDLE = next(b for b in SAMPLE["bundles"] if b["id"] == "B0101")
SERVICES = {s["id"]: s for s in SAMPLE["services"]}
TICKET_NO = re.compile(r"^[A-Z]\d{3}$")


def say(mode: str, key: str, **params: object) -> str:
    return str(translate("en" if mode == "en" else "zh_CN", key, **params))


def named(mode: str, entry: dict[str, Any]) -> str:
    return str(entry["name_en"] if mode == "en" else entry["name"])


def label(mode: str, entry: dict[str, Any]) -> str:
    return str(entry["label_en"] if mode == "en" else entry["label"])


def option(mode: str, service_id: str, key: str, index: int = 0) -> str:
    spec = next(f for f in SERVICES[service_id]["form"] if f["key"] == key)
    return str((spec["options_en"] if mode == "en" else spec["options"])[index])


def tongban(mode: str) -> str:
    places = "Shaoguan" if mode == "en" else "韶关市"
    return say(mode, "tongban.line", scopes=say(mode, "tongban.scope.city", places=places))


def in_view(person: Person, text: str) -> None:
    person.swipe_to(text)
    assert person.sees(text), person.texts()


def open_bundle(person: Person, mode: str) -> None:
    """Home → 办事指南 → 按区域 → 一件事专区 → 新生儿出生一件事."""
    person.wait_for(say(mode, "home.guide"))
    person.tap(say(mode, "home.guide"))
    person.tap(say(mode, "guide.by_zone"))
    zone = next(z for z in SAMPLE["zones"] if z["id"] == BUNDLE["zone"])
    person.tap(named(mode, zone))
    person.tap(named(mode, BUNDLE))
    person.wait_for(say(mode, "guide.bundle.members"))
    person.picture(f"{mode}-bundle-guide")


def _materials_once(person: Person, mode: str) -> list[str]:
    """Every material of the four items is on the one list, each exactly once."""
    names: dict[str, None] = {}
    for sid in BUNDLE["members"]:
        for m in SERVICES[sid]["materials"]:
            names[m["name_en"] if mode == "en" else m["name"]] = None
    asked = sum(len(SERVICES[sid]["materials"]) for sid in BUNDLE["members"])
    assert len(names) < asked  # the items do share materials
    for name in names:
        _swipe_up_until(person, name, over=list(names))
        person.swipe_to(name)
        # the row shows the name, with " *" for a core material
        assert sum(1 for t in person.texts() if t.removesuffix(" *") == name) == 1, (name, person.texts())
    return list(names)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["zh", "elder", "en"])
def test_a_bundle_is_one_form_one_material_list_one_submission_and_one_ticket(person: Person, mode: str) -> None:
    hall = person.assembly.hall
    staff = HallClient(hall.url, hall.tokens["counter"])
    if mode == "elder":
        person.tap("header_elder")
    elif mode == "en":
        person.tap("English")

    # the guide: one entry, its four items, the 通办 line
    open_bundle(person, mode)
    for sid in BUNDLE["members"]:
        in_view(person, named(mode, SERVICES[sid]))
    in_view(person, tongban(mode))

    # one form: 联系电话 (asked by all four items) once
    person.swipe_to(say(mode, "guide.do_here"))
    person.tap(say(mode, "guide.do_here"))
    person.wait_for(say(mode, "speech.insert_card"))
    person.place_card("zhang_san")
    phone = label(mode, SERVICES["S0101"]["form"][0])
    person.wait_for(phone)
    assert sum(1 for t in person.texts() if t.startswith(phone)) == 1, person.texts()
    person.swipe_to(option(mode, "S0601", "hospital"))  # the top of the form first
    person.tap(option(mode, "S0601", "hospital"))
    person.swipe_to("field_birth_date")
    person.tap("field_birth_date")
    person.type("2026-11-28")
    person.press_key("\n")  # ↵: on to the next field to type, 联系电话
    assert person.focused() == "field_phone", person.focused()
    person.type("13800138000")
    while person.keyboard_shown():  # the fields left to type are optional: on past them
        person.press_key("\n")
    for sid, key, index in (("S0305", "relation", 1), ("S0101", "bank", 0)):
        person.swipe_to(option(mode, sid, key, index))
        person.tap(option(mode, sid, key, index))
    person.swipe_to("button_next")
    person.tap("button_next")

    # one material list: shared materials once; the ID card read, 户口簿 owed, the photo taken
    person.wait_for(say(mode, "submit.material.card"))
    names = _materials_once(person, mode)
    hukou = names.index(SERVICES["S0101"]["materials"][2]["name_en" if mode == "en" else "name"])
    person.swipe_to(f"owe_{hukou}")  # 户口簿, asked by three items, owed once
    person.tap(f"owe_{hukou}")
    photo = names.index(SERVICES["S0101"]["materials"][1]["name_en" if mode == "en" else "name"])
    person.swipe_to(f"capture_{photo}")
    person.tap(f"capture_{photo}")
    person.wait_for(say(mode, "submit.camera.hint"))
    person.tap(say(mode, "submit.capture"))
    person.wait_for(say(mode, "submit.use"), timeout=15)
    person.tap(say(mode, "submit.use"))
    person.wait_for(say(mode, "submit.materials"))
    person.picture(f"{mode}-bundle-materials")
    _swipe_up_until(person, names[photo], over=names)  # back on the list: its row says so
    person.swipe_to(names[photo])
    person.wait_for(say(mode, "submit.material.photo"))
    person.swipe_to("button_next")
    person.tap("button_next")
    person.wait_for(say(mode, "submit.review"))
    person.swipe_to(say(mode, "submit.submit"))
    person.tap(say(mode, "submit.submit"))
    person.wait_for(say(mode, "submit.done.title"), timeout=15)
    covered = say(mode, "submit.done.bundle", n=4, items=(", " if mode == "en" else "、").join(
        named(mode, SERVICES[sid]) for sid in BUNDLE["members"]))
    person.swipe_to(covered)
    assert person.sees(covered), person.texts()  # one receipt for the four items
    assert len(person.sims["printer"].pages()) == 1  # one receipt

    # the platform holds one record, naming the four items
    store = person.assembly.platform.running.store
    records = [store.get_record(r["id"]) for r in store.list_records()
               if r["device_id"] == "kiosk-01" and r["kind"] == "application"]
    assert len(records) == 1, records
    payload = records[0]["payload"]  # type: ignore[index]
    assert payload["service_id"] == "B0101"
    assert [i["service_id"] for i in payload["bundle_items"]] == BUNDLE["members"]
    assert list(payload["form"]).count("phone") == 1
    person.remove_card()
    person.swipe_to(say(mode, "common.finish"))
    person.tap(say(mode, "common.finish"))

    # a ticket for the bundle: the 通办 line on its paper, called at the 一件事 window
    if mode == "elder":
        person.wait_for(say(mode, "home.guide"))
        if not person.sees(say(mode, "home.guide")):
            person.tap("header_elder")
    if mode == "en" and not person.sees(say(mode, "home.guide")):
        person.tap("English")
    open_bundle(person, mode)
    person.swipe_to(say(mode, "guide.take_ticket"))
    person.tap(say(mode, "guide.take_ticket"))
    person.wait_for(say(mode, "speech.insert_card"))
    person.place_card("zhang_san")  # 新生儿出生一件事 is a real-name service
    person.wait_for(say(mode, "ticket.done.title"))
    number = _ticket_number(person)
    person.wait(1.0)
    printed = "".join(person.printed())
    assert number in printed and tongban(mode).replace(" ", "") in printed.replace(" ", ""), person.printed()
    called = staff.call_next("W16")
    assert called is not None and called["ticket"]["number"] == number


def _swipe_up_until(person: Person, text: str, *, over: list[str], tries: int = 6) -> None:
    """A finger drawn up from one of the rows ``over`` on screen until ``text`` is on it (a list
    longer than the screen: the person reads on)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    for _ in range(tries):
        if person.sees(text):
            return
        shown = [t for t in over if person.sees(t) and person.in_sight(t)]  # not under the list's edge
        assert shown, person.texts()
        start = QPoint(*person.where(shown[-1]))
        rise = min(start.y() // 2, 300)
        finger = person._touchscreen()
        QTest.touchEvent(person.window, finger).press(0, start, person.window).commit()
        for step in range(1, 13):
            person.wait(0.02)
            QTest.touchEvent(person.window, finger).move(0, start - QPoint(0, rise * step // 12),
                                                         person.window).commit()
        QTest.touchEvent(person.window, finger).release(0, start - QPoint(0, rise), person.window).commit()
        person.wait(0.8)


def _ticket_number(person: Person, timeout: float = 10.0) -> str:
    for _ in range(int(timeout * 2)):
        found = [t for t in person.texts() if TICKET_NO.match(t)]
        if found:
            return found[0]
        person.wait(0.5)
    raise AssertionError(f"no ticket number shown: {person.texts()}")


def test_the_guide_finds_an_item_by_the_locality_it_accepts(
        people: Callable[..., Person], tmp_path: Path) -> None:
    """A platform on loopback flags 无犯罪记录证明 跨省通办 for 福建省龙岩市 (a flag the bundled sample
    does not have): longyan typed in pinyin finds it, and its guide says so."""
    from offline_cache.platform_server import start_reference_platform

    data = json.loads(json.dumps(SAMPLE))
    flagged = SERVICES["S0304"]
    next(s for s in data["services"] if s["id"] == "S0304")["tongban"] = [
        {"scope": "cross_province", "localities": [{"name": "福建省龙岩市", "name_en": "Longyan, Fujian"}]}]
    running = start_reference_platform(tmp_path / "platform", catalogue=data)
    try:
        toml = tmp_path / "kiosk.toml"
        toml.write_text(f'version = 1\n\n[platform]\nurl = "{running.base_url}"\ntoken = "{running.token}"\n'
                        f'hall_key = "{running.hall_key}"\n', encoding="utf-8")
        person = people(config=toml)
        person.wait_for(say("zh", "home.title"), timeout=30)
        person.tap(say("zh", "home.guide"))
        person.tap(say("zh", "guide.search"))
        person.tap("searchField")
        person.type("longyan")  # no ↵: the results follow the keys
        person.wait_for(flagged["name"], timeout=10)
        person.press_key("\n")
        person.wait(0.3)
        person.tap(flagged["name"])
        line = say("zh", "tongban.line", scopes=say("zh", "tongban.scope.cross_province", places="福建省龙岩市"))
        person.swipe_to(line)
        assert person.sees(line), person.texts()
    finally:
        running.server.shutdown()
        running.server.server_close()
