"""The A4 printer kind: documents printed through a real CUPS (cupsd on loopback, started here)
and checked as printed — the PDF CUPS handed its backend, rendered with pdftoppm, read with
pdftotext, its fonts listed with pdffonts; paper, offline and unreachable as CUPS reports them;
the simulator's faults through the same status path; the config section."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from devices.a4.driver import CupsA4Printer
from devices.a4.simulator import A4Simulator, SimulatedA4Printer
from devices.a4.status import A4Condition, A4Status
from devices.config import parse_devices
from devices.manager import DeviceManager
from devices.state import DeviceState
from kiosk.catalogue import load_sample_catalogue
from kiosk.documents import (
    JOB_CHECKLIST,
    JOB_FORM,
    JOB_LICENCE_COPY,
    JOB_RECEIPT,
    Imprint,
    application_form_pdf,
    case_receipt_pdf,
    licence_copy_pdf,
    materials_checklist_pdf,
)
from tests.cups_server import CupsServer, cups_or_skip, missing_binaries, pdf_fonts, pdf_text, render_png

SERVICE = load_sample_catalogue().service("S0101")
assert SERVICE is not None
IMPRINT = Imprint("市民中心政务服务大厅", "K-07")


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    yield from cups_or_skip()


@pytest.fixture
def manager(cups: CupsServer) -> Iterator[DeviceManager]:
    cfg = parse_devices({"idcard": {"port": "none"}, "printer": {"connection": "none"},
                         "scanner": {"kind": "none"}, "camera": {"device": "none"},
                         "a4_printer": {"connection": cups.uri}})
    with DeviceManager(cfg, printer_poll=60) as m:
        yield m


def _embedded(path: Path) -> None:
    fonts = pdf_fonts(path).splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    for line in fonts:
        cols = line.split()
        assert "WenQuanYi" in line or "HallCJK" in line or "Zen" in line, line
        assert cols[-5] == "yes" and cols[-4] == "yes", f"font not embedded/subset: {line}"


def _inked(png: Path) -> float:
    gray = Image.open(png).convert("L")
    dark = sum(1 for p in gray.get_flattened_data() if p < 128)
    return dark / (gray.width * gray.height)


def _flat(text: str) -> str:
    return "".join(text.split())


def test_materials_checklist_prints_through_cups_with_the_cjk_font_embedded(cups, manager, tmp_path):
    before = len(cups.jobs())
    result = manager.print_a4(materials_checklist_pdf(SERVICE, "zh_CN", IMPRINT), JOB_CHECKLIST)
    assert result.ok, result
    printed = cups.wait_for_jobs(before + 1)[-1]
    text = _flat(pdf_text(printed))
    assert "社会保障卡申领材料清单（一次告知）" in text
    for material in SERVICE.materials:
        assert _flat(material.name) in text
    assert "K-07" in text and "市民中心政务服务大厅" in text
    _embedded(printed)
    png = render_png(printed, tmp_path / "checklist")
    assert 0.001 < _inked(png) < 0.2   # text on a white page, not blank, not black
    assert manager.state("a4_printer")[0] is DeviceState.READY


def test_checklist_in_english(cups, manager):
    before = len(cups.jobs())
    assert manager.print_a4(materials_checklist_pdf(SERVICE, "en", IMPRINT), JOB_CHECKLIST).ok
    text = pdf_text(cups.wait_for_jobs(before + 1)[-1])
    assert "Social security card application: materials checklist" in text
    assert "Everything this service needs" in text


def test_form_and_receipt_print_masked(cups, manager):
    before = len(cups.jobs())
    form = application_form_pdf(SERVICE, {"phone": "13812345678", "address": "幸福路12号3单元", "bank": "工商银行"},
                                "zh_CN", IMPRINT, applicant_name="张三丰", applicant_id="110105194912310021")
    receipt = case_receipt_pdf(SERVICE, "SB20261202-0007", "zh_CN", IMPRINT, applicant_name="张三丰",
                               owed=["一寸照片"])
    assert manager.print_a4(form, JOB_FORM).ok and manager.print_a4(receipt, JOB_RECEIPT).ok
    form_text, receipt_text = (_flat(pdf_text(p)) for p in cups.wait_for_jobs(before + 2)[-2:])
    assert "张**" in form_text and "110105********0021" in form_text and "工商银行" in form_text
    for secret in ("张三丰", "13812345678", "194912310", "幸福路12号"):
        assert secret not in form_text and secret not in receipt_text
    assert "受理编号：SB20261202-0007" in receipt_text and "一寸照片" in receipt_text


def test_licence_copy_carries_the_watermark(cups, manager, tmp_path):
    page = Image.new("RGB", (600, 400), "white")
    page.paste((30, 60, 160), (40, 40, 560, 120))
    buf = tmp_path / "licence.png"
    page.save(buf)
    before = len(cups.jobs())
    assert manager.print_a4(licence_copy_pdf(buf.read_bytes(), "办理社保卡", "zh_CN", IMPRINT), JOB_LICENCE_COPY).ok
    printed = cups.wait_for_jobs(before + 1)[-1]
    text = _flat(pdf_text(printed))
    assert "仅供办理社保卡使用" in text and "K-07" in text
    _embedded(printed)


def _wait_condition(printer: CupsA4Printer, condition: A4Condition, timeout: float = 15.0) -> A4Status:
    deadline = time.monotonic() + timeout
    status = printer.status()
    while status.condition is not condition and time.monotonic() < deadline:
        time.sleep(0.2)
        status = printer.status()
    return status


def test_paper_out_reported_by_cups_stops_printing_until_refilled(cups):
    printer = CupsA4Printer(cups.uri)
    try:
        before = len(cups.jobs())
        cups.set_fault("media-empty-error")
        assert printer.print_pdf(materials_checklist_pdf(SERVICE, "zh_CN"), JOB_CHECKLIST).ok  # CUPS took it
        status = _wait_condition(printer, A4Condition.PAPER_OUT)
        assert status.condition is A4Condition.PAPER_OUT and not status.can_print, status
        refused = printer.print_pdf(materials_checklist_pdf(SERVICE, "zh_CN"), JOB_CHECKLIST)
        assert not refused.ok and refused.reason == "paper_out"
        cups.clear_fault()
        cups.wait_for_jobs(before + 1)   # the held job comes out once paper is back
        assert _wait_condition(printer, A4Condition.READY).can_print
    finally:
        cups.clear_fault()
        printer.close()


def test_stopped_queue_is_offline(cups):
    printer = CupsA4Printer(cups.uri)
    try:
        cups.disable()
        assert _wait_condition(printer, A4Condition.OFFLINE).condition is A4Condition.OFFLINE
    finally:
        cups.enable()
        printer.close()


def test_cups_not_answering_is_unreachable_and_the_manager_says_disconnected(tmp_path):
    if missing_binaries():
        pytest.skip("CUPS not installed (ipptool missing): apt-get install cups-ipp-utils")
    server = CupsServer()   # a port nobody listens on
    cfg = parse_devices({"idcard": {"port": "none"}, "printer": {"connection": "none"}, "scanner": {"kind": "none"},
                         "camera": {"device": "none"}, "a4_printer": {"connection": server.uri, "timeout_s": 2}})
    with DeviceManager(cfg, printer_poll=60) as m:
        status = m.a4_status()
        assert not status.reachable and status.condition is A4Condition.UNREACHABLE
        assert m.state("a4_printer")[0] is DeviceState.DISCONNECTED
        assert not m.print_a4(b"%PDF-1.4", "test-page").ok
    server.close()


@pytest.mark.parametrize(("fault", "condition", "prints"), [
    (None, A4Condition.READY, True), ("paper_out", A4Condition.PAPER_OUT, False),
    ("paper_low", A4Condition.PAPER_LOW, True), ("toner_out", A4Condition.TONER_OUT, False),
    ("toner_low", A4Condition.TONER_LOW, True), ("jam", A4Condition.JAM, False),
    ("door_open", A4Condition.DOOR_OPEN, False), ("offline", A4Condition.OFFLINE, False),
    ("unreachable", A4Condition.UNREACHABLE, False)])
def test_simulator_faults_go_through_the_ipp_status_path(fault, condition, prints):
    printer = SimulatedA4Printer(A4Simulator())
    printer.simulator.set_fault(fault)
    result = printer.print_test_page()
    assert printer.last_status.condition is condition
    assert result.ok is prints and len(printer.simulator.jobs) == (1 if prints else 0)


def test_manager_runs_the_simulator_and_reports_its_faults():
    cfg = parse_devices({"idcard": {"port": "none"}, "printer": {"connection": "none"}, "scanner": {"kind": "none"},
                         "camera": {"device": "none"}, "a4_printer": {"connection": "sim"}})
    alerts: list[tuple[str, str]] = []
    with DeviceManager(cfg, printer_poll=60, on_alert=lambda k, m: alerts.append((k, m))) as m:
        assert "jam" in m.faults("a4_printer")
        m.simulators["a4_printer"].set_fault("jam")
        assert m.a4_status().condition is A4Condition.JAM
        assert m.state("a4_printer") == (DeviceState.ERROR, "jam")
        assert alerts and alerts[-1][0] == "a4_printer"


def test_ipp_reasons_map_to_conditions():
    assert A4Status.from_ipp(3, ["none"]).condition is A4Condition.READY
    assert A4Status.from_ipp(5, ["media-jam-error", "toner-low-warning"]).condition is A4Condition.JAM
    assert A4Status.from_ipp(3, ["toner-low-report"]).warning
    assert A4Status.from_ipp(4, ["offline-report"]).condition is A4Condition.OFFLINE
    assert A4Status.from_ipp(3, ["none"], accepting=False).condition is A4Condition.OFFLINE


def test_config_names_the_key_of_a_bad_queue():
    assert parse_devices({}).a4_printer.connection == "none"
    with pytest.raises(ValueError, match=r"devices\.a4_printer\.connection: .*ipp://"):
        parse_devices({"a4_printer": {"connection": "/dev/usb/lp0"}})
    assert parse_devices({"a4_printer": {"connection": "ipp://127.0.0.1:631/printers/a4"}}).has_real_devices()


def test_monthly_report_embeds_its_cjk_font(tmp_path):
    from queueing.report import pdf

    path = tmp_path / "report.pdf"
    path.write_bytes(pdf({}, "zh_CN", hall_name="市民中心", generated="2026-12-01"))
    _embedded(path)


def test_technician_panel_prints_an_a4_test_page_through_cups(qtbot, cups, manager, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    from kiosk.audit import AuditLog
    from kiosk.config import Config
    from kiosk.technician import Technician
    from ui.qt_app import application
    from ui.technician_app import TechnicianWindow

    application()
    tech = Technician(config=Config(), config_path=None, audit=AuditLog(tmp_path / "audit.jsonl"), devices=manager)
    window = TechnicianWindow(tech)
    qtbot.addWidget(window)
    before = len(cups.jobs())
    qtbot.mouseClick(window.findChild(QPushButton, "test_a4_printer"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✓" in window.test_output.toPlainText(), timeout=15000)
    text = _flat(pdf_text(cups.wait_for_jobs(before + 1)[-1]))
    assert "打印测试页" in text and "A4testpage" in text


def test_licence_copy_of_a_pdf_licence_shows_its_page_under_the_watermark(tmp_path):
    licence = case_receipt_pdf(SERVICE, "DZZZ-0001", "zh_CN")   # any one-page PDF stands in for the licence
    path = tmp_path / "copy.pdf"
    path.write_bytes(licence_copy_pdf(licence, "不动产登记", "zh_CN", IMPRINT))
    assert "仅供不动产登记使用" in _flat(pdf_text(path))
    _embedded(path)
    assert 0.001 < _inked(render_png(path, tmp_path / "copy")) < 0.5   # the page's picture is on it
