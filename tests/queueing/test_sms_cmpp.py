"""The CMPP 2.0 codec against frames built here from the spec's field tables (docs/sms.md), not
from the codec; and the parser against truncated and hostile frames (hypothesis)."""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queueing.sms import cmpp


def spec_frame(command: int, seq: int, body: bytes) -> bytes:
    return struct.pack(">III", 12 + len(body), command, seq) + body


def z(value: bytes, n: int) -> bytes:
    return value + b"\0" * (n - len(value))


def test_connect_is_the_spec_layout_with_its_md5() -> None:
    # Source_Addr 6, AuthenticatorSource 16 = MD5(Source_Addr + 9×0x00 + secret + "MMDDHHMMSS"),
    # Version 1 (0x20), Timestamp 4: 39 bytes in all
    auth = hashlib.md5(b"901234" + bytes(9) + b"1234" + b"1202063000").digest()
    expected = spec_frame(0x00000001, 7, b"901234" + auth + b"\x20" + (1202063000).to_bytes(4, "big"))
    assert len(expected) == 39
    ours = cmpp.frame(cmpp.CONNECT, 7, cmpp.Connect("901234", cmpp.authenticator_source("901234", "1234",
                                                                                        "1202063000"),
                                                    0x20, 1202063000).body())
    assert ours == expected
    assert cmpp.Connect.parse(expected[12:]).authenticator == auth


def test_connect_resp_of_cmpp2_has_a_one_byte_status() -> None:
    auth_src = bytes(range(16))
    ismg = hashlib.md5(b"\x00" + auth_src + b"1234").digest()
    body = b"\x00" + ismg + b"\x20"  # Status 1, AuthenticatorISMG 16, Version 1 = 18
    assert cmpp.ConnectResp.parse(body) == cmpp.ConnectResp(0, ismg, 0x20)
    assert cmpp.authenticator_ismg(0, auth_src, "1234") == ismg
    with pytest.raises(cmpp.FrameError, match="bytes after"):
        cmpp.ConnectResp.parse(b"\x00\x00\x00\x00" + ismg + b"\x20")  # CMPP 3.0's 4-byte Status


def test_submit_is_the_spec_layout() -> None:
    content = "请到3号窗口".encode("utf-16-be")
    body = b"".join([
        bytes(8),  # Msg_Id: 0 from the SP
        b"\x01\x01\x01\x00",  # Pk_total, Pk_number, Registered_Delivery, Msg_level
        z(b"HALLQ", 10), b"\x02", bytes(21),  # Service_Id, Fee_UserType (SP pays), Fee_terminal_Id
        b"\x00\x00\x08",  # TP_pId, TP_udhi, Msg_Fmt = UCS2
        b"901234", b"01", b"000000", bytes(17), bytes(17),  # Msg_src, FeeType, FeeCode, ValId_Time, At_Time
        z(b"1065012345", 21), b"\x01", z(b"13812345678", 21),  # Src_Id, DestUsr_tl, Dest_terminal_Id
        bytes([len(content)]), content, bytes(8),  # Msg_Length, Msg_Content, Reserve
    ])
    assert len(body) == 117 + 21 + 1 + len(content) + 8
    ours = cmpp.Submit(("13812345678",), content, service_id="HALLQ", src_id="1065012345", msg_src="901234").body()
    assert ours == body
    parsed = cmpp.Submit.parse(body)
    assert parsed.dest == ("13812345678",) and cmpp.ucs2_text(0, parsed.content) == "请到3号窗口"


def test_submit_resp_deliver_report_and_msg_id() -> None:
    when = datetime(2026, 12, 2, 6, 30, 15)
    msg_id = cmpp.make_msg_id(when, 10086, 42)
    # month bit64-61, day 60-56, hour 55-51, minute 50-45, second 44-39, ISMG 38-17, seq 16-1
    assert msg_id == (12 << 60) | (2 << 55) | (6 << 50) | (30 << 44) | (15 << 38) | (10086 << 16) | 42
    assert cmpp.msg_id_fields(msg_id) == {"month": 12, "day": 2, "hour": 6, "minute": 30, "second": 15,
                                          "ismg": 10086, "seq": 42}
    assert cmpp.SubmitResp.parse(msg_id.to_bytes(8, "big") + b"\x08") == cmpp.SubmitResp(msg_id, 8)
    report = (msg_id.to_bytes(8, "big") + b"DELIVRD" + b"2612020630" + b"2612020631" + z(b"13812345678", 21)
              + (9).to_bytes(4, "big"))
    assert len(report) == 60
    deliver = b"".join([bytes(8), z(b"901234", 21), bytes(10), b"\x00\x00\x00", z(b"13812345678", 21),
                        b"\x01", bytes([60]), report, bytes(8)])
    d = cmpp.Deliver.parse(deliver)
    rep = d.report()
    assert rep is not None and rep.delivered and rep.msg_id == msg_id and rep.dest_terminal_id == "13812345678"
    assert cmpp.Deliver(0, "901234", "13812345678", 1, rep.content()).body() == deliver
    assert cmpp.DeliverResp(msg_id).body() == msg_id.to_bytes(8, "big") + b"\x00"


def test_long_text_goes_as_concatenated_ucs2_parts() -> None:
    text = "一" * 70
    assert cmpp.ucs2_parts(text, 5) == [(0, text.encode("utf-16-be"))]
    parts = cmpp.ucs2_parts(text + "二", 5)
    assert [p[1][:6] for p in parts] == [b"\x05\x00\x03\x05\x02\x01", b"\x05\x00\x03\x05\x02\x02"]
    assert all(udhi == 1 and len(c) <= 140 for udhi, c in parts)
    assert "".join(cmpp.ucs2_text(1, c) for _, c in parts) == text + "二"


def test_a_truncated_frame_says_where() -> None:
    whole = cmpp.frame(cmpp.SUBMIT_RESP, 1, cmpp.SubmitResp(5, 0).body())
    with pytest.raises(cmpp.FrameError, match="Total_Length says 21"):
        cmpp.split_frame(whole[:-1])
    with pytest.raises(cmpp.FrameError, match="truncated at Result"):
        cmpp.SubmitResp.parse(whole[12:-1])
    with pytest.raises(cmpp.FrameError, match="outside 12"):
        cmpp.check_length(0xFFFFFFFF)
    with pytest.raises(cmpp.FrameError, match="unknown Command_Id"):
        cmpp.split_frame(struct.pack(">III", 12, 0x12345678, 1))


PARSERS = [cmpp.Connect.parse, cmpp.ConnectResp.parse, cmpp.Submit.parse, cmpp.SubmitResp.parse,
           cmpp.Deliver.parse, cmpp.DeliverResp.parse, cmpp.Report.parse]


@given(st.binary(max_size=400), st.sampled_from(PARSERS))
def test_hostile_bodies_give_a_frame_error_or_a_value(body: bytes, parse: object) -> None:
    try:
        parse(body)  # type: ignore[operator]
    except cmpp.FrameError:
        pass


@given(st.binary(min_size=0, max_size=64))
def test_hostile_frames_give_a_frame_error(data: bytes) -> None:
    try:
        command, _seq, body = cmpp.split_frame(data)
    except cmpp.FrameError:
        return
    assert command in cmpp.COMMANDS and len(body) == len(data) - 12


@given(st.integers(0, 310))
def test_every_cut_of_a_submit_is_refused(cut: int) -> None:
    body = cmpp.Submit(("13812345678",), "您好".encode("utf-16-be"), service_id="HALLQ").body()
    if cut >= len(body):
        return
    with pytest.raises(cmpp.FrameError):
        cmpp.Submit.parse(body[:cut])
