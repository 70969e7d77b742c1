"""预约 with a hung platform (it accepts the connection and never answers) configured in
kiosk.toml, as a citizen meets it: after the card the screen says at once that the days are
being looked up, the kiosk answers other taps meanwhile (the language button turns the screen
English), and within seconds — not the sync client's half-minute — it says 现在无法预约 with
再试一次; nothing is booked."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_hung_platform import hung_platform, kiosk_toml  # noqa: F401 - fixture


def zh(key: str) -> str:
    return translate("zh_CN", key)


@pytest.mark.slow
def test_booking_with_a_hung_platform_waits_in_words_and_gives_up_in_seconds(
        people: Callable[..., Person], tmp_path: Path, hung_platform: str) -> None:  # noqa: F811 - fixture
    person = people(config=kiosk_toml(tmp_path / "hung.toml", hung_platform))
    person.wait_for(zh("home.title"), timeout=60)
    person.tap(zh("home.checkin"))
    person.tap(zh("booking.offer"))
    person.wait_for(zh("booking.zone.title"))
    person.tap("人社医保服务区")
    person.wait_for(zh("booking.service.title"))
    person.tap("社会保障卡申领")
    person.wait_for(zh("booking.card.title"))
    started = time.monotonic()
    person.place_card("zhang_san")
    person.wait_for(zh("booking.loading"), timeout=2.0)      # said at once, not a frozen card screen
    person.tap("header_language", settle=0.05)               # the kiosk answers meanwhile
    person.wait_for(translate("en", "booking.loading"), timeout=2.0)
    person.wait_for(translate("en", "booking.offline.title"), timeout=30)
    waited = time.monotonic() - started
    assert waited < 25, f"现在无法预约 after {waited:.0f} s"
    assert person.sees(translate("en", "common.retry")), person.texts()
