"""The A4 documents the kiosk prints (PDF, reportlab, the CJK font embedded through
:mod:`common.pdf_font`): the 一次告知 materials checklist of a service, the filled application
form, the case receipt, and a watermarked copy of an e-licence page.

Every heading comes from the gettext catalogues in the citizen's language; the catalogue's own
content (service names, materials, conditions) in English where the catalogue has it, else the
Chinese with the "Chinese only" note. Personal data printed is masked (ID number, name, phone);
the form prints fields marked ``personal`` masked too. Nothing here is stored: each function
returns the PDF bytes for the A4 printer (``DeviceManager.print_a4``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common.i18n import translate
from common.identity import mask_id_number, mask_name
from common.pdf_font import pdf_font
from kiosk.catalogue import ServiceItem, shown_in

#: job names in CUPS (never personal data)
JOB_CHECKLIST, JOB_FORM, JOB_RECEIPT, JOB_LICENCE_COPY = (
    "materials-checklist", "application-form", "case-receipt", "licence-copy")


@dataclass(frozen=True)
class Imprint:
    """Where and when a document was printed: its footer."""

    hall_name: str = ""
    kiosk_id: str = ""
    when: datetime | None = None

    def stamp(self) -> str:
        return (self.when or datetime.now()).strftime("%Y-%m-%d %H:%M")


def _t(language: str, key: str, **fmt: Any) -> str:
    return translate(language, f"a4.{key}", **fmt)


def _content(chinese: str, english: str, language: str) -> str:
    return shown_in(chinese, english, language, translate(language, "catalogue.chinese_only"))


class _Page:
    """A4 with the embedded font: wrapped lines top-down, new pages as needed, a footer each."""

    def __init__(self, title: str, imprint: Imprint, language: str) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        self.font = pdf_font()
        self.buf = io.BytesIO()
        self.width, self.height = A4
        self.canvas = canvas.Canvas(self.buf, pagesize=A4, pageCompression=1, initialFontName=self.font)
        self.canvas.setTitle(title)
        self.imprint, self.language = imprint, language
        self.margin = 56.0
        self.y = self.height - self.margin

    def _footer(self) -> None:
        c = self.canvas
        c.setFont(self.font, 9)
        c.setFillGray(0.35)
        parts = [self.imprint.hall_name, _t(self.language, "printed_at", when=self.imprint.stamp())]
        if self.imprint.kiosk_id:
            parts.append(_t(self.language, "kiosk", kiosk=self.imprint.kiosk_id))
        c.drawString(self.margin, 30, "  ".join(p for p in parts if p))
        c.setFillGray(0)

    def _room(self, needed: float) -> None:
        if self.y - needed < 60:
            self._footer()
            self.canvas.showPage()
            self.y = self.height - self.margin

    def _wrap(self, text: str, size: float, width: float) -> list[str]:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        lines, line = [], ""
        for ch in text:
            if stringWidth(line + ch, self.font, size) > width and line:
                lines.append(line)
                line = ch.lstrip() if ch == " " else ch
            else:
                line += ch
        return [*lines, line] if line else lines or [""]

    def text(self, text: str, size: float = 12, indent: float = 0, gap: float = 4, gray: float = 0,
             box: bool = False) -> None:
        """Wrapped lines; ``box``: a square to tick before the first (the CJK font has no ☐)."""
        if box:
            self._room(size + gap)
            self.canvas.rect(self.margin + indent, self.y - size + 1, size * 0.8, size * 0.8)
            indent += size * 1.3
        width = self.width - 2 * self.margin - indent
        for line in self._wrap(text, size, width):
            self._room(size + gap)
            self.canvas.setFont(self.font, size)
            self.canvas.setFillGray(gray)
            self.canvas.drawString(self.margin + indent, self.y - size, line)
            self.y -= size + gap
        self.canvas.setFillGray(0)

    def heading(self, text: str) -> None:
        self.y -= 8
        self.text(text, 14, gap=6)

    def rule(self) -> None:
        self._room(10)
        self.canvas.line(self.margin, self.y - 4, self.width - self.margin, self.y - 4)
        self.y -= 12

    def done(self) -> bytes:
        self._footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buf.getvalue()


def _service_lines(service: ServiceItem, language: str) -> Iterable[tuple[str, str]]:
    if service.promised_days:
        limit = translate(language, "guide.promised", days=service.promised_days)
        if service.legal_days:
            limit += translate(language, "guide.legal", days=service.legal_days)
    else:
        limit = translate(language, "guide.same_day")
    yield translate(language, "guide.time_limit"), limit
    yield translate(language, "guide.fee"), _content(service.fee, service.fee_en, language)
    if service.window_hint:
        yield translate(language, "guide.where"), _content(service.window_hint, service.window_hint_en, language)


def materials_checklist_pdf(service: ServiceItem, language: str, imprint: Imprint = Imprint()) -> bytes:
    """一次告知: everything the citizen needs for ``service`` on one sheet, with boxes to tick."""
    name = _content(service.name, service.name_en, language)
    page = _Page(_t(language, "checklist.title", service=name), imprint, language)
    page.text(_t(language, "checklist.title", service=name), 18, gap=8)
    page.text(_t(language, "checklist.once"), 11, gray=0.3)
    page.rule()
    for label, value in _service_lines(service, language):
        page.text(f"{label}：{value}" if language == "zh_CN" else f"{label}: {value}", 12)
    if service.conditions:
        page.heading(translate(language, "guide.conditions"))
        english = list(service.conditions_en) + [""] * len(service.conditions)
        for i, line in enumerate(service.conditions):
            page.text(f"{i + 1}. {_content(line, english[i], language)}", 12, indent=8)
    page.heading(translate(language, "guide.materials"))
    if not service.materials:
        page.text(translate(language, "guide.none"), 12, indent=8)
    for material in service.materials:
        notes = (translate(language, "guide.core") if material.core else "") + (
            translate(language, "guide.tolerable") if material.tolerable else "")
        page.text(f"{_content(material.name, material.name_en, language)} {notes}".rstrip(), 12, indent=8, box=True)
    if service.commitment:
        page.heading(_t(language, "checklist.commitment"))
        page.text(_content(service.commitment, service.commitment_en, language), 12, indent=8)
    return page.done()


def _masked(value: str, kind: str) -> str:
    if kind == "id_number":
        return mask_id_number(value)
    if kind == "name":
        return mask_name(value)
    keep = min(4, len(value) // 3)
    return "*" * (len(value) - keep) + value[len(value) - keep:]


def application_form_pdf(service: ServiceItem, values: Mapping[str, str], language: str,
                         imprint: Imprint = Imprint(), *, applicant_name: str = "",
                         applicant_id: str = "") -> bytes:
    """The filled application form: the applicant (masked) and each field of the service's form
    with the citizen's answer; ``personal`` fields masked, unanswered ones left blank to fill."""
    name = _content(service.name, service.name_en, language)
    page = _Page(_t(language, "form.title", service=name), imprint, language)
    page.text(_t(language, "form.title", service=name), 18, gap=8)
    page.rule()
    if applicant_name or applicant_id:
        page.text(_t(language, "form.applicant", name=mask_name(applicant_name) if applicant_name else "—",
                     id=mask_id_number(applicant_id) if applicant_id else "—"), 12)
    for field in service.form:
        label = _content(field.label, field.label_en, language)
        value = str(values.get(field.key, "") or "")
        if value and field.personal:
            value = _masked(value, "id_number" if field.type == "id_number" else "other")
        page.text(f"{label}：{value or '＿＿＿＿＿＿＿＿'}" if language == "zh_CN"
                  else f"{label}: {value or '________________'}", 12, gap=8)
    page.rule()
    page.text(_t(language, "form.sign"), 12, gap=24)
    return page.done()


