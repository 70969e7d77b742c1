"""The must-show of statistics with history: a simulated month (tests/queueing/month_sim.py, a
real hall-server whose clock libfaketime moves through last month's working days) seen on the
dashboard's 统计 page with the 上月 preset. Every figure on the page equals the figure this test
computes on its own, simply, from what the simulation did (its ledger) and from the hall's raw
event rows (queue.db, read with sqlite3); the monthly XLSX reads back with the same numbers under
proper headers, and the PDF renders (pdftoppm) to a page image.

``HALL_SCREENSHOTS_DIR=docs/screenshots`` also saves the page as ``dashboard-month.png``."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from kiosk.dashboard import preset_range
from queueing.client import HallClient
from tests.faketime import HAVE_FAKETIME
from tests.queueing.month_sim import Ledger, last_month, simulate
from ui.dashboard_app import DashboardWindow
from ui.qt_app import application

pytestmark = pytest.mark.skipif(not HAVE_FAKETIME, reason="libfaketime (Debian package faketime) missing")
ROOT = Path(__file__).resolve().parents[2]
ACCEPTED = ("done", "accepted_with_commitment", "accepted_with_gaps")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, HallClient, Ledger]]:
    data = tmp_path_factory.mktemp("month") / "hall"
    srv, admin, ledger = simulate(data, last_month(date.today()))
    try:
        yield data, admin, ledger
    finally:
        srv.stop()


def rate(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 4)


def expected(data: Path, ledger: Ledger) -> dict[str, Any]:
    """The month's figures, computed here and nowhere else."""
    catalogue = json.loads((ROOT / "offline_cache/data/sample_catalogue.json").read_text("utf-8"))["services"]
    kinds = {s["id"]: s["kind"] for s in catalogue}
    targets = {s["id"]: s.get("target_wait_minutes", 20) for s in catalogue}
    accepted = [t for t, o in ledger.finished.items() if o in ACCEPTED]
    finished = [t for t in accepted if ledger.finished[t] == "done"]
    first, last = ledger.month
    with sqlite3.connect(f"file:{data / 'queue.db'}?mode=ro", uri=True) as ro:
        # cases nobody rated count as the hall's default level once its working days passed, on
        # the day the hall applied it (the rule: 5 working days, then 满意)
        defaults = [int(lv) for (lv,) in ro.execute(
            "SELECT json_extract(data, '$.level') FROM events WHERE kind = 'rating_default' AND day BETWEEN ? AND ?",
            (first.isoformat(), last.isoformat()))]
    levels = list(ledger.ratings.values()) + defaults
    bad = [t for t, level in ledger.ratings.items() if level <= 2]
    same_day = [t for t in accepted if kinds[ledger.issued[t]["service"]] == "即办件"]
    days: dict[tuple[str, str], set[str]] = defaultdict(set)
    visits = matters = once = 0
    for t in ledger.issued.values():
        if t["person"] is None:
            visits, matters, once = visits + 1, matters + 1, once + 1
        else:
            days[(t["person"], t["service"])].add(t["day"])
    for seen in days.values():
        start: date | None = None
        count = 0
        for d in sorted(date.fromisoformat(x) for x in seen):
            if start is None or (d - start).days >= 30:
                once += count == 1
                start, count, matters = d, 0, matters + 1
            count += 1
            visits += 1
        once += count == 1
    con = sqlite3.connect(f"file:{data / 'queue.db'}?mode=ro", uri=True)
    issued_at, waits = {}, []
    by_service: dict[str, list[float]] = defaultdict(list)
    for kind, tid, sid, at in con.execute("SELECT kind, ticket_id, service_id, at FROM events "
                                          "WHERE kind IN ('issue', 'call') ORDER BY seq"):
        if kind == "issue":
            issued_at[tid] = at
        elif tid in issued_at:
            waits.append((at - issued_at.pop(tid)) / 60)
            by_service[sid].append(waits[-1])
    con.close()
    per_day: dict[str, int] = defaultdict(int)
    for t in ledger.issued.values():
        per_day[t["day"]] += 1
    return {
        "completion": (len(finished), len(accepted), rate(len(finished), len(accepted))),
        "satisfaction": (sum(1 for lv in levels if lv >= 4), len(levels),
                         rate(sum(1 for lv in levels if lv >= 4), len(levels))),
        "rectification": (sum(1 for t in bad if t in ledger.rectified), len(bad),
                          rate(sum(1 for t in bad if t in ledger.rectified), len(bad))),
        "complaints": (len(ledger.complaints_closed), len(ledger.complaints),
                       rate(len(ledger.complaints_closed), len(ledger.complaints))),
        "same_day_items": (len(same_day), len(accepted), rate(len(same_day), len(accepted))),
        "per_matter": (visits, matters, round(visits / matters, 4)),
        "once_share": (once, matters, rate(once, matters)),
        "issued": len(ledger.issued), "wait_mean": round(sum(waits) / len(waits), 2), "per_day": dict(per_day),
        "service_waits": {sid: (round(sum(w) / len(w), 2), round(sum(1 for x in w if x > targets[sid]) / len(w), 4))
                          for sid, w in by_service.items()},
    }


