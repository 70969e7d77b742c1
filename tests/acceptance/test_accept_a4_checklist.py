"""打印材料清单 as a citizen uses it: at a kiosk whose kiosk.toml names an A4 printer (a real CUPS
queue on loopback, tests/cups_server.py), the guide of an item offers the button; a tap prints the
一次告知 checklist on A4, and what CUPS handed the printer is read back (pdftotext) — in Chinese,
in elder mode and in English. Without an A4 printer the button is not there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.acceptance.person import Person
from tests.cups_server import CupsServer, missing_binaries, pdf_text


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"CUPS not installed ({', '.join(missing)} missing): "
                    "apt-get install cups-daemon cups-client cups-ipp-utils")
    server = CupsServer().start()
    yield server
    server.close()


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


@pytest.mark.parametrize("mode", ["zh", "elder"])
def test_citizen_prints_the_materials_checklist(people, tmp_path, cups, mode) -> None:
    person = _kiosk(people, tmp_path, cups)
    if mode == "elder":
        person.tap("header_elder")
        person.wait_for("办事指南")
    before = len(cups.jobs())
    person.tap("办事指南")
    person.tap("按办事区域")
    _browse_to_id_card_renewal(person, "公安业务板块", "居民身份证换领", "所需材料")
    person.swipe_to("打印材料清单")
    person.tap("打印材料清单")
    person.wait_for("材料清单已打印，请在打印机出纸口取走")
    text = _flat(pdf_text(cups.wait_for_jobs(before + 1)[-1]))
    assert "居民身份证换领材料清单（一次告知）" in text
    assert "所需材料" in text and "一次告知" in text
    person.tap("返回上一步")
    person.wait_for("所需材料")


def test_visitor_prints_the_checklist_in_english(people, tmp_path, cups) -> None:
    person = _kiosk(people, tmp_path, cups)
    person.tap("English")
    before = len(cups.jobs())
    person.tap("Service guide")
    person.tap("By area")
    _browse_to_id_card_renewal(person, "Public Security", "Renewal of the resident ID card", "Materials")
    person.swipe_to("Print materials checklist")
    person.tap("Print materials checklist")
    person.wait_for("The checklist is printed; please take it from the printer")
    text = pdf_text(cups.wait_for_jobs(before + 1)[-1])
    assert "Renewal of the resident ID card: materials checklist" in text
    assert "Materials" in text and "Everything this service needs, told at once" in text


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
