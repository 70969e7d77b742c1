"""SAM frames byte by byte (reference §1.2-1.5) and the parsers under random input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.idcard import frames as fr
from devices.idcard.card import (
    FOREIGN_2023,
    FOREIGN_OLD,
    HMT_PERMIT,
    RESIDENT,
    CardDataError,
    build_text_block,
    parse_text_block,
)
from devices.idcard.reader import ProtocolError, split_read_payload
from devices.idcard.simulator import IDENTITIES, IdCardSimulator

H = bytes.fromhex


@pytest.mark.parametrize(("command", "frame"), [
    (fr.RESET, "AAAAAA9669 0003 10FF EC"),
    (fr.SAM_STATUS, "AAAAAA9669 0003 11FF ED"),
    (fr.SAM_ID, "AAAAAA9669 0003 12FF EE"),
    (fr.FIND_CARD, "AAAAAA9669 0003 2001 22"),
    (fr.SELECT_CARD, "AAAAAA9669 0003 2002 21"),
    (fr.READ_BASE, "AAAAAA9669 0003 3001 32"),
    (fr.READ_NEW_ADDRESS, "AAAAAA9669 0003 3003 30"),
    (fr.READ_WITH_FINGER, "AAAAAA9669 0003 3010 23"),
])
def test_request_frames_match_reference(command, frame):
    assert fr.build_request(*command) == H(frame)
    assert fr.parse_request(H(frame)) == (*command, b"")


def test_set_max_rf_byte_with_data():
    assert fr.build_request(0x61, 0xFF, b"\x50") == H("AAAAAA9669 0004 61FF 50 CA")


def test_response_frames_match_reference():
    assert fr.build_response(0x90) == H("AAAAAA9669 0004 000090 94")
    assert fr.build_response(0x9F, b"\0" * 4) == H("AAAAAA9669 0008 00009F 00000000 97")
    assert fr.build_response(0x80) == H("AAAAAA9669 0004 000080 84")
    assert fr.build_response(0x81) == H("AAAAAA9669 0004 000081 85")
    assert fr.build_response(0x60) == H("AAAAAA9669 0004 000060 64")
    r = fr.parse_response(H("AAAAAA9669 0008 00009F 00000000 97"))
    assert (r.sw3, r.ok, r.data) == (0x9F, True, b"\0" * 4)


def test_read_base_reply_is_1295_bytes_with_len_0508():
    frame = fr.build_response(0x90, IdCardSimulator.read_payload("zhang_san"))
    assert len(frame) == 1295
    assert frame[:10] == H("AAAAAA9669 0508 000090")
    assert frame[10:14] == H("0100 0400")
    finger = fr.build_response(0x90, IdCardSimulator.read_payload("zhang_san", True))
    assert len(finger) == 2321 and finger[5:7] == H("090A")


def test_bad_frames_are_reported():
    good = fr.build_response(0x90)
    with pytest.raises(fr.FrameError, match="checksum"):
        fr.parse_response(good[:-1] + b"\x00")
    with pytest.raises(fr.FrameError, match="length"):
        fr.parse_response(good + b"\x00")
    with pytest.raises(fr.FrameError, match="preamble"):
        fr.parse_response(b"\x00" + good[1:])
    with pytest.raises(fr.FrameError, match="short"):
        fr.parse_response(good[:6])


def test_splitter_resyncs_after_junk_and_half_frames():
    good = fr.build_response(0x9F, b"\0" * 4)
    s = fr.FrameSplitter()
    stream = b"\x13\x37\xaa\xaa" + fr.PREAMBLE + b"\x00" + good
    out = []
    for b in stream:                 # byte by byte, as a slow line delivers it
        out += s.feed(bytes([b]))
    assert out == [good]
    assert s.feed(b"\xaa\xaa") == [] and s.pending() == 2


def test_splitter_passes_a_corrupt_frame_on_for_the_parser():
    good = fr.build_response(0x90)
    s = fr.FrameSplitter()
    (frame,) = s.feed(good[:-1] + b"\x01")
    with pytest.raises(fr.FrameError):
        fr.parse_response(frame)


def test_sam_id_text():
    raw = b"".join(v.to_bytes(n, "little") for v, n in ((5, 2), (1, 2), (12345678, 4), (1, 4), (2, 4)))
    assert fr.sam_id_text(raw) == "05-01-12345678-0000000001-0000000002"


@pytest.mark.parametrize("key", sorted(IDENTITIES))
def test_text_block_round_trip(key):
    card = IDENTITIES[key]
    block = build_text_block(card)
    assert len(block) == 256
    back = parse_text_block(block)
    assert (back.card_type, back.name, back.id_number, back.birth_text, back.valid_to_text) == (
        card.card_type, card.name, card.id_number, card.birth_text, card.valid_to_text)


def test_type_flags_at_byte_248():
    flags = {RESIDENT: b" \x00", HMT_PERMIT: b"J\x00", FOREIGN_OLD: b"I\x00", FOREIGN_2023: b"Y\x00"}
    for card in IDENTITIES.values():
        assert build_text_block(card)[248:250] == flags[card.card_type]
    with pytest.raises(CardDataError, match="flag"):
        parse_text_block(b"\x41\x00" * 128)
    with pytest.raises(CardDataError):
        parse_text_block(b"\x20\x00" * 100)


def test_resident_field_offsets():
    block = build_text_block(IDENTITIES["zhang_san"])
    assert block[0:4].decode("utf-16-le") == "张三"
    assert block[30:32] == b"1\x00" and block[32:36] == "01".encode("utf-16-le")
    assert block[36:52].decode("utf-16-le") == "19900307"
    assert block[122:158].decode("utf-16-le") == IDENTITIES["zhang_san"].id_number
    assert block[204:220].decode("utf-16-le") == "20350610"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_parsers_on_random_bytes(data):
    for parse in (fr.parse_response, fr.parse_request):
        try:
            parse(data)
        except fr.FrameError:
            pass
    s = fr.FrameSplitter()
    for frame in s.feed(data):
        assert frame.startswith(fr.PREAMBLE)
    try:
        parse_text_block(data[:256].ljust(256, b"\x20"))
    except CardDataError:
        pass
    for words in (2, 3):
        try:
            split_read_payload(data, words)
        except ProtocolError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(IDENTITIES)), st.integers(0, 1294), st.binary(max_size=20))
def test_truncated_and_prefixed_replies(key, cut, junk):
    frame = fr.build_response(0x90, IdCardSimulator.read_payload(key))
    s = fr.FrameSplitter()
    assert s.feed(junk + frame[:cut]) == [] or junk.find(fr.PREAMBLE) >= 0
    with pytest.raises(fr.FrameError):
        fr.parse_response(frame[:cut])
    s2 = fr.FrameSplitter()
    frames = s2.feed(junk + frame)
    assert frames and frames[-1] == frame


def test_every_sam_status_has_a_text_in_every_language():
    from common.i18n import LANGUAGES, catalogue

    for status in fr.SamStatus:
        key = fr.sam_status_key(status)
        assert all(key in catalogue(lang) for lang in LANGUAGES), key
    assert fr.sw3_text(0x60) == "SAM自检失败，不能接收命令 SAM self-test failed; it cannot accept commands"
    assert fr.sw3_text(0x80, "en") == "Find-card failed (no card)"
    assert fr.sam_status_key(0x55) == "idcard.sam.unknown_status" and "0x55" in fr.sw3_text(0x55, "en")
