"""The technician's A4 test page: Chinese and Latin text in the embedded CJK font, a frame at the
printable margin and a grey ramp, so missing glyphs, scaling and toner banding show on paper."""

from __future__ import annotations

import io
from datetime import datetime


def test_page_pdf(when: datetime | None = None, language: str = "zh_CN") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from common.i18n import translate
    from common.pdf_font import pdf_font

    font = pdf_font()
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=font)
    width, height = A4
    page.setTitle("A4 test page")
    page.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    page.setFont(font, 20)
    page.drawString(20 * mm, height - 30 * mm, f"{translate(language, 'a4.test_page.title')} "
                                               f"{translate('en', 'a4.test_page.title')}")
    page.setFont(font, 12)
    page.drawString(20 * mm, height - 42 * mm, translate(language, "a4.test_page.sample"))
    page.drawString(20 * mm, height - 50 * mm, (when or datetime.now()).strftime("%Y-%m-%d %H:%M"))
    for i in range(10):
        page.setFillGray(i / 10)
        page.rect(20 * mm + i * 17 * mm, height - 80 * mm, 15 * mm, 15 * mm, fill=1, stroke=0)
    page.showPage()
    page.save()
    return buf.getvalue()
