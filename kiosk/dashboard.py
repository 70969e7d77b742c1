"""The supervisor's figures, without Qt: the queue now (waiting per service, longest wait, open
and paused counters, alerts), the day or a range of days (issued, served, no-shows, waiting and
service times against the target, satisfaction, bad ratings and the share rectified, repeat
visits 跑动次数), and export of the monthly report to CSV or XLSX in the reader's language
(headers, sheet names, rating levels and groups from the catalogues; ids and figures as they are).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from common.i18n import SOURCE_LANGUAGE, catalogue, translate

# The hall's rating levels (1..5) by the names the catalogue spells them under (rating.level.<name>).
LEVEL_KEYS = {5: "very_satisfied", 4: "satisfied", 3: "basic", 2: "dissatisfied", 1: "very_dissatisfied"}


def level_name(level: Any, language: str) -> str:
    """A rating level as the reader reads it; anything not a known level is shown as it is."""
    name = LEVEL_KEYS.get(level) if isinstance(level, int) else None
    return translate(language, f"rating.level.{name}") if name else str(level or "")


@dataclass
class Snapshot:
    now: list[dict[str, Any]] = field(default_factory=list)  # per service
    counters: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    bad_ratings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def longest_wait_minutes(self) -> int:
        return max((row["longest_wait_minutes"] for row in self.now), default=0)

    @property
    def rectified_share(self) -> float | None:
        if not self.bad_ratings:
            return None
        done = sum(1 for r in self.bad_ratings if (r.get("rectification") or {}).get("response"))
        return done / len(self.bad_ratings)

    @property
    def satisfaction(self) -> float | None:
        """非常满意 + 满意 over all ratings (基本满意 is not satisfied; see docs/queueing.md)."""
        ratings = (self.stats.get("totals") or {}).get("ratings") or {}
        n = ratings.get("n") or 0
        return None if not n else ratings.get("satisfied", 0) / n


PRESETS = ("today", "week", "month", "last_month")


def preset_range(name: str, today: date) -> tuple[date, date]:
    """The days of a range preset: 今日, 本周 (Monday to today), 本月 (the 1st to today), 上月."""
    if name == "today":
        return today, today
    if name == "week":
        return today - timedelta(days=today.weekday()), today
    if name == "month":
        return today.replace(day=1), today
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")


def _minutes_since(iso: str | None, now: datetime) -> int:
    if not iso:
        return 0
    try:
        return max(0, int((now - datetime.fromisoformat(iso)).total_seconds() // 60))
    except ValueError:
        return 0


def collect(client: Any, day_from: str | None = None, day_to: str | None = None) -> Snapshot:
    """Everything the dashboard shows, from the hall service (admin token)."""
    services = client.services()
    counters = client.counters()["counters"]
    snapshot = Snapshot(counters=counters, alerts=client.open_alerts(), stats=client.stats(day_from, day_to),
                        bad_ratings=client.ratings(day_from, day_to, bad=True))
    by_service = snapshot.stats.get("by_service", {})
    now = datetime.now().astimezone()
    for service in services["services"]:
        waiting = client.waiting(service["id"], limit=500)
        day = by_service.get(service["id"], {})
        snapshot.now.append({
            "service_id": service["id"], "service": service["name"], "waiting": len(waiting),
            "longest_wait_minutes": max((_minutes_since(t.get("queued_since") or t.get("issued_at"), now)
                                         for t in waiting), default=0),
            "target_minutes": service.get("target_wait_minutes"),
            "open_counters": sum(1 for c in counters if service["id"] in c["services"] and not c["paused"]),
            "issued": day.get("issued", 0), "served": day.get("served", 0),
            "wait_mean": (day.get("waiting_minutes") or {}).get("mean"),
            "over_target_share": day.get("over_target_share"),
        })
    return snapshot


REPORT_COLUMNS = ("group", "key", "issued", "served", "no_shows", "wait_mean", "wait_p50", "wait_p90",
                  "service_mean", "over_target_share", "ratings", "rating_mean", "bad_ratings")


def report_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per service, counter, staff member and hour, plus the total: the monthly report."""
    rows = []
    groups = [("total", {"all": stats.get("totals", {})})]
    groups += [(name, stats.get(f"by_{name}", {})) for name in ("service", "counter", "staff", "hour")]
    for group, items in groups:
        for key, g in items.items():
            waits, service, ratings = g.get("waiting_minutes") or {}, g.get("service_minutes") or {}, \
                g.get("ratings") or {}
            rows.append({"group": group, "key": key, "issued": g.get("issued", 0), "served": g.get("served", 0),
                         "no_shows": g.get("no_shows", 0), "wait_mean": waits.get("mean"),
                         "wait_p50": waits.get("p50"), "wait_p90": waits.get("p90"),
                         "service_mean": service.get("mean"), "over_target_share": g.get("over_target_share"),
                         "ratings": ratings.get("n", 0), "rating_mean": ratings.get("mean"),
                         "bad_ratings": ratings.get("bad", 0)})
    return rows


