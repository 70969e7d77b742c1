"""The city view (``main.py city --platform-url …``): every hall of the city now and every machine
with a problem or silent, from what the halls sync to the platform (offline_cache/city.py serves
it at ``/admin/city``), so halls on SQLite and on PostgreSQL look the same.

A Qt Widgets window, like the supervisor's dashboard: the city operator's desk is the same kind of
desktop as the supervisor's, and the view asks nothing of a platform but one read endpoint
(docs/platform-contract.md) — a page served by the reference platform would not exist on a
province's own platform. Filter by district (the ``district`` of each hall.toml); double-click a
hall for all its machines and their versions. Fetches run off the GUI thread; every refresh
records how long it took (``last_refresh_ms``: the platform's answer and the tables filled).

Every word is from the catalogues; the halls' and machines' own names and the halls' alert texts
are shown as they are."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from common.i18n import Translator
from common.releases import UpdateProblem
from devices.state import DeviceKind

HALL_COLUMNS = ("hall", "district", "waiting", "longest", "counters", "satisfaction", "rectified", "machines",
                "versions", "heard")
MACHINE_COLUMNS = ("hall", "machine", "kind", "version", "state", "last_seen")
ALERT_COLUMNS = ("at", "hall", "kind", "source", "message")
DETAIL_COLUMNS = ("machine", "kind", "version", "state", "last_seen")
DEVICE_KINDS = tuple(k.value for k in DeviceKind)
UPDATE_PROBLEMS = frozenset(p.value for p in UpdateProblem)
DEVICE_REASONS = ("paper_out", "paper_near_end", "cover_open", "cutter_error", "offline", "disconnected", "error")
MACHINE_KINDS = ("kiosk", "rating_pad", "display", "counter", "dashboard")
TROUBLE = QColor("#c62828")
SILENT = QColor("#6d4c41")


class _Signals(QObject):
    done = Signal(object, object, object, float)  # what, answer, error, started (perf_counter)


class _Job(QRunnable):
    def __init__(self, what: str, fn: Any, signals: _Signals) -> None:
        super().__init__()
        self.what, self.fn, self.signals = what, fn, signals

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self.signals.done.emit(self.what, self.fn(), None, started)
        except Exception as exc:
            self.signals.done.emit(self.what, None, exc, started)


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    return table


def _fill(table: QTableWidget, rows: list[list[Any]], colours: list[QColor | None] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        colour = colours[r] if colours else None
        for c, value in enumerate(row):
            item = QTableWidgetItem("—" if value is None or value == "" else str(value))
            if colour is not None:
                item.setForeground(QBrush(colour))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _share(part: int, whole: int) -> str | None:
    return f"{part / whole:.0%}" if whole else None


def _clock(iso: str | None) -> str:
    """A hall's timestamp as HH:MM in this screen's time zone, like 更新于 (halls send their own offset)."""
    try:
        return datetime.fromisoformat(iso or "").astimezone().strftime("%H:%M")
    except ValueError:
        return iso or ""


class CityWindow(QMainWindow):
    def __init__(self, platform: Any, *, font_family: str = "Noto Sans CJK SC", refresh_ms: int = 10_000,
                 language: str = "zh_CN") -> None:
        """``platform``: anything with ``city(district)`` and ``city_hall(hall_id)`` (PlatformAdmin)."""
        super().__init__()
        self.platform = platform
        self.translator = Translator(language)
        self.overview: dict[str, Any] | None = None
        self.detail: dict[str, Any] | None = None
        self.district = ""
        self.hall_id: str | None = None
        self.last_refresh_ms: float | None = None
        self.refreshes = 0
        self.error: Exception | None = None
        self.signals = _Signals()
        self.signals.done.connect(self._answered)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self.setFont(QFont(font_family, 11))
        self.resize(1700, 1000)
        root = QWidget()
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)

        top = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setFont(QFont(font_family, 18, QFont.Weight.Bold))
        top.addWidget(self.heading)
        self.district_label = QLabel()
        top.addWidget(self.district_label)
        self.districts = QComboBox()
        self.districts.setObjectName("district")
        self.districts.setMinimumWidth(200)
        self.districts.activated.connect(self._district_chosen)
        top.addWidget(self.districts)
        self.refresh_button = QPushButton()
        self.refresh_button.setObjectName("refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.clicked.connect(self.toggle_language)
        top.addWidget(self.language_button)
        top.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("status")
        top.addWidget(self.status)
        layout.addLayout(top)

        self.halls_title = QLabel()
        layout.addWidget(self.halls_title)
        self.halls = _table(HALL_COLUMNS, "halls")
        self.halls.cellDoubleClicked.connect(self._hall_chosen)
        layout.addWidget(self.halls, 3)

        lower = QSplitter(Qt.Orientation.Horizontal)
        left, right = QWidget(), QWidget()
        left_layout, right_layout = QVBoxLayout(left), QVBoxLayout(right)
        self.machines_title, self.alerts_title, self.detail_title = QLabel(), QLabel(), QLabel()
        self.machines = _table(MACHINE_COLUMNS, "machines")
        self.alerts = _table(ALERT_COLUMNS, "alerts")
        self.detail_table = _table(DETAIL_COLUMNS, "hall_detail")
        left_layout.addWidget(self.machines_title)
        left_layout.addWidget(self.machines, 3)
        left_layout.addWidget(self.alerts_title)
        left_layout.addWidget(self.alerts, 2)
        right_layout.addWidget(self.detail_title)
        right_layout.addWidget(self.detail_table)
        lower.addWidget(left)
        lower.addWidget(right)
        lower.setSizes([1000, 700])
        layout.addWidget(lower, 4)

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        if refresh_ms > 0:
            self.timer.start(refresh_ms)
        self.retranslate()
        self.refresh()

    # ------------------------------------------------------------------ words

    def t(self, key: str, **params: object) -> str:
        return self.translator.tr(f"staff.city.{key}", **params)

    def retranslate(self) -> None:
        self.setWindowTitle(self.t("title"))
        self.heading.setText(self.t("title"))
        self.district_label.setText(self.t("district"))
        self.refresh_button.setText(self.t("refresh"))
        self.language_button.setText(self.translator.tr("common.language"))
        self.halls_title.setText(self.t("halls"))
        self.machines_title.setText(self.t("machines"))
        self.alerts_title.setText(self.t("alerts"))
        for table, columns in ((self.halls, HALL_COLUMNS), (self.machines, MACHINE_COLUMNS),
                               (self.alerts, ALERT_COLUMNS), (self.detail_table, DETAIL_COLUMNS)):
            table.setHorizontalHeaderLabels([self.t(f"col.{c}") for c in columns])
        self._show()

    def toggle_language(self) -> None:
        self.translator.language = "en" if self.translator.language == "zh_CN" else "zh_CN"
        self.retranslate()

    def kind_name(self, kind: str | None) -> str:
        return self.t(f"kind.{kind}") if kind in MACHINE_KINDS else (kind or "")

    def alert_kind(self, kind: str | None) -> str:
        if kind in ("fleet_silent", "fleet_update"):  # queueing/fleet.py: silence, a refused or rolled-back release
            return self.t(f"alert.{kind}")
        return self.t(f"device.{kind}") if kind in DEVICE_KINDS else (kind or "")

    def problem_text(self, code: str) -> str:
        if code.startswith("update:") and code[7:] in UPDATE_PROBLEMS:  # a refused or rolled-back release
            return self.t(f"problem.update.{code[7:]}")
        if ":" in code:
            device, reason = code.split(":", 1)
            name = self.t(f"device.{device}") if device in DEVICE_KINDS else device
            said = self.t(f"reason.{reason}") if reason in DEVICE_REASONS else reason
            return self.t("problem.device", device=name, reason=said)
        if code in ("dead_letters", "backlog", "disk_low"):
            return self.t(f"problem.{code}")
        return code

    def state_text(self, m: dict[str, Any], hall_silent: bool = False) -> str:
        parts = []
        if hall_silent:
            parts.append(self.t("state.hall_silent"))
        if m.get("silent"):
            parts.append(self.t("state.silent", minutes=round((m.get("silent_s") or 0) / 60)))
        parts += [self.problem_text(p) for p in m.get("problems") or []]
        sep = "；" if self.translator.language == "zh_CN" else "; "
        return sep.join(parts) if parts else self.t("state.ok")

    # ------------------------------------------------------------------ fetching

    def refresh(self) -> None:
        district = self.district or None
        self.pool.start(_Job("overview", lambda: self.platform.city(district), self.signals))
        if self.hall_id:
            hall_id = self.hall_id
            self.pool.start(_Job("hall", lambda: self.platform.city_hall(hall_id), self.signals))

    def _answered(self, what: str, answer: Any, error: Exception | None, started: float) -> None:
        self.error = error
        if error is None and what == "overview":
            self.overview = answer
        elif error is None and what == "hall":
            self.detail = answer
        self._show()
        if what == "overview":
            self.last_refresh_ms = (time.perf_counter() - started) * 1000
            self.refreshes += 1
            if error is None:
                self.status.setText(self.t("updated", time=time.strftime("%H:%M:%S"),
                                            ms=round(self.last_refresh_ms)))

    def _district_chosen(self, index: int) -> None:
        self.district = self.districts.itemData(index) or ""
        self.refresh()

    def _hall_chosen(self, row: int, _column: int) -> None:
        halls = (self.overview or {}).get("halls") or []
        if 0 <= row < len(halls):
            self.hall_id = halls[row]["id"]
            self.detail = None
            self.refresh()

    def choose_hall(self, hall_id: str) -> None:
        """Drill into one hall (what a double-click on its row does)."""
        self.hall_id, self.detail = hall_id, None
        self.refresh()

    def choose_district(self, district: str) -> None:
        index = self.districts.findData(district)
        if index >= 0:
            self.districts.setCurrentIndex(index)
        self.district = district
        self.refresh()

    # ------------------------------------------------------------------ showing

    def _show(self) -> None:
        if self.error is not None:
            self.status.setText(self.t("unreachable", error=type(self.error).__name__))
        data = self.overview or {}
        self._districts(data.get("districts") or [])
        halls = data.get("halls") or []
        rows, colours = [], []
        for h in halls:
            longest = f"{h.get('longest_wait_min', 0):g} / {h.get('longest_target_min') or '—'}"
            machines = f"{h.get('machines_problem', 0)} / {h.get('machines_silent', 0)} / {h.get('machines_total', 0)}"
            versions = ", ".join(f"{v}×{n}" for v, n in sorted((h.get("versions") or {}).items()))
            rows.append([h.get("name") or h["id"], h.get("district"), h.get("waiting"), longest,
                         f"{h.get('counters_open', 0)} / {h.get('counters', 0)}",
                         _share(h.get("satisfied", 0), h.get("ratings", 0)),
                         _share(h.get("rectified", 0), h.get("bad", 0)), machines, versions,
                         self.t("state.hall_silent") if h.get("silent") else _clock(h.get("at"))])
            late = h.get("longest_target_min") is not None and h.get("longest_wait_min", 0) > h["longest_target_min"]
            colours.append(SILENT if h.get("silent") else TROUBLE if late or h.get("machines_problem") or
                           h.get("machines_silent") else None)
        _fill(self.halls, rows, colours)
        troubled = data.get("machines") or []
        _fill(self.machines, [[m.get("hall_name") or m.get("hall_id"), m.get("name") or m.get("device"),
                               self.kind_name(m.get("kind")), m.get("version"),
                               self.state_text(m, bool(m.get("hall_silent"))), _clock(m.get("last_seen"))]
                              for m in troubled],
              [SILENT if m.get("silent") or m.get("hall_silent") else TROUBLE for m in troubled])
        names = {h["id"]: h.get("name") or h["id"] for h in halls}
        _fill(self.alerts, [[_clock(a.get("at")), names.get(a["hall_id"], a["hall_id"]),
                             self.alert_kind(a.get("kind")),
                             a.get("source"), a.get("message")] for a in data.get("alerts") or []])
        detail = self.detail or {}
        self.detail_title.setText(self.t("hall_detail", hall=detail.get("name") or detail.get("id") or "—"))
        every: list[dict[str, Any]] = detail.get("machines") or []
        _fill(self.detail_table, [[m.get("name") or m.get("device"), self.kind_name(m.get("kind")), m.get("version"),
                                   self.state_text(m, bool(detail.get("silent"))), _clock(m.get("last_seen"))]
                                  for m in every],
              [SILENT if m.get("silent") else TROUBLE if m.get("problems") else None for m in every])

    def _districts(self, districts: list[str]) -> None:
        wanted = ["", *[d for d in districts if d]]
        have = [self.districts.itemData(i) for i in range(self.districts.count())]
        if have == wanted and self.districts.count() and self.districts.itemText(0) == self.t("all_districts"):
            return
        self.districts.blockSignals(True)
        self.districts.clear()
        for d in wanted:
            self.districts.addItem(d or self.t("all_districts"), d)
        self.districts.setCurrentIndex(max(0, self.districts.findData(self.district)))
        self.districts.blockSignals(False)

    # ------------------------------------------------------------------ for tests and screenshots

    def cells(self, table: QTableWidget) -> list[list[str]]:
        out = []
        for r in range(table.rowCount()):
            items = [table.item(r, c) for c in range(table.columnCount())]
            out.append([item.text() if item is not None else "" for item in items])
        return out
