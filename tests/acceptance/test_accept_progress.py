"""办件查询 as a citizen does it, after submitting a case at this kiosk (不动产登记资料查询, chosen
by taps only): by the receipt's QR held under the scanner, online and offline (submitted while
the platform was unreachable, followed after the kiosk synced), by the ID card, by the number
typed on the keypad (shown only once the same card is read), and on the phone page the receipt
QR opens (a real HTTP GET)."""

from __future__ import annotations

import re
import time

import pytest
import requests

from queueing.client import HallClient
from tests.acceptance.person import Person

PLATFORM_NO = re.compile(r"SG\d{13}")


def submit_a_case(person: Person) -> None:
    """不动产登记资料查询 with zhang_san's card, submitted; the receipt on screen, the card taken back."""
    person.tap("自助申报")
    person.tap("不动产登记资料查询")
    person.wait_for("请将身份证放在读卡区")
    person.place_card("zhang_san")
    person.wait_for("查询用途")
    person.tap("办理贷款")
    person.tap("下一步")
    person.wait_for("提交材料")
    person.tap("下一步")
    person.wait_for("请核对申请信息")
    person.tap("确认提交", settle=1.0)
    person.wait_for("申请已提交", timeout=15.0)
    person.remove_card()
    person.wait(1.0)


def _platform_number(person: Person) -> str:
    found = [m.group(0) for t in person.texts() for m in PLATFORM_NO.finditer(t)]
    assert found, person.texts()
    return found[0]


def _to_progress(person: Person) -> None:
    person.tap("完成")
    person.wait_for("您好，欢迎来办事")
    person.tap("办件查询")
    person.wait_for("请扫描回执上的二维码")


def _offline(person: Person) -> None:
    person.assembly.platform.running.admin().set_faults([{"fault": "error", "status": 503, "path": "/v1/"}])


def _online_and_synced(person: Person) -> None:
    person.assembly.platform.running.admin().clear_faults()
    deadline = time.monotonic() + 30
    while person.assembly.cache.pending_count() and time.monotonic() < deadline:
        person.wait(0.5)
    assert not person.assembly.cache.pending_count(), "the kiosk never synced"


def test_progress_by_the_receipt_qr(person: Person) -> None:
    submit_a_case(person)
    number = _platform_number(person)
    _to_progress(person)
    person.scan_printed_qr()
    person.wait_for("已受理")
    assert person.sees(number)


def test_progress_by_the_id_card(person: Person) -> None:
    submit_a_case(person)
    number = _platform_number(person)
    _to_progress(person)
    person.place_card("zhang_san")
    person.wait_for("已受理")
    assert person.sees(number)


def _offline_receipt(person: Person) -> str:
    """Submit while the platform is unreachable: the receipt carries the kiosk's local number;
    then the link returns and the kiosk syncs. The printed QR's content is returned."""
    _offline(person)
    submit_a_case(person)
    assert person.sees("本机编号"), person.texts()
    printed_url = person.printed_qr()
    _online_and_synced(person)
    return printed_url


def test_an_offline_receipt_is_followed_after_sync(person: Person) -> None:
    _offline_receipt(person)
    _to_progress(person)
    person.scan_printed_qr()
    person.wait_for("已受理")
    assert any(PLATFORM_NO.search(t) for t in person.texts()), person.texts()


def test_the_phone_page_of_an_offline_receipt_after_sync(person: Person) -> None:
    """The phone opens the printed QR (the kiosk's local number) after the kiosk synced: the hall
    service's page shows the platform's number and its status (the citizen reloads the page a
    few times while the kiosk tells the hall)."""
    printed_url = _offline_receipt(person)
    assert "/a/" in printed_url and "-" in printed_url.rsplit("/a/", 1)[1]
    deadline, page = time.monotonic() + 15, ""
    while time.monotonic() < deadline:
        page = requests.get(printed_url, timeout=10).text
        if PLATFORM_NO.search(page):
            break
        person.wait(1.0)
    assert "已受理" in page and PLATFORM_NO.search(page), page[-800:]
    assert "本机编号" in page  # the number on the paper, so the citizen sees it is the same case
    english = requests.get(printed_url + "?lang=en", timeout=10).text
    assert "Kiosk number" in english and PLATFORM_NO.search(english)


def test_a_typed_number_shows_the_case_only_with_the_same_card(person: Person) -> None:
    submit_a_case(person)
    number = _platform_number(person)
    _to_progress(person)
    person.tap("输入受理编号")
    for key in number:
        person.tap(f"key_{key}", settle=0.15)
    person.tap("查询")
    person.wait_for("确认这是您本人的办件")
    assert not person.sees("已受理")
    person.place_card("elderly")  # somebody else's card: nothing is shown
    person.wait_for("没有找到")
    assert not person.sees("已受理")
    person.remove_card()
    person.wait(1.0)
    person.place_card("zhang_san")
    person.wait_for("已受理")
    assert person.sees(number)


@pytest.mark.slow
def test_the_keypad_types_an_offline_receipt_number(person: Person) -> None:
    _offline(person)
    submit_a_case(person)
    local = next(m.group(0) for t in person.texts() for m in re.finditer(r"[A-Z0-9]+-\d{8}-\d{5}", t))
    _online_and_synced(person)
    _to_progress(person)
    person.tap("输入受理编号")
    for key in local:
        person.tap(f"key_{key}", settle=0.15)
    person.tap("查询")
    person.wait_for("确认这是您本人的办件")
    person.place_card("zhang_san")
    person.wait_for("已受理")
    assert any(PLATFORM_NO.search(t) for t in person.texts()), person.texts()


def test_an_offline_application_the_platform_refused(person: Person) -> None:
    """Submitted while the platform was unreachable, then refused by it for good when the link
    returned (the kiosk dead-letters the record): the phone page of the printed QR and the kiosk's
    办件查询 both say it was not accepted and to bring the receipt to a counter; staff are alerted."""
    _offline(person)
    submit_a_case(person)
    printed_url = person.printed_qr()
    person.assembly.platform.running.admin().set_faults([{"fault": "conflict"}])
    deadline = time.monotonic() + 30
    while person.assembly.cache.pending_count() and time.monotonic() < deadline:
        person.wait(0.5)
    person.assembly.platform.running.admin().clear_faults()
    assert person.assembly.cache.counts().get("dead") == 1, person.assembly.cache.counts()
    deadline, page = time.monotonic() + 15, ""
    while time.monotonic() < deadline:
        page = requests.get(printed_url, timeout=10).text
        if "未被平台受理" in page:
            break
        person.wait(1.0)
    assert "未被平台受理" in page and "服务窗口" in page and "正在等待上传" not in page, page[-800:]
    hall = person.assembly.hall
    alerts = HallClient(hall.url, hall.tokens["counter"]).alerts()
    assert any("did not accept application" in str(a["message"]) for a in alerts), alerts
    _to_progress(person)
    person.scan_printed_qr()
    person.wait_for("未被平台受理")