BAD_RATING_COLUMNS = ("ticket", "service", "counter", "staff", "level", "reason", "comment", "at", "response",
                      "rectified_at")
REPEAT_VISIT_COLUMNS = ("service_id", "service", "repeat_visits", "persons")


def reason_name(reason: Any, language: str) -> str:
    """A bad rating's reason code (``attitude``) as the reader reads it; free text as it is."""
    key = f"rating.reason.{reason}"
    known = isinstance(reason, str) and key in catalogue(SOURCE_LANGUAGE)
    return translate(language, key) if known else str(reason or "")


def _header(columns: tuple[str, ...], language: str) -> list[str]:
    return [translate(language, f"staff.report.col.{c}") for c in columns]


def _report_table(stats: dict[str, Any], language: str) -> list[list[Any]]:
    return [[translate(language, f"staff.report.group.{row['group']}"), row["key"],
             *(row[c] for c in REPORT_COLUMNS[2:])] for row in report_rows(stats)]


def repeat_visit_rows(stats: dict[str, Any], service_names: dict[str, str], language: str) -> list[list[Any]]:
    """跑动次数: one row per service with repeat visits (id, name, visits beyond the first, people),
    then the total."""
    visits = stats.get("repeat_visits") or {}
    rows: list[list[Any]] = [
        [sid, service_names.get(sid, sid), int(v.get("repeat_visits", 0)), int(v.get("persons", 0))]
        for sid, v in sorted((visits.get("by_service") or {}).items())
    ]
    rows.append([translate(language, "staff.report.group.total"), "", int(visits.get("total", 0)),
                 sum(r[3] for r in rows)])
    return rows


def export_csv(stats: dict[str, Any], language: str = "zh_CN") -> bytes:
    """UTF-8 with a BOM so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header(REPORT_COLUMNS, language))
    writer.writerows(_report_table(stats, language))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(stats: dict[str, Any], bad_ratings: list[dict[str, Any]], language: str = "zh_CN",
                service_names: dict[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    names = service_names or {}
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new Workbook always has its first sheet
    sheet.title = translate(language, "staff.report.sheet.statistics")
    sheet.append(_header(REPORT_COLUMNS, language))
    for values in _report_table(stats, language):
        sheet.append(values)
    bad = book.create_sheet(translate(language, "staff.report.sheet.bad_ratings"))
    bad.append(_header(BAD_RATING_COLUMNS, language))
    for r in bad_ratings:
        fix = r.get("rectification") or {}
        bad.append([r.get("number"), names.get(r.get("service_id") or "", r.get("service_id")), r.get("counter_id"),
                    r.get("staff_id"), level_name(r.get("level"), language), reason_name(r.get("reason"), language),
                    r.get("comment"), r.get("at"), fix.get("response"), fix.get("at")])
    visits = book.create_sheet(translate(language, "staff.report.sheet.repeat_visits"))
    visits.append(_header(REPEAT_VISIT_COLUMNS, language))
    for values in repeat_visit_rows(stats, names, language):
        visits.append(values)
    window = stats.get("repeat_visits") or {}
    if window:  # which days the figures cover, below the table
        visits.append([])
        visits.append([translate(language, "staff.report.period", start=window.get("from", ""),
                                 end=window.get("to", ""), days=window.get("window_days", ""))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
