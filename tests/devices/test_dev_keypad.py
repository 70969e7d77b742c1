"""The speech-mode keypad: the simulator's evdev records read by the real driver over a pty, each
key once (bounce and stray keys left out), a pulled cable seen and mended, the typed config, and
the device manager starting it and handing the keys on."""

from __future__ import annotations

import queue
import time

import pytest

from devices.config import parse_devices
from devices.keypad.evdev_keypad import EV_KEY, EV_SYN, EvdevKeypad, KeyFilter, decode, encode
from devices.keypad.keys import KeypadKey, key_for
from devices.keypad.simulator import KeypadSimulator
from devices.manager import DeviceManager
from devices.state import DeviceState


def _wait(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def keypad():  # type: ignore[no-untyped-def]
    sim = KeypadSimulator()
    keys: queue.Queue[KeypadKey] = queue.Queue()
    driver = EvdevKeypad(sim.listen_pty(), on_key=keys.put, grab=False)
    driver.start()
    _wait(lambda: driver.state is DeviceState.READY)
    yield sim, driver, keys
    driver.stop()
    sim.close()


def _drain(keys: queue.Queue[KeypadKey], settle: float = 0.3) -> list[KeypadKey]:
    time.sleep(settle)
    out = []
    while not keys.empty():
        out.append(keys.get_nowait())
    return out


def test_records_round_trip_and_partial_records_wait() -> None:
    raw = encode(EV_KEY, 76, 1) + encode(EV_SYN, 0, 0)
    events, rest = decode(raw[:30])
    assert events == [(EV_KEY, 76, 1)] and len(rest) == 6
    events, rest = decode(rest + raw[30:])
    assert events == [(EV_SYN, 0, 0)] and rest == b""


def test_key_names_of_a_numeric_keypad_and_a_phone_pad() -> None:
    assert key_for("KEY_KP5") is key_for("KEY_5") is key_for("KEY_KPENTER") is KeypadKey.SELECT
    assert key_for("KEY_NUMERIC_POUND") is key_for("KEY_KPSLASH") is KeypadKey.HELP
    assert key_for("KEY_KP7") is None and key_for("KEY_A") is None


def test_downs_only_and_bounce_is_one_press() -> None:
    clock = iter([0.0, 0.01, 0.5]).__next__
    keys = KeyFilter(clock=clock)
    assert keys.feed(EV_KEY, 76, 1) is KeypadKey.SELECT
    assert keys.feed(EV_KEY, 76, 0) is None and keys.feed(EV_KEY, 76, 2) is None
    assert keys.feed(EV_KEY, 76, 1) is None          # 10 ms later: contact bounce
    assert keys.feed(EV_KEY, 76, 1) is KeypadKey.SELECT


def test_every_key_arrives_once(keypad) -> None:  # type: ignore[no-untyped-def]
    sim, _, keys = keypad
    for key in KeypadKey:
        sim.press(key)
        time.sleep(0.1)
    assert _drain(keys) == list(KeypadKey)


@pytest.mark.parametrize("fault", ["bounce", "stray"])
def test_bounce_and_stray_keys_are_left_out(keypad, fault: str) -> None:  # type: ignore[no-untyped-def]
    sim, _, keys = keypad
    sim.set_fault(fault)
    sim.press("2")
    time.sleep(0.15)
    sim.press("5")
    assert _drain(keys) == [KeypadKey.DOWN, KeypadKey.SELECT]


def test_a_pulled_cable_is_seen_and_mended(keypad) -> None:  # type: ignore[no-untyped-def]
    sim, driver, keys = keypad
    sim.set_fault("disconnect")
    _wait(lambda: driver.state is DeviceState.DISCONNECTED)
    sim.press("5")
    sim.set_fault(None)
    _wait(lambda: driver.state is DeviceState.READY, timeout=10)
    sim.press("8")
    assert _drain(keys) == [KeypadKey.UP]


def test_unknown_fault_is_refused() -> None:
    sim = KeypadSimulator()
    try:
        with pytest.raises(ValueError, match="known: disconnect, bounce, stray"):
            sim.set_fault("melted")
    finally:
        sim.close()


def test_config_names_the_key_and_counts_a_real_keypad() -> None:
    assert parse_devices({}).keypad.device == "sim"
    real = parse_devices({"keypad": {"device": "/dev/kiosk-keypad"}})
    assert real.has_real_devices()
    with pytest.raises(ValueError, match=r"devices\.keypad\.port: unknown key"):
        parse_devices({"keypad": {"port": "/dev/x"}})


def test_manager_starts_the_simulated_keypad_and_hands_keys_on() -> None:
    got: queue.Queue[KeypadKey] = queue.Queue()
    config = parse_devices({"idcard": {"port": "none"}, "printer": {"connection": "none"},
                            "scanner": {"kind": "none"}, "camera": {"device": "none"}})
    with DeviceManager(config, on_key=got.put) as manager:
        _wait(lambda: manager.state("keypad")[0] is DeviceState.READY)
        assert manager.faults("keypad") == ("disconnect", "bounce", "stray")
        manager.simulators["keypad"].press("*")  # type: ignore[attr-defined]
        assert got.get(timeout=3) is KeypadKey.REPEAT


def test_a_missing_keypad_is_disconnected_not_fatal() -> None:
    config = parse_devices({"idcard": {"port": "none"}, "printer": {"connection": "none"},
                            "scanner": {"kind": "none"}, "camera": {"device": "none"},
                            "keypad": {"device": "/dev/kiosk-keypad-absent"}})
    with DeviceManager(config) as manager:
        _wait(lambda: manager.state("keypad")[1] not in ("not started", "not configured"))
        state, reason = manager.state("keypad")
        assert state is DeviceState.DISCONNECTED and "kiosk-keypad-absent" in (reason or "")


def test_a_deployed_kiosk_has_no_simulated_keypad() -> None:
    deployed = parse_devices({"printer": {"connection": "usb:0x0416:0x5011"}})
    assert deployed.keypad.device == "none"
    assert parse_devices({"printer": {"connection": "usb:0x0416:0x5011"},
                          "keypad": {"device": "/dev/kiosk-keypad"}}).keypad.device == "/dev/kiosk-keypad"
