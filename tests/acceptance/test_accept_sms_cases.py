"""短信提醒 beyond the ticket (issue 18): the booking confirmation and "your result is ready for
pickup", as citizens meet them at the kiosk of the acceptance assembly (its embedded reference
platform and hall service on loopback; the hall's ``[sms]`` against the CMPP 2.0 gateway simulator
on a local socket, set up the way a technician does: hall.toml's table and the shared secret in
credentials.json).

- 预约: after 确认预约 the done screen offers 短信提醒; the citizen taps it, types the number on the
  on-screen keypad under the consent line and taps 同意并订阅. The gateway's flow control refuses
  the first SUBMIT; the confirmation (code, day, time) still reaches the phone exactly once, and
  the number is deleted once it is delivered.
- 自取: after submitting 无犯罪记录证明 with 自取 the receipt screen offers 短信提醒 ("text me when it
  is ready"); nothing is sent while the case is not ready; the department marks it ready through
  the reference platform's admin HTTP (as tests/acceptance/test_accept_pickup.py does) and exactly
  one text says to collect it at the 出件 window; the number is deleted.

In both, the number is on the screen only while typed (then masked), in no log record and in no
file of the data directory in clear.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queueing"))

from sms_helpers import SECRET, SP_ID, sms_hall, wait_until

from common.i18n import translate
from offline_cache.platform_server import load_or_create_credentials
from queueing.sms import cmpp
from queueing.sms.simulator import GatewaySimulator
from tests.acceptance.person import Person
from tests.acceptance.test_accept_booking import _choose_slot, _code, _say, _start
from tests.acceptance.test_accept_pickup import _receipt_no, en, submit_to_delivery
from tests.acceptance.test_accept_pickup import zh as pickup_zh

PHONE = "13987654321"   # not the 联系电话 the submission's form carries
MASKED = "139****4321"


def zh(key: str, **kw: object) -> str:
    return translate("zh_CN", key, **kw)


def _sms_data(tmp_path: Path, gateway_port: int) -> Path:
    """The kiosk's data directory with its embedded hall's [sms] switched on: the hall shares the
    embedded platform's hall_key (as kiosk/assembly.py writes it) and checks for ready cases often."""
    data = tmp_path / "data"
    platform = load_or_create_credentials(data / "platform")
    hall_dir = data / "hall"
    hall_dir.mkdir(parents=True)
    fd = os.open(hall_dir / "credentials.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"hall_key": platform["hall_key"]}, fh)
    sms_hall(hall_dir, gateway_port, extra="pickup_poll_seconds = 1\n")
    return data


def _type_number(person: Person, mode: str = "zh") -> None:
    for key in PHONE:
        person.tap(f"key_{key}", settle=0.1)
    assert person.sees(PHONE)   # shown while typed
    person.tap(_say(mode, "ticket.sms.ok"))


def _nothing_of_the_number(person: Person, caplog: pytest.LogCaptureFixture) -> None:
    assert not any(PHONE in t for t in person.texts()), person.texts()
    assert not any(PHONE in r.getMessage() or PHONE in str(getattr(r, "ctx", "")) for r in caplog.records)
    for path in Path(person.assembly.config.data_dir).rglob("*"):
        if path.is_file():
            assert PHONE.encode() not in path.read_bytes(), path


def _subscriptions(person: Person) -> list[object]:
    outbox = person.assembly.hall.running.service.sms_outbox
    return list(outbox.active())


@pytest.mark.parametrize("mode", ["zh", pytest.param("elder", marks=pytest.mark.slow),
                                  pytest.param("en", marks=pytest.mark.slow)])
def test_booking_confirmation_reaches_the_phone_once(tmp_path: Path, qapp: object, mode: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with GatewaySimulator(SP_ID, SECRET) as gw:
        person = Person(_sms_data(tmp_path, gw.port))
        try:
            _start(person, mode)
            slot = _choose_slot(person, mode)
            person.tap(_say(mode, "booking.confirm.ok"))
            person.wait_for(_say(mode, "booking.done.printed"))
            code = _code(person)
            gw.fault("throttled")   # the gateway's flow control refuses the first SUBMIT
            person.tap(_say(mode, "booking.sms.offer"))
            person.wait_for(_say(mode, "booking.sms.title"))
            assert person.sees(_say(mode, "booking.sms.consent")), person.texts()
            _type_number(person, mode)
            person.wait_for(_say(mode, "booking.sms.done", phone=MASKED))
            assert not person.sees(_say(mode, "booking.sms.offer"))   # once per booking
            texts = wait_until(lambda: gw.messages_to(PHONE), why="booking confirmation")
            assert code in texts[0] and slot.split("–")[0] in texts[0], texts   # type: ignore[index]
            wait_until(lambda: not _subscriptions(person), why="the number deleted once delivered")
            person.wait(1.0)   # nothing more comes
            assert len(gw.messages_to(PHONE)) == 1
            parts = len(cmpp.ucs2_parts(texts[0], 0))   # type: ignore[index]
            assert gw.submits == 1 + parts   # the refused SUBMIT, then each part once
            _nothing_of_the_number(person, caplog)
            person.remove_card()
            person.tap(_say(mode, "common.finish"))
            person.wait_for("您好，欢迎来办事")
        finally:
            person.leave()


@pytest.mark.parametrize("mode", ["zh", pytest.param("en", marks=pytest.mark.slow)])
def test_pickup_ready_text_once_when_the_department_marks_it(tmp_path: Path, qapp: object, mode: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with GatewaySimulator(SP_ID, SECRET) as gw:
        person = Person(_sms_data(tmp_path, gw.port))
        try:
            if mode == "en":
                person.tap("English")
            submit_to_delivery(person, en if mode == "en" else pickup_zh)  # its own zh: it tells the two apart
            person.tap(_say(mode, "delivery.pickup"))
            person.wait_for(_say(mode, "submit.done.title"), timeout=15)
            number = _receipt_no(person)
            person.tap(_say(mode, "pickup.sms.offer"))
            person.wait_for(_say(mode, "pickup.sms.title"))
            assert person.sees(_say(mode, "pickup.sms.consent")), person.texts()
            _type_number(person, mode)
            person.wait_for(_say(mode, "pickup.sms.done", phone=MASKED))
            person.wait(2.0)   # the hall asks the platform every second: not ready, nothing sent
            assert gw.messages_to(PHONE) == []
            person.assembly.platform.running.admin().mark_ready(number)   # the department: at the window
            texts = wait_until(lambda: gw.messages_to(PHONE), why="ready for pickup")
            assert number in texts[0] and ("出件窗口" if mode == "zh" else "pickup window") in texts[0], texts  # type: ignore[index]
            wait_until(lambda: not _subscriptions(person), why="the number deleted once delivered")
            person.wait(1.5)   # the next rounds of asking: nothing more
            assert len(gw.messages_to(PHONE)) == 1
            _nothing_of_the_number(person, caplog)
        finally:
            person.leave()
