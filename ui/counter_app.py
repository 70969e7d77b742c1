"""The counter console: a member of staff signs in to a counter and runs it with one tap (or one
key) per operation — call next, recall, start, finish, no-show, put back, transfer, call a chosen
ticket, pause/resume — and sees who is waiting for this counter's services and today's counts.

Every operation runs off the GUI thread against the hall service; while the service cannot be
reached the console says so and refuses operations instead of pretending they happened.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import strings
from queueing.client import HallClient
from queueing.codes import Outcome

log = logging.getLogger(__name__)

# (operation, label, shortcut) — the order of the buttons on screen
OPERATIONS = (
    ("call_next", "叫号 Call next", "F1"),
    ("recall", "重呼 Recall", "F2"),
    ("start", "开始办理 Start", "F3"),
    ("finish", "办结 Finish", "F4"),
    ("no_show", "过号 No-show", "F5"),
    ("put_back", "过号重排 Put back", "F6"),
    ("transfer", "转办 Transfer", "F7"),
    ("call_ticket", "选号呼叫 Call chosen", "F8"),
    ("pause", "暂停 Pause", "F9"),
    ("resume", "恢复 Resume", "F10"),
)

def outcome_label(outcome: Outcome) -> str:
    """What staff read for an outcome: Chinese, then English, from the string tables."""
    key = f"counter.outcome.{outcome}"
    return f"{strings('zh_CN')[key]} — {strings('en')[key]}"


# Every outcome the hall records, in the engine's order (办结 first): nothing spelt here.
OUTCOMES: tuple[tuple[Outcome, str], ...] = tuple((o, outcome_label(o)) for o in Outcome)
PAUSE_REASONS = ("午休 Lunch", "业务咨询 Consultation", "系统故障 System fault", "临时离开 Away", "其他 Other")


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], done: Callable[[Any, Exception | None], None]) -> None:
        super().__init__()
        self.fn, self.done = fn, done

    def run(self) -> None:
        try:
            result, error = self.fn(), None
        except Exception as exc:
            result, error = None, exc
        self.done(result, error)


class CounterController(QObject):
    """Runs hall-service calls for one counter on a thread pool; results come back as signals."""

    finished = Signal(str, object, object)  # operation, result, error
    refreshed = Signal(object, object)  # snapshot dict, error

    def __init__(self, client: HallClient, counter_id: str) -> None:
        super().__init__()
        self.client = client
        self.counter_id = counter_id
        self.staff_id: str | None = None
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self.busy = False
        self.online = True

    def run(self, operation: str, **kwargs: Any) -> bool:
        """Start an operation; False when refused (offline, not signed in, or one still running)."""
        if self.busy or self.staff_id is None:
            return False
        self.busy = True
        method = getattr(self.client, operation)

        def call() -> Any:
            return method(self.counter_id, staff_id=self.staff_id, **kwargs)

        def done(result: Any, error: Exception | None) -> None:
            self.busy = False
            self.online = getattr(error, "status", None) != 0
            self.finished.emit(operation, result, error)

        self.pool.start(_Job(call, done))
        return True

    def refresh(self) -> None:
        def snapshot() -> dict[str, Any]:
            counters = {c["id"]: c for c in self.client.counters()["counters"]}
            mine = counters.get(self.counter_id)
            if mine is None:
                raise LookupError(f"counter {self.counter_id} is not in this hall")
            waiting = [t for sid in mine["services"] for t in self.client.waiting(sid, limit=50)]
            services = {s["id"]: s for s in self.client.services()["services"]}
            return {"counter": mine, "waiting": waiting, "services": services,
                    "stats": self.client.stats().get("by_counter", {}).get(self.counter_id, {})}

        def done(result: Any, error: Exception | None) -> None:
            self.online = error is None or getattr(error, "status", None) != 0
            self.refreshed.emit(result, error)

        self.pool.start(_Job(snapshot, done))


class CounterWindow(QMainWindow):
    def __init__(self, controller: CounterController, *, font_family: str = "Noto Sans CJK SC") -> None:
        super().__init__()
        self.controller = controller
        self.services: dict[str, dict[str, Any]] = {}  # this counter's services
        self.hall_services: dict[str, dict[str, Any]] = {}  # every service of the hall (转办 targets)
        self.waiting: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.setWindowTitle(f"窗口工作台 Counter console — {controller.counter_id}")
        self.setFont(QFont(font_family, 12))
        self.resize(1280, 800)
        root = QWidget()
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)

        top = QHBoxLayout()
        self.counter_label = QLabel(controller.counter_id)
        self.counter_label.setFont(QFont(font_family, 20, QFont.Weight.Bold))
        self.staff_edit = QLineEdit()
        self.staff_edit.setPlaceholderText("工号 Staff ID")
        self.staff_edit.setObjectName("staff")
        self.sign_in = QPushButton("签到 Sign in")
        self.sign_in.setObjectName("sign_in")
        self.sign_in.clicked.connect(self._sign_in)
        self.link = QLabel()
        self.link.setObjectName("link")
        for widget in (self.counter_label, self.staff_edit, self.sign_in, self.link):
            top.addWidget(widget)
        top.addStretch(1)
        layout.addLayout(top)

        self.now_label = QLabel("—")
        self.now_label.setObjectName("current")
        self.now_label.setFont(QFont(font_family, 48, QFont.Weight.Bold))
        self.now_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.now_detail = QLabel("")
        self.now_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.now_label)
        layout.addWidget(self.now_detail)

        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, (operation, label, key) in enumerate(OPERATIONS):
            button = QPushButton(f"{label}\n[{key}]")
            button.setObjectName(operation)
            button.setMinimumHeight(72)
            button.clicked.connect(lambda _=False, op=operation: self.operate(op))
            QShortcut(QKeySequence(key), self).activated.connect(functools.partial(self.operate, operation))
            grid.addWidget(button, i // 5, i % 5)
            self.buttons[operation] = button
        layout.addLayout(grid)

        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("waiting")
        self.table.setHorizontalHeaderLabels(["号码 No.", "事项 Service", "类别 Priority", "已等 Waited (min)"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        self.counts = QLabel("")
        self.counts.setObjectName("counts")
        layout.addWidget(self.counts)

        controller.finished.connect(self._done)
        controller.refreshed.connect(self._refreshed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(controller.refresh)
        self.timer.start(3000)
        controller.refresh()
        self._update_buttons()

    # -- operations --------------------------------------------------------------------------
    def _sign_in(self) -> None:
        staff = self.staff_edit.text().strip()
        if not staff:
            self.message.setText("请输入工号 Enter your staff ID")
            return
        self.controller.staff_id = staff
        self.message.setText(f"{staff} 已签到 signed in")
        self._update_buttons()

    def operate(self, operation: str) -> None:
        kwargs: dict[str, Any] = {}
        if operation == "finish":
            picked = self._pick("办结结果 Outcome", [label for _, label in OUTCOMES])
            if picked is None:
                return
            kwargs["outcome"] = OUTCOMES[picked][0]
        elif operation == "transfer":
            targets = self.transfer_targets()
            picked = self._pick("转办到 Transfer to", [f"{sid} {s['name']}" for sid, s in targets])
            if picked is None:
                return
            kwargs["service_id"] = targets[picked][0]
        elif operation == "call_ticket":
            row = self.table.currentRow()
            if row < 0 or row >= len(self.waiting):
                self.message.setText("请先在下方列表选择一个号 Select a ticket below first")
                return
            reason, ok = QInputDialog.getText(self, "选号呼叫原因 Reason", "原因 Reason:")
            if not ok or not reason.strip():
                return
            kwargs.update(ticket_id=self.waiting[row]["id"], reason=reason.strip())
        elif operation == "pause":
            picked = self._pick("暂停原因 Pause reason", list(PAUSE_REASONS))
            if picked is None:
                return
            kwargs["reason"] = PAUSE_REASONS[picked]
        if not self.controller.online:
            self.message.setText("与叫号服务的连接中断：操作未执行 Not connected — nothing was done")
            return
        if not self.controller.run(operation, **kwargs):
            self.message.setText("请先签到 Sign in first" if self.controller.staff_id is None
                                 else "上一个操作还在进行 Previous operation still running")

    def transfer_targets(self) -> list[tuple[str, dict[str, Any]]]:
        """Any service of the hall but the current ticket's own (转办 crosses zones: 公安, 帮办代办)."""
        own = (self.current or {}).get("service_id")
        return [(sid, s) for sid, s in self.hall_services.items() if sid != own]

    def _pick(self, title: str, options: list[str]) -> int | None:
        """The index of the option chosen, or None when cancelled."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        form = QFormLayout(dialog)
        combo = QComboBox()
        combo.addItems(options)
        form.addRow(title, combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        return combo.currentIndex() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _done(self, operation: str, result: Any, error: Exception | None) -> None:
        if error is not None:
            if getattr(error, "status", None) == 0:
                self.message.setText("与叫号服务的连接中断：操作未执行 Not connected — nothing was done")
            else:
                self.message.setText(f"未执行 Refused: {getattr(error, 'message', error)}")
        elif operation == "call_next" and result is None:
            self.message.setText("当前没有等候的群众 Nobody is waiting")
        else:
            ticket = (result or {}).get("ticket") if isinstance(result, dict) else None
            number = ticket.get("number", "") if ticket else ""
            self.message.setText(f"{dict((o, lbl) for o, lbl, _ in OPERATIONS)[operation]} ✓ {number}")
        self.controller.refresh()

    def _refreshed(self, snapshot: Any, error: Exception | None) -> None:
        if error is not None:
            self.link.setText("● 连接中断 Disconnected")
            self.link.setStyleSheet("color: #b03a2e; font-weight: bold")
            self._update_buttons()
            return
        self.link.setText("● 已连接 Connected")
        self.link.setStyleSheet("color: #1f8f4e")
        counter = snapshot["counter"]
        self.hall_services = dict(snapshot["services"])
        self.services = {sid: self.hall_services[sid] for sid in counter["services"] if sid in self.hall_services}
        paused = f"（暂停 paused：{counter['pause_reason']}）" if counter["paused"] else ""
        self.counter_label.setText(counter["name"] + paused)
        self.current = counter.get("current")
        if self.current:
            self.now_label.setText(self.current["number"])
            self.now_detail.setText(f"{self.services.get(self.current['service_id'], {}).get('name', '')} · "
                                    f"{self.current['status']}")
        else:
            self.now_label.setText("—")
            self.now_detail.setText("")
        self.waiting = sorted(snapshot["waiting"], key=lambda t: t.get("issued_at", ""))
        self.table.setRowCount(len(self.waiting))
        now = time.time()
        for row, t in enumerate(self.waiting):
            waited = _minutes_since(t.get("issued_at", ""), now)
            values = [t["number"], self.services.get(t["service_id"], {}).get("name", t["service_id"]),
                      t.get("priority", ""), str(waited)]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        stats = snapshot.get("stats") or {}
        self.counts.setText(f"今日 Today: 已办 served {stats.get('served', 0)} · 过号 no-show "
                            f"{stats.get('no_shows', 0)} · 平均办理 avg service "
                            f"{(stats.get('service_minutes') or {}).get('mean') or '—'} min")
        self._update_buttons()

    def _update_buttons(self) -> None:
        signed_in = self.controller.staff_id is not None
        for button in self.buttons.values():
            button.setEnabled(signed_in and self.controller.online)


def _minutes_since(iso: str, now: float) -> int:
    from datetime import datetime

    try:
        return max(0, int((now - datetime.fromisoformat(iso).timestamp()) // 60))
    except ValueError:
        return 0
