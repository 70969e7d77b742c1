"""A virtual speech-mode keypad: :meth:`KeypadSimulator.press` sends a key's ``input_event``
records (down, SYN, up, SYN — what the kernel writes for a USB numeric keypad) through a pty
behind a stable link, as udev's ``/dev/kiosk-keypad`` is, so the driver reads them as from the
real device node.

Faults (:attr:`KeypadSimulator.FAULTS`), as keypads misbehave: ``disconnect`` (the USB cable
pulled: the node goes away until mended), ``bounce`` (a worn key: every down is sent twice a few
milliseconds apart; the driver takes one), ``stray`` (a key speech mode has no use for, 7, is
sent before each press: the driver leaves it out).
"""

from __future__ import annotations

import enum
import shutil
import tempfile
import threading
import time
from pathlib import Path

from devices.keypad.evdev_keypad import EV_KEY, EV_SYN, encode
from devices.keypad.keys import SENT_AS, KeypadKey
from devices.simport import SimPort, known_fault


class KeypadFault(enum.StrEnum):
    DISCONNECT = "disconnect"
    BOUNCE = "bounce"
    STRAY = "stray"


#: the gap between the two downs of the ``bounce`` fault (well inside the driver's BOUNCE_S)
BOUNCE_GAP_S = 0.005


def _code(name: str) -> int:
    from evdev import ecodes

    return int(ecodes.ecodes[name])


class KeypadSimulator:
    FAULTS: tuple[str, ...] = tuple(f.value for f in KeypadFault)

    def __init__(self) -> None:
        self.port = SimPort("keypad", lambda data, reply: None)   # a keypad ignores host bytes
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-keypad-"))
        self._lock = threading.Lock()
        self._fault: KeypadFault | None = None
        self.pressed = 0

    def set_fault(self, name: str | None) -> None:
        known = known_fault(name, self.FAULTS)
        self._fault = KeypadFault(known) if known else None
        self.port.set_plugged(self._fault is not KeypadFault.DISCONNECT)

    @property
    def fault(self) -> str | None:
        return self._fault.value if self._fault else None

    def _tap(self, name: str, downs: int = 1) -> None:
        code = _code(name)
        for i in range(downs):
            if i:
                time.sleep(BOUNCE_GAP_S)
            self.port.send(encode(EV_KEY, code, 1) + encode(EV_SYN, 0, 0))
        self.port.send(encode(EV_KEY, code, 0) + encode(EV_SYN, 0, 0))

    def press(self, key: KeypadKey | str) -> None:
        """A finger presses and releases one key (``"5"``, ``"*"``, :class:`KeypadKey`)."""
        key = KeypadKey(key)
        with self._lock:
            self.pressed += 1
            fault = self._fault
            if fault is KeypadFault.DISCONNECT:
                return                       # nobody hears a keypad that is unplugged
            if fault is KeypadFault.STRAY:
                self._tap("KEY_KP7")
            self._tap(SENT_AS[key], downs=2 if fault is KeypadFault.BOUNCE else 1)

    def listen_pty(self) -> str:
        return self.port.listen_pty(str(self._dir / "kiosk-keypad"))

    @property
    def url(self) -> str:
        return self.port.url

    def close(self) -> None:
        self.port.close()
        shutil.rmtree(self._dir, ignore_errors=True)