def callback_due(day: str, ledger: Ledger) -> str:
    """The callback deadline of a 差评 given on ``day``: the next working day (the rule's 1) of
    the hall (the national calendar and the hall's override file)."""
    d = date.fromisoformat(day) + timedelta(days=1)
    while not ledger.working_day(d):
        d += timedelta(days=1)
    return d.isoformat()


def test_the_callbacks_are_late_exactly_where_the_working_days_say(month) -> None:
    """回访 within one working day: every 差评's loop on the 整改清单 is overdue exactly when this
    test, counting working days itself (holidays and 调休 from the calendar), says it is."""
    _data, admin, ledger = month
    first, last = ledger.month
    today = (last + timedelta(days=1)).isoformat()  # the simulation left the hall on the next month's first morning
    want = {tid: ledger.called_back.get(tid, today) > callback_due(day, ledger) for tid, day in ledger.bad_day.items()}
    assert any(want.values()) and not all(want.values())  # some late, most on time
    loops = admin.rectifications(first.isoformat(), last.isoformat())
    assert {row["ticket_id"]: row["callback_overdue"] for row in loops} == want
    assert {row["ticket_id"] for row in loops if row["callback"]} == set(ledger.called_back)
    book = load_workbook(io.BytesIO(admin.rectification_list("rectification", "xlsx", first.isoformat(),
                                                             last.isoformat())))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) - 1 == len(ledger.bad_day)  # the 整改清单 exported: one row per 差评 of the month


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def test_the_dashboard_shows_last_month_as_computed_from_the_raw_events(qtbot, month, tmp_path: Path) -> None:
    application()
    data, admin, ledger = month
    want = expected(data, ledger)
    assert len(ledger.working_days) >= 18 and want["issued"] > 300  # a month, not a day
    assert want["rectification"][0] < want["rectification"][1]  # some 差评 still owed
    assert 0 < want["complaints"][0] < want["complaints"][1]  # complaints closed, and some still open
    window = DashboardWindow(admin, refresh_ms=600_000)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    history = window.extra_tabs[0]
    window.tabs.tabBar().setCurrentIndex(window.tabs.indexOf(history))  # type: ignore[arg-type]
    assert window.tabs.tabText(1) == "统计"
    qtbot.mouseClick(history.presets["last_month"], Qt.MouseButton.LeftButton)
    first, last = ledger.month
    qtbot.waitUntil(lambda: history.figures is not None and history.figures["from"] == first.isoformat(),
                    timeout=30_000)
    assert history.range() == (first.isoformat(), last.isoformat())
    kpi = {k: label.text() for k, label in history.kpi.items()}
    assert kpi["completion"] == percent(want["completion"][2])
    assert kpi["satisfaction"] == percent(want["satisfaction"][2])
    assert kpi["rectification"] == percent(want["rectification"][2])
    assert kpi["complaints"] == percent(want["complaints"][2])
    assert kpi["same_day_items"] == percent(want["same_day_items"][2])
    assert kpi["per_matter"] == f"{want['per_matter'][2]:.2f}"
    assert kpi["issued"] == str(want["issued"])
    assert kpi["wait_mean"] == f"{want['wait_mean']:.1f}"
    assert "非常满意 + 满意" in history.levels.text()  # which levels count, on the page
    days = history.table["day"]
    shown = {days.item(r, 0).text(): int(days.item(r, 1).text()) for r in range(days.rowCount())}
    assert shown == want["per_day"]  # holidays and weekends: no row, no service
    [off], [on] = ledger.hall_holidays, ledger.hall_workdays
    assert off not in shown and on in shown  # the hall's own closure and its extra working day
    services = history.table["service"]
    columns = [services.horizontalHeaderItem(c).text() for c in range(services.columnCount())]
    wait_col, over_col = columns.index("平均等候（分）"), columns.index("等候超目标比例")
    shown_waits = {services.item(r, 0).text(): (services.item(r, wait_col).text(), services.item(r, over_col).text())
                   for r in range(services.rowCount())}
    assert shown_waits == {sid: (f"{mean:.2f}".rstrip("0").rstrip("."), percent(over))
                           for sid, (mean, over) in want["service_waits"].items()}  # waits against the target
    assert history.counts_graph.categories == [d[8:] for d in sorted(want["per_day"])]  # the days of the month
    if os.environ.get("HALL_SCREENSHOTS_DIR"):
        qtbot.wait(500)
        window.grab().save(str(Path(os.environ["HALL_SCREENSHOTS_DIR"]) / "dashboard-month.png"))

    book = load_workbook(history.export(tmp_path / "month.xlsx"))
    assert book.sheetnames == ["汇总", "分事项", "分窗口", "分人员", "分时段（取号时间）", "分日", "跑动次数"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0] == ("指标", "数值", "分子", "分母", "口径")
    by_name = {row[0]: row[1:4] for row in summary[1:] if row and row[0]}
    for name, key in (("办结率", "completion"), ("满意率", "satisfaction"), ("差评整改率", "rectification"),
                      ("即办件占比", "same_day_items"), ("平均跑动次数", "per_matter")):
        num, den, value = want[key]
        assert by_name[name] == (value, num, den), name
    num, den, value = want["complaints"]
    assert by_name["投诉办结率"] == (value, num, den)
    rejected = sum(1 for o in ledger.finished.values() if o == "rejected")  # each signed off by the supervisor
    assert rejected > 0 and by_name["不予受理（经负责人签批）"][0] == rejected  # 窗口无否决权, in the report
    day_rows = list(book["分日"].iter_rows(values_only=True))
    assert day_rows[0][:3] == ("日期", "取号", "办结")
    assert {r[0]: r[1] for r in day_rows[1:]} == want["per_day"]
    visit_rows = list(book["跑动次数"].iter_rows(values_only=True))
    assert visit_rows[0] == ("编号", "名称", "到厅次数", "办件人次", "未实名取号", "平均跑动次数", "一次办结比例")
    assert sum(r[2] for r in visit_rows[1:]) == want["per_matter"][0]
    hour_rows = list(book["分时段（取号时间）"].iter_rows(values_only=True))
    assert hour_rows[0][12] == "受理件" and sum(r[12] for r in hour_rows[1:]) == want["completion"][1]
    staff_rows = list(book["分人员"].iter_rows(values_only=True))
    assert [r[0] for r in staff_rows[1:]] == ["s-01", "s-02", "s-03"]
    assert sum(r[3] for r in staff_rows[1:]) == sum(1 for o in ledger.finished.values())  # 办结 = finished tickets

    pdf = history.export(tmp_path / "month.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) missing: the PDF was not rendered")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 10_000 for p in pages)
    keep = os.environ.get("HALL_REPORT_PAGES_DIR")
    if keep:  # to look at the pages
        for p in pages:
            shutil.copy(p, Path(keep) / p.name)


