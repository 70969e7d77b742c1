"""QR decoding backends for camera frames: zxing-cpp (default) and pyzbar, QR-only always.

Reference §5: with a QR-only filter zxing-cpp decodes a 1280x720 frame in about 1.6 ms and pyzbar
in about 33 ms (under 30 frames/s), and leaving every symbology on costs 11x / 2.4x.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BACKENDS = ("zxing", "pyzbar")
DEFAULT_BACKEND = "zxing"


def _gray(frame: np.ndarray) -> np.ndarray:
    """Grey, with a washed-out frame stretched to the full range: zxing-cpp's local binariser
    finds nothing in a code squeezed into ~20 grey levels (measured), a min-max stretch fixes it."""
    import cv2

    if frame.ndim == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    low, high, _, _ = cv2.minMaxLoc(frame)
    if high - low < 96:
        frame = np.asarray(cv2.normalize(frame, np.empty_like(frame), 0, 255, cv2.NORM_MINMAX))
    return frame


def make_decoder(backend: str = DEFAULT_BACKEND) -> Callable[[np.ndarray], list[bytes]]:
    """A function frame → payloads (raw bytes) for the chosen backend."""
    if backend == "zxing":
        import zxingcpp

        fmt = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

        def zx(frame: np.ndarray) -> list[bytes]:
            return [bytes(r.bytes) for r in zxingcpp.read_barcodes(_gray(frame), formats=fmt) if r.valid]

        return zx
    if backend == "pyzbar":
        from pyzbar.pyzbar import ZBarSymbol
        from pyzbar.pyzbar import decode as zbar_decode

        def zb(frame: np.ndarray) -> list[bytes]:
            return [d.data for d in zbar_decode(_gray(frame), symbols=[ZBarSymbol.QRCODE])]

        return zb
    raise ValueError(f"unknown QR backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def decode_image_file(path: str, backend: str = DEFAULT_BACKEND) -> list[bytes]:
    import cv2

    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError(f"cannot read image {path}")
    return make_decoder(backend)(img)
