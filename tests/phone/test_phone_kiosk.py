"""The QR codes the kiosk prints open working phone pages (embedded default: reference platform
+ hall service in-process, simulated devices), as a citizen meets them: the ticket's QR read off
the printed paper opens its page, the same paper held under the kiosk's scanner at 评价 opens the
levels for that number, and the application receipt's printed QR opens the case's page (a forged
one does not)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from queueing.client import HallClient
from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import to_review, zh


@pytest.fixture
def person(tmp_path: Path, qapp: object) -> Iterator[Person]:
    someone = Person(tmp_path / "data")
    try:
        yield someone
    finally:
        someone.leave()


def test_printed_qr_codes_open_the_phone_pages(person: Person) -> None:
    hall = person.assembly.hall
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡申领")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for("取号成功")
    number = next(t for t in person.texts() if re.fullmatch(r"[A-Z]\d{3}", t))
    qr = person.printed_qr()                    # a phone camera on the printed ticket
    assert re.fullmatch(re.escape(hall.url) + r"/t/[0-9a-f]{48}", qr), qr
    page = requests.get(qr, timeout=10)
    assert page.status_code == 200 and number in page.text and "张三" not in page.text

    # the counter serves it (the staff's own client); the citizen holds the ticket under the scanner to rate
    staff = HallClient(hall.url, hall.tokens["counter"])
    counter_id = next(c["id"] for c in staff.counters()["counters"] if "S0101" in c["services"])
    staff.call_next(counter_id)
    staff.finish(counter_id)
    person.remove_card()
    person.tap("完成")
    person.wait_for(zh("home.title"))
    person.tap(zh("home.rating"))
    person.tap(zh("rating.rate"))
    person.wait_for(zh("rating.identify"))
    person.scan_printed_qr()
    person.wait_for(zh("rating.levels", number=number))
    person.tap(zh("common.home"))
    person.wait_for(zh("home.title"))

    to_review(person)
    person.tap(zh("submit.submit"))
    person.wait_for(zh("submit.done.title"), timeout=15)
    receipt = next(m.group(0) for t in person.texts() for m in re.finditer(r"SG\d{13}", t))
    receipt_qr = person.printed_qr()
    assert receipt_qr.startswith(hall.url + f"/a/{receipt}-"), receipt_qr
    page = requests.get(receipt_qr, timeout=10)
    assert page.status_code == 200 and receipt in page.text and "已受理" in page.text
    assert "张三" not in page.text and "13812345678" not in page.text
    forged = requests.get(hall.url + f"/a/{receipt}-0000000000000000", timeout=10)
    assert forged.status_code == 404
