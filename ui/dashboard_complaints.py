"""The dashboard's 投诉 page (吐槽找茬): today's complaints and suggestions from the kiosks with
their numbers, what the citizen wrote, and their handling — assign (to a 工号 or a counter),
reply (what the citizen reads at the kiosk's 进度查询 and on the slip's phone page), close —
each by the member of staff signed in on the window, under their own 工号 (the hall's
``/api/v1/complaints`` routes, queueing/api_complaints.py). The day's 投诉办结率 is above the table.

The citizen's text is shown as typed: it is what they wrote to the hall."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ui.tables import fill, read_only_table

if TYPE_CHECKING:
    from ui.dashboard_app import DashboardWindow

COLUMNS = ("number", "received_at", "topic", "text", "state", "assigned_to", "reply")
ACTIONS = ("assign", "reply", "close")


class ComplaintsTab(QWidget):
    def __init__(self, window: DashboardWindow) -> None:
        super().__init__()
        self.setObjectName("complaints")
        self.window_ = window
        self.rows: list[dict[str, Any]] = []
        self.closure: dict[str, Any] = {}
        self.dialog: QInputDialog | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setObjectName("complaints_summary")
        layout.addWidget(self.summary)
        self.table: QTableWidget = read_only_table(COLUMNS, "complaints_table")
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for action in ACTIONS:
            button = QPushButton()
            button.setObjectName(f"complaint_{action}")
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            buttons.addWidget(button)
            self.buttons[action] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def title(self) -> str:
        return self.window_.translator.tr("staff.complaints.tab")

    def retranslate(self) -> None:
        tr = self.window_.translator.tr
        self.table.setHorizontalHeaderLabels([tr(f"staff.complaints.col.{c}") for c in COLUMNS])
        for action, button in self.buttons.items():
            button.setText(tr(f"staff.complaints.{action}"))
            button.setEnabled(self.window_.staff is not None)  # handled under a signed-in 工号
        self._show()

    def refresh(self) -> None:
        self.window_._start(self.window_.client.complaints, self._fetched)

    def _fetched(self, answer: Any, error: Exception | None) -> None:
        if error is not None:
            self.summary.setText(self.window_.translator.tr("staff.dashboard.unreachable", error=type(error).__name__))
            return
        self.rows, self.closure = list(answer["complaints"]), dict(answer["closure"])
        self._show()

    def _show(self) -> None:
        tr = self.window_.translator.tr
        rate = self.closure.get("rate")
        self.summary.setText(tr("staff.complaints.summary", received=self.closure.get("received", 0),
                                closed=self.closure.get("closed", 0),
                                rate="—" if rate is None else f"{rate:.0%}"))
        fill(self.table, [[r["number"], str(r.get("received_at") or "")[11:16],
                            tr(f"complaint.topic.{r['topic']}"), r.get("text"),
                            tr(f"complaint.state.{r['state']}"), r.get("assigned_to"), r.get("reply")]
                           for r in self.rows])

    def act(self, action: str) -> None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows) or self.window_.staff is None:
            return
        number = self.rows[row]["number"]
        client = self.window_.client
        if action == "close":
            self.window_._start(lambda: client.complaint_action(number, "close"), self._after)
            return
        tr = self.window_.translator.tr
        dialog = self.dialog = QInputDialog(self)
        dialog.setObjectName(f"complaint_{action}_dialog")
        if action == "reply":
            dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setWindowTitle(tr(f"staff.complaints.{action}_title", number=number))
        dialog.setLabelText(tr(f"staff.complaints.{action}_label"))

        def send() -> None:
            text = dialog.textValue().strip()
            if not text:
                return
            body = {"to": text} if action == "assign" else {"text": text}
            self.window_._start(lambda: client.complaint_action(number, action, **body), self._after)

        dialog.accepted.connect(send)
        dialog.open()

    def _after(self, result: Any, error: Exception | None) -> None:
        if error is not None:
            code = str(getattr(error, "code", "") or "")
            key = f"staff.code.{code}"
            if self.window_.translator.has(key):
                self.window_.message.setText(self.window_.translator.tr(key))
            else:
                self.window_._staff_error(error)
        else:
            self.window_.message.setText(self.window_.translator.tr("staff.complaints.done", number=result["number"]))
        self.refresh()
