"""「今日号源已发完」: a kiosk configured against a real ``hall-server`` process whose 咨询服务 takes
two tickets a day; the third citizen (a Person at the real window) is told in plain words, in
both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

from common.i18n import translate
from queueing.hallconfig import sample_hall_toml
from tests.acceptance.person import Person
from tests.queueing.queue_helpers import ServerProcess

CAPPED, CAP = "S0501", 2  # 咨询服务: not real-name, so no card is needed


def zh(key: str) -> str:
    return str(translate("zh_CN", key))


@pytest.fixture
def capped_hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    doc = tomlkit.parse(sample_hall_toml())
    for service in doc["services"]:  # type: ignore[union-attr]
        if service["id"] == CAPPED:
            service["daily_cap"] = CAP
    # 咨询服务 is not real-name: every ticket is anonymous, so the whole cap is open to them here
    doc["policy"]["anonymous_share"] = 1.0  # type: ignore[index]
    (data / "hall.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()


@pytest.fixture
def person_at_capped_hall(tmp_path: Path, capped_hall: ServerProcess, qapp: object) -> Iterator[Person]:
    # as the operator does it: [hall_service] in the kiosk's configuration file (the section is frozen)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'version = 1\n[hall_service]\nurl = "{capped_hall.base_url}"\n'
                    f'token = "{capped_hall.token("kiosk")}"\n', encoding="utf-8")
    someone = Person(tmp_path / "data", config=toml)
    try:
        yield someone
    finally:
        someone.leave()


def _take(person: Person) -> None:
    """A citizen takes a 咨询服务 ticket from the home screen."""
    person.wait_for(zh("home.title"))
    person.tap("取号")
    person.tap("辅助服务窗口")
    person.tap("咨询服务")


def test_no_tickets_left_today_is_explained(person_at_capped_hall: Person) -> None:
    person = person_at_capped_hall
    for n in range(1, CAP + 1):
        _take(person)
        person.wait_for(zh("ticket.done.title"))
        assert person.sees(f"E{n:03d}"), person.texts()
        person.tap("完成")
    _take(person)
    person.wait_for("今日号源已发完")
    assert person.sees("今天的号已经取完"), person.texts()
    person.tap("English")                        # the citizen presses "English" and tries again
    person.tap(str(translate("en", "common.retry")))
    person.wait_for("No tickets left today")
    # 预约其他日期 leads into booking for the same service (kiosk/flows/booking.py): the card comes next
    person.tap(str(translate("en", "booking.offer")))
    person.wait_for(str(translate("en", "booking.card.title")))
    assert person.sees("Information desk"), person.texts()  # the capped service, named in English