def case_receipt_pdf(service: ServiceItem, case_no: str, language: str, imprint: Imprint = Imprint(), *,
                     applicant_name: str = "", owed: Iterable[str] = (), progress_url: str = "",
                     notices: Iterable[str] = ()) -> bytes:
    """The case receipt (受理回执): case number, service, time limit, owed (容缺) materials, and
    ``notices`` as given (e.g. the 自取 / 邮寄 line, its address already masked)."""
    name = _content(service.name, service.name_en, language)
    page = _Page(_t(language, "receipt.title"), imprint, language)
    page.text(_t(language, "receipt.title"), 18, gap=8)
    page.rule()
    page.text(_t(language, "receipt.case", case=case_no), 14, gap=8)
    page.text(_t(language, "receipt.service", service=name), 12)
    if applicant_name:
        page.text(_t(language, "receipt.applicant", name=mask_name(applicant_name)), 12)
    for label, value in _service_lines(service, language):
        page.text(f"{label}：{value}" if language == "zh_CN" else f"{label}: {value}", 12)
    owed = list(owed)
    if owed:
        page.heading(_t(language, "receipt.owed"))
        for material in owed:
            page.text(material, 12, indent=8, box=True)
    for notice in notices:
        page.text(notice, 12)
    if progress_url:
        page.text(_t(language, "receipt.progress", url=progress_url), 11, gray=0.3)
    return page.done()


