"""English mode as a visitor uses it: "English" tapped on the home screen, then the guide (a zone,
an item's details), 自助申报 up to the 告知承诺 the citizen must agree to, and 取号 up to a
zone's service list. No Chinese shows on those screens, except a text that says it is
"(Chinese only)" (the catalogue had no English for it), the 中文 button that switches back, and
the hall's own name in the header (a proper name, not catalogue content) and the search hint's
example of typing in characters.

The second test gets its catalogue the way a hall does: from the platform (a reference platform
on loopback serving a catalogue JSON, as ``main.py platform --catalogue`` does, and the kiosk's
kiosk.toml pointing at it), with one item's English removed: that item's texts show in Chinese
with the note, never a silent mix."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from common.i18n import translate
from kiosk.catalogue import SAMPLE_CATALOGUE
from tests.acceptance.person import Person

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
SAMPLE = json.loads(SAMPLE_CATALOGUE.read_text(encoding="utf-8"))


def en(key: str, **params: object) -> str:
    return translate("en", key, **params)


def item(service_id: str) -> dict[str, Any]:
    return next(s for s in SAMPLE["services"] if s["id"] == service_id)


def zone(zone_id: str) -> dict[str, Any]:
    return next(z for z in SAMPLE["zones"] if z["id"] == zone_id)


def chinese_shown(person: Person) -> list[str]:
    """Texts on screen carrying Chinese without the "(Chinese only)" note."""
    # the UI's own example of a search in characters is a translator's string, not catalogue data
    allowed = {"中文", SAMPLE["hall_name"], en("guide.search.sub")}
    note = en("catalogue.chinese_only")
    # the citizen's own name (masked) is theirs, in their script
    names = [card.name for card in person.sims["idcard"].identities().values()]
    shown = []
    for text in person.texts():
        for name in names:
            text = text.replace(name[0] + "*", "")
        if HAN.search(text) and text not in allowed and note not in text:
            shown.append(text)
    return shown


def assert_english(person: Person, where: str) -> None:
    person.wait(0.3)
    shown = chinese_shown(person)
    assert not shown, f"Chinese without the note on {where}: {shown}"


def to_english(person: Person) -> None:
    person.tap("English")
    person.wait_for(en("home.title"))
    assert_english(person, "home")


def test_english_guide_submit_and_ticket_show_no_chinese(person: Person) -> None:
    to_english(person)
    # the guide: a zone, an item, its details
    person.tap(en("home.guide"))
    assert_english(person, "guide start")
    person.tap(en("guide.by_zone"))
    assert_english(person, "zones")
    person.tap(zone("social")["name_en"])
    assert_english(person, "zone list")
    person.tap(item("S0101")["name_en"])
    person.wait_for(en("guide.conditions"))
    assert_english(person, "guide detail")
    person.tap(en("common.home"))  # the session ends: the next one starts in Chinese
    # 自助申报 to the 告知承诺
    to_english(person)
    person.tap(en("home.submit"))
    assert_english(person, "submit pick")
    person.tap(item("S0103")["name_en"])
    person.wait_for(en("submit.card"))
    assert_english(person, "card")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("Phone")
    assert_english(person, "form")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")
    person.type("2026-01")
    person.press_key("\n")
    person.tap(en("common.next"))
    person.wait_for(en("submit.owe"))
    assert_english(person, "materials")
    person.tap(en("submit.owe"))
    person.tap(en("common.next"))
    person.wait_for(en("submit.accept"))
    assert_english(person, "commitment")
    assert person.sees(item("S0103")["commitment_en"][:30]), person.texts()
    person.tap(en("submit.accept"))
    person.wait_for(en("submit.review"))
    assert_english(person, "review")
    person.tap(en("common.home"))
    # 取号 to a service list
    to_english(person)
    person.tap(en("home.ticket"))
    assert_english(person, "ticket zones")
    person.tap(zone("social")["name_en"])
    person.wait_for(item("S0102")["name_en"])
    assert_english(person, "ticket services")


@pytest.fixture
def platform_without_english(tmp_path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A platform on loopback serving the sample with S0103's English removed (name kept), and
    S0201's form options without English."""
    from offline_cache.platform_server import start_reference_platform

    data = json.loads(json.dumps(SAMPLE))
    untranslated = next(s for s in data["services"] if s["id"] == "S0103")
    for key in ("conditions_en", "commitment_en", "window_hint_en", "fee_en"):
        untranslated.pop(key, None)
    for material in untranslated["materials"]:
        material.pop("name_en", None)
    for field in next(s for s in data["services"] if s["id"] == "S0201")["form"]:
        field.pop("options_en", None)
    running = start_reference_platform(tmp_path / "platform", catalogue=data)
    try:
        yield running, untranslated
    finally:
        running.server.shutdown()
        running.server.server_close()


