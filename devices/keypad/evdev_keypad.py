"""The speech-mode keypad read as an evdev keyboard: ``struct input_event`` records from its
device node (grabbed, so no key reaches the kiosk UI as typing, reference §3.2), key downs
mapped to :class:`~devices.keypad.keys.KeypadKey` and handed to ``on_key``.

The records are read from the node's file descriptor and decoded here (:func:`decode`), so a
real keypad and the simulator's pty (which sends the same records) take the same path; only
the grab (EVIOCGRAB through python-evdev) is the real device's. Auto-repeat (value 2) is
ignored and a second down of the same key within :data:`BOUNCE_S` is contact bounce.
"""

from __future__ import annotations

import logging
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

from devices.keypad.keys import KeypadKey, key_for
from devices.state import Backoff, DeviceState, DeviceThread, call_safely

log = logging.getLogger(__name__)

#: the kernel's ``struct input_event`` in the machine's own layout: timeval, type, code, value
EVENT = struct.Struct("llHHi")
EV_SYN, EV_KEY = 0x00, 0x01
#: two downs of one key closer than this are one press (a worn key's contacts bounce)
BOUNCE_S = 0.08


def encode(kind: int, code: int, value: int, at: float | None = None) -> bytes:
    """One ``input_event`` record as the kernel writes it."""
    stamp = time.time() if at is None else at
    return EVENT.pack(int(stamp), int((stamp % 1) * 1_000_000), kind, code, value)


def decode(buffer: bytes) -> tuple[list[tuple[int, int, int]], bytes]:
    """Whole records in ``buffer`` as (type, code, value), and the bytes of a partial one left."""
    whole = len(buffer) - len(buffer) % EVENT.size
    events = [(k, c, v) for _, _, k, c, v in EVENT.iter_unpack(buffer[:whole])]
    return events, buffer[whole:]


def key_name(code: int) -> str:
    from evdev import ecodes

    name = ecodes.KEY.get(code, "")
    return str(name[0] if isinstance(name, list) else name)


class KeyFilter:
    """Key events → speech-mode keys: downs only, bounce dropped, keys speech mode has no use for
    left out."""

    def __init__(self, bounce: float = BOUNCE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.bounce, self.clock = bounce, clock
        self._last: dict[int, float] = {}

    def feed(self, kind: int, code: int, value: int) -> KeypadKey | None:
        if kind != EV_KEY or value != 1:
            return None
        now = self.clock()
        if now - self._last.get(code, -1e9) < self.bounce:
            return None
        self._last[code] = now
        key = key_for(key_name(code))
        if key is None:
            log.debug("keypad key without a use", extra={"ctx": {"code": code}})
        return key


class EvdevKeypad(DeviceThread):
    thread_name = "keypad-evdev"
    log_name = "keypad"

    def __init__(self, device: str, *, on_key: Callable[[KeypadKey], None],
                 on_state: Callable[[DeviceState, str | None], None] | None = None, grab: bool = True) -> None:
        super().__init__(on_state)
        self.device, self.on_key, self.grab = device, on_key, grab

    def _open(self) -> tuple[int, Any]:
        """The node's descriptor and what closes it (the grabbed evdev device, or the plain file)."""
        if self.grab:
            from devices.scanner.evdev_scanner import find_input_device

            dev = find_input_device(self.device)
            dev.grab()  # exclusive: the UI must not receive the keypad's keys as typing
            return dev.fd, dev
        fd = os.open(self.device, os.O_RDONLY | os.O_NOCTTY)
        return fd, fd

    @staticmethod
    def _close(handle: Any) -> None:
        try:
            if isinstance(handle, int):
                os.close(handle)
            else:
                handle.ungrab()
                handle.close()
        except OSError:
            pass

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                fd, handle = self._open()
            except (OSError, ImportError) as exc:
                self._set(DeviceState.DISCONNECTED, f"keypad input device {self.device}: {exc}")
                self._stop.wait(backoff.next())
                continue
            backoff.reset()
            self._set(DeviceState.READY)
            keys, rest = KeyFilter(), b""
            try:
                while not self._stop.is_set():
                    ready, _, _ = select.select([fd], [], [], 0.5)
                    if not ready:
                        continue
                    chunk = os.read(fd, EVENT.size * 64)
                    if not chunk:
                        raise OSError("the keypad went away")
                    events, rest = decode(rest + chunk)
                    for kind, code, value in events:
                        key = keys.feed(kind, code, value)
                        if key is not None:
                            call_safely(self.on_key, key)
            except OSError as exc:
                self._set(DeviceState.DISCONNECTED, f"keypad input device went away: {exc}")
            finally:
                self._close(handle)
            self._stop.wait(backoff.next())
