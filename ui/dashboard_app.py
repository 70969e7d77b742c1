"""The supervisor dashboard (Qt Widgets + QtCharts): the queue now, the day against the targets,
satisfaction and the rectification of bad ratings, alerts from kiosks and devices, and export of
the report to CSV/XLSX. Data comes from :mod:`kiosk.dashboard`, fetched off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.dashboard import LEVEL_NAMES, Snapshot, collect, export_csv, export_xlsx


class _Fetch(QRunnable):
    def __init__(self, client: Any, done: Any) -> None:
        super().__init__()
        self.client, self.done = client, done

    def run(self) -> None:
        try:
            self.done(collect(self.client), None)
        except Exception as exc:
            self.done(None, exc)


class _Signals(QObject):
    fetched = Signal(object, object)


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def _fill(table: QTableWidget, rows: list[list[Any]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem("—" if value is None else str(value)))


class DashboardWindow(QMainWindow):
    def __init__(self, client: Any, *, font_family: str = "Noto Sans CJK SC", refresh_ms: int = 5000) -> None:
        super().__init__()
        self.client = client
        self.snapshot: Snapshot | None = None
        self.signals = _Signals()
        self.signals.fetched.connect(self._show)
        self.pool = QThreadPool()
        self.setWindowTitle("大厅运行看板 Supervisor dashboard")
        self.setFont(QFont(font_family, 11))
        self.resize(1600, 950)
        root = QWidget()
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)

        kpis = QGridLayout()
        self.kpi: dict[str, QLabel] = {}
        for i, (key, label) in enumerate((("waiting", "等候人数 Waiting"), ("longest", "最长等候 Longest wait"),
                                          ("counters", "窗口 Counters open/paused"),
                                          ("served", "今日办结 Served today"),
                                          ("satisfaction", "满意率 Satisfaction"),
                                          ("rectified", "差评整改率 Bad ratings rectified"))):
            title = QLabel(label)
            value = QLabel("—")
            value.setObjectName(f"kpi_{key}")
            value.setFont(QFont(font_family, 22, QFont.Weight.Bold))
            kpis.addWidget(title, 0, i)
            kpis.addWidget(value, 1, i)
            self.kpi[key] = value
        layout.addLayout(kpis)
        self.status = QLabel("")
        self.status.setObjectName("status")
        layout.addWidget(self.status)

        middle = QHBoxLayout()
        self.now_table = _table(["事项 Service", "等候 Waiting", "最长(分) Longest", "目标(分) Target",
                                 "开放窗口 Open", "今日取号 Issued", "办结 Served", "平均等候 Mean wait",
                                 "超目标 Over target"], "now")
        middle.addWidget(self.now_table, 3)
        self.chart = QChart()
        self.chart.setTitle("各事项等候人数与平均等候 Waiting and mean wait")
        view = QChartView(self.chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setObjectName("chart")
        middle.addWidget(view, 2)
        layout.addLayout(middle, 3)

        bottom = QHBoxLayout()
        self.alerts_table = _table(["时间 At", "类型 Kind", "来源 Source", "内容 Message"], "alerts")
        bottom.addWidget(self.alerts_table, 1)
        bad = QVBoxLayout()
        self.bad_table = _table(["号码 No.", "事项 Service", "窗口 Counter", "评价 Level", "原因 Reason",
                                 "整改回复 Response"], "bad_ratings")
        bad.addWidget(self.bad_table)
        respond = QPushButton("填写整改回复 Respond to selected")
        respond.setObjectName("respond")
        respond.clicked.connect(self._respond)
        bad.addWidget(respond)
        bottom.addLayout(bad, 1)
        layout.addLayout(bottom, 2)

        exports = QHBoxLayout()
        for name, label, handler in (("export_csv", "导出 CSV", self._export_csv),
                                     ("export_xlsx", "导出 Excel (XLSX)", self._export_xlsx)):
            button = QPushButton(label)
            button.setObjectName(name)
            button.clicked.connect(handler)
            exports.addWidget(button)
        exports.addStretch(1)
        layout.addLayout(exports)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        self.refresh()

    def refresh(self) -> None:
        self.pool.start(_Fetch(self.client, self.signals.fetched.emit))

    def _show(self, snapshot: Snapshot | None, error: Exception | None) -> None:
        if error is not None:
            self.status.setText(f"与叫号服务的连接中断 Hall service unreachable: {type(error).__name__} — "
                                "数据可能不是最新 figures may be stale")
            self.status.setStyleSheet("color: #b03a2e; font-weight: bold")
            return
        self.snapshot = snapshot
        self.status.setText("")
        open_counters = sum(1 for c in snapshot.counters if not c["paused"])
        paused = len(snapshot.counters) - open_counters
        totals = snapshot.stats.get("totals", {})
        self.kpi["waiting"].setText(str(sum(r["waiting"] for r in snapshot.now)))
        self.kpi["longest"].setText(f"{snapshot.longest_wait_minutes} min")
        self.kpi["counters"].setText(f"{open_counters} / {paused}")
        self.kpi["served"].setText(str(totals.get("served", 0)))
        sat, fixed = snapshot.satisfaction, snapshot.rectified_share
        self.kpi["satisfaction"].setText("—" if sat is None else f"{sat:.0%}")
        self.kpi["rectified"].setText("—" if fixed is None else f"{fixed:.0%}")
        _fill(self.now_table, [[r["service"], r["waiting"], r["longest_wait_minutes"], r["target_minutes"],
                                r["open_counters"], r["issued"], r["served"], r["wait_mean"],
                                None if r["over_target_share"] is None else f"{r['over_target_share']:.0%}"]
                               for r in snapshot.now])
        _fill(self.alerts_table, [[a.get("at"), a.get("kind"), a.get("source"), a.get("message")]
                                  for a in snapshot.alerts[:50]])
        _fill(self.bad_table, [[r.get("number"), r.get("service_id"), r.get("counter_id"),
                                LEVEL_NAMES.get(r.get("level"), r.get("level")), r.get("reason"),
                                (r.get("rectification") or {}).get("response")] for r in snapshot.bad_ratings])
        self._chart(snapshot)

    def _chart(self, snapshot: Snapshot) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        rows = [r for r in snapshot.now if r["waiting"] or r["issued"]] or snapshot.now[:8]
        waiting, wait_mean = QBarSet("等候 Waiting"), QBarSet("平均等候(分) Mean wait")
        for r in rows:
            waiting.append(r["waiting"])
            wait_mean.append(r["wait_mean"] or 0)
        series = QBarSeries()
        series.append(waiting)
        series.append(wait_mean)
        self.chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([r["service"][:6] for r in rows])
        axis_y = QValueAxis()
        axis_y.setRange(0, max([1.0] + [float(r["waiting"]) for r in rows] + [float(r["wait_mean"] or 0)
                                                                               for r in rows]) * 1.2)
        self.chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)

    def _respond(self) -> None:
        row = self.bad_table.currentRow()
        if self.snapshot is None or row < 0 or row >= len(self.snapshot.bad_ratings):
            return
        rating = self.snapshot.bad_ratings[row]
        text, ok = QInputDialog.getMultiLineText(self, "整改回复 Rectification", "已采取的整改措施 What was done:")
        if ok and text.strip():
            self.client.rectify(rating["ticket_id"], text.strip())
            self.refresh()

    def export(self, path: str | Path) -> Path:
        """Write the report of the current figures (CSV or XLSX by the file's suffix)."""
        path = Path(path)
        snapshot = self.snapshot or collect(self.client)
        data = export_xlsx(snapshot.stats, snapshot.bad_ratings) if path.suffix.lower() == ".xlsx" \
            else export_csv(snapshot.stats)
        path.write_bytes(data)
        return path

    def _export_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "CSV", "hall-report.csv", "CSV (*.csv)")
        if name:
            self.export(name)

    def _export_xlsx(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Excel", "hall-report.xlsx", "Excel (*.xlsx)")
        if name:
            self.export(name)
