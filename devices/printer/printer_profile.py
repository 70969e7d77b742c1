"""Printer profile: paper width, Chinese text mode (printer font or raster), QR and cut support."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Reference §2.5: 58 mm roll → 384 dots, 80 mm roll → 576 dots at 203 dpi.
DOTS = {58: 384, 80: 576}


@dataclass(frozen=True)
class PrinterProfile:
    paper_mm: int = 80
    # "native": the printer's own GB font inside FS & … FS . ; "raster": we draw the text.
    text_mode: str = "native"
    # What the printer's Chinese font covers; lines outside it are rasterised even in native mode.
    font_charset: str = "gbk"
    native_qr: bool = False     # GS ( k; off by default: every raster-capable printer prints images
    cut: str = "partial"        # partial | full | none
    feed_before_cut: int = 4
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    baudrate: int = 9600
    # A kiosk mechanism's presenter (devices/printer/presenter.py): "none", "gs_e" or "custom".
    presenter: str = "none"
    # How far a presented paper comes out, in the printer's own steps (GS e 3 m / FS P n1; the
    # step length differs per model: see docs/devices.md).
    presenter_steps: int = 12

    def __post_init__(self) -> None:
        if self.paper_mm not in DOTS:
            raise ValueError(f"paper_mm must be 58 or 80, not {self.paper_mm}")
        if self.text_mode not in ("native", "raster"):
            raise ValueError("text_mode must be 'native' or 'raster'")
        if self.font_charset not in ("gb2312", "gbk", "gb18030"):
            raise ValueError("font_charset must be gb2312, gbk or gb18030")
        if self.cut not in ("partial", "full", "none"):
            raise ValueError("cut must be partial, full or none")
        if self.presenter not in ("none", "gs_e", "custom"):
            raise ValueError("presenter must be none, gs_e or custom")
        if not 0 <= self.presenter_steps <= 255:
            raise ValueError("presenter_steps must be 0..255")

    @property
    def dots(self) -> int:
        return DOTS[self.paper_mm]

    @property
    def columns(self) -> int:
        """Half-width columns of font A (12 dots wide): 32 on 58 mm, 48 on 80 mm."""
        return self.dots // 12

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PrinterProfile:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown printer profile keys: {', '.join(sorted(unknown))}")
        return cls(**data)
