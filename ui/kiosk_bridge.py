"""The kiosk role's bridge: re-emits the core's views as a Qt property on the GUI thread and
forwards taps to the core's worker thread. The demo panel's controls reach the simulators here."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Property, QObject, Qt, Signal, Slot
from PySide6.QtQml import QmlElement, QmlUncreatable

from kiosk.runtime import KioskRuntime
from ui.qt_app import to_qml

# The QML module the bridge types belong to: pages declare `required property KioskBridge bridge`
# and qmllint checks their use against it (ui/qml_lint.py).
QML_IMPORT_NAME = "HallKiosk"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlUncreatable("made by the kiosk role (ui/cli.py) and given to Main.qml")
class KioskBridge(QObject):  # type: ignore[operator]  # stubs: QmlUncreatable("…") is a decorator
    viewChanged = Signal()
    paperChanged = Signal()
    #: a key of the speech-mode keypad (devices/keypad/keys.py) and whether it started the mode
    keyPressed = Signal(str, bool)
    _incoming = Signal()

    def __init__(self, runtime: KioskRuntime, *, demo: Any = None, font_family: str = "Noto Sans CJK SC",
                 technician: Any = None) -> None:
        super().__init__()
        self.technician = technician  # opens the PIN dialog and the technician panel
        self.runtime = runtime
        self.demo = demo
        self._font = font_family
        self._view: dict[str, Any] = {}
        self._paper_out = False
        self.views_seen = 0
        self._latest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._incoming.connect(self._set_view, Qt.ConnectionType.QueuedConnection)
        runtime.core.subscribe(self._receive)
        runtime.core.key_listeners.append(self.keyPressed.emit)  # worker thread: queued to the GUI
        # The current screen before the first frame (the core may have started earlier).
        self._view = to_qml(runtime.call(lambda core: core.view()) if runtime.running else runtime.core.view())

    def _receive(self, view: dict[str, Any]) -> None:
        # Worker thread: keep only the newest view and wake the GUI thread (bursts coalesce).
        with self._lock:
            pending = self._latest is not None
            self._latest = view
        if not pending:
            self._incoming.emit()

    def _set_view(self) -> None:
        with self._lock:
            view, self._latest = self._latest, None
        if view is None:
            return
        self._view = to_qml(view)
        self.views_seen += 1
        self.viewChanged.emit()

    @Property("QVariantMap", notify=viewChanged)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def view(self) -> dict[str, Any]:
        return self._view

    def runtime_view(self) -> dict[str, Any]:
        """The view the window shows now (for Python on the GUI thread; QML reads ``view``)."""
        return self._view

    @Property(str, constant=True)
    def hallName(self) -> str:
        return self.runtime.core.hall_name

    @Property(str, constant=True)
    def fontFamily(self) -> str:
        return self._font

    @Slot(str, "QVariantMap")
    def act(self, action: str, args: dict[str, Any]) -> None:
        self.runtime.act(action, **dict(args or {}))

    @Slot()
    def openTechnician(self) -> None:
        if self.technician is not None:
            self.technician()

    # -- demo panel -------------------------------------------------------------------------------
    @Property(bool, constant=True)
    def demoEnabled(self) -> bool:
        return self.demo is not None

    @Property("QVariantMap", notify=viewChanged)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def demoLabels(self) -> dict[str, str]:
        tr = self.runtime.core.translator.tr
        return {k: tr(f"demo.{k}") for k in ("title", "card", "remove", "scan", "paper_out", "paper_ok")}

    @Property("QVariantList", constant=True)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def demoIdentities(self) -> list[dict[str, str]]:
        return self.demo.identities() if self.demo else []

    @Property("QVariantList", constant=True)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def demoCodes(self) -> list[dict[str, str]]:
        return self.demo.codes() if self.demo else []

    @Property(bool, notify=paperChanged)
    def paperOut(self) -> bool:
        return self._paper_out

    @Slot(str)
    def demoInsertCard(self, key: str) -> None:
        if self.demo:
            self.demo.insert_card(key)

    @Slot()
    def demoRemoveCard(self) -> None:
        if self.demo:
            self.demo.remove_card()

    @Slot(str)
    def demoScan(self, text: str) -> None:
        if self.demo:
            self.demo.scan(text)

    @Slot(bool)
    def demoPaper(self, out: bool) -> None:
        if self.demo:
            self.demo.paper_out(out)
            self._paper_out = out
            self.paperChanged.emit()
