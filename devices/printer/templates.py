"""The paper layouts: queue ticket, application receipt, rating slip, technician test page.

Templates take plain data and return layout elements; they mask personal data themselves, so a
caller that hands over a full name or ID number still gets ``张*`` / ``110105********0021`` on
paper. The queue ticket has no personal-data field at all.

Every printed word comes from the catalogues (``paper.*`` in common/locale) in the slip's
``language``, the citizen's session language. The Chinese texts keep their English companions
(``排队取号凭条 Queue ticket``): Chinese paper is read by everyone in the hall, English paper
only by the citizen who chose English. A catalogue text with a line break prints as two lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.i18n import SOURCE_LANGUAGE, translate
from common.identity import mask_id_number, mask_name
from devices.printer.layout import QR, Element, Feed, Rule, Text
from devices.printer.printer_profile import PrinterProfile


@dataclass
class TicketSlip:
    hall_name: str
    number: str
    service_name: str
    window: str                      # window or zone, e.g. "3-5号综合窗口 · A区"
    people_ahead: int
    estimated_minutes: int | None
    issued_at: dt.datetime
    qr_url: str | None = None        # the ticket's public page …/t/<token>
    notices: tuple[str, ...] | None = None   # None: the catalogue's standard notice
    channel: str | None = None       # already in the slip's language, e.g. "绿色通道" or "预约"
    language: str = SOURCE_LANGUAGE  # the citizen's session language


@dataclass
class ApplicationReceipt:
    hall_name: str
    item_name: str
    applicant_name: str
    id_number: str
    issued_at: dt.datetime
    receipt_number: str | None = None     # from the platform; None while offline
    local_number: str | None = None       # the kiosk's own number until the platform answers
    owed_materials: list[str] = field(default_factory=list)   # 容缺受理: what is still owed
    promised_date: dt.date | None = None
    qr_url: str | None = None             # …/a/<token>
    notices: tuple[str, ...] = ()
    language: str = SOURCE_LANGUAGE       # the citizen's session language


@dataclass
class RatingSlip:
    hall_name: str
    ticket_number: str
    service_name: str
    counter: str
    staff_id: str
    served_at: dt.datetime
    qr_url: str | None = None
    hotline: str = "12345"
    language: str = SOURCE_LANGUAGE


def _when(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def _lines(language: str, key: str, size: int = 1, align: str = "left", bold: bool = False,
           **params: object) -> list[Element]:
    """One catalogue text as printed lines (a line break in the text starts a new line)."""
    text = translate(language, key, **params)
    return [Text(line, size, align, bold=bold) for line in text.split("\n")]


def ticket_layout(t: TicketSlip) -> list[Element]:
    lang = t.language
    els: list[Element] = [
        Text(t.hall_name, 1, "center", bold=True),
        *_lines(lang, "paper.ticket.title", 1, "center"),
        Rule(),
        Text(t.number, 4, "center", bold=True),
    ]
    if t.channel:
        els += _lines(lang, "paper.ticket.channel", 1, "center", bold=True, channel=t.channel)
    els += [
        Text(t.service_name, 2, "center", bold=True),
        *_lines(lang, "paper.ticket.window", 1, "center", window=t.window),
        Feed(1),
        *_lines(lang, "paper.ticket.ahead", 1, "center", bold=True, people=t.people_ahead),
    ]
    if t.estimated_minutes is not None:
        els += _lines(lang, "paper.ticket.eta", 1, "center", minutes=t.estimated_minutes)
    els += _lines(lang, "paper.ticket.issued_at", 1, "center", when=_when(t.issued_at))
    if t.qr_url:
        els += [QR(t.qr_url, 5), *_lines(lang, "paper.ticket.scan", 1, "center")]
    els.append(Rule())
    if t.notices is None:
        els += _lines(lang, "paper.ticket.notice")
    else:
        els += [Text(n, 1, "left") for n in t.notices]
    return els


def receipt_layout(r: ApplicationReceipt) -> list[Element]:
    lang = r.language
    els: list[Element] = [
        Text(r.hall_name, 1, "center", bold=True),
        *_lines(lang, "paper.receipt.title", 2, "center", bold=True),
        Rule(),
    ]
    if r.receipt_number:
        els += _lines(lang, "paper.receipt.number", bold=True, number=r.receipt_number)
    else:
        els += [*_lines(lang, "paper.receipt.local_number", bold=True, number=r.local_number or "-"),
                *_lines(lang, "paper.receipt.number_later")]
    els += [
        *_lines(lang, "paper.receipt.item", item=r.item_name),
        *_lines(lang, "paper.receipt.applicant", name=mask_name(r.applicant_name)),
        *_lines(lang, "paper.receipt.id_number", id_number=mask_id_number(r.id_number)),
        *_lines(lang, "paper.receipt.issued_at", when=_when(r.issued_at)),
    ]
    if r.promised_date:
        els += _lines(lang, "paper.receipt.promised", bold=True, date=r.promised_date.isoformat())
    if r.owed_materials:
        els += _lines(lang, "paper.receipt.owed", bold=True)
        els += [Text(f"  {i}. {m}", 1, "left") for i, m in enumerate(r.owed_materials, 1)]
    if r.qr_url:
        els += [QR(r.qr_url, 5), *_lines(lang, "paper.receipt.scan", 1, "center")]
    els.append(Rule())
    els += [Text(n, 1, "left") for n in r.notices]
    return els


def rating_layout(s: RatingSlip) -> list[Element]:
    lang = s.language
    els: list[Element] = [
        Text(s.hall_name, 1, "center", bold=True),
        *_lines(lang, "paper.rating.title", 2, "center", bold=True),
        Rule(),
        *_lines(lang, "paper.rating.ticket", number=s.ticket_number),
        *_lines(lang, "paper.rating.service", service=s.service_name),
        *_lines(lang, "paper.rating.counter", counter=s.counter, staff=s.staff_id),
        *_lines(lang, "paper.rating.served_at", when=_when(s.served_at)),
    ]
    if s.qr_url:
        els += [QR(s.qr_url, 5), *_lines(lang, "paper.rating.scan", 1, "center")]
    els += [*_lines(lang, "paper.rating.levels", 1, "center"),
            *_lines(lang, "paper.rating.hotline", 1, "center", hotline=s.hotline)]
    return els


# Glyph probes of the test page (data: they show whether the printer's font has these
# characters, so they stay Chinese whatever the technician's language).
CJK_SAMPLE = "中文 窗口"
PUNCTUATION_LINE = "标点：，。、；：？！“”‘’（）【】《》—…￥"
RARE_LINE = "生僻字: 䶮 𠮷 龘 齉 㐀 㵘"


def test_page_layout(profile: PrinterProfile, printed_at: dt.datetime, label: str = "",
                     language: str = SOURCE_LANGUAGE) -> list[Element]:
    els: list[Element] = [
        *_lines(language, "paper.test.title", 1, "center", bold=True),
        Text(f"{label} {profile.paper_mm}mm · {profile.dots} dots", 1, "center"),
        Text(f"{profile.text_mode} · {profile.font_charset} · native QR {profile.native_qr}", 1, "center"),
        Rule(),
        Text(f"left {CJK_SAMPLE}", 1, "left"),
        Text(f"center {CJK_SAMPLE}", 1, "center"),
        Text(f"right {CJK_SAMPLE}", 1, "right"),
        Text(f"bold {CJK_SAMPLE}", 1, "left", bold=True),
    ]
    els += [Text(f"x{n} {CJK_SAMPLE}", n, "left") for n in (1, 2, 3)]
    els += [
        Text("".join(chr(c) for c in range(0x21, 0x7F)), 1, "left"),
        Text(PUNCTUATION_LINE, 1, "left"),
        Text(RARE_LINE, 1, "left"),
        Text(f"0123456789 A001 {CJK_SAMPLE}", 2, "left"),
        QR("APPT1:TESTPAGE", 5),
        *_lines(language, "paper.test.printed_at", 1, "center", when=_when(printed_at)),
    ]
    return els
