"""A document camera on its own frame thread: opens the source (a UVC camera or the simulator),
keeps the newest frame for the live preview, tracks state and health, and takes a still photo of
the page when asked: it waits until the page stops moving, refuses black or blurred frames, crops
to the page and hands back JPEG bytes. Problems are codes (:class:`CameraProblem`); the kiosk
translates them.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from devices.camera.page import BLUR_LEVEL, Frame, Stillness, crop_to_page, encode_jpeg, is_black, sharpness
from devices.state import Backoff, DeviceState, DeviceThread

log = logging.getLogger(__name__)


class FrameSource(Protocol):
    """What the frame thread reads: ``cv2.VideoCapture`` wrapped, or the simulator's feed."""

    def read(self) -> tuple[bool, Frame | None]: ...

    def release(self) -> None: ...


class CameraProblem(enum.StrEnum):
    DISCONNECTED = "disconnected"   # no camera at the configured device, or it went away
    NO_FRAME = "no_frame"           # opened, but no picture arrives
    BLACK = "black_frame"           # pictures arrive, all dark (lens cover, dead sensor)
    NOT_STILL = "not_still"         # the page kept moving until the capture gave up
    BLURRED = "blurred"             # still, but out of focus


class CaptureError(RuntimeError):
    def __init__(self, problem: CameraProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    page_found: bool   # False: no page outline found, the whole frame was kept
    width: int
    height: int


@dataclass(frozen=True)
class CameraHealth:
    state: DeviceState
    reason: str | None
    frames: int
    last_frame_age_s: float | None


NO_FRAME_SECONDS = 3.0    # no picture for this long: the camera is in error, reopen it
STALE_SECONDS = 1.0       # the newest frame is older than this: the camera has stopped giving any
BLACK_FRAMES = 10         # this many black frames in a row: report it


class DocumentCamera(DeviceThread):
    def __init__(self, source_factory: Callable[[], FrameSource], *, name: str = "camera",
                 on_state: Callable[[DeviceState, str | None], None] | None = None,
                 still_frames: int = 4) -> None:
        super().__init__(on_state)
        self.source_factory, self.name, self.thread_name = source_factory, name, f"{name}-frames"
        self.still_frames = still_frames
        self.frames = 0
        self._latest: Frame | None = None
        self._latest_at: float | None = None
        self._still = Stillness(still_frames)
        self._still_since = 0   # frame number at which the current still run began to count
        self._cond = threading.Condition()

    # -- life cycle --------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        with self._cond:   # a capture waiting for a still page gives up at once
            self._cond.notify_all()
        super().stop()

    def _run(self) -> None:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                source = self.source_factory()
            except OSError as exc:
                log.info("document camera not available", extra={"ctx": {"error": str(exc)}})
                self._set(DeviceState.DISCONNECTED, CameraProblem.DISCONNECTED.value)
                self._stop.wait(backoff.next())
                continue
            backoff.reset()
            try:
                self._read_frames(source)
            except OSError as exc:  # unplugged while streaming
                log.info("document camera went away", extra={"ctx": {"error": str(exc)}})
                self._set(DeviceState.DISCONNECTED, CameraProblem.DISCONNECTED.value)
            except Exception:  # a driver crash must not end the thread: reopen
                log.exception("document camera frame loop failed")
                self._set(DeviceState.DISCONNECTED, CameraProblem.DISCONNECTED.value)
            finally:
                try:
                    source.release()
                except Exception:
                    log.debug("releasing the camera failed", exc_info=True)
            self._stop.wait(backoff.next())

    def _read_frames(self, source: FrameSource) -> None:
        last_ok = time.monotonic()
        black = 0
        self._set(DeviceState.READY)
        while not self._stop.is_set():
            ok, frame = source.read()
            now = time.monotonic()
            if not ok or frame is None:
                if now - last_ok > NO_FRAME_SECONDS:
                    self._set(DeviceState.ERROR, CameraProblem.NO_FRAME.value)
                    return
                self._stop.wait(0.02)
                continue
            last_ok = now
            black = black + 1 if is_black(frame) else 0
            if black >= BLACK_FRAMES:
                self._set(DeviceState.ERROR, CameraProblem.BLACK.value)
            elif black == 0 and self.state != DeviceState.BUSY:
                self._set(DeviceState.READY)
            with self._cond:
                self.frames += 1
                self._latest, self._latest_at = frame, now
                if not self._still.feed(frame):
                    self._still_since = self.frames
                self._cond.notify_all()

    # -- what the kiosk asks ----------------------------------------------------------------
    def latest(self) -> Frame | None:
        """The newest frame (for the live preview), or None before the first one."""
        with self._cond:
            return self._latest

    def preview_jpeg(self, max_side: int = 800) -> bytes | None:
        frame = self.latest()
        return encode_jpeg(frame, quality=70, max_side=max_side) if frame is not None else None

    def health(self) -> CameraHealth:
        with self._cond:
            age = time.monotonic() - self._latest_at if self._latest_at is not None else None
            return CameraHealth(self.state, self.reason, self.frames, age)

    def _disconnected(self) -> bool:
        return self.state is DeviceState.DISCONNECTED

    def capture(self, timeout: float = 8.0) -> Photo:
        """A still frame of the page, cropped, as JPEG. Raises :class:`CaptureError`."""
        if self.state == DeviceState.DISCONNECTED:
            raise CaptureError(CameraProblem.DISCONNECTED, self.reason or "")
        deadline = time.monotonic() + timeout
        with self._cond:
            start = self.frames
            # Frames from before the request do not count: the citizen may just have laid the page.
            while not (self.frames - max(start, self._still_since) >= self.still_frames
                       and self._latest is not None):
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    break
                self._cond.wait(min(left, 0.25))
            frame, got = self._latest, self.frames - start
            still = frame is not None and self.frames - max(start, self._still_since) >= self.still_frames
            stale = self._latest_at is None or time.monotonic() - self._latest_at > STALE_SECONDS
        if self._disconnected():   # it went away while we waited
            raise CaptureError(CameraProblem.DISCONNECTED, self.reason or "")
        if frame is None or (not still and (got < 2 or stale)):
            raise CaptureError(CameraProblem.NO_FRAME)
        if is_black(frame):
            raise CaptureError(CameraProblem.BLACK)
        if not still:
            raise CaptureError(CameraProblem.NOT_STILL)
        if sharpness(frame) < BLUR_LEVEL:
            raise CaptureError(CameraProblem.BLURRED, f"sharpness {sharpness(frame):.0f}")
        page, found = crop_to_page(frame)
        return Photo(encode_jpeg(page), found, int(page.shape[1]), int(page.shape[0]))
