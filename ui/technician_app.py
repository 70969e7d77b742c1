"""The technician panel (Qt Widgets) behind a PIN: devices with tests and simulator faults, the
serial ports present, sync health and dead letters, the catalogue, the configuration editor,
the diagnostics bundle, and the only way out of the kiosk to the desktop."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from common.i18n import SOURCE_LANGUAGE, Translator
from kiosk.config import ConfigError
from kiosk.device_words import kind_text, reason_text, state_text
from kiosk.pin import PinGuard
from kiosk.technician import ConfigNotWritable, Technician, TestResult
from ui.technician_words import fault_text, port_text, result_text

log = logging.getLogger(__name__)


class PinDialog(QDialog):
    """PIN entry; the guard decides (salted hash, lockout after repeated failures, audited).

    ``language`` is the configured ``kiosk.language``; the technician can switch it here, and the
    panel opened after the PIN keeps the dialog's choice (``dialog.translator.language``)."""

    def __init__(self, guard: PinGuard, parent: QWidget | None = None, *, language: str = SOURCE_LANGUAGE) -> None:
        super().__init__(parent)
        self.guard = guard
        self.translator = Translator(language)
        self._shown: tuple[str, dict[str, object]] | None = None  # the last message, redrawn on a switch
        layout = QVBoxLayout(self)
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.clicked.connect(self.toggle_language)
        layout.addWidget(self.language_button)
        self.prompt = QLabel()
        layout.addWidget(self.prompt)
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.returnPressed.connect(self.check)
        layout.addWidget(self.pin)
        self.message = QLabel("")
        self.message.setObjectName("pin_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.ok = QPushButton()
        self.ok.setObjectName("pin_ok")
        self.ok.clicked.connect(self.check)
        layout.addWidget(self.ok)
        self._retranslate()

    def toggle_language(self) -> None:
        self.translator.language = "en" if self.translator.language == SOURCE_LANGUAGE else SOURCE_LANGUAGE
        self._retranslate()
        self.pin.setFocus()

    def _retranslate(self) -> None:
        tr = self.translator.tr
        self.setWindowTitle(tr("technician.pin.title"))
        self.language_button.setText(tr("common.language"))
        self.prompt.setText(tr("technician.pin.prompt"))
        self.ok.setText(tr("technician.pin.ok"))
        self.message.setText(tr(self._shown[0], **self._shown[1]) if self._shown else "")

    def _say(self, key: str, **params: object) -> None:
        self._shown = (key, params)
        self.message.setText(self.translator.tr(key, **params))

    def check(self) -> None:
        result = self.guard.check(self.pin.text())
        self.pin.clear()
        if result.ok:
            self.accept()
        elif result.supervisor:
            self._say("pin.state_unreadable" if result.state_unreadable else "pin.locked_supervisor")
        elif result.unset:
            self._say("technician.pin.unset")
        elif result.locked_seconds:
            self._say("technician.pin.locked", seconds=result.locked_seconds)
        else:
            self._say("technician.pin.wrong", attempts=result.attempts_left)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        super().__init__()
        self.fn, self.done = fn, done

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            result = exc
        self.done(result)


class _Results(QObject):
    ready = Signal(object, object)  # callback, result


class TechnicianWindow(QMainWindow):
    """The panel; ``language`` is the configured ``kiosk.language``, switchable on the window.

    Device states and reasons come from the devices as they report them (a printer's reason is its
    technician line, Chinese and English); everything the panel itself says is in its language."""

    def __init__(self, tech: Technician, *, recent_logs: Callable[[], list[str]] = list,
                 on_exit_to_desktop: Callable[[], None] | None = None, font_family: str = "Noto Sans CJK SC",
                 language: str = SOURCE_LANGUAGE) -> None:
        super().__init__()
        self.tech = tech
        self.recent_logs = recent_logs
        self.on_exit = on_exit_to_desktop
        self.translator = Translator(language)
        self.pool = QThreadPool()
        self.results = _Results()
        self.results.ready.connect(lambda cb, res: cb(res))
        self.setFont(QFont(font_family, 11))
        self.resize(1200, 780)
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        # Named in the other language (中文 / English), as language switches are everywhere.
        self.language_button = QPushButton()
        self.language_button.setObjectName("language")
        self.language_button.clicked.connect(self.toggle_language)
        self.tabs.setCornerWidget(self.language_button)
        self.buttons: dict[str, QPushButton] = {}  # objectName → button, relabelled on a switch
        self._config_shown: tuple[str, bool, dict[str, str]] | None = None
        self.tabs.addTab(self._devices_tab(), "")
        self.tabs.addTab(self._sync_tab(), "")
        self.tabs.addTab(self._config_tab(), "")
        self.tabs.addTab(self._system_tab(), "")
        self._retranslate()
        self.refresh()

    def _background(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.pool.start(_Job(fn, lambda result: self.results.ready.emit(done, result)))

    def _button(self, name: str, handler: Callable[[], None]) -> QPushButton:
        button = QPushButton()
        button.setObjectName(name)
        button.clicked.connect(lambda _=False: handler())
        self.buttons[name] = button
        return button

    # -- language -------------------------------------------------------------------------------
    def toggle_language(self) -> None:
        self.translator.language = "en" if self.translator.language == SOURCE_LANGUAGE else SOURCE_LANGUAGE
        self._retranslate()
        self.refresh()

    def _retranslate(self) -> None:
        tr = self.translator.tr
        self.setWindowTitle(tr("technician.title"))
        self.language_button.setText(tr("common.language"))
        for i, tab in enumerate(("devices", "sync", "config", "system")):
            self.tabs.setTabText(i, tr(f"technician.tab.{tab}"))
        for name, button in self.buttons.items():
            button.setText(tr(f"technician.button.{name}"))
        self.device_table.setHorizontalHeaderLabels(
            [tr(f"technician.devices.col.{c}") for c in ("device", "state", "reason", "port", "sim")])
        self.dead_table.setHorizontalHeaderLabels(
            [tr(f"technician.dead.col.{c}") for c in ("id", "kind", "created", "attempts", "reason")])
        for kind, box in self.fault_boxes.items():
            self.fault_labels[kind].setText(tr("technician.fault.label", kind=kind_text(tr, kind)))
            box.setItemText(0, tr("technician.fault.none"))
            for i in range(1, box.count()):
                box.setItemText(i, fault_text(tr, kind, box.itemData(i)))
        if self._config_shown:
            self._config_result(self._config_shown[0], ok=self._config_shown[1], **self._config_shown[2])

    # -- devices --------------------------------------------------------------------------------
    def _devices_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.device_table = QTableWidget(0, 5)
        self.device_table.setObjectName("devices")
        self.device_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.device_table)
        buttons = QHBoxLayout()
        for name, fn in (("test_idcard", self.tech.test_idcard), ("test_printer", self.tech.test_printer),
                         ("test_scanner", self.tech.test_scanner), ("test_camera", self.tech.test_camera),
                         ("test_a4_printer", self.tech.test_a4_printer)):
            buttons.addWidget(self._button(name, functools.partial(self._run_test, name, fn)))
        buttons.addWidget(self._button("refresh", self.refresh))
        layout.addLayout(buttons)
        faults = QHBoxLayout()
        self.fault_boxes: dict[str, QComboBox] = {}
        self.fault_labels: dict[str, QLabel] = {}
        from devices.manager import KINDS

        for kind in KINDS:
            options = ["", *self.tech.faults(kind)]   # the simulator's own list; a real device has none
            self.fault_labels[kind] = QLabel()
            faults.addWidget(self.fault_labels[kind])
            box = QComboBox()
            box.setObjectName(f"fault_{kind}")
            for fault in options:  # the simulator's name is the item's data; its text is in words
                box.addItem(fault, fault)
            box.currentIndexChanged.connect(lambda i, k=kind, o=options: self._set_fault(k, o[i]))
            faults.addWidget(box)
            self.fault_boxes[kind] = box
        layout.addLayout(faults)
        self.ports_label = QLabel("")
        self.ports_label.setWordWrap(True)
        layout.addWidget(self.ports_label)
        self.test_output = QPlainTextEdit()
        self.test_output.setObjectName("test_output")
        self.test_output.setReadOnly(True)
        layout.addWidget(self.test_output, 1)
        return page

    def _run_test(self, name: str, fn: Callable[[], Any]) -> None:
        label = self.translator.tr(f"technician.button.{name}")
        self.test_output.setPlainText(f"{label} …")
        self._background(fn, functools.partial(self._test_done, label))

    def _test_done(self, label: str, result: TestResult | BaseException) -> None:
        if isinstance(result, TestResult):
            # the staff log says the outcome only: a card test's data is a citizen's (masked) card
            log.info("device test", extra={"ctx": {"outcome": result.outcome.value, "ok": result.ok}})
            said = result_text(self.translator.tr, result)
        else:  # a test that raised: its exception is a driver's detail, shown as it came
            log.error("device test failed", exc_info=result)
            said = f"{type(result).__name__}: {result}"
        ok = isinstance(result, TestResult) and result.ok
        self.test_output.setPlainText(f"{label}: {'✓' if ok else '✗'}\n{said}")

    def _set_fault(self, kind: str, fault: str) -> None:
        try:
            self.tech.set_fault(kind, fault or None)
            tr, name = self.translator.tr, kind_text(self.translator.tr, kind)
            self.test_output.setPlainText(tr("technician.fault.set", kind=name, fault=fault_text(tr, kind, fault))
                                          if fault else tr("technician.fault.cleared", kind=name))
        except ValueError as exc:
            self.test_output.setPlainText(str(exc))

    # -- sync -----------------------------------------------------------------------------------
    def _sync_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.sync_label = QLabel("")
        self.sync_label.setObjectName("sync_health")
        self.sync_label.setWordWrap(True)
        layout.addWidget(self.sync_label)
        self.dead_table = QTableWidget(0, 5)
        self.dead_table.setObjectName("dead_letters")
        self.dead_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.dead_table, 1)
        row = QHBoxLayout()
        for name, handler in (("sync_now", self._sync_now), ("retry", self._retry), ("discard", self._discard)):
            row.addWidget(self._button(name, handler))
        layout.addLayout(row)
        self.catalogue_label = QLabel("")
        layout.addWidget(self.catalogue_label)
        return page

    def _selected_dead(self) -> str | None:
        row = self.dead_table.currentRow()
        item = self.dead_table.item(row, 0) if row >= 0 else None
        return item.text() if item else None

    def _sync_now(self) -> None:
        self.tech.sync_now()
        self.refresh()

    def _retry(self) -> None:
        record = self._selected_dead()
        if record:
            self.tech.retry(record)
            self.refresh()

    def _discard(self) -> None:
        record = self._selected_dead()
        if not record:
            return
        reason, ok = QInputDialog.getText(self, self.translator.tr("technician.dead.discard_title"),
                                          self.translator.tr("technician.dead.discard_prompt"))
        if ok and reason.strip():
            self.tech.discard(record, reason)
            self.refresh()

    # -- configuration --------------------------------------------------------------------------
    def _config_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.config_edit = QPlainTextEdit(self.tech.config_text())
        self.config_edit.setObjectName("config")
        self.config_edit.setFont(QFont("DejaVu Sans Mono", 11))
        layout.addWidget(self.config_edit, 1)
        self.config_message = QLabel("")
        self.config_message.setObjectName("config_message")
        self.config_message.setWordWrap(True)
        layout.addWidget(self.config_message)
        layout.addWidget(self._button("save_config", self._save_config))
        return page

    def _save_config(self) -> None:
        # Every failure is shown here in words and logged (kiosk.technician logs and audits it);
        # nothing may escape into the Qt event loop, where it would only reach the journal.
        try:
            self.tech.save_config(self.config_edit.toPlainText())
        except ConfigError as exc:
            self._config_result("technician.config_invalid", ok=False, error=str(exc))
        except ConfigNotWritable as exc:
            self._config_result("technician.config_not_writable", ok=False, path=str(exc.path), reason=exc.reason)
        except Exception as exc:  # an unforeseen failure still gets a message, not a silent button
            log.exception("configuration not saved")
            self._config_result("technician.config_not_writable", ok=False, path=str(self.tech.drop_in_path),
                                reason=f"{type(exc).__name__}: {exc}")
        else:
            self._config_result("technician.config_saved", ok=True, path=str(self.tech.drop_in_path))

    def _config_result(self, key: str, *, ok: bool, **params: str) -> None:
        self._config_shown = (key, ok, params)  # said again in the other language on a switch
        self.config_message.setText(self.translator.tr(key, **params))
        self.config_message.setStyleSheet("color: #1f8f4e" if ok else "color: #b03a2e")

    # -- system ---------------------------------------------------------------------------------
    def _system_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self._button("export", self._export))
        layout.addWidget(self._button("exit_desktop", self._exit_desktop))
        layout.addStretch(1)
        return page

    def export_to(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.tech.diagnostics_bundle(self.recent_logs()))
        return path

    def _export(self) -> None:
        title = self.translator.tr("technician.diagnostics.title")
        name, _ = QFileDialog.getSaveFileName(self, title, "diagnostics.zip", "Zip (*.zip)")
        if name:
            self.export_to(name)
            QMessageBox.information(self, title, self.translator.tr("technician.diagnostics.exported", path=name))

    def _exit_desktop(self) -> None:
        self.tech.audit.record(self.tech.actor, "kiosk.exit_to_desktop")
        if self.on_exit:
            self.on_exit()

    # -- refresh --------------------------------------------------------------------------------
    def refresh(self) -> None:
        tr = self.translator.tr
        rows = self.tech.device_rows()
        self.device_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            texts = (kind_text(tr, row["kind"]), state_text(tr, row["state"]),
                     reason_text(tr, row["kind"], row["reason"]), port_text(tr, row["port"]),
                     tr("technician.devices.simulated") if row["sim"] else "")
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row["kind"])  # which device, whatever the language
                self.device_table.setItem(r, c, item)
        for kind, box in self.fault_boxes.items():
            box.setEnabled(any(row["kind"] == kind and row["sim"] for row in rows))
        ports = self.tech.serial_ports()
        self.ports_label.setText(tr("technician.ports", ports=", ".join(
            f"{p['device']} {p['usb']} {p['description']}".strip() for p in ports) or tr("technician.ports.none")))
        health = self.tech.sync_health()
        error = health.get("last_error") or ("—" if health.get("platform_configured")
                                             else tr("technician.sync.no_platform"))
        self.sync_label.setText(tr("technician.sync.health", pending=health.get("pending", 0),
                                   dead=health.get("dead_letters", 0), success=health.get("last_success") or "—",
                                   error=error))
        dead = self.tech.dead_letters()
        self.dead_table.setRowCount(len(dead))
        for r, row in enumerate(dead):
            for c, key in enumerate(("id", "kind", "created_at", "attempts", "reason")):
                self.dead_table.setItem(r, c, QTableWidgetItem(str(row[key] or "")))
        info = self.tech.catalogue_info()
        age = (tr("technician.catalogue.not_loaded") if not info.get("loaded") else tr("technician.catalogue.bundled")
               if info.get("age_minutes") is None else tr("staff.dashboard.minutes", n=info["age_minutes"]))
        self.catalogue_label.setText(tr("technician.catalogue", version=info.get("version"), age=age))
