"""ESC/POS bytes, status bits, templates, the driver against the simulator, and the golden ticket."""

import datetime as dt
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devices.printer.driver import Printer
from devices.printer.encoder import (
    CHINESE_OFF,
    CHINESE_ON,
    align_cmd,
    chinese_line,
    cut_cmd,
    encode,
    qr_native,
    raster_cmd,
    size_cmd,
)
from devices.printer.layout import QR, Text, wrap_columns
from devices.printer.printer_profile import PrinterProfile
from devices.printer.simulator import EscposPaper, PrinterSimulator
from devices.printer.status import PrinterStatus, parse_status, status_bytes
from devices.printer.templates import (
    ApplicationReceipt,
    RatingSlip,
    TicketSlip,
    receipt_layout,
    ticket_layout,
)

HAN = re.compile(r"[\u3400-\u9fff]")
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "ticket_80mm.png"
SLIP = TicketSlip("示例市政务服务中心", "A023", "社保卡业务", "3-5号综合窗口 · A区", 7, 15,
                  dt.datetime(2024, 5, 6, 9, 41), "https://hall.example.gov.cn/t/Xy7Kq2Lm")


def test_command_bytes():
    assert align_cmd("center") == b"\x1ba\x01"
    assert size_cmd(2, 3) == b"\x1d!\x12"
    assert size_cmd(1, 1) == b"\x1d!\x00"
    assert cut_cmd("partial") == b"\x1dV\x01" and cut_cmd("full") == b"\x1dV\x00"
    with pytest.raises(ValueError):
        size_cmd(9, 1)


def test_chinese_is_gb18030_inside_fs_and():
    assert chinese_line("你好，世界") == b"\x1c&" + "你好，世界".encode("gb18030") + b"\x1c."
    assert chinese_line("A001") == b"A001"
    # CJK punctuation alone is still sent as GB bytes (python-escpos' text() would print '?').
    assert chinese_line("，。：￥") == CHINESE_ON + bytes.fromhex("a3aca1a3a3baa3a4") + CHINESE_OFF


def test_raster_header_and_bits():
    img = Image.new("L", (16, 2), 255)
    img.putpixel((0, 0), 0)
    img.putpixel((15, 1), 0)
    assert raster_cmd(img) == b"\x1dv0\x00\x02\x00\x02\x00" + bytes([0x80, 0, 0, 0x01])


def test_native_qr_sequence():
    out = qr_native("https://x/t/abc", 4)
    assert out.startswith(b"\x1d(k\x04\x001A2\x00")
    assert b"\x1d(k\x12\x001P0https://x/t/abc" in out and out.endswith(b"\x1d(k\x03\x001Q0")


def test_rare_characters_fall_back_to_raster_on_a_gbk_font():
    gbk = encode([Text("王䶮")], PrinterProfile(font_charset="gbk"), cut=False)
    assert b"\x1dv0" in gbk and CHINESE_ON not in gbk
    full = encode([Text("王䶮")], PrinterProfile(font_charset="gb18030"), cut=False)
    assert CHINESE_ON + "王䶮".encode("gb18030") + CHINESE_OFF in full


def test_raster_mode_sends_no_text():
    data = encode([Text("社保卡业务 A023")], PrinterProfile(text_mode="raster"), cut=False)
    assert CHINESE_ON not in data and b"A023" not in data and b"\x1dv0" in data


def test_wrap_by_columns():
    assert wrap_columns("一二三四五", 4) == ["一二", "三四", "五"]
    assert wrap_columns("Please watch the display", 12) == ["Please watch", "the display"]


