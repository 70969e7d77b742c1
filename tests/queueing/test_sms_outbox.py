"""sms.db through the real CMPP client and simulator: a SUBMIT whose answer never came and whose
report never came either is not resent and ends ``unknown``; a crash while ``sending`` leaves it
in doubt; (ticket, kind) is created once; the number is sealed, masked and purged; the schema has
a version."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sms_helpers import SECRET, SP_ID

from offline_cache.migrations import SchemaTooNewError, user_version
from queueing.sms import cmpp
from queueing.sms.gateway import CmppGateway, Part
from queueing.sms.outbox import SCHEMA, SmsOutbox
from queueing.sms.simulator import GatewaySimulator

PHONE = "13912345678"


def _outbox(tmp_path: Path) -> SmsOutbox:
    box = SmsOutbox(tmp_path / "sms.db")
    box.subscribe("t1", "2026-12-02", "S0101", "A007", PHONE, "zh_CN")
    return box


def test_the_number_is_sealed_masked_and_purged(tmp_path: Path) -> None:
    box = _outbox(tmp_path)
    assert user_version(sqlite3.connect(tmp_path / "sms.db")) == SCHEMA.version
    assert box.subscription("t1").phone_mask == "139****5678"  # type: ignore[union-attr]
    assert box.phone("t1") == PHONE
    assert PHONE.encode() not in (tmp_path / "sms.db").read_bytes()
    assert box.create("t1", "turn_near", "快到您了", 1)
    assert not box.create("t1", "turn_near", "快到您了", 1)  # once per (ticket, kind)
    assert not box.purge("t1")  # still owed
    d = box.due()[0]
    box.sending(d.message_id, d.part, box.next_seq())
    box.submitted(d.message_id, d.part, 2**63 + 5)  # December's Msg_Ids set the top bit
    assert box.report(2**63 + 5, "DELIVRD", box.phone_hmac(PHONE)) == "delivered"
    assert box.purge("t1")
    assert box.phone("t1") is None and box.subscription("t1") is None


def test_no_answer_and_no_report_is_never_resent_and_ends_unknown(tmp_path: Path) -> None:
    box = _outbox(tmp_path)
    box.create("t1", "turn_near", "快到您了", 1)
    with GatewaySimulator(SP_ID, SECRET) as gw:
        reports: list[object] = []
        gateway = CmppGateway("127.0.0.1", gw.port, SP_ID, SECRET, "HALLQ", "10650", next_seq=box.next_seq,
                              on_report=reports.append, timeout=1.0)
        gateway.connect()
        gw.fault("no_answer")
        gw.send_reports = False  # and its report is lost too: the worst case
        d = box.due()[0]
        seq = box.next_seq()
        box.sending(d.message_id, d.part, seq)
        udhi, content = cmpp.ucs2_parts("快到您了", 1)[0]
        try:
            gateway.submit(Part(PHONE, udhi, content, 1, 1), seq)
            raise AssertionError("the simulator answered")
        except cmpp.NoAnswer:
            box.in_doubt(d.message_id, d.part)
        gateway.close()
    assert box.due() == []  # in doubt: not sent again
    time.sleep(0.05)
    assert box.expire_doubts(0.0) == [d.message_id]
    assert box.messages("t1")[0]["state"] == "unknown"
    assert [m["state"] for m in box.unalerted()] == ["unknown"]
    assert gw.messages_to(PHONE) == ["快到您了"]  # it did reach the phone, once


def test_a_crash_while_sending_leaves_the_part_in_doubt(tmp_path: Path) -> None:
    box = _outbox(tmp_path)
    box.create("t1", "rating_invite", "请评价", 1)
    d = box.due()[0]
    box.sending(d.message_id, d.part, box.next_seq())
    box.close()
    again = SmsOutbox(tmp_path / "sms.db")  # the restart
    first_seq = again.next_seq()
    assert again.doubts_from_before() == 1
    assert again.due() == []
    assert again.next_seq() == first_seq + 1  # Sequence_Ids go on, never reused


def test_a_newer_sms_db_is_refused_untouched(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "sms.db")
    con.execute(f"PRAGMA user_version={SCHEMA.version + 1}")
    con.close()
    with pytest.raises(SchemaTooNewError):
        SmsOutbox(tmp_path / "sms.db")


def test_link_test_and_terminate_against_the_simulator(tmp_path: Path) -> None:
    box = SmsOutbox(tmp_path / "sms.db")
    with GatewaySimulator(SP_ID, SECRET) as gw:
        gateway = CmppGateway("127.0.0.1", gw.port, SP_ID, SECRET, "HALLQ", "10650", next_seq=box.next_seq,
                              on_report=lambda r: None, timeout=2.0)
        gateway.connect()
        gateway.active_test()
        gateway.close()  # CMPP_TERMINATE, answered
        assert not gateway.connected and gw.logins == 1
        wrong = CmppGateway("127.0.0.1", gw.port, SP_ID, "not-the-secret", "HALLQ", "10650",
                            next_seq=box.next_seq, on_report=lambda r: None, timeout=2.0)
        with pytest.raises(cmpp.GatewayDown, match="status 3"):
            wrong.connect()


def test_an_early_report_is_its_own_submits_not_a_doubts(tmp_path: Path) -> None:
    box = _outbox(tmp_path)
    hmac_ = box.phone_hmac(PHONE)
    box.create("t1", "turn_near", "快到您了", 1)
    box.create("t1", "rating_invite", "请评价", 1)
    first, second = box.due()
    box.sending(first.message_id, 1, box.next_seq())
    box.in_doubt(first.message_id, 1)  # no answer
    box.sending(second.message_id, 1, box.next_seq())
    box.report(77, "DELIVRD", hmac_)  # the report of the second, before its SUBMIT_RESP
    assert box.messages("t1")[0]["state"] == "doubt"  # not taken by the doubt
    box.submitted(second.message_id, 1, 77)
    assert [m["state"] for m in box.messages("t1")] == ["doubt", "delivered"]
    box.report(66, "DELIVRD", hmac_)  # a report no Msg_Id of ours explains, same phone: the doubt's
    assert [m["state"] for m in box.messages("t1")] == ["delivered", "delivered"]
