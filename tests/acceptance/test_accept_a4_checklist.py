"""打印材料清单 as a citizen uses it: at a kiosk whose kiosk.toml names an A4 printer (a real CUPS
queue on loopback, tests/cups_server.py), the guide of an item offers the button; a tap prints the
一次告知 checklist on A4, and what CUPS handed the printer is read back (pdftotext) — in Chinese,
in elder mode and in English. Without an A4 printer the button is not there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from common.i18n import translate
from tests.acceptance.person import Person
from tests.cups_server import CupsServer, cups_or_skip, pdf_text


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    yield from cups_or_skip()


def _kiosk(people: Callable[..., Person], tmp_path: Path, cups: CupsServer) -> Person:
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[devices.a4_printer]\nconnection = "{cups.uri}"\n', encoding="utf-8")
    return people(config=toml)


def _flat(text: str) -> str:
    return "".join(text.split())


def _browse_to_id_card_renewal(person: Person, zone: str, item: str, materials: str) -> None:
    person.tap(zone)
    person.tap(item)
    person.wait_for(materials)


#: by mode: the taps from the guide to the item, what the item's guide shows, the button, what
#: the kiosk says after printing, and what the printed checklist says
MODES = {
    "zh": (("办事指南", "按办事区域", "公安业务板块", "居民身份证换领"), "所需材料", "打印材料清单",
           "材料清单已打印，请在打印机出纸口取走", ("居民身份证换领材料清单（一次告知）", "所需材料", "一次告知")),
    "en": (("Service guide", "By area", "Public Security", "Renewal of the resident ID card"), "Materials",
           "Print materials checklist", "The checklist is printed; please take it from the printer",
           ("Renewalofthe residentIDcard:materialschecklist", "Materials", "Everythingthisserviceneeds,toldatonce")),
}


@pytest.mark.parametrize("mode", ["zh", "elder", "en"])
def test_citizen_prints_the_materials_checklist(people, tmp_path, cups, mode) -> None:
    person = _kiosk(people, tmp_path, cups)
    if mode == "elder":
        person.tap("header_elder")
        person.wait_for("办事指南")
    elif mode == "en":
        person.tap("English")
    taps, shown, button, said, printed = MODES["en" if mode == "en" else "zh"]
    before = len(cups.jobs())
    for label in taps:
        person.tap(label)
    person.wait_for(shown)
    person.swipe_to(button)
    person.tap(button)
    person.wait_for(said)
    text = _flat(pdf_text(cups.wait_for_jobs(before + 1)[-1]))
    for words in printed:
        assert _flat(words) in text, (words, text)
    person.tap(translate("en" if mode == "en" else "zh_CN", "common.back"))
    person.wait_for(shown)


def test_no_button_without_an_a4_printer(person: Person) -> None:
    person.tap("办事指南")
    person.tap("按办事区域")
    _browse_to_id_card_renewal(person, "公安业务板块", "居民身份证换领", "所需材料")
    assert not person.sees("打印材料清单")


def test_printer_out_of_paper_says_so_and_sends_nothing(people, tmp_path) -> None:
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[devices.a4_printer]\nconnection = "sim"\n', encoding="utf-8")
    person = people(config=toml)
    person.break_device("a4_printer", "paper_out")
    person.tap("办事指南")
    person.tap("按办事区域")
    _browse_to_id_card_renewal(person, "公安业务板块", "居民身份证换领", "所需材料")
    person.swipe_to("打印材料清单")
    person.tap("打印材料清单")
    person.wait_for("打印机暂时不能打印，请扫码在手机上查看清单，或到咨询台领取")
    assert person.sims["a4_printer"].jobs == []
    person.break_device("a4_printer", None)
    person.tap("返回上一步")
    person.tap("打印材料清单")
    person.wait_for("材料清单已打印，请在打印机出纸口取走")
    assert [name for name, _ in person.sims["a4_printer"].jobs] == ["materials-checklist"]