def _image_of(document: bytes) -> bytes:
    """PNG/JPEG as given; a PDF's first page rendered at 150 dpi (poppler's ``pdftoppm``)."""
    if not document.startswith(b"%PDF"):
        return document
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RuntimeError("pdftoppm not found; install the Debian package poppler-utils")
    with tempfile.TemporaryDirectory(prefix="kiosk-licence-") as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(document)
        subprocess.run([tool, "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(src),
                        str(Path(tmp, "page"))], check=True, timeout=60, capture_output=True)
        return Path(tmp, "page.png").read_bytes()


def licence_copy_pdf(document: bytes, purpose: str, language: str, imprint: Imprint = Imprint(),
                     lines: Iterable[str] = ()) -> bytes:
    """An e-licence copy: the page (an image, or a PDF's first page) fitted on A4 under a diagonal
    watermark 「仅供{purpose}使用」 repeated over it, with the date and the kiosk id, and ``lines``
    (e.g. the masked holder) under the heading. The caller masks what the rules ask before
    handing the page in (this draws it as given)."""
    from reportlab.lib.utils import ImageReader

    mark = _t(language, "licence.only_for", purpose=purpose)
    page = _Page(mark, imprint, language)
    c = page.canvas
    image = ImageReader(io.BytesIO(_image_of(document)))
    iw, ih = image.getSize()
    box_w, box_h = page.width - 2 * page.margin, page.height - 2 * page.margin - 40
    scale = min(box_w / iw, box_h / ih)
    w, h = iw * scale, ih * scale
    x, y = (page.width - w) / 2, page.margin + 40 + (box_h - h) / 2
    c.drawImage(image, x, y, w, h)
    c.saveState()
    c.setFillColorRGB(0.8, 0.1, 0.1, alpha=0.35)
    c.setFont(page.font, 28)
    c.translate(page.width / 2, page.height / 2)
    c.rotate(35)
    stamp = f"{mark} {imprint.stamp()[:10]}" + (f" {imprint.kiosk_id}" if imprint.kiosk_id else "")
    for row in range(-5, 6):
        c.drawCentredString(0, row * 110, stamp)
    c.restoreState()
    c.setFont(page.font, 12)
    c.drawString(page.margin, page.height - page.margin, f"{mark}  {imprint.stamp()}")
    for i, line in enumerate(lines):
        c.drawString(page.margin, page.height - page.margin - 18 * (i + 1), line)
    return page.done()
