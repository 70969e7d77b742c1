"""Device trouble as a citizen and the staff meet it: the ID-card reader fails while a citizen
waits at 请刷身份证, the printer runs out of paper or is opened while nobody is at the kiosk or
while a ticket prints. The faults are the simulators' own (``FAULTS`` of each simulator class),
played on the real ptys; the staff side is a real hall client reading the hall's alert list."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.i18n import translate
from devices.idcard.simulator import IdCardSimulator
from devices.printer.simulator import PrinterSimulator
from queueing.client import HallClient
from tests.acceptance.person import Person

# The reader faults a citizen meets as "cannot read": a card that cannot be read or a reader that
# does not work at all. "slow" and "garbage" still read; "no_card" is a reader that sees no card.
CARD_FAULTS = ("bad_checksum", "disconnect", "sam_failure", "silent", "unreadable")
PRINTER_FAULTS = ("paper_out", "cover_open")


def _alerts(person: Person, kind: str, timeout: float) -> list[dict[str, object]]:
    hall = person.assembly.hall
    staff = HallClient(hall.url, hall.tokens["counter"])
    deadline = time.monotonic() + timeout
    while True:
        found = [a for a in staff.alerts() if a.get("kind") == kind]
        if found or time.monotonic() > deadline:
            return found
        person.wait(0.5)


def _at_the_card_page(person: Person) -> None:
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡挂失与补换")
    person.wait_for("请将身份证放在读卡区")


def test_the_fault_lists_cover_what_is_tested() -> None:
    assert set(CARD_FAULTS) <= set(IdCardSimulator.FAULTS)
    assert set(PRINTER_FAULTS) <= set(PrinterSimulator.FAULTS)


@pytest.mark.parametrize("fault", CARD_FAULTS)
def test_a_card_reader_fault_while_a_citizen_waits(person: Person, fault: str) -> None:
    _at_the_card_page(person)
    person.break_device("idcard", fault)
    person.place_card("zhang_san")
    person.wait_for("读不出", timeout=3.0)
    assert person.sees("窗口")  # the way forward without a card
    assert _alerts(person, "idcard", 15.0), "no staff alert about the reader"
    person.break_device("idcard", None)
    person.remove_card()
    person.wait(1.5)
    person.place_card("zhang_san")
    person.wait_for("取号成功", timeout=10.0)


def test_the_reader_unplugged_while_nobody_is_there(person: Person) -> None:
    person.wait_for("您好，欢迎来办事")
    person.break_device("idcard", "disconnect")
    assert _alerts(person, "idcard", 15.0), "no staff alert about the reader"


def test_each_printer_fault_while_idle_reaches_the_staff(person: Person) -> None:
    person.wait_for("您好，欢迎来办事")
    seen = 0
    for fault in PRINTER_FAULTS:
        person.break_device("printer", fault)
        deadline = time.monotonic() + 15.0
        while len(_alerts(person, "printer", 0)) <= seen and time.monotonic() < deadline:
            person.wait(0.5)
        alerts = _alerts(person, "printer", 0)
        assert len(alerts) > seen, f"no staff alert for {fault}"
        seen = len(alerts)
        # in the staff's words, whatever the kiosk's screen shows: 打印机故障（打印纸用完）, no codes
        words = translate("zh_CN", f"printer.status.{fault}")
        said = [str(a["message"]).split("：", 1)[-1] for a in alerts if words in str(a["message"])]
        assert said and not re.search(r"[A-Za-z]{2,}", said[0]), [a["message"] for a in alerts]


def test_paper_out_while_a_ticket_prints(person: Person) -> None:
    person.break_device("printer", "paper_out")
    _at_the_card_page(person)
    person.place_card("zhang_san")
    person.wait_for("取号成功")
    assert person.sees("A001")  # shown large when it cannot be printed
    assert _alerts(person, "printer", 15.0)


@pytest.mark.parametrize("allowed", [True, False], ids=["ecard_qr", "card_only"])
def test_a_broken_reader_offers_the_electronic_id_where_the_hall_allows_it(
        people: Callable[..., Person], tmp_path: Path, allowed: bool) -> None:
    """kiosk.ecard_qr in the hall's kiosk.toml: with the reader failing (the simulator's SAM fault)
    the citizen is told the counter takes the 电子身份证 QR on the phone; without it, not."""
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f"version = 1\n\n[kiosk]\necard_qr = {str(allowed).lower()}\n", encoding="utf-8")
    person = people(config=toml)
    _at_the_card_page(person)
    person.break_device("idcard", "sam_failure")
    person.place_card("zhang_san")
    person.wait_for("读不出", timeout=3.0)
    assert person.sees(translate("zh_CN", "device.card.counter")), person.texts()
    assert person.sees("电子身份证") is allowed, person.texts()
    person.tap("English")
    person.wait_for("counter")
    assert person.sees("electronic ID") is allowed, person.texts()
