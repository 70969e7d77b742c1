"""The monthly report a supervisor hands in, from the figures of :mod:`queueing.stats_history`:
an XLSX workbook (sheets 汇总, 分事项, 分窗口, 分人员, 分时段, 分日, 跑动次数, each a table with a header
row; rates are numbers formatted as percentages) and a printable A4 PDF (reportlab, with the
CJK font embedded, see :mod:`common.pdf_font`). Every heading comes from the catalogues in the reader's language;
the hall's own names and ids are shown as they are."""

from __future__ import annotations

import io
from calendar import monthrange
from collections.abc import Callable
from datetime import date
from typing import Any

from common.i18n import translate
from common.pdf_font import pdf_font_or_builtin

METRICS = ("completion", "satisfaction", "rectification", "complaints", "same_day_items")
# (numerator, denominator) of each rate in the figures
PARTS = {"completion": ("finished", "accepted"), "satisfaction": ("satisfied", "ratings"),
         "rectification": ("rectified", "bad"), "complaints": ("closed", "received"),
         "same_day_items": ("same_day", "cases")}
GROUP_COLUMNS = ("key", "name", "issued", "served", "no_shows", "wait_mean", "wait_p90", "target",
                 "over_target_share", "service_mean", "typical", "over_typical_share", "accepted", "completion",
                 "rejected", "ratings", "satisfaction", "bad", "rectification")
DAY_COLUMNS = ("day", "issued", "served", "wait_mean", "over_target_share", "accepted", "completion", "rejected",
               "ratings", "satisfaction", "bad", "rectification")
VISIT_COLUMNS = ("key", "name", "visits", "matters", "anonymous", "per_matter", "once_share")
PERCENT_COLUMNS = {"over_target_share", "over_typical_share", "completion", "satisfaction", "rectification",
                   "once_share", "value_rate"}


def month_range(month: str) -> tuple[str, str]:
    """``2026-11`` → (``2026-11-01``, ``2026-11-30``); ValueError for anything else."""
    year, mon = (int(x) for x in month.split("-"))
    last = monthrange(year, mon)[1]
    return date(year, mon, 1).isoformat(), date(year, mon, last).isoformat()


def _h(language: str, key: str, **fmt: Any) -> str:
    return translate(language, f"staff.history.{key}", **fmt)


def _rate(group: dict[str, Any], metric: str) -> float | None:
    value = ((group.get("rates") or {}).get(metric) or {}).get("rate")
    return None if value is None else float(value)