def test_the_statistics_page_and_its_report_in_english(qtbot, month, tmp_path: Path) -> None:
    """The supervisor reads English: the page's words and the report's sheets and headers."""
    application()
    _data, admin, ledger = month
    window = DashboardWindow(admin, refresh_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    history = window.extra_tabs[0]
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert window.tabs.tabText(1) == "Statistics"
    qtbot.mouseClick(history.presets["last_month"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history.figures is not None and history.figures["from"] == ledger.month[0].isoformat(),
                    timeout=30_000)
    words = [history.levels.text(), history.status.text(), *history.counts_graph.words(),
             *history.rates_graph.words(), *(b.text() for b in history.presets.values()),
             *(label.text() for label in history.kpi_titles.values())]
    for table in history.table.values():
        words += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert "Last month" in words and "Satisfaction rate" in words
    assert not [w for w in words if HAN.search(w)], words
    book = load_workbook(history.export(tmp_path / "month-en.xlsx"))
    assert book.sheetnames == ["Summary", "By service", "By counter", "By staff", "By hour of issue",
                               "By day", "Visits"]
    headers = [c for sheet in book for c in next(sheet.iter_rows(values_only=True))]
    assert not [h for h in headers if HAN.search(str(h))], headers


def test_range_presets() -> None:
    today = date(2026, 12, 2)  # a Wednesday
    assert preset_range("today", today) == (today, today)
    assert preset_range("week", today) == (date(2026, 11, 30), today)
    assert preset_range("month", today) == (date(2026, 12, 1), today)
    assert preset_range("last_month", today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert preset_range("last_month", date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 2, 28))
