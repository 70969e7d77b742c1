"""The real document camera: a UVC device through OpenCV's V4L2 backend (Linux) at the
configured resolution. ``device`` is a path (``/dev/kiosk-camera`` from the udev rule,
``/dev/video0``) or an index ("0"); a path that does not exist is an ``OSError`` at once, so a
missing camera is reported as disconnected instead of OpenCV probing other devices.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from devices.camera.page import Frame


class UvcSource:
    """``cv2.VideoCapture`` behind the :class:`~devices.camera.device.FrameSource` shape."""

    def __init__(self, device: str, width: int, height: int) -> None:
        import cv2

        target: int | str = int(device) if device.isdigit() else device
        if isinstance(target, str) and not os.path.exists(target):
            raise FileNotFoundError(f"document camera {device}: no such device")
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        cap: Any = cv2.VideoCapture(target, backend)
        if not cap.isOpened():
            cap.release()
            raise OSError(f"document camera {device} cannot be opened")
        # UVC document cameras give 1080p at a usable rate only as MJPG (YUYV is ~5 fps at USB 2).
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap = cap
        self.device = device
        self.size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def read(self) -> tuple[bool, Frame | None]:
        ok, frame = self._cap.read()
        if not ok or frame is None:
            return False, None
        return True, np.asarray(frame, dtype=np.uint8)

    def release(self) -> None:
        self._cap.release()


def uvc_factory(device: str, width: int, height: int) -> Any:
    """A zero-argument opener for :class:`~devices.camera.device.DocumentCamera`."""
    return lambda: UvcSource(device, width, height)
