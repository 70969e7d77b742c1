"""HID keyboard-wedge scanners read exclusively through evdev (Linux), reference §3.2.

The device is grabbed (EVIOCGRAB) so the scanned text never reaches the kiosk UI as typing; key
downs are mapped to characters with the shift state (US layout), and Enter ends the code.
Pick the device by a stable ``/dev/input/by-id/…`` path or by a name substring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from devices.scanner.classify import MAX_PAYLOAD, RepeatFilter, Scan, classify
from devices.state import Backoff, DeviceState, DeviceThread, call_safely

log = logging.getLogger(__name__)

_ROWS = {  # KEY_* name → (plain, shifted), US layout
    **{f"KEY_{c}": (c.lower(), c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"KEY_{d}": (d, s) for d, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    "KEY_MINUS": ("-", "_"), "KEY_EQUAL": ("=", "+"),
    "KEY_LEFTBRACE": ("[", "{"), "KEY_RIGHTBRACE": ("]", "}"),
    "KEY_SEMICOLON": (";", ":"), "KEY_APOSTROPHE": ("'", '"'), "KEY_GRAVE": ("`", "~"),
    "KEY_BACKSLASH": ("\\", "|"), "KEY_COMMA": (",", "<"), "KEY_DOT": (".", ">"), "KEY_SLASH": ("/", "?"),
    "KEY_SPACE": (" ", " "), "KEY_TAB": ("\t", "\t"),
}
SHIFTS = ("KEY_LEFTSHIFT", "KEY_RIGHTSHIFT")
ENTERS = ("KEY_ENTER", "KEY_KPENTER")


def find_input_device(device: str) -> Any:
    """The evdev ``InputDevice`` at a ``/dev/…`` path, or the first whose name contains ``device``
    (the scanner and the speech-mode keypad are both found this way)."""
    import evdev

    if device.startswith("/dev/"):
        return evdev.InputDevice(device)
    for path in evdev.list_devices():
        dev = evdev.InputDevice(path)
        if device.lower() in dev.name.lower():
            return dev
        dev.close()
    raise FileNotFoundError(f"no input device named like {device!r}")


class KeyDecoder:
    """Key events (name, value: 1 down / 0 up / 2 repeat) → finished codes."""

    def __init__(self, max_len: int = MAX_PAYLOAD) -> None:
        self.max_len = max_len
        self._shift = False
        self._chars: list[str] = []

    def feed(self, key: str, value: int) -> str | None:
        if key in SHIFTS:
            self._shift = value != 0
            return None
        if value != 1:
            return None
        if key in ENTERS:
            code, self._chars = "".join(self._chars), []
            return code or None
        pair = _ROWS.get(key)
        if pair and len(self._chars) <= self.max_len:
            self._chars.append(pair[1] if self._shift else pair[0])
        return None


class EvdevScanner(DeviceThread):
    thread_name = "scanner-evdev"

    def __init__(self, device: str, *, on_scan: Callable[[Scan], None],
                 on_state: Callable[[DeviceState, str | None], None] | None = None,
                 base_url: str | None = None, repeat_window: float = 2.0) -> None:
        super().__init__(on_state)
        self.device, self.on_scan, self.base_url = device, on_scan, base_url
        self.repeats = RepeatFilter(repeat_window)

    def _find(self) -> Any:   # evdev.InputDevice (evdev ships no type information)
        return find_input_device(self.device)

    def _run(self) -> None:
        import select

        from evdev import ecodes

        backoff = Backoff()
        while not self._stop.is_set():
            try:
                dev = self._find()
                dev.grab()  # exclusive: the UI must not receive the scanner's keystrokes
            except (OSError, ImportError) as exc:
                self._set(DeviceState.DISCONNECTED, f"scanner input device {self.device}: {exc}")
                self._stop.wait(backoff.next())
                continue
            backoff.reset()
            self._set(DeviceState.READY)
            decoder = KeyDecoder()
            try:
                while not self._stop.is_set():
                    ready, _, _ = select.select([dev.fd], [], [], 0.5)
                    if not ready:
                        continue
                    for ev in dev.read():
                        if ev.type != ecodes.EV_KEY:
                            continue
                        name = ecodes.KEY.get(ev.code)
                        name = name[0] if isinstance(name, list) else name
                        code = decoder.feed(str(name), ev.value)
                        if code is not None:
                            raw = code.encode()
                            scan = classify(raw, self.base_url, "evdev")
                            if not scan.accepted or self.repeats.fresh(raw):
                                call_safely(self.on_scan, scan)
            except OSError as exc:
                self._set(DeviceState.DISCONNECTED, f"scanner input device went away: {exc}")
            finally:
                try:
                    dev.ungrab()
                    dev.close()
                except OSError:
                    pass
            self._stop.wait(backoff.next())