def group_row(key: str, g: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One row of a per-service/counter/staff/day table, by the column names above."""
    waits, service, rates = g.get("waiting_minutes") or {}, g.get("service_minutes") or {}, g.get("rates") or {}
    return {
        "key": key, "day": key, "name": g.get("name") or names.get(key, key), "issued": g.get("issued", 0),
        "served": g.get("served", 0), "no_shows": g.get("no_shows", 0), "wait_mean": waits.get("mean"),
        "wait_p90": waits.get("p90"), "target": g.get("target_wait_minutes"),
        "over_target_share": g.get("over_target_share"), "service_mean": service.get("mean"),
        "typical": g.get("typical_service_minutes"), "over_typical_share": g.get("over_typical_share"),
        "accepted": (rates.get("completion") or {}).get("accepted", 0), "completion": _rate(g, "completion"),
        "rejected": (rates.get("rejected") or {}).get("cases", 0),
        "ratings": (rates.get("satisfaction") or {}).get("ratings", 0), "satisfaction": _rate(g, "satisfaction"),
        "bad": (rates.get("rectification") or {}).get("bad", 0), "rectification": _rate(g, "rectification"),
    }


def summary_rows(figures: dict[str, Any], language: str) -> list[list[Any]]:
    """汇总: one row per rate (name, value, numerator, denominator, what counts), then 跑动次数."""
    rates = figures.get("rates") or {}
    rows: list[list[Any]] = []
    for metric in METRICS:
        r = rates.get(metric) or {}
        num, den = PARTS[metric]
        rows.append([_h(language, f"metric.{metric}"), r.get("rate"), r.get(num, 0), r.get(den, 0),
                     _h(language, f"note.{metric}")])
    v = figures.get("visits") or {}
    rows.append([_h(language, "metric.per_matter"), v.get("per_matter"), v.get("visits", 0), v.get("matters", 0),
                 _h(language, "note.visits", days=v.get("window_days", 30))])
    rows.append([_h(language, "metric.once_share"), v.get("once_share"), v.get("once", 0), v.get("matters", 0),
                 _h(language, "note.once_share")])
    totals = figures.get("totals") or {}
    waits = totals.get("waiting_minutes") or {}
    rows.append([_h(language, "metric.issued"), totals.get("issued", 0), None, None, ""])
    rows.append([_h(language, "metric.wait_mean"), waits.get("mean"), None, None, ""])
    rows.append([_h(language, "metric.over_target_share"), totals.get("over_target_share"), None, None,
                 _h(language, "note.over_target_share")])
    rows.append([_h(language, "metric.rejected"), (rates.get("rejected") or {}).get("cases", 0), None, None,
                 _h(language, "note.rejected")])
    return rows


def visit_rows(figures: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    v = figures.get("visits") or {}
    return [{"key": sid, "name": names.get(sid, sid), **e} for sid, e in (v.get("by_service") or {}).items()]


def _names(figures: dict[str, Any]) -> dict[str, str]:
    return {sid: g.get("name") or sid for sid, g in (figures.get("by_service") or {}).items()}


def tables(figures: dict[str, Any], language: str) -> list[tuple[str, list[str], list[list[Any]], set[int]]]:
    """Each sheet: (name, header, rows, indexes of the percentage columns)."""
    names = _names(figures)
    out: list[tuple[str, list[str], list[list[Any]], set[int]]] = []
    summary_header = [_h(language, f"col.{c}") for c in ("metric", "value", "numerator", "denominator", "note")]
    out.append(("summary", summary_header, summary_rows(figures, language), set()))  # rates: SUMMARY_RATES
    for group in ("service", "counter", "staff", "hour"):
        items = figures.get(f"by_{group}") or {}
        rows = [group_row(k, g, names if group == "service" else {}) for k, g in sorted(items.items())]
        out.append((group, [_h(language, f"col.{c}") for c in GROUP_COLUMNS],
                    [[r[c] for c in GROUP_COLUMNS] for r in rows],
                    {i for i, c in enumerate(GROUP_COLUMNS) if c in PERCENT_COLUMNS}))
    days = [group_row(k, g, {}) for k, g in sorted((figures.get("by_day") or {}).items())]
    out.append(("day", [_h(language, f"col.{c}") for c in DAY_COLUMNS], [[r[c] for c in DAY_COLUMNS] for r in days],
                {i for i, c in enumerate(DAY_COLUMNS) if c in PERCENT_COLUMNS}))
    visits = visit_rows(figures, names)
    out.append(("visits", [_h(language, f"col.{c}") for c in VISIT_COLUMNS],
                [[r.get(c) for c in VISIT_COLUMNS] for r in visits],
                {i for i, c in enumerate(VISIT_COLUMNS) if c in PERCENT_COLUMNS}))
    return out


# the summary rows whose value is a share: the five rates, 一次办结比例 and the share over the target
SUMMARY_RATES = {*range(len(METRICS)), len(METRICS) + 1, len(METRICS) + 4}


def _summary_is_rate(row_index: int) -> bool:
    return row_index in SUMMARY_RATES


def xlsx(figures: dict[str, Any], language: str = "zh_CN", hall_name: str = "") -> bytes:
    """The workbook: one sheet per table, a bold frozen header row, rates as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    assert first is not None  # a new Workbook always has its first sheet
    book.remove(first)
    for name, header, rows, percent in tables(figures, language):
        sheet = book.create_sheet(_h(language, f"sheet.{name}"))
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for i, row in enumerate(rows):
            sheet.append(row)
            for j, cell in enumerate(sheet[sheet.max_row]):
                is_rate = _summary_is_rate(i) and j == 1 if name == "summary" else j in percent
                if is_rate and isinstance(cell.value, float):
                    cell.number_format = "0.0%"
        for j, title in enumerate(header, start=1):
            width = max([len(str(title)) * 2] + [len(str(r[j - 1])) for r in rows if r[j - 1] is not None])
            sheet.column_dimensions[sheet.cell(1, j).column_letter].width = min(60, max(8, width + 2))
        if name == "summary":
            sheet.append([])
            sheet.append([_h(language, "report.period", start=figures.get("from", ""), end=figures.get("to", ""))])
            if hall_name:
                sheet.append([hall_name])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cell_text(value: Any, percent: bool) -> str:
    if value is None:
        return "—"
    if percent and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def pdf(figures: dict[str, Any], language: str = "zh_CN", hall_name: str = "", generated: str = "") -> bytes:
    """A4 pages: title and period, the summary, then the tables (landscape-wide ones trimmed)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font_or_builtin()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    story: list[Any] = [
        Paragraph(_h(language, "report.title", hall=hall_name), title),
        Paragraph(_h(language, "report.period", start=figures.get("from", ""), end=figures.get("to", "")), body),
    ]
    if generated:
        story.append(Paragraph(_h(language, "report.generated", at=generated), body))
    story.append(Spacer(1, 4 * mm))

    def table(header: list[str], rows: list[list[str]], widths: list[float] | None = None) -> Table:
        data = [[Paragraph(h, body) for h in header]] + [[Paragraph(c, body) for c in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTNAME", (0, 0), (-1, -1), font)]))
        return t

    fmt: Callable[[list[Any], set[int]], list[str]] = lambda row, pct: [  # noqa: E731
        cell_text(v, j in pct) for j, v in enumerate(row)]
    for name, header, rows, percent in tables(figures, language):
        story.append(Paragraph(_h(language, f"sheet.{name}"), heading))
        if name == "summary":
            cells = [[cell_text(v, j == 1 and _summary_is_rate(i)) for j, v in enumerate(r)]
                     for i, r in enumerate(rows)]
            story.append(table(header, cells, [32 * mm, 22 * mm, 18 * mm, 18 * mm, 180 * mm]))
        else:  # the id and the name wider, the figures share what is left of the page's width
            rest = (277 - 48) * mm / max(1, len(header) - 2)
            widths = [14 * mm, 34 * mm, *([rest] * (len(header) - 2))]
            if name == "day":
                widths = [20 * mm, *([(277 - 20) * mm / max(1, len(header) - 1)] * (len(header) - 1))]
            story.append(table(header, [fmt(r, percent) for r in rows], widths))
        if name == "summary":
            story.append(PageBreak())
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm,
                            title=_h(language, "report.title", hall=hall_name),
                            initialFontName=font)  # no unembedded Helvetica left in the PDF
    doc.build(story)
    return buffer.getvalue()
