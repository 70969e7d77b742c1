"""统一窗口出件 as citizens meet it: 无犯罪记录证明 (an item whose certificate is handed out)
submitted at the kiosk ends with 自取 or 邮寄.

- 邮寄 (Chinese; English on the Latin keys): the address typed in Pinyin on the on-screen
  keyboard reaches the platform inside the application record (read back over the reference
  platform's admin HTTP), is shown and printed masked, and no file of the kiosk (its offline
  cache's SQLite file and journal included) holds it in clear.
- 自取 (elder mode): the department marks the case ready (the platform's admin call); the phone
  page of the receipt QR says 待领取; the receipt's QR held under the scanner in 办件查询 offers
  领取出件号, which prints a ticket of the hall's 出件 window; staff calling at that window get the
  ticket with the case's number; the same receipt scanned again gets no second ticket.
- 自取 (English), not ready yet: the receipt scanned in 办件查询 says it is not done and offers no
  ticket; once the department marked it ready, the same receipt scanned again gives the ticket.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from common.i18n import translate
from queueing.client import HallClient
from tests.acceptance.person import Person

ITEM_ZH, ITEM_EN = "无犯罪记录证明", "Certificate of no criminal record"
ADDRESS = "广东韶关新华路128"   # what the Pinyin keys below give (the first candidate of each word)
ADDRESS_EN = "12 xinhua road shaoguan"


def zh(key: str, **kw: object) -> str:
    return translate("zh_CN", key, **kw)


def en(key: str, **kw: object) -> str:
    return translate("en", key, **kw)


def submit_to_delivery(person: Person, tr: Callable[..., str] = zh) -> None:
    """无犯罪记录证明 with zhang_san's card, the phone typed and a purpose tapped, up to 自取 / 邮寄."""
    person.tap(tr("home.submit"))
    person.tap(ITEM_ZH if tr is zh else ITEM_EN)
    person.wait_for(tr("submit.card"))
    person.place_card("zhang_san")
    person.wait_for("联系电话" if tr is zh else "Phone")
    person.tap("field_phone")
    person.type("13812345678")
    person.press_key("\n")   # the only field to type: the keyboard closes
    purpose = "就业" if tr is zh else "Employment"
    person.swipe_to(purpose)   # elder mode's bigger form runs on below
    person.tap(purpose)
    person.tap(tr("common.next"))
    person.wait_for(tr("submit.material.card"))
    person.tap(tr("common.next"))
    person.wait_for(tr("submit.review"))
    person.tap(tr("submit.submit"))
    person.wait_for(tr("delivery.title"))


def _record_of(person: Person, receipt_no: str) -> dict[str, Any]:
    """The platform's application record for ``receipt_no``, over its admin HTTP API."""
    admin = person.assembly.platform.running.admin()
    found = next(r for r in admin.records("kiosk-01") if r["receipt_no"] == receipt_no)
    return admin.record(str(found["id"]))


def _receipt_no(person: Person) -> str:
    found = [m.group(0) for t in person.texts() for m in re.finditer(r"SG\d{13}", t)]
    assert found, person.texts()
    return found[0]


@pytest.mark.parametrize("mode", ["zh", "en"])
def test_post_with_an_address_typed_on_the_keyboard(person: Person, mode: str) -> None:
    tr = en if mode == "en" else zh
    if mode == "en":
        person.tap("English")
    submit_to_delivery(person, tr)
    person.picture(f"{mode}-delivery-choice")
    person.tap(tr("delivery.post"))
    person.wait_for(tr("delivery.address.title"))
    person.tap("field_address")
    if mode == "en":
        address, masked = ADDRESS_EN, "** xin****"
        person.type(ADDRESS_EN)                       # the Latin keyboard: a space is a space
    else:
        address, masked = ADDRESS, "广东韶****"
        person.type("guangdong shaoguan xinhualu 128")   # Pinyin: each space takes the first candidate
    person.press_key("\n")
    assert person.sees(address), person.texts()
    person.tap(tr("submit.submit"))
    person.wait_for(tr("submit.done.title"), timeout=15)
    number = _receipt_no(person)
    assert person.sees(masked) and not person.sees(address), person.texts()   # masked
    printed = "\n".join(person.printed())
    assert masked in printed and address not in printed, printed
    record = _record_of(person, number)
    assert record["payload"]["delivery"] == {"method": "post", "address": address}, record
    refused = requests.post(f"{person.assembly.platform.running.base_url}/admin/applications/{number}/ready",
                            headers={"Authorization": f"Bearer {person.assembly.platform.running.admin_token}"},
                            timeout=10)
    assert refused.status_code == 409, refused.text   # posted: nothing waits at the 出件 window
    for path in (Path(person.assembly.config.data_dir) / "kiosk").rglob("*"):   # the cache file too
        if path.is_file():
            assert address.encode() not in path.read_bytes(), path


