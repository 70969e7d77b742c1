"""Payload classification, line framing, key decoding, serial and camera scanners with the simulator."""

import numpy as np
import pytest
import qrcode
from dev_helpers import wait_for
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanner.camera import CameraScanner
from devices.scanner.classify import RepeatFilter, classify
from devices.scanner.decode import decode_image_file, make_decoder
from devices.scanner.evdev_scanner import KeyDecoder
from devices.scanner.serial_scanner import LineFramer, SerialScanner

BASE = "https://hall.example.gov.cn"


@pytest.mark.parametrize(("payload", "kind", "value"), [
    ("APPT1:K7Q2M9XW", "appointment", "K7Q2M9XW"),
    (f"{BASE}/t/Xy7Kq2Lm", "ticket", "Xy7Kq2Lm"),
    (f"{BASE}/a/Qm8Zt3Ry", "receipt", "Qm8Zt3Ry"),
    (f"{BASE}/g/sb-0012", "guide", "sb-0012"),
    ("https://weixin.qq.com/x", "url", "https://weixin.qq.com/x"),
    ("你好 hello", "other", "你好 hello"),
    ("中文".encode("gb18030"), "other", "中文"),
])
def test_classify(payload, kind, value):
    scan = classify(payload, BASE)
    assert (scan.kind, scan.value) == (kind, value)


@pytest.mark.parametrize(("payload", "reason"), [
    (b"x" * 1025, "too long"),
    (b"\x00\x01\x02\xff\xfe", "binary"),
    (b"ab\x07cd", "control"),
    (b"   ", "empty"),
    (b"APPT1:bad code!", "malformed appointment"),
])
def test_rejections(payload, reason):
    scan = classify(payload, BASE)
    assert scan.kind == "rejected" and reason in (scan.reason or "")


def test_other_halls_urls_are_just_urls():
    assert classify("https://evil.example.com/t/Xy7Kq2Lm", BASE).kind == "url"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1500))
def test_classify_and_framer_on_random_bytes(data):
    classify(data, BASE)
    framer = LineFramer()
    for p in framer.feed(data) + framer.timeout():
        assert 0 < len(p) <= 1025
        assert b"\r" not in p and b"\n" not in p


def test_framer_suffixes_and_overflow():
    f = LineFramer()
    assert f.feed(b"ABC\r\nDEF\nGH") == [b"ABC", b"DEF"]
    assert f.timeout() == [b"GH"]
    (big,) = f.feed(b"x" * 3000 + b"\r")
    assert classify(big).reason.startswith("payload too long")


def test_repeat_filter():
    r = RepeatFilter(2.0)
    assert r.fresh(b"a", 0.0) and not r.fresh(b"a", 1.0) and r.fresh(b"b", 1.0)
    assert r.fresh(b"a", 3.5)


def test_key_decoder_with_shift():
    d = KeyDecoder()
    keys = [("KEY_LEFTSHIFT", 1), ("KEY_A", 1), ("KEY_A", 0), ("KEY_P", 1), ("KEY_P", 1), ("KEY_T", 1),
            ("KEY_1", 1), ("KEY_SEMICOLON", 1), ("KEY_LEFTSHIFT", 0), ("KEY_K", 1), ("KEY_7", 1)]
    assert all(d.feed(k, v) is None for k, v in keys)
    assert d.feed("KEY_ENTER", 1) == "APPT!:k7"


def test_serial_scanner_through_pty(scanner_sim):
    scans, states = [], []
    s = SerialScanner(scanner_sim.url, on_scan=scans.append, on_state=lambda st_, r: states.append(st_),
                      base_url=BASE, gap=0.05)
    s.start()
    try:
        wait_for(lambda: s.state.value == "ready")
        scanner_sim.feed("APPT1:K7Q2M9XW")
        scanner_sim.feed("APPT1:K7Q2M9XW")               # repeat within the window: dropped
        scanner_sim.feed(f"{BASE}/t/Xy7Kq2Lm", suffix=b"\r\n")
        scanner_sim.feed("no-suffix-code", suffix=b"")   # ended by the inter-byte gap
        wait_for(lambda: len(scans) >= 3)
        scanner_sim.feed(b"\x01\x02binary")
        wait_for(lambda: len(scans) >= 4)
    finally:
        s.stop()
    assert [x.kind for x in scans] == ["appointment", "ticket", "other", "rejected"]


def qr_frame(text: str, size: int = 200) -> np.ndarray:
    img = np.asarray(qrcode.make(text, border=2).get_image().convert("L").resize((size, size)))
    frame = np.full((720, 1280), 200, np.uint8)
    frame[100:100 + size, 300:300 + size] = img
    return frame


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_decoders(backend):
    decode = make_decoder(backend)
    assert decode(qr_frame("APPT1:K7Q2M9XW")) == [b"APPT1:K7Q2M9XW"]
    assert decode(np.full((720, 1280), 128, np.uint8)) == []


def test_decode_image_file(tmp_path):
    path = tmp_path / "code.png"
    qrcode.make("APPT1:ABCDEF12").save(path)
    assert decode_image_file(str(path)) == [b"APPT1:ABCDEF12"]
    with pytest.raises(ValueError):
        decode_image_file(str(tmp_path / "missing.png"))
    with pytest.raises(ValueError):
        make_decoder("opencv")


def test_camera_scanner_with_simulated_frames(scanner_sim, tmp_path):
    scans = []
    cam = CameraScanner(scanner_sim.frame_source, on_scan=scans.append, base_url=BASE)
    cam.start()
    try:
        path = tmp_path / "ticket.png"
        qrcode.make(f"{BASE}/a/Qm8Zt3Ry").save(path)
        scanner_sim.feed_image(str(path))
        scanner_sim.feed_image(str(path))      # the same code held up twice: one scan
        scanner_sim.feed_frame(qr_frame("APPT1:K7Q2M9XW"))
        wait_for(lambda: len(scans) >= 2)
        wait_for(lambda: cam.frames >= 3)
    finally:
        cam.stop()
    assert [(x.kind, x.value) for x in scans] == [("receipt", "Qm8Zt3Ry"), ("appointment", "K7Q2M9XW")]
