"""取号 as a citizen does it: taps from home, the ID card on the reader, the ticket from the printer."""

from __future__ import annotations

from tests.acceptance.person import Person


def test_a_ticket_with_the_id_card(person: Person) -> None:
    person.tap("取号")
    person.tap("人社医保服务区")
    person.tap("社会保障卡挂失与补换")
    person.wait_for("请将身份证放在读卡区")
    person.place_card(next(iter(person.sims["idcard"].identities())))
    person.wait_for("取号成功")
    assert person.sees("A001")
    person.wait(1.0)
    assert any("A001" in line for line in person.printed()), person.printed()
    person.remove_card()
    person.tap("完成")
    person.wait_for("您好，欢迎来办事")
