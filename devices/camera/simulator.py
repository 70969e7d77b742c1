"""A simulated document camera: a white page with text lines on a dark desk, a little rotated,
at a steady frame rate, with faults a technician (or a test) switches on: the camera unplugged,
no frames, black frames, slow frames, a page that keeps moving, a blurred page.
"""

from __future__ import annotations

import enum
import threading
import time

import cv2
import numpy as np

from devices.camera.page import Frame
from devices.simport import known_fault


class CameraFault(enum.StrEnum):
    DISCONNECT = "disconnect"
    NO_FRAME = "no_frame"
    BLACK_FRAME = "black_frame"
    SLOW = "slow"
    MOVING = "moving"
    BLURRED = "blurred"


class DocumentCameraSimulator:
    FAULTS: tuple[str, ...] = tuple(f.value for f in CameraFault)

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 15.0) -> None:
        self.width, self.height, self.fps = width, height, fps
        self._fault: CameraFault | None = None
        self._lock = threading.Lock()
        self.angle = 6.0
        self.opened = 0
        self._tick = 0

    # -- control -------------------------------------------------------------------------
    def set_fault(self, name: str | None) -> None:
        known = known_fault(name, self.FAULTS)
        with self._lock:
            self._fault = CameraFault(known) if known else None

    @property
    def fault(self) -> str | None:
        return self._fault.value if self._fault else None

    def close(self) -> None:
        self.set_fault(None)

    # -- the camera ------------------------------------------------------------------------
    def open(self) -> _SimSource:
        """The factory a :class:`~devices.camera.device.DocumentCamera` calls."""
        if self._fault is CameraFault.DISCONNECT:
            raise FileNotFoundError("simulated document camera unplugged")
        self.opened += 1
        return _SimSource(self)

    def frame(self) -> Frame:
        fault = self._fault
        self._tick += 1
        if fault is CameraFault.BLACK_FRAME:
            return np.zeros((self.height, self.width, 3), np.uint8)
        shift = (self._tick % 7) * 25 if fault is CameraFault.MOVING else 0
        img = self.draw_page(self.angle + (shift / 10 if shift else 0), shift)
        if fault is CameraFault.BLURRED:
            img = np.asarray(cv2.GaussianBlur(img, (61, 61), 25), dtype=np.uint8)
        return img

    def draw_page(self, angle: float, shift: int = 0) -> Frame:
        desk = np.full((self.height, self.width, 3), (60, 70, 80), np.uint8)
        page_h = int(self.height * 0.8)
        page_w = int(page_h / 1.414)
        page = np.full((page_h, page_w, 3), 245, np.uint8)
        cv2.rectangle(page, (20, 30), (page_w - 20, 70), (40, 40, 40), -1)
        # Marked, so a simulated page can never pass for a citizen's material.
        cv2.putText(page, "SIMULATED CAMERA", (30, 62), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (245, 245, 245), 2)
        for i in range(12):
            y = 100 + i * 38
            cv2.line(page, (25, y), (page_w - 25 - (i * 17) % 120, y), (90, 90, 90), 6)
        centre = (self.width / 2 + shift, self.height / 2)
        src = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float32)
        offset = np.array([centre[0] - page_w / 2, centre[1] - page_h / 2], np.float32)
        rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
        dst = cv2.transform((src + offset).reshape(-1, 1, 2), rot).reshape(-1, 2).astype(np.float32)
        warp = cv2.getPerspectiveTransform(src, dst)
        canvas = cv2.warpPerspective(page, warp, (self.width, self.height))
        mask = cv2.warpPerspective(np.full((page_h, page_w), 255, np.uint8), warp, (self.width, self.height))
        desk[mask > 0] = canvas[mask > 0]
        return desk


class _SimSource:
    def __init__(self, sim: DocumentCameraSimulator) -> None:
        self.sim = sim
        self._next = time.monotonic()

    def read(self) -> tuple[bool, Frame | None]:
        fault = self.sim._fault
        period = 1.2 if fault is CameraFault.SLOW else 1.0 / self.sim.fps
        self._next = max(self._next + period, time.monotonic())
        time.sleep(max(0.0, self._next - time.monotonic()))
        if fault is CameraFault.DISCONNECT:
            raise OSError("simulated document camera unplugged")
        if fault is CameraFault.NO_FRAME:
            return False, None
        return True, self.sim.frame()

    def release(self) -> None:
        pass
