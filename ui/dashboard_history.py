"""The dashboard's 统计 page: the hall's figures for any range of service days, from the hall's
event log (``GET /api/v1/stats/history``): 办结率, 满意率 (which levels count is written on the
page), 差评整改率, 投诉办结率, 即办件占比, 跑动次数, waits and service times against the targets,
trends by day on Qt Graphs (:mod:`ui.graphs`), the tables per service / counter / staff / day,
and the monthly report as XLSX or PDF (``GET /api/v1/stats/report``, what ``hall-server report``
writes too).

The range is picked with two date fields or a preset (今日, 本周, 本月, 上月, by the dashboard's
calendar); the page asks again on the window's timer, at most once a minute, only while it is
shown and its range reaches today."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.dashboard import PRESETS, preset_range
from queueing import report
from ui.graphs import Graph

if TYPE_CHECKING:
    from ui.dashboard_app import DashboardWindow

KPIS = ("completion", "satisfaction", "rectification", "complaints", "same_day_items", "per_matter", "issued",
        "wait_mean")
TABLES = ("service", "counter", "staff", "hour", "day", "visits")
REFRESH_SECONDS = 60.0


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def kpi_texts(figures: dict[str, Any]) -> dict[str, str]:
    """What each KPI of the page shows for these figures ("—" where nothing was counted)."""
    rates = figures.get("rates") or {}
    totals = figures.get("totals") or {}
    per_matter = (figures.get("visits") or {}).get("per_matter")
    wait = (totals.get("waiting_minutes") or {}).get("mean")
    out = {k: _percent((rates.get(k) or {}).get("rate")) for k in KPIS[:5]}
    out["per_matter"] = "—" if per_matter is None else f"{per_matter:.2f}"
    out["issued"] = str(totals.get("issued", 0))
    out["wait_mean"] = "—" if wait is None else f"{wait:.1f}"
    return out


class HistoryTab(QWidget):
    def __init__(self, window: DashboardWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setObjectName("history")
        self.figures: dict[str, Any] | None = None
        self.asked: tuple[str, str] | None = None
        self._busy = False
        self._asked_at = -REFRESH_SECONDS
        font = window.font().family()
        layout = QVBoxLayout(self)

        controls = QHBoxLayout()
        self.from_label, self.to_label = QLabel(), QLabel()
        self.from_edit, self.to_edit = QDateEdit(), QDateEdit()
        for edit, name in ((self.from_edit, "history_from"), (self.to_edit, "history_to")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
        controls.addWidget(self.from_label)
        controls.addWidget(self.from_edit)
        controls.addWidget(self.to_label)
        controls.addWidget(self.to_edit)
        self.presets: dict[str, QPushButton] = {}
        for preset in PRESETS:
            button = QPushButton()
            button.setObjectName(f"preset_{preset}")
            button.clicked.connect(lambda _checked=False, p=preset: self.choose(p))
            controls.addWidget(button)
            self.presets[preset] = button
        self.query = QPushButton()
        self.query.setObjectName("history_query")
        self.query.clicked.connect(self.ask)
        controls.addWidget(self.query)
        controls.addStretch(1)
        self.exports: dict[str, QPushButton] = {}
        for fmt in ("xlsx", "pdf"):
            button = QPushButton()
            button.setObjectName(f"history_export_{fmt}")
            button.clicked.connect(lambda _checked=False, f=fmt: self._export_dialog(f))
            controls.addWidget(button)
            self.exports[fmt] = button
        layout.addLayout(controls)

        grid = QGridLayout()
        self.kpi: dict[str, QLabel] = {}
        self.kpi_titles: dict[str, QLabel] = {}
        for i, key in enumerate(KPIS):
            title, value = QLabel(), QLabel("—")
            value.setObjectName(f"history_kpi_{key}")
            value.setFont(QFont(font, 20, QFont.Weight.Bold))
            grid.addWidget(title, 0, i)
            grid.addWidget(value, 1, i)
            self.kpi[key], self.kpi_titles[key] = value, title
        layout.addLayout(grid)
        self.levels = QLabel()
        self.levels.setObjectName("history_levels")
        self.levels.setWordWrap(True)
        layout.addWidget(self.levels)
        self.status = QLabel()
        self.status.setObjectName("history_status")
        layout.addWidget(self.status)

        graphs = QHBoxLayout()
        self.counts_graph, self.rates_graph = Graph("history_counts"), Graph("history_rates")
        graphs.addWidget(self.counts_graph, 1)
        graphs.addWidget(self.rates_graph, 1)
        layout.addLayout(graphs, 2)
        self.tables = QTabWidget()
        self.tables.setObjectName("history_tables")
        self.table: dict[str, QTableWidget] = {}
        for name in TABLES:
            table = QTableWidget(0, 0)
            table.setObjectName(f"history_table_{name}")
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            self.tables.addTab(table, "")
            self.table[name] = table
        layout.addWidget(self.tables, 2)

    # -- the DashboardTab protocol ------------------------------------------------------------
    def title(self) -> str:
        return self.window_.translator.tr("staff.history.tab")

    def retranslate(self) -> None:
        tr = self.window_.translator.tr
        self.from_label.setText(tr("staff.history.from"))
        self.to_label.setText(tr("staff.history.to"))
        for preset, button in self.presets.items():
            button.setText(tr(f"staff.history.preset.{preset}"))
        self.query.setText(tr("staff.history.query"))
        for fmt, button in self.exports.items():
            button.setText(tr(f"staff.history.export_{fmt}"))
        for key, label in self.kpi_titles.items():
            label.setText(tr(f"staff.history.kpi.{key}"))
        self.levels.setText(tr("staff.history.levels"))
        for i, name in enumerate(TABLES):
            self.tables.setTabText(i, tr(f"staff.history.sheet.{name}"))
        if self.figures is not None:
            self._show(self.figures, None)

    def refresh(self) -> None:
        """On the window's timer: while the page is shown and its range reaches today, ask again
        at most once a minute (a month's figures take the hall service seconds)."""
        if not self.isVisible() or (self.asked is not None and self.asked[1] < date.today().isoformat()):
            return
        if time.monotonic() - self._asked_at >= REFRESH_SECONDS:
            self.ask()

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        self.refresh()  # the supervisor opened the page: the figures of its range, if stale

    # -- range -------------------------------------------------------------------------------
    def range(self) -> tuple[str, str]:
        start, end = self.from_edit.date().toString("yyyy-MM-dd"), self.to_edit.date().toString("yyyy-MM-dd")
        return (start, end) if start <= end else (end, start)

    def choose(self, preset: str) -> None:
        """A preset's days into the date fields, then ask."""
        start, end = preset_range(preset, QDate.currentDate().toPython())  # type: ignore[arg-type]
        self.from_edit.setDate(QDate(start.year, start.month, start.day))
        self.to_edit.setDate(QDate(end.year, end.month, end.day))
        self.ask()

    def ask(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._asked_at = time.monotonic()
        start, end = self.asked = self.range()
        client = self.window_.client
        self.window_._start(lambda: client.stats_history(start, end), self._answered)

    def _answered(self, figures: Any, error: Exception | None) -> None:
        self._busy = False
        if error is not None or not isinstance(figures, dict):
            self.status.setText(self.window_.translator.tr("staff.dashboard.unreachable",
                                                           error=type(error).__name__))
            return
        if (figures.get("from"), figures.get("to")) != self.range():  # the range changed meanwhile
            self.ask()
        self._show(figures, None)

    # -- figures -----------------------------------------------------------------------------
    def _show(self, figures: dict[str, Any], _error: Exception | None) -> None:
        self.figures = figures
        tr = self.window_.translator.tr
        lang = self.window_.translator.language
        self.status.setText(tr("staff.history.period", start=figures.get("from", ""), end=figures.get("to", "")))
        for key, text in kpi_texts(figures).items():
            self.kpi[key].setText(text)
        days = sorted((figures.get("by_day") or {}).items())
        one_month = len({d[:7] for d, _g in days}) <= 1
        labels = [d[8:] if one_month else d[5:] for d, _g in days]  # DD within a month, else MM-DD
        self.counts_graph.setTitle(tr("staff.history.chart.counts"))
        self.counts_graph.bars(labels, [(tr("staff.history.kpi.issued"), [g.get("issued", 0) for _d, g in days]),
                                        (tr("staff.history.col.served"), [g.get("served", 0) for _d, g in days])])

        def daily(metric: str) -> list[float | None]:
            out: list[float | None] = []
            for _d, g in days:
                rate = ((g.get("rates") or {}).get(metric) or {}).get("rate")
                out.append(None if rate is None else rate * 100)
            return out

        self.rates_graph.setTitle(tr("staff.history.chart.rates"))
        self.rates_graph.lines(labels, [(tr("staff.history.kpi.satisfaction"), daily("satisfaction")),
                                        (tr("staff.history.kpi.completion"), daily("completion"))])
        by_name = {name: (header, rows, percent) for name, header, rows, percent in report.tables(figures, lang)}
        for name, table in self.table.items():
            header, rows, percent = by_name[name]
            table.setColumnCount(len(header))
            table.setHorizontalHeaderLabels(header)
            table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    item = table.item(r, c)
                    text = report.cell_text(value, c in percent)
                    if item is None:
                        table.setItem(r, c, QTableWidgetItem(text))
                    else:
                        item.setText(text)
            table.resizeColumnsToContents()  # every header and name whole; the table scrolls sideways

    # -- report ------------------------------------------------------------------------------
    def export(self, path: str | Path, fmt: str | None = None) -> Path:
        """The report of the page's range (XLSX or PDF by the suffix), in the window's language,
        as the hall service writes it."""
        path = Path(path)
        start, end = self.range()
        data = self.window_.client.stats_report(fmt or path.suffix.lower().lstrip("."), day_from=start, day_to=end,
                                                language=self.window_.translator.language)
        path.write_bytes(data)
        return path

    def _export_dialog(self, fmt: str) -> None:
        start, end = self.range()
        suggested = f"hall-report-{start}-{end}.{fmt}"
        name, _ = QFileDialog.getSaveFileName(self, fmt.upper(), suggested, f"{fmt.upper()} (*.{fmt})")
        if name:
            self.window_._start(lambda: self.export(name, fmt), self._exported)

    def _exported(self, path: Any, error: Exception | None) -> None:
        tr = self.window_.translator.tr
        if error is not None:
            self.status.setText(tr("staff.dashboard.unreachable", error=type(error).__name__))
        else:
            self.status.setText(tr("staff.history.saved", path=str(path)))
