"""The counter console: a member of staff signs in to a counter (工号 + password or PIN: a staff
session of the hall service, the staff of every operation) and runs it with one tap (or one
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

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, SignalInstance
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent, QKeySequence, QShortcut
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

from common.i18n import Translator
from queueing.client import HallClient
from queueing.codes import Outcome
from ui.counter_alerts import AlertPanel

log = logging.getLogger(__name__)

# (operation, shortcut) — the order of the buttons on screen; labels are staff.counter.op.<operation>
SIGN_IN_KEY = "F12"
OPERATIONS = (
    ("call_next", "F1"),
    ("recall", "F2"),
    ("start", "F3"),
    ("finish", "F4"),
    ("no_show", "F5"),
    ("put_back", "F6"),
    ("transfer", "F7"),
    ("call_ticket", "F8"),
    ("pause", "F9"),
    ("resume", "F10"),
)

# Every outcome the hall records, in the engine's order (办结 first): labels counter.outcome.<outcome>.
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
# Pause reasons offered, as codes: the hall stores the code and every screen translates it
# (staff.counter.pause.<code>); a reason typed elsewhere is shown as it is.
PAUSE_REASONS = ("lunch", "consultation", "fault", "away", "other")


class _Job(QRunnable):
    """One hall-service call on the pool; its answer goes back through a signal, so ``done`` runs on
    the GUI thread (the controller's state and the window change together, never half-way)."""

    def __init__(self, fn: Callable[[], Any], done: Callable[[Any, Exception | None], None],
                 answered: SignalInstance) -> None:
        super().__init__()
        self.fn, self.done, self.answered = fn, done, answered

    def run(self) -> None:
        try:
            result, error = self.fn(), None
        except Exception as exc:
            result, error = None, exc
        try:
            self.answered.emit(self.done, result, error)
        except RuntimeError:   # the console closed while the hall was answering: nobody to tell
            log.debug("counter answer after the window closed")


class CounterController(QObject):
    """Runs hall-service calls for one counter on a thread pool; results come back as signals."""

    finished = Signal(str, object, object)  # operation, result, error
    refreshed = Signal(object, object)  # snapshot dict, error
    signed = Signal(object, object)  # sign-in answer (None after a sign-out), error
    _answered = Signal(object, object, object)  # a job's done callback, result, error (to the GUI thread)

    def __init__(self, client: HallClient, counter_id: str) -> None:
        super().__init__()
        self.client = client
        self.counter_id = counter_id
        self.staff_id: str | None = None  # the signed-in staff, from the hall's answer
        self.supervisor = False  # the signed-in staff is a supervisor (signs off 不予受理 by being here)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self.busy = False
        self.online = True
        self._answered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _deliver(done: Callable[[Any, Exception | None], None], result: Any, error: Exception | None) -> None:
        done(result, error)

    def _start(self, fn: Callable[[], Any], done: Callable[[Any, Exception | None], None]) -> None:
        self.pool.start(_Job(fn, done, self._answered))

    def run(self, operation: str, **kwargs: Any) -> bool:
        """Start an operation; False when refused (offline, not signed in, or one still running)."""
        if self.busy or self.staff_id is None:
            return False
        self.busy = True
        method = getattr(self.client, operation)

        def call() -> Any:  # the session carries the staff: no staff_id is sent
            return method(self.counter_id, **kwargs)

        def done(result: Any, error: Exception | None) -> None:
            self.busy = False
            self.online = getattr(error, "status", None) != 0
            if getattr(error, "code", None) in ("session_invalid", "session_required"):
                self.staff_id, self.client.staff_session = None, None  # signed out elsewhere or expired
            self.finished.emit(operation, result, error)

        self._start(call, done)
        return True

    def sign_in(self, staff_id: str, password: str) -> None:
        def done(result: Any, error: Exception | None) -> None:
            if error is None:
                self.staff_id = result["staff"]["id"]
                self.supervisor = bool(result["staff"].get("supervisor"))
            self.signed.emit(result, error)

        self._start(lambda: self.client.sign_in(staff_id, password, self.counter_id), done)

    def sign_out(self) -> None:
        def done(result: Any, error: Exception | None) -> None:
            self.signed.emit(None, error)

        self.staff_id, self.supervisor = None, False  # refused at once here, whatever the hall answers
        self._start(self.client.sign_out, done)

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

        self._start(snapshot, done)


class SignInDialog(QDialog):
    """工号 and password (or PIN, hidden as typed); Enter in either field signs in."""

    def __init__(self, parent: QWidget, translator: Translator, counter_id: str) -> None:
        super().__init__(parent)
        self.setObjectName("sign_in_dialog")
        self.setWindowTitle(translator.tr("staff.counter.signin.title", counter=counter_id))
        form = QFormLayout(self)
        self.staff_edit = QLineEdit()
        self.staff_edit.setObjectName("staff")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(translator.tr("staff.counter.staff_id"), self.staff_edit)
        form.addRow(translator.tr("staff.counter.signin.password"), self.password_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.staff_edit.returnPressed.connect(self.password_edit.setFocus)
        self.password_edit.returnPressed.connect(self.accept)
        form.addRow(buttons)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter is the fields' own (工号 → password → sign in): a line edit passes it on, and the
        dialog would press its default OK as well, signing in with no password after the 工号."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)


class RejectDialog(QDialog):
    """不予受理 (窗口无否决权): why, and the supervisor who signs it off (工号 + PIN, hidden as typed);
    a supervisor signed in at the console signs it off by being signed in."""

    def __init__(self, parent: QWidget, translator: Translator, supervisor_here: bool) -> None:
        super().__init__(parent)
        self.setObjectName("reject_dialog")
        self.setWindowTitle(translator.tr("staff.counter.reject.title"))
        form = QFormLayout(self)
        note = QLabel(translator.tr("staff.counter.reject.self" if supervisor_here else "staff.counter.reject.why"))
        note.setWordWrap(True)
        form.addRow(note)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reject_reason")
        self.supervisor_edit = QLineEdit()
        self.supervisor_edit.setObjectName("supervisor_id")
        self.pin_edit = QLineEdit()
        self.pin_edit.setObjectName("supervisor_pin")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(translator.tr("staff.counter.reject.reason"), self.reason_edit)
        if not supervisor_here:
            form.addRow(translator.tr("staff.counter.reject.supervisor"), self.supervisor_edit)
            form.addRow(translator.tr("staff.counter.reject.pin"), self.pin_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class CounterWindow(QMainWindow):
    """The console; ``language`` is the configured ``kiosk.language``, switchable on the window."""

    def __init__(self, controller: CounterController, *, font_family: str = "Noto Sans CJK SC",
                 language: str = "zh_CN") -> None:
        super().__init__()
        self.controller = controller
        self.translator = Translator(language)
        self.services: dict[str, dict[str, Any]] = {}  # this counter's services
        self.hall_services: dict[str, dict[str, Any]] = {}  # every service of the hall (转办 targets)
        self.waiting: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.setFont(QFont(font_family, 12))
        self.resize(1280, 800)
        root = QWidget()
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)

        top = QHBoxLayout()
        self.counter_label = QLabel(controller.counter_id)
        self.counter_label.setFont(QFont(font_family, 20, QFont.Weight.Bold))
        self.staff_label = QLabel("")
        self.staff_label.setObjectName("staff")
        self.sign_in = QPushButton()
        self.sign_in.setObjectName("sign_in")
        self.sign_in.clicked.connect(self._sign_in)
        # a console worked from the keyboard alone: F12 signs in (or out), like F1…F10 operate
        QShortcut(QKeySequence(SIGN_IN_KEY), self).activated.connect(self._sign_in)
        self.sign_in_dialog: SignInDialog | None = None
        self.reject_dialog: RejectDialog | None = None
        self.link = QLabel()
        self.link.setObjectName("link")
        for widget in (self.counter_label, self.staff_label, self.sign_in, self.link):
            top.addWidget(widget)
        top.addStretch(1)
        # Named in the other language (中文 / English), as language switches are everywhere.
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.clicked.connect(self.toggle_language)
        top.addWidget(self.language_button)
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
        for i, (operation, key) in enumerate(OPERATIONS):
            button = QPushButton()
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
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        self.counts = QLabel("")
        self.counts.setObjectName("counts")
        layout.addWidget(self.counts)
        # help calls for this counter and escalated alerts: 接单 / 已处理 (ui/counter_alerts.py)
        self.alerts = AlertPanel(controller.client, controller.counter_id, self.translator, controller._start,
                                 lambda: self.controller.staff_id is not None)
        layout.addWidget(self.alerts)

        self._retranslate()
        controller.finished.connect(self._done)
        controller.refreshed.connect(self._refreshed)
        controller.signed.connect(self._signed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(controller.refresh)
        self.timer.timeout.connect(self.alerts.refresh)
        self.timer.start(3000)
        controller.refresh()
        self.alerts.refresh()
        self._update_buttons()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the console stops its refreshes and lets the calls already on their way end
        (each bounded by the client's timeout) before the window goes, not answer into it later."""
        self.timer.stop()
        self.controller.pool.clear()
        self.controller.pool.waitForDone(int(self.controller.client.timeout * 1000) + 1000)
        super().closeEvent(event)

    # -- language ----------------------------------------------------------------------------
    def toggle_language(self) -> None:
        self.translator.language = "en" if self.translator.language == "zh_CN" else "zh_CN"
        self._retranslate()
        self.message.setText("")
        self.controller.refresh()  # the data's words (status, priority, counts) come back translated

    def _retranslate(self) -> None:
        self.setWindowTitle(self.translator.tr("staff.counter.title", counter=self.controller.counter_id))
        signed_in = self.controller.staff_id is not None
        sign_key = "staff.counter.signin.sign_out" if signed_in else "staff.counter.sign_in"
        self.sign_in.setText(self.translator.tr(sign_key))
        self.language_button.setText(self.translator.tr("common.language"))
        for operation, key in OPERATIONS:
            self.buttons[operation].setText(f"{self.translator.tr(f'staff.counter.op.{operation}')}\n[{key}]")
        self.table.setHorizontalHeaderLabels([self.translator.tr(f"staff.counter.col.{c}")
                                              for c in ("number", "service", "priority", "waited")])
        if hasattr(self, "alerts"):
            self.alerts.retranslate()

    def refusal(self, error: Exception) -> str:
        """Why the hall refused, in the console's language: its code's words where we have them,
        else the hall's own message (the log keeps code and message for technicians)."""
        code = str(getattr(error, "code", "") or "")
        log.info("counter %s: refused %s: %s", self.controller.counter_id, code, getattr(error, "message", error))
        key = f"staff.code.{code}"
        return self.translator.tr(key) if code and self.translator.has(key) else str(getattr(error, "message", error))

    def pause_reason(self, reason: str) -> str:
        """A pause reason as staff read it: a code of ours translated, anything else as typed."""
        key = f"staff.counter.pause.{reason}"
        return self.translator.tr(key) if reason in PAUSE_REASONS else reason

    # -- operations --------------------------------------------------------------------------
    def _sign_in(self) -> None:
        """Sign out when signed in; otherwise ask for 工号 and password (non-blocking dialog)."""
        if self.controller.staff_id is not None:
            self.message.setText(self.translator.tr("staff.counter.signin.signed_out", staff=self.controller.staff_id))
            self.staff_label.setText("")
            self.controller.sign_out()
            self._retranslate()
            self._update_buttons()
            return
        dialog = self.sign_in_dialog = SignInDialog(self, self.translator, self.controller.counter_id)
        dialog.accepted.connect(lambda: self._submit(dialog))
        dialog.open()

    def _submit(self, dialog: SignInDialog) -> None:
        staff, password = dialog.staff_edit.text().strip(), dialog.password_edit.text()
        dialog.password_edit.clear()
        if not staff or not password:
            self.message.setText(self.translator.tr("staff.counter.enter_staff_id"))
            return
        self.controller.sign_in(staff, password)

    def _signed(self, answer: Any, error: Exception | None) -> None:
        if answer is not None:
            who = answer["staff"]
            self.staff_label.setText(f"{who['id']} {who['name']}")
            self.message.setText(self.translator.tr("staff.counter.signed_in", staff=who["id"]))
        elif getattr(error, "code", None) in ("bad_credentials", "account_locked"):
            key = "locked" if getattr(error, "code", None) == "account_locked" else "bad_credentials"
            self.message.setText(self.translator.tr(f"staff.counter.signin.{key}"))
        elif error is not None and getattr(error, "status", None) == 0:
            self.message.setText(self.translator.tr("staff.counter.not_connected"))
        self._retranslate()
        self._update_buttons()

    def operate(self, operation: str) -> None:
        kwargs: dict[str, Any] = {}
        if operation == "finish":
            case_no: list[str] = []  # 办件编号: typed, or a scanner typing it (Enter finishes)
            picked = self._pick(self.translator.tr("staff.counter.outcome_title"),
                                [self.translator.tr(f"counter.outcome.{o}") for o in OUTCOMES], case_no)
            if picked is None:
                return
            kwargs["outcome"] = OUTCOMES[picked]
            if case_no and case_no[0]:
                kwargs["case_no"] = case_no[0]
            if OUTCOMES[picked] == Outcome.REJECTED:  # 窗口无否决权: a reason and a supervisor's sign-off
                sign_off = self._reject_sign_off()
                if sign_off is None:
                    return
                kwargs.update(sign_off)
        elif operation == "transfer":
            targets = self.transfer_targets()
            picked = self._pick(self.translator.tr("staff.counter.transfer_title"),
                                [f"{sid} {s['name']}" for sid, s in targets])
            if picked is None:
                return
            kwargs["service_id"] = targets[picked][0]
        elif operation == "call_ticket":
            row = self.table.currentRow()
            if row < 0 or row >= len(self.waiting):
                self.message.setText(self.translator.tr("staff.counter.select_first"))
                return
            reason, ok = QInputDialog.getText(self, self.translator.tr("staff.counter.reason_title"),
                                              self.translator.tr("staff.counter.reason_label"))
            if not ok or not reason.strip():
                return
            kwargs.update(ticket_id=self.waiting[row]["id"], reason=reason.strip())
        elif operation == "pause":
            picked = self._pick(self.translator.tr("staff.counter.pause_title"),
                                [self.pause_reason(r) for r in PAUSE_REASONS])
            if picked is None:
                return
            kwargs["reason"] = PAUSE_REASONS[picked]
        if not self.controller.online:
            self.message.setText(self.translator.tr("staff.counter.not_connected"))
            return
        if not self.controller.run(operation, **kwargs):
            self.message.setText(self.translator.tr("staff.counter.sign_in_first") if self.controller.staff_id is None
                                 else self.translator.tr("staff.counter.still_running"))

    def _reject_sign_off(self) -> dict[str, str] | None:
        """不予受理: the reason and, unless a supervisor is signed in here, the supervisor's 工号 and
        PIN (the hall checks them as a sign-in); None when cancelled."""
        dialog = self.reject_dialog = RejectDialog(self, self.translator, self.controller.supervisor)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        answer = {"reason": dialog.reason_edit.text().strip()}
        if not self.controller.supervisor:
            answer.update(supervisor_id=dialog.supervisor_edit.text().strip(), supervisor_pin=dialog.pin_edit.text())
        dialog.pin_edit.clear()
        return answer

    def transfer_targets(self) -> list[tuple[str, dict[str, Any]]]:
        """Any service of the hall but the current ticket's own (转办 crosses zones: 公安, 帮办代办)."""
        own = (self.current or {}).get("service_id")
        return [(sid, s) for sid, s in self.hall_services.items() if sid != own]

    def _pick(self, title: str, options: list[str], case_no: list[str] | None = None) -> int | None:
        """The index of the option chosen, or None when cancelled; ``case_no``: also ask for the
        case number (办件编号), appended to the list as typed."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        form = QFormLayout(dialog)
        combo = QComboBox()
        combo.addItems(options)
        form.addRow(title, combo)
        case_edit: QLineEdit | None = None
        if case_no is not None:
            case_edit = QLineEdit()
            case_edit.setObjectName("case_no")
            case_edit.setMaxLength(64)
            case_edit.setPlaceholderText(self.translator.tr("staff.counter.case_no_hint"))
            form.addRow(self.translator.tr("staff.counter.case_no"), case_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        if case_no is not None and case_edit is not None:
            case_no.append(case_edit.text().strip())
        return combo.currentIndex()

    def _done(self, operation: str, result: Any, error: Exception | None) -> None:
        if error is not None:
            if self.controller.staff_id is None:  # the session ended: back to the sign-in button
                self.staff_label.setText("")
                self.message.setText(self.translator.tr("staff.counter.signin.session_ended"))
                self._retranslate()
                self._update_buttons()
            elif getattr(error, "status", None) == 0:
                self.message.setText(self.translator.tr("staff.counter.not_connected"))
            else:
                self.message.setText(self.translator.tr("staff.counter.refused", reason=self.refusal(error)))
        elif operation == "call_next" and result is None:
            self.message.setText(self.translator.tr("staff.counter.nobody_waiting"))
        else:
            ticket = (result or {}).get("ticket") if isinstance(result, dict) else None
            number = ticket.get("number", "") if ticket else ""
            self.message.setText(f"{self.translator.tr(f'staff.counter.op.{operation}')} ✓ {number}")
        self.controller.refresh()

    def _refreshed(self, snapshot: Any, error: Exception | None) -> None:
        if error is not None:
            self.link.setText(self.translator.tr("staff.counter.disconnected"))
            self.link.setStyleSheet("color: #b03a2e; font-weight: bold")
            self._update_buttons()
            return
        self.link.setText(self.translator.tr("staff.counter.connected"))
        self.link.setStyleSheet("color: #1f8f4e")
        counter = snapshot["counter"]
        self.hall_services = dict(snapshot["services"])
        self.services = {sid: self.hall_services[sid] for sid in counter["services"] if sid in self.hall_services}
        paused = self.translator.tr("staff.counter.paused", reason=self.pause_reason(counter["pause_reason"] or "")) \
            if counter["paused"] else ""
        self.counter_label.setText(counter["name"] + paused)
        self.current = counter.get("current")
        if self.current:
            self.now_label.setText(self.current["number"])
            status = self.translator.tr(f"staff.status.{self.current['status']}")
            self.now_detail.setText(f"{self.services.get(self.current['service_id'], {}).get('name', '')} · {status}")
        else:
            self.now_label.setText("—")
            self.now_detail.setText("")
        self.waiting = sorted(snapshot["waiting"], key=lambda t: t.get("issued_at", ""))
        self.table.setRowCount(len(self.waiting))
        now = time.time()
        for row, t in enumerate(self.waiting):
            waited = _minutes_since(t.get("issued_at", ""), now)
            values = [t["number"], self.services.get(t["service_id"], {}).get("name", t["service_id"]),
                      self._priority(t.get("priority") or "normal"), str(waited)]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        stats = snapshot.get("stats") or {}
        self.counts.setText(self.translator.tr("staff.counter.counts", served=stats.get("served", 0),
                                    no_shows=stats.get("no_shows", 0),
                                    mean=(stats.get("service_minutes") or {}).get("mean") or "—"))
        self._update_buttons()

    def _priority(self, priority: str) -> str:
        key = f"staff.priority.{priority}"
        return self.translator.tr(key) if self.translator.has(key) else priority

    def _update_buttons(self) -> None:
        signed_in = self.controller.staff_id is not None
        for button in self.buttons.values():
            button.setEnabled(signed_in and self.controller.online)
        if hasattr(self, "alerts"):
            self.alerts.update_buttons()


def _minutes_since(iso: str, now: float) -> int:
    from datetime import datetime

    try:
        return max(0, int((now - datetime.fromisoformat(iso).timestamp()) // 60))
    except ValueError:
        return 0
