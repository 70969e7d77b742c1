"""The alert list of a counter console: help calls sent to this counter (the 帮办代办 counter
first) and every escalated alert, with 接单 (acknowledge) and 已处理 (resolve) under the signed-in
clerk's 工号. Fetched off the GUI thread on the console's timer (``CounterController._start``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from common.i18n import Translator

log = logging.getLogger(__name__)
COLUMNS = ("at", "kind", "source", "state", "by", "message")
Start = Callable[[Callable[[], Any], Callable[[Any, Exception | None], None]], None]


def alert_rows(alerts: list[dict[str, Any]], tr: Callable[..., str], has: Callable[[str], bool]) -> list[list[str]]:
    """The cells of each alert as staff read them (the dashboard shows the same)."""
    rows = []
    for a in alerts:
        kind = str(a.get("kind") or "")
        kind_key = f"staff.alerts.kind.{kind}"
        by = ""
        if a.get("acked_by"):
            where = a.get("acked_counter_name") or a.get("acked_counter") or ""
            by = tr("staff.alerts.by", staff=a["acked_by"], counter=where, at=str(a.get("acked_at") or "")[11:16])
        rows.append([str(a.get("at") or "")[11:19], tr(kind_key) if has(kind_key) else kind, str(a.get("source") or ""),
                     tr(f"staff.alerts.state.{a.get('state', 'raised')}"), by, str(a.get("message") or "")])
    return rows


class AlertPanel(QWidget):
    """Open alerts of one counter (``counter_id``) and the two steps on the selected one."""

    def __init__(self, client: Any, counter_id: str, translator: Translator, start: Start,
                 signed_in: Callable[[], bool]) -> None:
        super().__init__()
        self.setObjectName("alert_panel")
        self.client, self.counter_id, self.translator = client, counter_id, translator
        self._start, self._signed_in = start, signed_in
        self.alerts: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("alerts_title")
        top.addWidget(self.title)
        self.status = QLabel("")
        self.status.setObjectName("alerts_status")
        top.addWidget(self.status, 1)
        self.ack = QPushButton()
        self.ack.setObjectName("alert_ack")
        self.ack.clicked.connect(lambda: self._act("ack"))
        self.resolve = QPushButton()
        self.resolve.setObjectName("alert_resolve")
        self.resolve.clicked.connect(lambda: self._act("resolve"))
        top.addWidget(self.ack)
        top.addWidget(self.resolve)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("alerts")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(190)
        for column, width in enumerate((90, 100, 110, 170, 230)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table)
        self.retranslate()

    def retranslate(self) -> None:
        tr = self.translator.tr
        waiting = sum(1 for a in self.alerts if a.get("state") in ("raised", "escalated"))
        self.title.setText(tr("staff.alerts.title") + (tr("staff.alerts.waiting", n=waiting) if waiting else ""))
        self.title.setStyleSheet("color: #b03a2e; font-weight: bold" if waiting else "")
        self.ack.setText(tr("staff.alerts.ack"))
        self.resolve.setText(tr("staff.alerts.resolve"))
        self.table.setHorizontalHeaderLabels([tr(f"staff.alerts.col.{c}") for c in COLUMNS])
        self.update_buttons()
        self._fill()

    def update_buttons(self) -> None:
        on = self._signed_in()
        self.ack.setEnabled(on)
        self.resolve.setEnabled(on)

    def refresh(self) -> None:
        self._start(lambda: self.client.open_alerts(self.counter_id), self._fetched)

    def _fetched(self, alerts: Any, error: Exception | None) -> None:
        if error is not None:
            log.info("counter %s: alerts not fetched: %s", self.counter_id, type(error).__name__)
            return
        selected = self.selected()
        self.alerts = list(alerts)
        self.retranslate()
        if selected is not None:
            for row, a in enumerate(self.alerts):
                if a.get("id") == selected.get("id"):
                    self.table.selectRow(row)

    def _fill(self) -> None:
        rows = alert_rows(self.alerts, self.translator.tr, self.translator.has)
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(value))

    def selected(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        return self.alerts[row] if 0 <= row < len(self.alerts) else None

    def _act(self, step: str) -> None:
        """接单 or 已处理 on the selected alert (the first one waiting when none is selected)."""
        alert = self.selected() or next((a for a in self.alerts if a.get("state") in ("raised", "escalated")), None)
        if alert is None or not self._signed_in():
            self.status.setText(self.translator.tr("staff.alerts.select_first"))
            return
        alert_id = int(alert["id"])
        call = self.client.ack_alert if step == "ack" else self.client.resolve_alert
        self._start(lambda: call(alert_id), lambda result, error: self._done(step, alert_id, error))

    def _done(self, step: str, alert_id: int, error: Exception | None) -> None:
        tr = self.translator.tr
        if error is None:
            self.status.setText(tr(f"staff.alerts.done_{step}", id=alert_id))
        else:
            self.status.setText(tr("staff.alerts.refused", reason=str(getattr(error, "message", error))))
        self.refresh()
