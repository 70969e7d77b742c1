"""The QR codes the kiosk prints open working phone pages (embedded default: reference platform
+ hall service in-process, simulated devices): the ticket QR, the application receipt QR, and a
ticket QR scanned back at the kiosk's rating flow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kiosk.assembly import assemble_kiosk
from tests.kiosk.conftest import Kiosk, make_config
from tests.kiosk.test_flow_submit import _fill_and_submit


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    assembly = assemble_kiosk(make_config(tmp_path))
    try:
        yield Kiosk(assembly)
    finally:
        assembly.stop()


def test_printed_qr_codes_open_the_phone_pages(kiosk: Kiosk) -> None:
    kiosk.act("start", flow="ticket")
    kiosk.act("choose", id="social")
    kiosk.act("choose", id="S0101")
    kiosk.insert_card("zhang_san")
    screen = kiosk.wait_state("done")["screen"]
    qr = screen["qr"]
    assert re.fullmatch(re.escape(kiosk.assembly.hall.url) + r"/t/[0-9a-f]{48}", qr), qr
    page = requests.get(qr, timeout=10)
    assert page.status_code == 200 and screen["number"] in page.text and "张三" not in page.text

    # the counter serves it; the citizen scans the same QR at the kiosk to rate
    staff = kiosk.staff()
    counter_id = next(c["id"] for c in staff.counters()["counters"] if "S0101" in c["services"])
    staff.call_next(counter_id)
    staff.finish(counter_id)
    kiosk.remove_card()
    kiosk.act("home")
    kiosk.act("start", flow="rating")
    kiosk.act("choose", id="rate")
    kiosk.scan(qr)
    view = kiosk.wait_state("levels")
    assert screen["number"] in view["screen"]["title"]

    kiosk.act("home")
    _fill_and_submit(kiosk)
    kiosk.act("submit")  # 正在提交, then the receipt (the worker is never held up)
    done = kiosk.wait_state("done")
    receipt = done["screen"]["number"]
    receipt_qr = done["screen"]["qr"]
    assert receipt_qr.startswith(kiosk.assembly.hall.url + f"/a/{receipt}-"), receipt_qr
    page = requests.get(receipt_qr, timeout=10)
    assert page.status_code == 200 and receipt in page.text and "已受理" in page.text
    assert "张三" not in page.text and "13800138000" not in page.text
    forged = requests.get(kiosk.assembly.hall.url + f"/a/{receipt}-0000000000000000", timeout=10)
    assert forged.status_code == 404
