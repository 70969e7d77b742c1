"""The hall's SMS opt-ins beyond the ticket (queueing/api_sms_cases.py) as a kiosk calls them over
HTTP: only the kiosk role (or admin), the ticket opt-in's checks (number, consent), the number
masked in the answer, a booking's confirmation texted once however often it is sent, and a hall
that sends no texts says so. The gateway is the CMPP simulator on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sms_helpers import SECRET, SP_ID, sms_hall, wait_until

from queueing.client import HallClient, HallServiceError
from queueing.codes import HallCode
from queueing.embedded import start_hall_service
from queueing.hallconfig import load_hall
from queueing.sms.simulator import GatewaySimulator

PHONE = "13712345678"
BOOKING = {"phone": PHONE, "consent": True, "lang": "en", "code": "APPT1:ABCD2345", "service_id": "S0101",
           "service_name": "Social security card application", "slot_start": "2099-01-05T09:00:00+08:00",
           "slot_end": "2099-01-05T09:30:00+08:00"}


def _refused(call: object, rule: HallCode) -> None:
    with pytest.raises(HallServiceError) as exc:
        call()  # type: ignore[operator]
    assert exc.value.rule is rule, exc.value


def test_kiosk_opt_ins_checked_masked_and_texted_once(tmp_path: Path) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, start_hall_service(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        _refused(lambda: counter.sms_booking(BOOKING), HallCode.FORBIDDEN)
        _refused(lambda: HallClient(hall.base_url, "").sms_booking(BOOKING), HallCode.UNAUTHORIZED)
        _refused(lambda: kiosk.sms_booking({**BOOKING, "phone": "12345678901"}), HallCode.INVALID_PHONE)
        _refused(lambda: kiosk.sms_booking({**BOOKING, "consent": False}), HallCode.CONSENT_REQUIRED)
        _refused(lambda: kiosk.sms_booking({**BOOKING, "service_id": "S9999", "service_name": ""}),
                 HallCode.UNKNOWN_SERVICE)
        _refused(lambda: kiosk.sms_pickup("../x", PHONE, consent=True), HallCode.INVALID_RECEIPT)
        answer = kiosk.sms_booking(BOOKING)
        assert answer == {"phone": "137****5678", "subscribed": True}
        assert kiosk.sms_booking(BOOKING)["phone"] == "137****5678"   # the kiosk's retry
        texts = wait_until(lambda: gw.messages_to(PHONE), why="booking confirmation")
        assert "APPT1:ABCD2345" in texts[0] and "01-05 09:00-09:30" in texts[0], texts  # type: ignore[index]
        assert "Social security card application" in texts[0]  # type: ignore[index]
        wait_until(lambda: not hall.service.sms_outbox.active(), why="the number deleted once delivered")  # type: ignore[union-attr]
        kiosk.sms_booking(BOOKING)   # after it was sent and the number deleted: still once
        assert kiosk.sms_pickup("SG2026120300001", PHONE, consent=True)["phone"] == "137****5678"
        assert len(gw.messages_to(PHONE)) == 1
        assert hall.service.sms_pickups is None   # no platform to ask: nobody polls


def test_a_hall_without_texts_says_so(tmp_path: Path) -> None:
    load_hall(tmp_path / "hall")
    with start_hall_service(tmp_path / "hall") as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        _refused(lambda: kiosk.sms_booking(BOOKING), HallCode.SMS_DISABLED)
        _refused(lambda: kiosk.sms_pickup("SG2026120300001", PHONE, consent=True), HallCode.SMS_DISABLED)
