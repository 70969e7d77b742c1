"""Image work on document-camera frames: is the page still, is the frame usable (not black, not
blurred), the page found and straightened (largest four-cornered contour, perspective warp), and
JPEG encoding. Pure functions of numpy arrays; no device here.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

Frame = np.ndarray[Any, np.dtype[np.uint8]]

#: mean grey below this is a lens cap, a dark hall or a dead sensor, not a page
BLACK_LEVEL = 18.0
#: variance of the Laplacian below this is out of focus or smeared by movement (a desk page
#: with text measures several hundred on the simulator and on UVC cameras at 1080p)
BLUR_LEVEL = 40.0
#: mean absolute grey difference (0-255) between two small frames counted as "no movement"
STILL_LEVEL = 2.5


def _small_grey(frame: Frame) -> Frame:
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    h, w = grey.shape[:2]
    scale = 320 / max(h, w)
    small = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(small, (5, 5), 0), dtype=np.uint8)


def is_black(frame: Frame) -> bool:
    return float(_small_grey(frame).mean()) < BLACK_LEVEL


def sharpness(frame: Frame) -> float:
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


class Stillness:
    """Frame differencing: the page is still once ``needed`` consecutive frames differ from the
    one before by less than :data:`STILL_LEVEL` (a hand moving the page resets the count)."""

    def __init__(self, needed: int = 4) -> None:
        self.needed = needed
        self._last: Frame | None = None
        self.count = 0

    def feed(self, frame: Frame) -> bool:
        small = _small_grey(frame)
        if self._last is not None and self._last.shape == small.shape:
            diff = float(cv2.absdiff(small, self._last).mean())
            self.count = self.count + 1 if diff < STILL_LEVEL else 0
        self._last = small
        return self.count >= self.needed

    def reset(self) -> None:
        self._last, self.count = None, 0


def _order_corners(pts: np.ndarray[Any, np.dtype[np.float32]]) -> np.ndarray[Any, np.dtype[np.float32]]:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def crop_to_page(frame: Frame) -> tuple[Frame, bool]:
    """The page straightened and cropped, and whether a page was found (else the whole frame)."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(grey, (5, 5), 0)
    _, binary = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = frame.shape[0] * frame.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        if cv2.contourArea(contour) < area * 0.15:
            break
        if cv2.contourArea(contour) > area * 0.98:   # the frame's own border: nothing to crop to
            continue
        approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
        if len(approx) == 4:
            corners = _order_corners(approx.reshape(4, 2).astype(np.float32))
            width = int(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[3] - corners[2])))
            height = int(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2])))
            target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
            warp = cv2.getPerspectiveTransform(corners, target)
            return np.asarray(cv2.warpPerspective(frame, warp, (width, height)), dtype=np.uint8), True
    return frame, False


def encode_jpeg(image: Frame, quality: int = 85, max_side: int = 1600) -> bytes:
    """JPEG bytes, scaled down so the longest side is at most ``max_side`` pixels."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        image = np.asarray(cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA),
                           dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the photo as JPEG")
    return bytes(data.tobytes())
