"""One name mask everywhere: the phone page (over HTTP from a real hall service asking the
reference platform) and the receipt the real printer driver sends to the printer simulator over a
pty show the same name identically, for rare characters, ``·`` and a foreigner's Latin name."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time

import pytest
import requests

from devices.printer.driver import Printer
from devices.printer.simulator import PrinterSimulator
from devices.printer.templates import ApplicationReceipt
from offline_cache.platform_faults import FaultRule
from queueing.public_tokens import application_token

NAMES = {  # the full name as read from the card → what every surface must show
    "阿卜杜拉·买买提": "阿***·***",
    "王䶮": "王*",
    "䶮": "*",
    "JOHN SMITH": "J*** ***",
    "欧阳娜娜": "欧***",
}


def _printed_applicant(name: str) -> str:
    sim = PrinterSimulator(80)
    sim.listen_pty()
    printer = Printer("serial:" + sim.url, {"paper_mm": 80})
    try:
        result = printer.print_receipt(ApplicationReceipt(
            "政务服务中心", "社会保障卡申领", name, "11010519491231002X", dt.datetime(2026, 11, 23, 9, 15),
            receipt_number="SG2026112300001"))
        assert result.ok, result.reason
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("Applicant" in line for line in sim.text_lines()):
            time.sleep(0.05)
    finally:
        printer.close()
        sim.close()
    line = next(line for line in sim.text_lines() if "Applicant" in line)
    assert name not in "".join(sim.text_lines())
    return line.split("Applicant:", 1)[1].strip()


def _phone_applicant(platform, platform_hall, receipt: str, name: str) -> str:
    # The platform's status answer carries the applicant's name (the contract has no such field:
    # a platform that sends one unmasked must still not put it on a phone).
    body = {"receipt_no": receipt, "status": "accepted", "status_text": "已受理", "updated_at":
            "2026-11-23T09:15:02+08:00", "deadline": "2026-12-08", "missing_materials": [],
            "service_id": "S0101", "applicant_masked": name}
    platform.platform.faults.add(FaultRule("raw", times=1, path=f"/v1/applications/{receipt}",
                                           body=json.dumps(body, ensure_ascii=False)))
    key = platform_hall.credentials["hall_key"]
    r = requests.get(f"{platform_hall.base_url}/a/{application_token(key, receipt)}", timeout=10)
    assert r.status_code == 200 and receipt in r.text
    assert name not in r.text and html.escape(name) not in r.text
    found = re.search(r"<dt>申请人</dt><dd>([^<]*)</dd>", r.text)
    assert found, r.text
    return html.unescape(found.group(1))


@pytest.mark.parametrize("name", list(NAMES))
def test_phone_page_and_paper_mask_a_name_identically(name, platform, platform_hall) -> None:
    receipt = "SG20261123" + f"{list(NAMES).index(name):05d}"
    on_phone = _phone_applicant(platform, platform_hall, receipt, name)
    on_paper = _printed_applicant(name)
    assert on_phone == on_paper == NAMES[name]
