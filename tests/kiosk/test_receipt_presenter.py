"""The kiosk's receipt watch as the device manager drives it: jobs printed through
``DeviceManager.print_job`` on a simulated presenter printer behind its pty."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from devices.config import parse_devices
from devices.manager import DeviceManager
from devices.printer import ApplicationReceipt, TicketSlip
from kiosk.receipt_presenter import ReceiptFate, ReceiptWatch
from tests.devices.dev_helpers import wait_for

WHEN = dt.datetime(2026, 3, 2, 9, 30)
RECEIPT = ApplicationReceipt(hall_name="测试政务服务中心", item_name="住房公积金提取", applicant_name="张三",
                             id_number="110101199003070514", issued_at=WHEN, receipt_number="SL2026-0001")
TICKET = TicketSlip("测试大厅", "A001", "综合窗口", "1号窗口", 0, 1, WHEN)


@pytest.fixture
def kiosk_printer() -> Iterator[tuple[DeviceManager, list[tuple[ReceiptFate, str, float]]]]:
    config = parse_devices({"idcard": {"port": "none"}, "scanner": {"kind": "none"}, "camera": {"device": "none"},
                            "keypad": {"device": "none"}, "printer": {"presenter": "gs_e"}})
    manager = DeviceManager(config).start()
    fates: list[tuple[ReceiptFate, str, float]] = []
    manager.on_printed = ReceiptWatch(manager, 0.6, lambda *fate: fates.append(fate), poll_s=0.05).printed
    try:
        yield manager, fates
    finally:
        manager.close()


Fates = list[tuple[ReceiptFate, str, float]]


def test_a_jammed_retract_is_reported_a_ticket_is_never_retracted(kiosk_printer: tuple[DeviceManager, Fates]) -> None:
    manager, fates = kiosk_printer
    sim = manager.simulators["printer"]
    sim.set_fault("retract_jam")
    assert manager.print_job("print_receipt", RECEIPT).ok
    wait_for(lambda: fates, timeout=6)
    assert fates == [(ReceiptFate.RETRACT_FAILED, "receipt", 0.6)] and sim.paper_at_mouth

    sim.set_fault(None)
    assert sim.take()
    assert manager.print_job("print_ticket", TICKET).ok        # no personal data: left at the mouth
    assert manager.print_job("print_receipt", RECEIPT).ok
    assert manager.print_job("print_ticket", TICKET).ok        # pushes the receipt on: watch ends
    retracts = sim.presenter_commands().count(b"\x1d\x65\x02")
    time.sleep(1.2)                                            # twice the retract time
    assert sim.presenter_commands().count(b"\x1d\x65\x02") == retracts and sim.paper_at_mouth
    assert len(fates) == 1


def test_the_booking_slip_is_watched_the_complaint_slip_is_not(kiosk_printer: tuple[DeviceManager, Fates]) -> None:
    """The slips as kiosk/booking.py and kiosk/complaints.py print them (``print_elements`` with
    their :class:`Slip`): the 预约 confirmation carries the masked name and ID, the complaint slip
    nothing of the person."""
    from devices.printer.layout import Text
    from kiosk.receipt_presenter import Slip

    manager, fates = kiosk_printer
    sim = manager.simulators["printer"]
    assert manager.print_job("print_elements", [Text("投诉编号 TS-0001")], Slip.COMPLAINT).ok
    time.sleep(1.2)                                            # twice the retract time
    assert fates == [] and sim.paper_at_mouth
    assert sim.take()
    assert manager.print_job("print_elements", [Text("预约成功 张*")], Slip.BOOKING).ok
    wait_for(lambda: fates, timeout=6)
    assert fates == [(ReceiptFate.RETRACTED, "booking", 0.6)] and not sim.paper_at_mouth
