"""A virtual scanner: serial codes typed into a pty/socket on demand, and camera frames from files.

``feed(payload)`` sends the bytes plus the configured suffix (CR by default) to whoever has the
port open, as a CDC scanner does; ``feed_image(path)`` or ``feed_frame(array)`` queues a frame for
a :class:`CameraScanner` built on :meth:`frame_source`.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from devices.simport import SimPort


class FrameFeed:
    """A camera look-alike: ``read()`` returns queued frames, then (False, None) until more come."""

    def __init__(self, frames: queue.Queue) -> None:
        self._frames = frames

    def read(self) -> tuple[bool, Any]:
        try:
            return True, self._frames.get(timeout=0.05)
        except queue.Empty:
            return False, None

    def release(self) -> None:
        pass


class ScannerSimulator:
    def __init__(self, suffix: bytes = b"\r") -> None:
        self.suffix = suffix
        self.port = SimPort("scanner", lambda data, reply: None)   # scanners ignore host bytes
        self._frames: queue.Queue = queue.Queue(maxsize=64)
        self._lock = threading.Lock()
        self.sent = 0

    def feed(self, payload: bytes | str, suffix: bytes | None = None) -> None:
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        with self._lock:
            self.port.send(raw + (self.suffix if suffix is None else suffix))
            self.sent += 1

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
