"""The dashboard's 整改 page: every 差评 loop still open (not only today's), its callback and
rectification deadlines in working days, overdue rows highlighted; a signed-in supervisor records
the callback (回访), the rectification (整改) and the verification (复核) of the selected row; the
three lists (问题清单 / 需求清单 / 整改清单) of a date range are saved as XLSX or CSV.

A ``DashboardTab`` (ui/dashboard_app.py): fetched off the GUI thread with ``window._start``; the
words come from the catalogues (``staff.cases.*``); what people typed is shown as it is."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from ui.dashboard_app import DashboardWindow

COLUMNS = ("number", "day", "case_no", "counter_id", "staff_id", "callback_due", "callback_at", "rectify_due",
           "rectified_at", "verified_at", "overdue")
ACTIONS = ("callback", "rectified", "verify")
LISTS = ("problems", "needs", "rectification")
OVERDUE = QColor("#f8d7da")


def _when(part: dict[str, Any] | None) -> str | None:
    return None if not part else str(part.get("at") or "")[:16].replace("T", " ")


class RectificationTab(QWidget):
    def __init__(self, window: DashboardWindow) -> None:
        super().__init__()
        self.setObjectName("rectification")
        self.window_ = window
        self.rows: list[dict[str, Any]] = []
        self.note_dialog: QInputDialog | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setObjectName("rect_summary")
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("rectifications")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name in ACTIONS:
            button = QPushButton()
            button.setObjectName(f"rect_{name}")
            button.clicked.connect(lambda _=False, n=name: self.act(n))
            actions.addWidget(button)
            self.buttons[name] = button
        actions.addStretch(1)
        self.list_choice = QComboBox()
        self.list_choice.setObjectName("list_choice")
        today = date.today()
        self.list_from = QDateEdit(QDate(today.year, today.month, 1))
        self.list_from.setObjectName("list_from")
        self.list_to = QDateEdit(QDate(today.year, today.month, today.day))
        self.list_to.setObjectName("list_to")
        for edit in (self.list_from, self.list_to):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
        actions.addWidget(self.list_choice)
        actions.addWidget(self.list_from)
        actions.addWidget(self.list_to)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt in ("xlsx", "csv"):
            button = QPushButton()
            button.setObjectName(f"list_{fmt}")
            button.clicked.connect(lambda _=False, f=fmt: self._save(f))
            actions.addWidget(button)
            self.export_buttons[fmt] = button
        layout.addLayout(actions)
        self.message = QLabel("")
        self.message.setObjectName("rect_message")
        layout.addWidget(self.message)

    # -- DashboardTab ---------------------------------------------------------------------------
    def title(self) -> str:
        return self.window_.translator.tr("staff.cases.tab")

    def retranslate(self) -> None:
        tr = self.window_.translator.tr
        self.table.setHorizontalHeaderLabels([tr(f"staff.cases.col.{c}") for c in COLUMNS])
        staff = self.window_.staff
        for name, button in self.buttons.items():
            button.setText(tr(f"staff.cases.action.{name}"))
            button.setEnabled(bool(staff and staff.get("supervisor")))
        picked = max(0, self.list_choice.currentIndex())
        self.list_choice.clear()
        self.list_choice.addItems([tr(f"staff.cases.list.{w}") for w in LISTS])
        self.list_choice.setCurrentIndex(picked)
        for fmt, button in self.export_buttons.items():
            button.setText(tr(f"staff.cases.export_{fmt}"))
        self._fill()

    def refresh(self) -> None:
        self.window_._start(self.window_.client.rectifications, self._fetched)

    # -- the list -------------------------------------------------------------------------------
    def _fetched(self, rows: Any, error: Exception | None) -> None:
        if error is not None:
            self.message.setText(self.window_.translator.tr("staff.dashboard.unreachable", error=type(error).__name__))
            return
        self.rows = list(rows or [])
        self._fill()

    def _fill(self) -> None:
        tr = self.window_.translator.tr
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = [row.get("number"), row.get("day"), row.get("case_no"), row.get("counter_id"),
                      row.get("staff_id"), row.get("callback_due"), _when(row.get("callback")),
                      row.get("rectify_due"), _when(row.get("rectification")), _when(row.get("verified")),
                      tr("staff.cases.overdue_yes") if row.get("overdue") else ""]
            for c, value in enumerate(values):
                item = QTableWidgetItem("—" if value is None else str(value))
                if row.get("overdue"):
                    item.setBackground(QBrush(OVERDUE))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        late = sum(1 for row in self.rows if row.get("overdue"))
        self.summary.setText(tr("staff.cases.summary", open=len(self.rows), overdue=late))

    def overdue_rows(self) -> list[int]:
        """The rows shown highlighted (what the supervisor sees first)."""
        rows = []
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.background().color() == OVERDUE:
                rows.append(r)
        return rows

    # -- a supervisor's actions -------------------------------------------------------------------
    def act(self, action: str) -> None:
        row = self.table.currentRow()
        staff = self.window_.staff
        if row < 0 or row >= len(self.rows) or not (staff and staff.get("supervisor")):
            self.message.setText(self.window_.translator.tr("staff.cases.pick_row"))
            return
        ticket_id = self.rows[row]["ticket_id"]
        tr = self.window_.translator.tr
        dialog = self.note_dialog = QInputDialog(self)
        dialog.setObjectName("note_dialog")
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setWindowTitle(tr(f"staff.cases.action.{action}"))
        dialog.setLabelText(tr(f"staff.cases.note.{action}"))
        client = self.window_.client
        calls = {"callback": client.callback_done, "rectified": client.rectify, "verify": client.verify_rectification}

        def send() -> None:
            text = dialog.textValue().strip()
            if text:  # the session's supervisor signs it: no staff_id is sent
                self.window_._start(lambda: calls[action](ticket_id, text), self._acted)

        dialog.accepted.connect(send)
        dialog.open()

    def _acted(self, result: Any, error: Exception | None) -> None:
        tr = self.window_.translator.tr
        if error is not None:
            code = str(getattr(error, "code", "") or "")
            key = f"staff.code.{code}"
            why = tr(key) if code and self.window_.translator.has(key) else str(getattr(error, "message", error))
            self.message.setText(tr("staff.counter.refused", reason=why))
        else:
            self.message.setText(tr("staff.cases.saved"))
        self.refresh()

    # -- the three lists ------------------------------------------------------------------------
    def export(self, which: str, fmt: str, path: str | Path) -> Path:
        """Save one list of the chosen days (the hall service builds the file) in the window's language."""
        path = Path(path)
        data = self.window_.client.rectification_list(
            which, fmt, self.list_from.date().toString("yyyy-MM-dd"), self.list_to.date().toString("yyyy-MM-dd"),
            self.window_.translator.language)
        path.write_bytes(data)
        return path

    def _save(self, fmt: str) -> None:
        which = LISTS[max(0, self.list_choice.currentIndex())]
        name, _ = QFileDialog.getSaveFileName(self, fmt.upper(), f"{which}.{fmt}", f"{fmt.upper()} (*.{fmt})")
        if name:
            try:
                self.export(which, fmt, name)
            except Exception as exc:  # the hall unreachable or refusing: said on the page
                self._acted(None, exc)
                return
            self.message.setText(self.window_.translator.tr("staff.cases.exported", path=name))
