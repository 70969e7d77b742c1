"""The paper layouts: queue ticket, application receipt, rating slip, technician test page.

Templates take plain data and return layout elements; they mask personal data themselves, so a
caller that hands over a full name or ID number still gets ``张*`` / ``110105********0021`` on
paper. The queue ticket has no personal-data field at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.identity import mask_id_number, mask_name
from devices.printer.layout import QR, Element, Feed, Rule, Text
from devices.printer.printer_profile import PrinterProfile

DEFAULT_NOTICES = (
    "请留意叫号屏幕和语音提示，过号需重新取号。",
    "Please watch the display; a missed call needs a new ticket.",
)


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
    notices: tuple[str, ...] = DEFAULT_NOTICES
    channel: str | None = None       # e.g. "绿色通道" or "预约"


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


def _when(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def ticket_layout(t: TicketSlip) -> list[Element]:
    els: list[Element] = [
        Text(t.hall_name, 1, "center", bold=True),
        Text("排队取号凭条 Queue ticket", 1, "center"),
        Rule(),
        Text(t.number, 4, "center", bold=True),
    ]
    if t.channel:
        els.append(Text(f"【{t.channel}】", 1, "center", bold=True))
    els += [
        Text(t.service_name, 2, "center", bold=True),
        Text(f"办理窗口 Window: {t.window}", 1, "center"),
        Feed(1),
        Text(f"前面还有 {t.people_ahead} 人 · people ahead", 1, "center", bold=True),
    ]
    if t.estimated_minutes is not None:
        minutes = t.estimated_minutes
        els.append(Text(f"预计等候约 {minutes} 分钟 · about {minutes} min", 1, "center"))
    els.append(Text(f"取号时间 {_when(t.issued_at)}", 1, "center"))
    if t.qr_url:
        els += [QR(t.qr_url, 5), Text("微信/浏览器扫码，手机查看排队进度", 1, "center"),
                Text("Scan to follow your ticket", 1, "center")]
    els.append(Rule())
    els += [Text(n, 1, "left") for n in t.notices]
    return els


def receipt_layout(r: ApplicationReceipt) -> list[Element]:
    els: list[Element] = [
        Text(r.hall_name, 1, "center", bold=True),
        Text("受理回执 Application receipt", 2, "center", bold=True),
        Rule(),
    ]
    if r.receipt_number:
        els.append(Text(f"受理编号 No.: {r.receipt_number}", 1, "left", bold=True))
    else:
        els += [Text(f"本地编号 Local No.: {r.local_number or '-'}", 1, "left", bold=True),
                Text("受理编号将在网络恢复后发送。", 1, "left"),
                Text("The receipt number will be sent when the connection returns.", 1, "left")]
    els += [
        Text(f"办理事项 Item: {r.item_name}", 1, "left"),
        Text(f"申请人 Applicant: {mask_name(r.applicant_name)}", 1, "left"),
        Text(f"证件号码 ID: {mask_id_number(r.id_number)}", 1, "left"),
        Text(f"受理时间 {_when(r.issued_at)}", 1, "left"),
    ]
    if r.promised_date:
        els.append(Text(f"承诺办结 Promised by: {r.promised_date.isoformat()}", 1, "left", bold=True))
    if r.owed_materials:
        els.append(Text("容缺受理，尚需补交 Still owed:", 1, "left", bold=True))
        els += [Text(f"  {i}. {m}", 1, "left") for i, m in enumerate(r.owed_materials, 1)]
    if r.qr_url:
        els += [QR(r.qr_url, 5), Text("扫码查询办理进度 Scan to track", 1, "center")]
    els.append(Rule())
    els += [Text(n, 1, "left") for n in r.notices]
    return els


def rating_layout(s: RatingSlip) -> list[Element]:
    els: list[Element] = [
        Text(s.hall_name, 1, "center", bold=True),
        Text("好差评 Rate our service", 2, "center", bold=True),
        Rule(),
        Text(f"号码 Ticket: {s.ticket_number}", 1, "left"),
        Text(f"事项 Service: {s.service_name}", 1, "left"),
        Text(f"窗口 Counter: {s.counter}  工号 Staff: {s.staff_id}", 1, "left"),
        Text(f"办理时间 {_when(s.served_at)}", 1, "left"),
    ]
    if s.qr_url:
        els += [QR(s.qr_url, 5), Text("扫码评价或投诉 Scan to rate or complain", 1, "center")]
    els += [Text("非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意", 1, "center"),
            Text(f"投诉建议热线 Hotline: {s.hotline}", 1, "center")]
    return els


RARE_LINE = "生僻字: 䶮 𠮷 龘 齉 㐀 㵘"


def test_page_layout(profile: PrinterProfile, printed_at: dt.datetime, label: str = "") -> list[Element]:
    els: list[Element] = [
        Text("打印机自检页 Printer test page", 1, "center", bold=True),
        Text(f"{label} {profile.paper_mm}mm · {profile.dots} dots", 1, "center"),
        Text(f"{profile.text_mode} · {profile.font_charset} · native QR {profile.native_qr}", 1, "center"),
        Rule(),
        Text("左对齐 left", 1, "left"),
        Text("居中 center", 1, "center"),
        Text("右对齐 right", 1, "right"),
        Text("粗体 bold 中文", 1, "left", bold=True),
    ]
    els += [Text(f"{n}倍 x{n} 字", n, "left") for n in (1, 2, 3)]
    els += [
        Text("".join(chr(c) for c in range(0x21, 0x7F)), 1, "left"),
        Text("标点：，。、；：？！“”‘’（）【】《》—…￥", 1, "left"),
        Text(RARE_LINE, 1, "left"),
        Text("0123456789 A001 窗口", 2, "left"),
        QR("APPT1:TESTPAGE", 5),
        Text(f"时间 {_when(printed_at)}", 1, "center"),
    ]
    return els
