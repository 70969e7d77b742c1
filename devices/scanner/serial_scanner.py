"""USB CDC (virtual COM) and RS-232 scanners: one code per CR/LF-terminated line.

The suffix is vendor-configurable (reference §3.1), so a code with no suffix is also ended by an
inter-byte gap. Lines longer than the payload limit are dropped whole with a reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import serial

from devices.scanner.classify import MAX_PAYLOAD, RepeatFilter, Scan, classify
from devices.state import Backoff, DeviceState, DeviceThread, call_safely

log = logging.getLogger(__name__)


class LineFramer:
    """Bytes → complete payloads. ``feed`` with data; ``timeout()`` when the line went quiet."""

    def __init__(self, max_len: int = MAX_PAYLOAD) -> None:
        self.max_len = max_len
        self._buf = bytearray()
        self._overflow = False

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        for b in data:
            if b in (0x0D, 0x0A):
                out += self._end()
            elif len(self._buf) > self.max_len:
                self._overflow = True
            else:
                self._buf.append(b)
        return out

    def _end(self) -> list[bytes]:
        if self._overflow:
            # Hand the oversized code on (cut at limit + 1) so it is rejected with a reason, not lost.
            payload = bytes(self._buf)
            self._buf.clear()
            self._overflow = False
            return [payload]
        if not self._buf:
            return []
        payload = bytes(self._buf)
        self._buf.clear()
        return [payload]

    def timeout(self) -> list[bytes]:
        return self._end()

    @property
    def pending(self) -> bool:
        return bool(self._buf) or self._overflow


class SerialScanner(DeviceThread):
    thread_name = "scanner-serial"

    def __init__(self, url: str, baud: int = 9600, *, on_scan: Callable[[Scan], None],
                 on_state: Callable[[DeviceState, str | None], None] | None = None,
                 base_url: str | None = None, gap: float = 0.1, repeat_window: float = 2.0) -> None:
        super().__init__(on_state)
        self.url, self.baud, self.on_scan = url, baud, on_scan
        self.base_url, self.gap = base_url, gap
        self.repeats = RepeatFilter(repeat_window)

    def _emit(self, payload: bytes) -> None:
        scan = classify(payload, self.base_url, "serial")
        if scan.accepted and not self.repeats.fresh(payload):
            return
        call_safely(self.on_scan, scan)

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                ser = serial.serial_for_url(self.url, baudrate=self.baud, timeout=self.gap)
            except (serial.SerialException, OSError, ValueError) as exc:
                self._set(DeviceState.DISCONNECTED, f"cannot open scanner port {self.url}: {exc}")
                self._stop.wait(backoff.next())
                continue
            backoff.reset()
            self._set(DeviceState.READY)
            framer = LineFramer()
            last = time.monotonic()
            try:
                while not self._stop.is_set():
                    data = ser.read(256)
                    now = time.monotonic()
                    if data:
                        last = now
                        for p in framer.feed(data):
                            self._emit(p)
                    elif framer.pending and now - last >= self.gap:
                        for p in framer.timeout():
                            self._emit(p)
            except Exception as exc:  # pyserial raises SerialException, OSError or termios.error on unplug
                self._set(DeviceState.DISCONNECTED, f"scanner on {self.url} went away: {exc}")
            finally:
                try:
                    ser.close()
                except Exception:
                    log.debug("closing scanner port failed", exc_info=True)
            self._stop.wait(backoff.next())
