"""The CJK font for raster tickets and the printer simulator, found through fontconfig."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

FONT_PACKAGE = "fonts-noto-cjk"
_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


class FontNotFoundError(RuntimeError):
    pass


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str:
    """Path of a CJK-capable font file (``$KIOSK_CJK_FONT`` overrides fontconfig)."""
    override = os.environ.get("KIOSK_CJK_FONT")
    if override and os.path.isfile(override):
        return override
    if shutil.which("fc-match"):
        for family in _FAMILIES:
            try:
                out = subprocess.run(["fc-match", "-f", "%{file}\n%{family}", family], capture_output=True,
                                     text=True, timeout=10, check=False).stdout
            except (OSError, subprocess.TimeoutExpired):
                break
            path, _, fam = out.partition("\n")
            # fc-match always answers with *something*; accept it only if it is a CJK family.
            if path and os.path.isfile(path) and any(k in fam for k in ("CJK", "SC", "Hei", "Han")):
                return path
    raise FontNotFoundError(
        f"no CJK font found (looked for {', '.join(_FAMILIES)} with fc-match); "
        f"install the Debian package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE}) "
        "or set KIOSK_CJK_FONT to a .ttf/.ttc/.otf file")


@functools.lru_cache(maxsize=16)
def cjk_font(px: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    return ImageFont.truetype(find_cjk_font(), px)
