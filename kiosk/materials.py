"""Photographing application materials: a camera source, cropping the photo to the page, and
JPEG encoding for the offline cache.

The camera is OpenCV's capture on a real kiosk; the demo and the tests use a simulated camera
that shows a document page lying on a desk (slightly rotated), so cropping is exercised for real.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import cv2
import numpy as np


class DocumentCamera(Protocol):
    def capture(self) -> np.ndarray:
        """One BGR frame; raises ``CameraError`` when the camera cannot give one."""
        ...


class CameraError(RuntimeError):
    """The camera is missing or gave no frame."""


class OpenCVCamera:
    """A USB document camera through OpenCV (opened on first use, one capture at a time)."""

    def __init__(self, index: int = 0, width: int = 1920, height: int = 1080) -> None:
        self.index, self.width, self.height = index, width, height
        self._cap: Any = None
        self._lock = threading.Lock()

    def capture(self) -> np.ndarray:
        with self._lock:
            if self._cap is None or not self._cap.isOpened():
                self._cap = cv2.VideoCapture(self.index)
                self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
                self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            ok, frame = self._cap.read()
            if not ok or frame is None:
                self._cap.release()
                self._cap = None
                raise CameraError(f"camera {self.index} gave no picture")
            return frame


class SimulatedDocumentCamera:
    """A white A4-like page with text lines on a dark desk, rotated a little each capture."""

    def __init__(self, width: int = 1280, height: int = 720) -> None:
        self.width, self.height = width, height
        self.shots = 0

    def capture(self) -> np.ndarray:
        self.shots += 1
        desk = np.full((self.height, self.width, 3), (60, 70, 80), np.uint8)
        page_h = int(self.height * 0.8)
        page_w = int(page_h / 1.414)
        page = np.full((page_h, page_w, 3), 245, np.uint8)
        cv2.rectangle(page, (20, 30), (page_w - 20, 70), (40, 40, 40), -1)
        for i in range(12):
            y = 100 + i * 38
            cv2.line(page, (25, y), (page_w - 25 - (i * 17) % 120, y), (90, 90, 90), 6)
        angle = 4.0 + (self.shots % 3) * 3.0
        centre = (self.width / 2, self.height / 2)
        src = np.float32([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]])
        offset = np.float32([centre[0] - page_w / 2, centre[1] - page_h / 2])
        rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
        dst = cv2.transform((src + offset).reshape(-1, 1, 2), rot).reshape(-1, 2).astype(np.float32)
        warp = cv2.getPerspectiveTransform(src, dst)
        canvas = cv2.warpPerspective(page, warp, (self.width, self.height))
        mask = cv2.warpPerspective(np.full((page_h, page_w), 255, np.uint8), warp, (self.width, self.height))
        desk[mask > 0] = canvas[mask > 0]
        return desk


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.float32([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


def crop_to_page(frame: np.ndarray) -> tuple[np.ndarray, bool]:
    """The page straightened and cropped, and whether a page was found (else the whole frame)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    _, binary = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = frame.shape[0] * frame.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        if cv2.contourArea(contour) < area * 0.15:
            break
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
        if len(approx) == 4:
            corners = _order_corners(approx.reshape(4, 2).astype(np.float32))
            width = int(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[3] - corners[2])))
            height = int(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2])))
            target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
            warp = cv2.getPerspectiveTransform(corners, target)
            return cv2.warpPerspective(frame, warp, (width, height)), True
    return frame, False


def encode_jpeg(image: np.ndarray, quality: int = 85, max_side: int = 1600) -> bytes:
    """JPEG bytes, scaled down so the longest side is at most ``max_side`` pixels."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CameraError("could not encode the photo")
    return data.tobytes()
