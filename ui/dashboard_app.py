"""The supervisor dashboard (Qt Widgets, graphs on Qt Graphs): the queue now, the day against the targets,
satisfaction and the rectification of bad ratings, alerts from kiosks and devices, and export of
the report to CSV/XLSX. Data comes from :mod:`kiosk.dashboard`, fetched off the GUI thread.

A supervisor signs in on the window with their own staff account (工号 + password or PIN, the hall's
``POST /api/v1/sessions``): a rectification (整改回复) is then signed off under their 工号 and only a
supervisor's session may write one; any signed-in member of staff may acknowledge an alert. The
window's device token (an enrolled dashboard device, or the admin token) alone does neither.

Every word on the window and in the report comes from the catalogues in the window's language
(the configured ``kiosk.language``, switchable on the window); the hall's own names (services,
counters) and what people typed (reasons, responses, alerts) are shown as they are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.i18n import Translator
from kiosk.dashboard import Snapshot, collect, export_csv, export_xlsx, level_name, reason_name
from ui.counter_alerts import alert_rows
from ui.counter_app import SignInDialog, _Job
from ui.dashboard_complaints import ComplaintsTab
from ui.dashboard_history import HistoryTab
from ui.dashboard_rectification import RectificationTab
from ui.graphs import Graph
from ui.tables import fill, read_only_table

KPIS = ("waiting", "longest", "counters", "served", "satisfaction", "rectified")
NOW_COLUMNS = ("service", "waiting", "longest", "target", "open", "issued", "served", "mean_wait", "over_target")
ALERT_COLUMNS = ("at", "kind", "source", "state", "by", "message")  # ui/counter_alerts.COLUMNS
BAD_COLUMNS = ("number", "service", "counter", "level", "reason", "response")


class DashboardTab(Protocol):
    """A page of the dashboard beside 今日 (one module each, ui/dashboard_<x>.py): a QWidget whose
    object name names it. ``refresh`` is called on the window's timer (fetch off the GUI thread with
    ``window._start``); ``retranslate`` whenever the language or the signed-in ``window.staff``
    changed (so it also enables the actions a supervisor may take)."""

    def objectName(self) -> str: ...

    def title(self) -> str: ...

    def retranslate(self) -> None: ...

    def refresh(self) -> None: ...


def _notices_tab(window: DashboardWindow) -> DashboardTab:
    """显示屏公告 (ui/dashboard_notices.py; imported here: the page imports this module's types)."""
    from ui.dashboard_notices import NoticesTab

    return NoticesTab(window)


#: factories of the pages after 今日, in tab order; each gets the window (its client, translator,
#: signed-in ``staff`` and ``_start`` for work off the GUI thread)
EXTRA_TABS: tuple[Callable[[DashboardWindow], DashboardTab], ...] = (HistoryTab, RectificationTab, ComplaintsTab,
                                                                       _notices_tab)


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
    answered = Signal(object, object, object)  # a job's done callback, result, error (to the GUI thread)


class DashboardWindow(QMainWindow):
    def __init__(self, client: Any, *, font_family: str = "Noto Sans CJK SC", refresh_ms: int = 5000,
                 language: str = "zh_CN") -> None:
        super().__init__()
        self.client = client
        self.translator = Translator(language)
        self._error: Exception | None = None
        self.snapshot: Snapshot | None = None
        self.signals = _Signals()
        self.signals.fetched.connect(self._show)
        self.signals.answered.connect(lambda done, result, error: done(result, error))
        self.staff: dict[str, Any] | None = None  # the signed-in staff, from the hall's answer
        self.sign_in_dialog: SignInDialog | None = None
        self.rectify_dialog: QInputDialog | None = None
        self.pool = QThreadPool()
        self.setFont(QFont(font_family, 11))
        self.resize(1600, 950)
        root = QWidget()
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)

        kpis = QGridLayout()
        self.kpi: dict[str, QLabel] = {}
        self.kpi_titles: dict[str, QLabel] = {}
        for i, key in enumerate(KPIS):
            title = QLabel()
            self.kpi_titles[key] = title
            value = QLabel("—")
            value.setObjectName(f"kpi_{key}")
            value.setFont(QFont(font_family, 22, QFont.Weight.Bold))
            kpis.addWidget(title, 0, i)
            kpis.addWidget(value, 1, i)
            self.kpi[key] = value
        layout.addLayout(kpis)
        status_row = QHBoxLayout()
        self.status = QLabel("")
        self.status.setObjectName("status")
        status_row.addWidget(self.status, 1)
        self.message = QLabel("")
        self.message.setObjectName("message")
        status_row.addWidget(self.message, 1)
        self.staff_label = QLabel("")
        self.staff_label.setObjectName("staff")
        status_row.addWidget(self.staff_label)
        self.sign_in = QPushButton()
        self.sign_in.setObjectName("sign_in")
        self.sign_in.clicked.connect(self._sign_in)
        status_row.addWidget(self.sign_in)
        # Named in the other language (中文 / English), as language switches are everywhere.
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.clicked.connect(self.toggle_language)
        status_row.addWidget(self.language_button)
        layout.addLayout(status_row)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        today = QWidget()
        today.setObjectName("today")
        today_layout = QVBoxLayout(today)
        middle = QHBoxLayout()
        self.now_table = read_only_table(NOW_COLUMNS, "now")
        middle.addWidget(self.now_table, 3)
        self.chart = Graph("chart")
        middle.addWidget(self.chart, 2)
        today_layout.addLayout(middle, 3)

        bottom = QHBoxLayout()
        self.alerts_table = read_only_table(ALERT_COLUMNS, "alerts")
        alerts = QVBoxLayout()
        alerts.addWidget(self.alerts_table)
        self.ack = QPushButton()
        self.ack.setObjectName("ack")
        self.ack.clicked.connect(self._ack)
        alerts.addWidget(self.ack)
        self.resolve = QPushButton()  # the second step: 已处理, by the signed-in staff
        self.resolve.setObjectName("resolve")
        self.resolve.clicked.connect(self._resolve)
        alerts.addWidget(self.resolve)
        bottom.addLayout(alerts, 1)
        bad = QVBoxLayout()
        self.bad_table = read_only_table(BAD_COLUMNS, "bad_ratings")
        bad.addWidget(self.bad_table)
        self.respond = QPushButton()
        self.respond.setObjectName("respond")
        self.respond.clicked.connect(self._respond)
        bad.addWidget(self.respond)
        bottom.addLayout(bad, 1)
        today_layout.addLayout(bottom, 2)
        self.tabs.addTab(today, "")
        self.extra_tabs = [make(self) for make in EXTRA_TABS]
        for tab in self.extra_tabs:
            self.tabs.addTab(tab, "")  # type: ignore[call-overload]  # a QWidget by the Protocol's contract
        layout.addWidget(self.tabs, 5)

        exports = QHBoxLayout()
        self.export_buttons: dict[str, QPushButton] = {}
        for name, handler in (("export_csv", self._export_csv), ("export_xlsx", self._export_xlsx)):
            button = QPushButton()
            button.setObjectName(name)
            button.clicked.connect(handler)
            exports.addWidget(button)
            self.export_buttons[name] = button
        exports.addStretch(1)
        layout.addLayout(exports)
        self._retranslate()

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(refresh_ms)
        self.refresh()

    # -- language ----------------------------------------------------------------------------
    def toggle_language(self) -> None:
        self.translator.language = "en" if self.translator.language == "zh_CN" else "zh_CN"
        self._retranslate()
        if self.snapshot is not None:
            self._show(self.snapshot, self._error)

    def _retranslate(self) -> None:
        tr = self.translator.tr
        self.setWindowTitle(tr("staff.dashboard.title"))
        self.language_button.setText(tr("common.language"))
        for key, title in self.kpi_titles.items():
            title.setText(tr(f"staff.dashboard.kpi.{key}"))
        self.alerts_table.setHorizontalHeaderLabels([tr(f"staff.alerts.col.{c}") for c in ALERT_COLUMNS])
        for table, columns in ((self.now_table, NOW_COLUMNS), (self.bad_table, BAD_COLUMNS)):
            table.setHorizontalHeaderLabels([tr(f"staff.dashboard.col.{c}") for c in columns])
        self.chart.setTitle(tr("staff.dashboard.chart.title"))
        self.respond.setText(tr("staff.dashboard.respond"))
        self.ack.setText(tr("staff.alerts.ack"))
        self.sign_in.setText(tr("staff.counter.signin.sign_out" if self.staff else "staff.dashboard.sign_in"))
        self.respond.setEnabled(bool(self.staff and self.staff["supervisor"]))
        self.ack.setEnabled(self.staff is not None)
        self.resolve.setText(tr("staff.alerts.resolve"))
        self.resolve.setEnabled(self.staff is not None)
        for name, button in self.export_buttons.items():
            button.setText(tr(f"staff.dashboard.{name}"))
        self.tabs.setTabText(0, tr("staff.dashboard.tab.today"))
        for i, tab in enumerate(self.extra_tabs, start=1):
            tab.retranslate()
            self.tabs.setTabText(i, tab.title())

    # -- figures -----------------------------------------------------------------------------
    def refresh(self) -> None:
        self.pool.start(_Fetch(self.client, self.signals.fetched.emit))
        for tab in self.extra_tabs:
            tab.refresh()

    def _show(self, snapshot: Snapshot | None, error: Exception | None) -> None:
        self._error = error
        if error is not None or snapshot is None:
            self.status.setText(self.translator.tr("staff.dashboard.unreachable", error=type(error).__name__))
            self.status.setStyleSheet("color: #b03a2e; font-weight: bold")
            return
        self.snapshot = snapshot
        self.status.setText("")
        lang = self.translator.language
        open_counters = sum(1 for c in snapshot.counters if not c["paused"])
        paused = len(snapshot.counters) - open_counters
        totals = snapshot.stats.get("totals", {})
        self.kpi["waiting"].setText(str(sum(r["waiting"] for r in snapshot.now)))
        self.kpi["longest"].setText(self.translator.tr("staff.dashboard.minutes", n=snapshot.longest_wait_minutes))
        self.kpi["counters"].setText(f"{open_counters} / {paused}")
        self.kpi["served"].setText(str(totals.get("served", 0)))
        sat, fixed = snapshot.satisfaction, snapshot.rectified_share
        self.kpi["satisfaction"].setText("—" if sat is None else f"{sat:.0%}")
        self.kpi["rectified"].setText("—" if fixed is None else f"{fixed:.0%}")
        fill(self.now_table, [[r["service"], r["waiting"], r["longest_wait_minutes"], r["target_minutes"],
                                r["open_counters"], r["issued"], r["served"], r["wait_mean"],
                                None if r["over_target_share"] is None else f"{r['over_target_share']:.0%}"]
                               for r in snapshot.now])
        fill(self.alerts_table, alert_rows(snapshot.alerts[:50], self.translator.tr, self.translator.has))
        fill(self.bad_table, [[r.get("number"), r.get("service_id"), r.get("counter_id"),
                                level_name(r.get("level"), lang), reason_name(r.get("reason"), lang),
                                (r.get("rectification") or {}).get("response")] for r in snapshot.bad_ratings])
        self._chart(snapshot)

    def _chart(self, snapshot: Snapshot) -> None:
        rows = [r for r in snapshot.now if r["waiting"] or r["issued"]] or snapshot.now[:8]
        tr = self.translator.tr
        self.chart.bars([r["service"][:4] for r in rows],
                        [(tr("staff.dashboard.col.waiting"), [r["waiting"] for r in rows]),
                         (tr("staff.dashboard.col.mean_wait"), [r["wait_mean"] or 0 for r in rows])])

    # -- staff ------------------------------------------------------------------------------
    def _start(self, fn: Callable[[], Any], done: Callable[[Any, Exception | None], None]) -> None:
        self.pool.start(_Job(fn, done, self.signals.answered))

    def _sign_in(self) -> None:
        """Sign out when signed in; otherwise ask for 工号 and password (non-blocking dialog)."""
        tr = self.translator.tr
        if self.staff is not None:
            self.message.setText(tr("staff.counter.signin.signed_out", staff=self.staff["id"]))
            self.staff = None  # refused here at once, whatever the hall answers
            self.staff_label.setText("")
            self._retranslate()
            self._start(self.client.sign_out, lambda result, error: None)
            return
        dialog = self.sign_in_dialog = SignInDialog(self, self.translator, "")
        dialog.setWindowTitle(tr("staff.dashboard.signin_title"))
        dialog.accepted.connect(lambda: self._submit(dialog))
        dialog.open()

    def _submit(self, dialog: SignInDialog) -> None:
        staff_id, password = dialog.staff_edit.text().strip(), dialog.password_edit.text()
        dialog.password_edit.clear()
        if not staff_id or not password:
            self.message.setText(self.translator.tr("staff.counter.enter_staff_id"))
            return
        self._start(lambda: self.client.sign_in(staff_id, password), self._signed)

    def _signed(self, answer: Any, error: Exception | None) -> None:
        tr = self.translator.tr
        if error is None:
            who = self.staff = answer["staff"]
            self.staff_label.setText(f"{who['id']} {who['name']}")
            key = "staff.counter.signed_in" if who["supervisor"] else "staff.dashboard.not_supervisor"
            self.message.setText(tr(key, staff=who["id"]))
        else:
            self._staff_error(error)
        self._retranslate()

    def _staff_error(self, error: Exception) -> None:
        """What a refused sign-in or staff action tells the person at the window."""
        code = getattr(error, "code", None)
        if code in ("session_invalid", "session_required"):  # signed out elsewhere or expired
            self.staff, self.client.staff_session = None, None
            self.staff_label.setText("")
            self.message.setText(self.translator.tr("staff.counter.signin.session_ended"))
        elif code in ("bad_credentials", "account_locked"):
            key = "locked" if code == "account_locked" else "bad_credentials"
            self.message.setText(self.translator.tr(f"staff.counter.signin.{key}"))
        else:
            self.message.setText(self.translator.tr("staff.dashboard.unreachable", error=type(error).__name__))
        self._retranslate()

    def _after_action(self, result: Any, error: Exception | None) -> None:
        if error is not None:
            self._staff_error(error)
        self.refresh()

    def _respond(self) -> None:
        row = self.bad_table.currentRow()
        if self.snapshot is None or row < 0 or row >= len(self.snapshot.bad_ratings) or not self.staff:
            return
        ticket_id = self.snapshot.bad_ratings[row]["ticket_id"]
        dialog = self.rectify_dialog = QInputDialog(self)
        dialog.setObjectName("rectify_dialog")
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setWindowTitle(self.translator.tr("staff.dashboard.rectify_title"))
        dialog.setLabelText(self.translator.tr("staff.dashboard.rectify_label"))

        def send() -> None:
            text = dialog.textValue().strip()
            if text:  # the session's supervisor signs it off: no staff_id is sent
                self._start(lambda: self.client.rectify(ticket_id, text), self._after_action)

        dialog.accepted.connect(send)
        dialog.open()

    def _ack(self) -> None:
        row = self.alerts_table.currentRow()
        if self.snapshot is None or row < 0 or row >= min(50, len(self.snapshot.alerts)) or not self.staff:
            return
        alert_id = self.snapshot.alerts[row]["id"]
        self._start(lambda: self.client.ack_alert(alert_id), self._after_action)

    def _resolve(self) -> None:
        row = self.alerts_table.currentRow()
        if self.snapshot is None or row < 0 or row >= min(50, len(self.snapshot.alerts)) or not self.staff:
            return
        alert_id = self.snapshot.alerts[row]["id"]
        self._start(lambda: self.client.resolve_alert(alert_id), self._after_action)

    def export(self, path: str | Path) -> Path:
        """Write the report of the current figures (CSV or XLSX by the file's suffix), in the
        window's language."""
        path = Path(path)
        snapshot = self.snapshot or collect(self.client)
        lang = self.translator.language
        names = {r["service_id"]: r["service"] for r in snapshot.now}
        data = export_xlsx(snapshot.stats, snapshot.bad_ratings, lang, names) if path.suffix.lower() == ".xlsx" \
            else export_csv(snapshot.stats, lang)
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