def test_status_bits_from_reference():
    assert status_bytes() == {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
    assert status_bytes(paper_near_end=True)[4] == 0x1E
    assert status_bytes(paper_out=True)[4] == 0x72
    assert status_bytes(paper_out=True, paper_near_end=True)[4] == 0x7E
    assert status_bytes(cover_open=True)[2] & 0x04 and status_bytes(cover_open=True)[1] & 0x08
    assert status_bytes(cutter_error=True)[3] & 0x08
    st_ = parse_status(bytes([0x12, 0x12, 0x12, 0x1E]))
    assert st_.can_print and st_.paper_near_end
    assert parse_status(bytes([0x1A, 0x16, 0x12, 0x12])).reason == "cover_open"
    assert parse_status(bytes([0x1A, 0x32, 0x12, 0x72])).reason == "paper_out"
    assert parse_status(bytes([0x1A, 0x52, 0x1A, 0x12])).reason == "cutter_error"
    assert parse_status(bytes([0x1A, 0x12, 0x12, 0x12])).reason == "offline"
    assert PrinterStatus(reachable=False).reason == "unreachable"


def test_templates_mask_personal_data_and_ticket_has_none():
    r = ApplicationReceipt("厅", "换领", "张三", "110105194912310021", dt.datetime(2024, 1, 1),
                           local_number="K1", owed_materials=["户口簿复印件"])
    texts = " ".join(e.text for e in receipt_layout(r) if isinstance(e, Text))
    assert "张*" in texts and "110105********0021" in texts
    assert "张三" not in texts and "194912310021" not in texts
    assert "网络恢复后" in texts and "when the connection returns" in texts and "户口簿复印件" in texts
    assert not hasattr(SLIP, "applicant_name") and not hasattr(SLIP, "id_number")
    assert any(isinstance(e, QR) and e.data.endswith("/t/Xy7Kq2Lm") for e in ticket_layout(SLIP))


def render(profile: PrinterProfile, elements) -> Image.Image:
    paper = EscposPaper(profile.paper_mm)
    paper.feed(encode(elements, profile))
    assert paper.unknown == 0 and len(paper.pages) == 1
    return paper.pages[0]


def test_golden_ticket():
    page = np.asarray(render(PrinterProfile(paper_mm=80), ticket_layout(SLIP)).convert("L"), dtype=np.int16)
    golden = np.asarray(Image.open(GOLDEN).convert("L"), dtype=np.int16)
    assert page.shape == golden.shape
    differing = np.count_nonzero(np.abs(page - golden) > 64) / page.size
    assert differing < 0.005, f"{differing:.2%} of pixels differ from {GOLDEN.name}"


def test_qr_on_the_printed_ticket_decodes():
    import zxingcpp

    profiles = (PrinterProfile(), PrinterProfile(paper_mm=58, text_mode="raster"),
                PrinterProfile(native_qr=True))
    for profile in profiles:
        page = np.asarray(render(profile, ticket_layout(SLIP)))
        found = [r.text for r in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)]
        assert found == [SLIP.qr_url]


def test_driver_end_to_end_over_pty(printer_sim):
    alerts = []
    p = Printer("serial:" + printer_sim.url, {"paper_mm": 80}, on_alert=alerts.append)
    try:
        assert p.status().can_print
        assert p.print_ticket(SLIP).ok
        printer_sim.set_status(paper_near_end=True)
        assert p.print_rating_slip(RatingSlip("厅", "A023", "社保", "3号窗口", "0123",
                                              dt.datetime(2024, 1, 1), "https://h/r/x")).ok
        assert len(alerts) == 1 and "near end" in alerts[0]
        for flag, reason in (("paper_out", "paper_out"), ("cover_open", "cover_open"),
                             ("cutter_error", "cutter_error"), ("offline", "offline")):
            printer_sim.set_status(**{flag: True})
            result = p.print_ticket(SLIP)
            assert (result.ok, result.reason) == (False, reason)
            printer_sim.set_status(**{flag: False})
        printer_sim.silent = True
        assert p.print_test_page().reason == "unreachable"
        printer_sim.silent = False
        assert p.print_test_page().ok
    finally:
        p.close()
    from dev_helpers import wait_for

    wait_for(lambda: len(printer_sim.pages()) == 3)


