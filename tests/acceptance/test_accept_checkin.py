"""预约签到 as a citizen does it: the appointment QR under the scanner, or the ID card on the
reader, and a priority ticket from the printer. The demo platform books the simulator's cards
around "now" in the hall's time zone, so check-in works whenever the suite runs."""

from __future__ import annotations

from offline_cache.platform_store import DEMO_APPOINTMENT_CODE
from queueing.client import HallClient
from tests.acceptance.person import Person


def _staff(person: Person) -> HallClient:
    hall = person.assembly.hall
    return HallClient(hall.url, hall.tokens["counter"])


def _checked_in(person: Person) -> list[dict[str, object]]:
    return [t for t in _staff(person).waiting() if t.get("priority") == "appointment"]


def test_check_in_by_the_appointment_qr(person: Person) -> None:
    person.tap("预约签到")
    person.wait_for("请扫描预约二维码")
    person.scan(DEMO_APPOINTMENT_CODE)
    person.wait_for("取号成功")
    person.wait(1.0)
    assert len(_checked_in(person)) == 1
    assert any("预约" in line for line in person.printed()), person.printed()
    person.tap("完成")
    person.wait_for("您好，欢迎来办事")


def test_check_in_by_the_id_card(person: Person) -> None:
    person.tap("预约签到")
    person.wait_for("请扫描预约二维码")
    person.place_card("zhang_san")
    person.wait_for("取号成功")
    assert len(_checked_in(person)) == 1
    person.remove_card()
    person.tap("完成")
    person.wait_for("您好，欢迎来办事")
