"""The technician panel (Qt Widgets) behind a PIN: devices with tests and simulator faults, the
serial ports present, sync health and dead letters, the catalogue, the configuration editor,
the diagnostics bundle, and the only way out of the kiosk to the desktop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
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

from kiosk.config import ConfigError
from kiosk.i18n import strings
from kiosk.pin import PinGuard
from kiosk.technician import ConfigNotWritable, Technician

log = logging.getLogger(__name__)


class PinDialog(QDialog):
    """PIN entry; the guard decides (salted hash, lockout after repeated failures, audited)."""

    def __init__(self, guard: PinGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.guard = guard
        self.setWindowTitle("技术人员 Technician")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("请输入维护密码 Enter the technician PIN"))
        self.pin = QLineEdit()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.returnPressed.connect(self.check)
        layout.addWidget(self.pin)
        self.message = QLabel("")
        self.message.setObjectName("pin_message")
        layout.addWidget(self.message)
        ok = QPushButton("确定 OK")
        ok.setObjectName("pin_ok")
        ok.clicked.connect(self.check)
        layout.addWidget(ok)

    def check(self) -> None:
        result = self.guard.check(self.pin.text())
        self.pin.clear()
        if result.ok:
            self.accept()
        elif result.supervisor:
            key = "pin.state_unreadable" if result.state_unreadable else "pin.locked_supervisor"
            self.message.setText("\n".join(strings(language)[key] for language in ("zh_CN", "en")))
        elif result.unset:
            self.message.setText("尚未设置维护密码：请在终端运行 sudo hall-kiosk set-pin\n"
                                 "No technician PIN is set: run  sudo hall-kiosk set-pin")
        elif result.locked_seconds:
            self.message.setText(f"已锁定 {result.locked_seconds} 秒 Locked for {result.locked_seconds} s")
        else:
            self.message.setText(f"密码错误，还可尝试 {result.attempts_left} 次 Wrong PIN, "
                                 f"{result.attempts_left} attempts left")


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
    def __init__(self, tech: Technician, *, recent_logs: Callable[[], list[str]] = list,
                 on_exit_to_desktop: Callable[[], None] | None = None, font_family: str = "Noto Sans CJK SC") -> None:
        super().__init__()
        self.tech = tech
        self.recent_logs = recent_logs
        self.on_exit = on_exit_to_desktop
        self.pool = QThreadPool()
        self.results = _Results()
        self.results.ready.connect(lambda cb, res: cb(res))
        self.setWindowTitle("技术人员面板 Technician panel")
        self.setFont(QFont(font_family, 11))
        self.resize(1200, 780)
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.tabs.addTab(self._devices_tab(), "设备 Devices")
        self.tabs.addTab(self._sync_tab(), "同步 Sync")
        self.tabs.addTab(self._config_tab(), "配置 Configuration")
        self.tabs.addTab(self._system_tab(), "系统 System")
        self.refresh()

    def _background(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.pool.start(_Job(fn, lambda result: self.results.ready.emit(done, result)))

    # -- devices --------------------------------------------------------------------------------
    def _devices_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.device_table = QTableWidget(0, 5)
        self.device_table.setObjectName("devices")
        self.device_table.setHorizontalHeaderLabels(
            ["设备 Device", "状态 State", "原因 Reason", "端口 Port", "模拟 Sim"])
        self.device_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.device_table)
        buttons = QHBoxLayout()
        for name, label, fn in (("test_idcard", "读卡测试 Read a card", self.tech.test_idcard),
                                ("test_printer", "打印测试页 Print test page", self.tech.test_printer),
                                ("test_scanner", "扫码测试 Scan", self.tech.test_scanner),
                                ("test_camera", "高拍仪拍照测试 Document camera", self.tech.test_camera)):
            button = QPushButton(label)
            button.setObjectName(name)
            button.clicked.connect(lambda _=False, f=fn, n=label: self._run_test(n, f))
            buttons.addWidget(button)
        refresh = QPushButton("刷新 Refresh")
        refresh.clicked.connect(self.refresh)
        buttons.addWidget(refresh)
        layout.addLayout(buttons)
        faults = QHBoxLayout()
        self.fault_boxes: dict[str, QComboBox] = {}
        from devices.manager import KINDS

        for kind in KINDS:
            options = ["", *self.tech.faults(kind)]   # the simulator's own list; a real device has none
            faults.addWidget(QLabel(f"{kind} 故障 fault:"))
            box = QComboBox()
            box.setObjectName(f"fault_{kind}")
            box.addItems([o or "（正常 none）" for o in options])
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
        self.test_output.setPlainText(f"{name} …")
        self._background(fn, lambda r: self.test_output.setPlainText(
            f"{name}: {'✓' if getattr(r, 'ok', False) else '✗'}\n{getattr(r, 'text', r)}"))

    def _set_fault(self, kind: str, fault: str) -> None:
        try:
            self.tech.set_fault(kind, fault or None)
            self.test_output.setPlainText(f"{kind}: fault {fault or 'none'}")
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
        self.dead_table.setHorizontalHeaderLabels(["ID", "类型 Kind", "时间 Created", "次数 Attempts", "原因 Reason"])
        self.dead_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.dead_table, 1)
        row = QHBoxLayout()
        for name, label, handler in (("sync_now", "立即同步 Sync now", self._sync_now),
                                     ("retry", "重试所选 Retry selected", self._retry),
                                     ("discard", "丢弃所选 Discard selected", self._discard)):
            button = QPushButton(label)
            button.setObjectName(name)
            button.clicked.connect(handler)
            row.addWidget(button)
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
        reason, ok = QInputDialog.getText(self, "丢弃原因 Reason", "为什么丢弃？ Why discard it?")
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
        save = QPushButton("校验并保存 Validate and save")
        save.setObjectName("save_config")
        save.clicked.connect(self._save_config)
        layout.addWidget(save)
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
        zh, en = (strings(language)[key].format(**params) for language in ("zh_CN", "en"))
        self.config_message.setText(f"{zh}\n{en}")
        self.config_message.setStyleSheet("color: #1f8f4e" if ok else "color: #b03a2e")

    # -- system ---------------------------------------------------------------------------------
    def _system_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        export = QPushButton("导出诊断包 Export diagnostics")
        export.setObjectName("export")
        export.clicked.connect(self._export)
        layout.addWidget(export)
        leave = QPushButton("退出到桌面 Exit to desktop")
        leave.setObjectName("exit_desktop")
        leave.clicked.connect(self._exit_desktop)
        layout.addWidget(leave)
        layout.addStretch(1)
        return page

    def export_to(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.tech.diagnostics_bundle(self.recent_logs()))
        return path

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "诊断包 Diagnostics", "diagnostics.zip", "Zip (*.zip)")
        if name:
            self.export_to(name)
            QMessageBox.information(self, "诊断包", f"已导出 Exported: {name}")

    def _exit_desktop(self) -> None:
        self.tech.audit.record(self.tech.actor, "kiosk.exit_to_desktop")
        if self.on_exit:
            self.on_exit()

    # -- refresh --------------------------------------------------------------------------------
    def refresh(self) -> None:
        rows = self.tech.device_rows()
        self.device_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(("kind", "state", "reason", "port", "sim")):
                self.device_table.setItem(r, c, QTableWidgetItem(row[key]))
        for kind, box in self.fault_boxes.items():
            box.setEnabled(any(row["kind"] == kind and row["sim"] for row in rows))
        ports = self.tech.serial_ports()
        self.ports_label.setText("串口 Serial ports: " + (", ".join(
            f"{p['device']} {p['usb']} {p['description']}".strip() for p in ports) or "无 none"))
        health = self.tech.sync_health()
        self.sync_label.setText(
            f"待同步 pending {health.get('pending', 0)} · 死信 dead letters {health.get('dead_letters', 0)} · "
            f"上次成功 last success {health.get('last_success') or '—'} · 上次错误 last error "
            f"{health.get('last_error') or '—'}")
        dead = self.tech.dead_letters()
        self.dead_table.setRowCount(len(dead))
        for r, row in enumerate(dead):
            for c, key in enumerate(("id", "kind", "created_at", "attempts", "reason")):
                self.dead_table.setItem(r, c, QTableWidgetItem(str(row[key] or "")))
        info = self.tech.catalogue_info()
        self.catalogue_label.setText(f"事项目录 Catalogue: {info.get('version')} · 更新于 age {info.get('age')}")