def test_paper_running_out_during_the_job_is_reported(printer_sim):
    p = Printer("serial:" + printer_sim.url)
    original = printer_sim.paper.feed
    def feed(data):  # the roll ends as the cut arrives
        if b"\x1dV" in data:
            printer_sim.paper.status["paper_out"] = True
        return original(data)
    printer_sim.paper.feed = feed
    try:
        result = p.print_ticket(SLIP)
        assert (result.ok, result.reason) == (False, "paper_out")
    finally:
        p.close()


def test_tcp_and_file_connections(tmp_path):
    sim = PrinterSimulator(58)
    url = sim.listen_tcp()
    p = Printer("tcp:" + url.removeprefix("socket://"), {"paper_mm": 58})
    try:
        result = p.print_ticket(SLIP)
        assert result.ok and result.status.raw == b"\x12\x12\x12\x12"
    finally:
        p.close()
        sim.close()
    out = tmp_path / "lp0"
    p = Printer(f"file:{out}")
    result = p.print_receipt(ApplicationReceipt("厅", "换领", "张三", "110105194912310021",
                                                dt.datetime(2024, 1, 1), receipt_number="R2024-1"))
    p.close()
    assert result.ok and not result.status.checked
    assert len(PrinterSimulator(80).render_file(str(out))) == 1


def test_unknown_connection_is_rejected():
    with pytest.raises(ValueError, match="unknown printer connection"):
        Printer("lpt1")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(1, 64))
def test_interpreter_never_hangs_on_random_bytes(data, chunk):
    paper = EscposPaper(58)
    done = threading.Event()
    for i in range(0, len(data), chunk):
        paper.feed(data[i:i + chunk])
    paper.feed(b"\n")
    done.set()
    paper.pending_page()


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 4000))
def test_interpreter_handles_a_job_cut_anywhere(cut):
    data = encode(ticket_layout(SLIP), PrinterProfile(paper_mm=58))
    paper = EscposPaper(58)
    paper.feed(data[:cut])
    paper.feed(data[cut:])
    assert len(paper.pages) == 1 and paper.unknown == 0


def test_paper_follows_the_slips_language_and_chinese_paper_keeps_its_english_companions():
    zh = " ".join(e.text for e in ticket_layout(SLIP) if isinstance(e, Text))
    assert "排队取号凭条 Queue ticket" in zh and "请留意叫号屏幕" in zh and "Please watch the display" in zh
    en_slip = TicketSlip(*[getattr(SLIP, f) for f in ("hall_name", "number", "service_name", "window",
                                                      "people_ahead", "estimated_minutes", "issued_at", "qr_url")],
                         channel="Green channel", language="en")
    en = [e.text for e in ticket_layout(en_slip) if isinstance(e, Text)]
    data = {SLIP.hall_name, SLIP.service_name}                       # the hall's own data stays as it is
    assert [t for t in en if HAN.search(t) and t not in data] == ["Window: 3-5号综合窗口 · A区"]
    assert "[Green channel]" in en and "7 people ahead of you" in en
    r = ApplicationReceipt("厅", "换领", "张三", "110105194912310021", dt.datetime(2024, 1, 1),
                           local_number="K1", language="en")
    texts = [e.text for e in receipt_layout(r) if isinstance(e, Text)]
    assert "Applicant: 张*" in texts and "Local No.: K1" in texts
    assert not [t for t in texts if HAN.search(t) and t not in ("厅", "Item: 换领", "Applicant: 张*")]


def test_a_missing_device_node_is_unreachable_and_nothing_is_created_in_dev() -> None:
    node = Path("/dev/kiosk-printer-test-absent")
    assert not node.exists()
    p = Printer(f"file:{node}")
    try:
        assert not p.status().reachable
        result = p.print_ticket(SLIP)
        assert not result.ok
    finally:
        p.close()
    assert not node.exists(), "opening an absent printer node must not create a file in /dev"
