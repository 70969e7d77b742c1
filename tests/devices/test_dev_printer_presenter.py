"""The kiosk printer's presenter through a real pty: the driver's present / retract / status bytes
against the simulator that models the mouth (paper waiting, taken, retracted, a retract jam)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from devices.printer import ApplicationReceipt, Printer, TicketSlip
from devices.printer.presenter import Mouth, PresenterKind, parse_presenter
from devices.printer.simulator import PrinterSimulator
from tests.devices.dev_helpers import wait_for

WHEN = dt.datetime(2026, 3, 2, 9, 30)
RECEIPT = ApplicationReceipt(hall_name="测试政务服务中心", item_name="住房公积金提取", applicant_name="张三",
                             id_number="110101199003070514", issued_at=WHEN, receipt_number="SL2026-0001")


def _sim(kind: str) -> Iterator[tuple[PrinterSimulator, Printer]]:
    sim = PrinterSimulator(80, presenter=kind)
    sim.listen_pty()
    printer = Printer("serial:" + sim.url, {"presenter": kind})
    try:
        yield sim, printer
    finally:
        printer.close()
        sim.close()


@pytest.fixture
def gs_e() -> Iterator[tuple[PrinterSimulator, Printer]]:
    yield from _sim("gs_e")


@pytest.fixture
def custom() -> Iterator[tuple[PrinterSimulator, Printer]]:
    yield from _sim("custom")


def test_gs_e_receipt_waits_is_taken_or_retracted_and_a_jam_is_told(gs_e: tuple[PrinterSimulator, Printer]) -> None:
    sim, p = gs_e
    assert p.print_receipt(RECEIPT).ok
    assert p.present()
    wait_for(lambda: sim.presenter_commands())
    assert sim.presenter_commands()[0] == b"\x1d\x65\x03\x0c"          # GS e 3 m: present 12 steps
    assert p.presenter_status().mouth is Mouth.WAITING                 # GS e 6 → bit 3
    assert sim.take()
    assert p.presenter_status().mouth is Mouth.EMPTY

    assert p.print_receipt(RECEIPT).ok
    assert p.retract()
    wait_for(lambda: sim.retracted == 1)
    assert b"\x1d\x65\x02" in sim.presenter_commands()                 # GS e 2: retract
    assert p.presenter_status().mouth is Mouth.EMPTY
    assert not sim.take()

    sim.set_fault("retract_jam")
    assert p.print_receipt(RECEIPT).ok and p.retract()
    wait_for(lambda: p.presenter_status().mouth is Mouth.JAMMED)       # bit 7: jammed, paper stuck
    assert sim.paper_at_mouth and sim.retracted == 1
    sim.set_fault(None)                                                # the technician frees it
    assert sim.take()


def test_custom_family_speaks_fs_p_and_dle_eot_20(custom: tuple[PrinterSimulator, Printer]) -> None:
    sim, p = custom
    assert p.print_ticket(TicketSlip("测试大厅", "A001", "综合窗口", "1号窗口", 0, 1, WHEN)).ok
    assert p.presenter_status().mouth is Mouth.WAITING                 # paper status bit 5
    assert p.present(retract_after_s=20)
    wait_for(lambda: sim.presenter_commands())
    # FS P n1 n2 n3 n4: 12 steps, LED blinking, retract after 25 s (the kiosk's 20 + 5)
    assert sim.presenter_commands()[0] == b"\x1c\x50\x0c\x01R\x19"
    assert p.retract()
    wait_for(lambda: sim.retracted == 1)
    assert p.presenter_status().mouth is Mouth.EMPTY
    assert p.status().can_print                                        # DLE EOT 1-4 still as before


def test_status_bytes_of_both_families_and_a_printer_without_presenter(printer_sim: PrinterSimulator) -> None:
    assert parse_presenter(PresenterKind.GS_E, b"\x08").mouth is Mouth.WAITING
    assert parse_presenter(PresenterKind.GS_E, b"\x00").mouth is Mouth.EMPTY
    assert parse_presenter(PresenterKind.GS_E, b"\x88").mouth is Mouth.JAMMED
    assert parse_presenter(PresenterKind.CUSTOM, b"\x10\x0f\x20\x00\x00\x00").mouth is Mouth.WAITING
    assert parse_presenter(PresenterKind.CUSTOM, b"\x10\x0f\x20\x00\x40\x00").mouth is Mouth.JAMMED
    assert parse_presenter(PresenterKind.CUSTOM, b"\x12\x12").mouth is Mouth.UNKNOWN
    p = Printer("serial:" + printer_sim.url)
    try:
        assert not p.present() and not p.retract()
        assert p.presenter_status().mouth is Mouth.UNKNOWN
        assert "retract_jam" not in printer_sim.FAULTS
    finally:
        p.close()
