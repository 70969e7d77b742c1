"""The CJK font of every PDF the product makes (A4 documents at the kiosk, the monthly report),
registered once with reportlab and embedded (subset) in each PDF, so a page prints the same on any
printer and viewer.

reportlab embeds TrueType outlines only; the Noto Sans CJK the screens use (fonts-noto-cjk) has
PostScript (CFF) outlines it cannot embed, so PDFs use a TrueType CJK font: WenQuanYi Zen Hei /
Micro Hei (Debian ``fonts-wqy-zenhei`` / ``fonts-wqy-microhei``), AR PL UMing (``fonts-arphic-uming``),
or ``$KIOSK_PDF_FONT``. Without one, :func:`pdf_font` raises :class:`PdfFontMissing` naming the
package; :func:`pdf_font_or_builtin` falls back to the Adobe-GB1 CID font STSong-Light (not
embedded: the viewer supplies it), for documents that may print without the hall's font.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

PDF_FONT_PACKAGE = "fonts-wqy-zenhei"
PDF_FONT_NAME = "HallCJK"
#: TrueType-outlined CJK fonts on Debian, best first
PDF_FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                       "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                       "/usr/share/fonts/truetype/arphic/uming.ttc",
                       "/usr/share/fonts/truetype/arphic/ukai.ttc")
_FC_FAMILIES = ("WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN")


class PdfFontMissing(RuntimeError):
    """No embeddable (TrueType) CJK font on this machine."""


def _fc_match(family: str) -> str | None:
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{family}", family], capture_output=True,
                             text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, found = out.partition("\n")
    return path if path and family.split()[0] in found and Path(path).is_file() else None


@functools.cache
def pdf_font_path() -> str | None:
    """The file of the embeddable CJK font (``$KIOSK_PDF_FONT`` first), or None."""
    override = os.environ.get("KIOSK_PDF_FONT")
    candidates = [override] if override else []
    candidates += list(PDF_FONT_CANDIDATES)
    for path in candidates:
        if path and Path(path).is_file():
            return path
    for family in _FC_FAMILIES:
        found = _fc_match(family)
        if found is not None:
            return found
    return None


def pdf_font() -> str:
    """The reportlab name of the embedded CJK font, registered on first use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if PDF_FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return PDF_FONT_NAME
    path = pdf_font_path()
    if path is None:
        raise PdfFontMissing(f"no TrueType CJK font for PDFs; install the Debian package {PDF_FONT_PACKAGE} "
                             f"(apt-get install {PDF_FONT_PACKAGE}) or set KIOSK_PDF_FONT to a .ttf/.ttc file")
    try:
        pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, path, subfontIndex=0))
    except TTFError as exc:  # CFF outlines (an .otf or Noto CJK) cannot be embedded
        raise PdfFontMissing(f"{path} cannot be embedded in a PDF ({exc}); install {PDF_FONT_PACKAGE}") from None
    return PDF_FONT_NAME


def pdf_font_or_builtin() -> str:
    """:func:`pdf_font`, else the viewer-supplied CID font STSong-Light."""
    try:
        return pdf_font()
    except PdfFontMissing:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