def _to_progress_and_scan(person: Person, tr: Callable[..., str], *, elder: bool = False) -> None:
    """完成 (the visit ends), the card taken back; 办件查询 in the same language and mode, and the
    receipt under the scanner."""
    person.tap(tr("common.finish"))
    person.remove_card()
    person.wait_for(zh("home.progress"))
    if tr is en:
        person.tap("English")
    if elder:
        person.tap("header_elder")
    person.tap(tr("home.progress"))
    person.wait_for(tr("progress.how"))
    person.scan_printed_qr()


def test_pickup_ready_gives_a_ticket_for_the_pickup_window(person: Person) -> None:
    person.tap("header_elder")
    submit_to_delivery(person)
    person.tap(zh("delivery.pickup"))
    person.wait_for(zh("submit.done.title"), timeout=15)
    assert person.sees(zh("delivery.done.pickup")), person.texts()
    number = _receipt_no(person)
    receipt_url = person.printed_qr()
    assert _record_of(person, number)["payload"]["delivery"] == {"method": "pickup"}
    person.assembly.platform.running.admin().mark_ready(number)   # the department: done, at the window
    deadline, page = time.monotonic() + 30, ""
    while time.monotonic() < deadline:   # the phone page (its status is held 20 s at most)
        page = requests.get(receipt_url, timeout=10).text
        if zh("phone.app.status.ready_for_pickup") in page:
            break
        person.wait(1.0)
    assert zh("phone.app.status.ready_for_pickup") in page and "出件窗口" in page, page[-800:]
    _to_progress_and_scan(person, zh, elder=True)
    person.wait_for(zh("pickup.ready"))
    person.tap(zh("pickup.take"))
    person.wait_for(zh("pickup.ticket.title"))
    assert person.sees(zh("pickup.ticket.case", no=number)), person.texts()
    printed = "\n".join(person.printed())
    assert "出件窗口" in printed and "办件结果领取" in printed, printed
    person.tap(zh("common.finish"))
    person.tap("header_elder")
    person.tap(zh("home.progress"))
    person.wait_for(zh("progress.how"))
    person.scan(receipt_url)                 # the same receipt again: one ticket per case
    person.wait_for(zh("pickup.ready"))
    person.tap(zh("pickup.take"))
    person.wait_for(zh("hall.active_ticket_exists.title"))
    hall = person.assembly.hall
    called = HallClient(hall.url, hall.tokens["counter"]).call_next("H05")   # staff at the 出件 window
    assert called is not None and called["ticket"]["case_no"] == number, called


def test_pickup_not_ready_yet_says_so_then_ready_gives_the_ticket(person: Person) -> None:
    person.tap("English")
    submit_to_delivery(person, en)
    person.tap(en("delivery.pickup"))
    person.wait_for(en("submit.done.title"), timeout=15)
    assert not person.sees(en("submit.done.a4.print")), person.texts()   # no A4 printer: no A4 copies
    number = _receipt_no(person)
    _to_progress_and_scan(person, en)
    person.wait_for(en("pickup.not_ready"))
    assert not person.sees(en("pickup.take")), person.texts()
    person.assembly.platform.running.admin().mark_ready(number)   # the department: done, at the window
    person.tap(en("common.home"))
    person.tap("English")
    person.tap(en("home.progress"))
    person.wait_for(en("progress.how"))
    person.wait(2.5)   # the same code again: the scanner drops a repeat seen within 2 s (RepeatFilter)
    person.scan_printed_qr()
    person.wait_for(en("pickup.ready"), timeout=30)   # the status answer may be held a while
    person.tap(en("pickup.take"))
    person.wait_for(en("pickup.ticket.title"))
    assert person.sees(en("pickup.ticket.case", no=number)), person.texts()
