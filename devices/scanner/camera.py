"""Camera scanning on its own thread: capture frames, decode QR codes, drop repeats.

The frame source is anything with ``read() -> (ok, frame)`` and ``release()``: a
``cv2.VideoCapture`` for a real camera or the simulator's :class:`FrameFeed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from devices.scanner.classify import RepeatFilter, Scan, classify
from devices.scanner.decode import DEFAULT_BACKEND, make_decoder
from devices.state import Backoff, DeviceState, DeviceThread, call_safely

log = logging.getLogger(__name__)


def open_camera(index: int | str = 0, width: int = 1280, height: int = 720) -> Any:
    import cv2

    cap = cv2.VideoCapture(index)
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    if not cap.isOpened():
        cap.release()
        raise OSError(f"camera {index} cannot be opened")
    return cap


class CameraScanner(DeviceThread):
    thread_name = "scanner-camera"

    def __init__(self, source_factory: Callable[[], Any], *, on_scan: Callable[[Scan], None],
                 on_state: Callable[[DeviceState, str | None], None] | None = None,
                 backend: str = DEFAULT_BACKEND, base_url: str | None = None,
                 repeat_window: float = 2.0) -> None:
        super().__init__(on_state)
        self.source_factory, self.on_scan = source_factory, on_scan
        self.decode = make_decoder(backend)
        self.base_url = base_url
        self.repeats = RepeatFilter(repeat_window)
        self.frames = 0

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                source = self.source_factory()
            except OSError as exc:
                self._set(DeviceState.DISCONNECTED, str(exc))
                self._stop.wait(backoff.next())
                continue
            self._set(DeviceState.READY)
            misses = 0
            try:
                while not self._stop.is_set():
                    ok, frame = source.read()
                    if not ok or frame is None:
                        misses += 1
                        if misses > 50:   # a camera that stopped delivering frames: reopen it
                            self._set(DeviceState.ERROR, "camera delivers no frames")
                            break
                        self._stop.wait(0.02)
                        continue
                    misses = 0
                    self.frames += 1
                    for raw in self.decode(frame):
                        scan = classify(raw, self.base_url, "camera")
                        if not scan.accepted or self.repeats.fresh(raw):
                            call_safely(self.on_scan, scan)
            finally:
                source.release()
            self._stop.wait(backoff.next())
