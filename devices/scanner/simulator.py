"""A virtual scanner: serial codes typed into a pty/socket on demand, and camera frames from files.

``feed(payload)`` sends the bytes plus the configured suffix (CR by default) to whoever has the
port open, as a CDC scanner does; ``feed_image(path)`` or ``feed_frame(array)`` queues a frame for
a :class:`CameraScanner` built on :meth:`frame_source`.

Faults (:attr:`ScannerSimulator.FAULTS`), as real scanners misbehave: ``disconnect`` (the USB
cable pulled: the port goes away), ``garbage`` (line noise or a wrong baud rate: every code comes
out as bytes that are no text), ``slow`` (bytes trickle in one by one, as through a slow hub,
still within the driver's inter-byte gap), ``duplicate`` (each code sent twice, as a scanner in
continuous mode re-reads a code held under it).
"""

from __future__ import annotations

import enum
import queue
import threading
import time
from typing import Any

from devices.simport import SimPort, known_fault


class FrameFeed:
    """A camera look-alike: ``read()`` returns queued frames, then (False, None) until more come."""

    def __init__(self, frames: queue.Queue[Any]) -> None:
        self._frames = frames

    def read(self) -> tuple[bool, Any]:
        try:
            return True, self._frames.get(timeout=0.05)
        except queue.Empty:
            return False, None

    def release(self) -> None:
        pass


class ScannerFault(enum.StrEnum):
    DISCONNECT = "disconnect"
    GARBAGE = "garbage"
    SLOW = "slow"
    DUPLICATE = "duplicate"


#: seconds between bytes with the ``slow`` fault: slow, but under the driver's 0.1 s line gap
SLOW_BYTE_SECONDS = 0.03
#: what a code looks like with the ``garbage`` fault: neither UTF-8 nor GB18030
GARBAGE = b"\x80\xff\xfe\x9c\x00\xff\x81"


class ScannerSimulator:
    FAULTS: tuple[str, ...] = tuple(f.value for f in ScannerFault)

    def __init__(self, suffix: bytes = b"\r") -> None:
        self.suffix = suffix
        self.port = SimPort("scanner", lambda data, reply: None)   # scanners ignore host bytes
        self._frames: queue.Queue[Any] = queue.Queue(maxsize=64)
        self._lock = threading.Lock()
        self._fault: ScannerFault | None = None
        self.sent = 0

    def set_fault(self, name: str | None) -> None:
        known = known_fault(name, self.FAULTS)
        self._fault = ScannerFault(known) if known else None
        self.port.set_plugged(self._fault is not ScannerFault.DISCONNECT)

    @property
    def fault(self) -> str | None:
        return self._fault.value if self._fault else None

    def feed(self, payload: bytes | str, suffix: bytes | None = None) -> None:
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        line = raw + (self.suffix if suffix is None else suffix)
        fault = self._fault
        with self._lock:
            self.sent += 1
            if fault is ScannerFault.DISCONNECT:
                return                       # nobody hears a scanner that is unplugged
            if fault is ScannerFault.GARBAGE:
                # Bytes that decode neither as UTF-8 nor as GB18030, then the suffix as usual.
                # No CR/LF inside, so the driver sees exactly one bad line per code.
                line = GARBAGE + (self.suffix if suffix is None else suffix)
            if fault is ScannerFault.SLOW:
                for b in line:
                    self.port.send(bytes([b]))
                    time.sleep(SLOW_BYTE_SECONDS)
                return
            self.port.send(line)
            if fault is ScannerFault.DUPLICATE:
                self.port.send(line)

    def feed_frame(self, frame: Any) -> None:
        self._frames.put(frame, timeout=1)

    def feed_image(self, path: str) -> None:
        import cv2

        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"cannot read image {path}")
        self.feed_frame(img)

    def frame_source(self) -> FrameFeed:
        return FrameFeed(self._frames)

    def listen_pty(self, link: str | None = None) -> str:
        return self.port.listen_pty(link)

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        return self.port.listen_tcp(host, port)

    @property
    def url(self) -> str:
        return self.port.url

    def close(self) -> None:
        self.port.close()
