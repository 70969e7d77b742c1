"""The dashboard's 显示屏公告 page: notices for the hall display, posted and scheduled by the
signed-in member of staff (Chinese text, English text, start and end in the hall's own time),
listed with their state (showing / scheduled) and withdrawn early. The hall service stores them
and the displays show them between start and end (queueing/notices.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from ui.dashboard_app import DashboardWindow

COLUMNS = ("text_zh", "text_en", "starts_at", "ends_at", "posted_by", "status")
_FORMAT = "yyyy-MM-dd HH:mm"


def _qt(value: datetime) -> QDateTime:
    """A wall-clock time of the hall as the editor shows it (no zone: the hall's)."""
    return QDateTime.fromString(value.strftime("%Y-%m-%d %H:%M"), _FORMAT)


class NoticesTab(QWidget):
    def __init__(self, window: DashboardWindow) -> None:
        super().__init__()
        self.setObjectName("notices")
        self.window_ = window
        self.notices: list[dict[str, Any]] = []
        self._defaults_set = False
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.text_zh = QLineEdit()
        self.text_zh.setObjectName("notice_zh")
        self.text_zh.setMaxLength(200)
        self.text_en = QLineEdit()
        self.text_en.setObjectName("notice_en")
        self.text_en.setMaxLength(300)
        self.starts = QDateTimeEdit()
        self.starts.setObjectName("notice_starts")
        self.ends = QDateTimeEdit()
        self.ends.setObjectName("notice_ends")
        for edit in (self.starts, self.ends):
            edit.setDisplayFormat(_FORMAT)
            edit.setCalendarPopup(True)
        self.labels = [QLabel() for _ in range(4)]
        for label, field in zip(self.labels, (self.text_zh, self.text_en, self.starts, self.ends), strict=True):
            form.addRow(label, field)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.post = QPushButton()
        self.post.setObjectName("notice_post")
        self.post.clicked.connect(self._post)
        self.withdraw = QPushButton()
        self.withdraw.setObjectName("notice_withdraw")
        self.withdraw.clicked.connect(self._withdraw)
        self.message = QLabel("")
        self.message.setObjectName("notice_message")
        buttons.addWidget(self.post)
        buttons.addWidget(self.withdraw)
        buttons.addWidget(self.message, 1)
        layout.addLayout(buttons)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("notices_table")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for column, width in enumerate((520, 440, 150, 150, 100)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)

    # -- DashboardTab -------------------------------------------------------------------------
    def title(self) -> str:
        return self.window_.translator.tr("staff.notices.tab")

    def retranslate(self) -> None:
        tr = self.window_.translator.tr
        for label, key in zip(self.labels, ("text_zh", "text_en", "starts_at", "ends_at"), strict=True):
            label.setText(tr(f"staff.notices.{key}"))
        self.post.setText(tr("staff.notices.post"))
        self.withdraw.setText(tr("staff.notices.withdraw"))
        signed_in = self.window_.staff is not None
        self.post.setEnabled(signed_in)
        self.withdraw.setEnabled(signed_in)
        self.table.setHorizontalHeaderLabels([tr(f"staff.notices.col.{c}") for c in COLUMNS])
        self._fill()

    def refresh(self) -> None:
        self.window_._start(self.window_.client.notices, self._fetched)

    # -- work ---------------------------------------------------------------------------------
    def _fetched(self, answer: Any, error: Exception | None) -> None:
        if error is not None or not isinstance(answer, dict):
            return
        self.notices = list(answer.get("notices", []))
        if not self._defaults_set and answer.get("now"):
            now = datetime.fromisoformat(answer["now"]).replace(second=0, microsecond=0, tzinfo=None)
            self.starts.setDateTime(_qt(now))
            self.ends.setDateTime(_qt(now + timedelta(hours=4)))
            self._defaults_set = True
        self._fill()

    def _fill(self) -> None:
        tr = self.window_.translator.tr
        self.table.setRowCount(len(self.notices))
        for r, n in enumerate(self.notices):
            status = tr("staff.notices.status.active" if n.get("active") else "staff.notices.status.scheduled")
            cells = [n.get("text_zh"), n.get("text_en"), str(n.get("starts_at") or "")[:16].replace("T", " "),
                     str(n.get("ends_at") or "")[:16].replace("T", " "), n.get("posted_by") or "", status]
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(str(value or "")))

    def _post(self) -> None:
        tr = self.window_.translator.tr
        if self.window_.staff is None:
            self.message.setText(tr("staff.notices.sign_in_first"))
            return
        text_zh, text_en = self.text_zh.text().strip(), self.text_en.text().strip()
        if not text_zh:
            self.message.setText(tr("staff.notices.need_text"))
            return
        # the hall's wall clock, sent without an offset: the hall service reads it in its own zone
        starts = self.starts.dateTime().toString("yyyy-MM-ddTHH:mm:00")
        ends = self.ends.dateTime().toString("yyyy-MM-ddTHH:mm:00")
        client = self.window_.client
        self.window_._start(lambda: client.post_notice(text_zh, text_en, ends_at=ends, starts_at=starts),
                            lambda result, error: self._done("posted", error))

    def _withdraw(self) -> None:
        row = self.table.currentRow()
        if self.window_.staff is None or not 0 <= row < len(self.notices):
            self.message.setText(self.window_.translator.tr("staff.notices.sign_in_first"))
            return
        notice_id = int(self.notices[row]["id"])
        client = self.window_.client
        self.window_._start(lambda: client.withdraw_notice(notice_id),
                            lambda result, error: self._done("withdrawn", error))

    def _done(self, what: str, error: Exception | None) -> None:
        tr = self.window_.translator.tr
        if error is None:
            self.message.setText(tr(f"staff.notices.{what}"))
            if what == "posted":
                self.text_zh.clear()
                self.text_en.clear()
        elif getattr(error, "code", None) in ("session_invalid", "session_required"):
            self.window_._staff_error(error)
        else:
            self.message.setText(tr("staff.notices.refused", reason=str(getattr(error, "message", error))))
        self.refresh()