def test_a_missing_translation_shows_the_chinese_with_a_note(
        people: Callable[..., Person], tmp_path: Path, platform_without_english: tuple[Any, dict[str, Any]]) -> None:
    running, untranslated = platform_without_english
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'version = 1\n\n[platform]\nurl = "{running.base_url}"\ntoken = "{running.token}"\n'
                    f'hall_key = "{running.hall_key}"\n', encoding="utf-8")
    person = people(config=toml)
    person.wait_for(translate("zh_CN", "home.title"), timeout=30)
    to_english(person)
    person.tap(en("home.guide"))
    person.tap(en("guide.by_zone"))
    person.tap(zone("social")["name_en"])
    person.tap(untranslated["name_en"])
    person.wait_for(en("guide.conditions"))
    note = en("catalogue.chinese_only")
    for chinese in untranslated["conditions"] + [untranslated["window_hint"]]:
        assert any(chinese in t and note in t for t in person.texts()), (chinese, person.texts())
    assert_english(person, "the untranslated item's guide")


def _select(service: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in service["form"] if f["type"] == "select")


def _english_withdrawal_to_review(person: Person, reason: str) -> None:
    """住房公积金提取 in English: the card, the reason chosen by its English option, the phone
    and amount typed, the proof owed, the commitment accepted: the review screen."""
    to_english(person)
    person.tap(en("home.submit"))
    person.tap(item("S0403")["name_en"])
    person.wait_for(en("submit.card"))
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("Phone")
    person.tap(reason)
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")
    person.type("3000")
    person.press_key("\n")
    person.tap(en("common.next"))
    person.wait_for(en("submit.owe"))
    person.tap(en("submit.owe"))
    person.tap(en("common.next"))
    person.tap(en("submit.accept"))
    person.wait_for(en("submit.review"))


def test_an_english_application_has_english_options_and_an_english_receipt(person: Person) -> None:
    renting = _select(item("S0403"))["options_en"][1]
    _english_withdrawal_to_review(person, renting)
    assert person.sees(renting), person.texts()  # the review says what was chosen, in English
    assert_english(person, "review")
    person.tap(en("submit.submit"))
    person.wait_for(en("submit.done.title"), timeout=15)
    printed = "\n".join(person.printed())
    assert item("S0403")["name_en"] in printed, printed
    assert item("S0403")["name"] not in printed, printed
    owed = item("S0403")["materials"][1]
    assert owed["name_en"] in printed and owed["name"] not in printed, printed


def test_an_option_without_english_shows_the_chinese_with_a_note(
        people: Callable[..., Person], tmp_path: Path, platform_without_english: tuple[Any, dict[str, Any]]) -> None:
    running, _untranslated = platform_without_english
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'version = 1\n\n[platform]\nurl = "{running.base_url}"\ntoken = "{running.token}"\n'
                    f'hall_key = "{running.hall_key}"\n', encoding="utf-8")
    person = people(config=toml)
    person.wait_for(translate("zh_CN", "home.title"), timeout=30)
    note = en("catalogue.chinese_only")
    to_english(person)
    person.tap(en("home.submit"))
    person.tap(item("S0201")["name_en"])  # its options have no English on this platform
    person.wait_for(en("submit.card"))
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("Purpose")
    for option in _select(item("S0201"))["options"]:
        assert any(option in t and note in t for t in person.texts()), (option, person.texts())
    assert_english(person, "a form whose options have no English")
