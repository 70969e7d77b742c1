"""The display role: the hall TV (or a small per-window screen) fed live by the hall service's
event stream, with queued voice announcements."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, Qt, Signal
from PySide6.QtQml import QmlElement, QmlUncreatable

from kiosk.announcer import Announcer
from kiosk.hall_display import DisplayFollower, DisplayModel
from ui.qt_app import to_qml

# The QML module the bridge types belong to: pages declare `required property DisplayBridge bridge`
# and qmllint checks their use against it (ui/qml_lint.py).
QML_IMPORT_NAME = "HallKiosk"
QML_IMPORT_MAJOR_VERSION = 1

log = logging.getLogger(__name__)

LABELS = {
    "zh_CN": {"number": "号码", "window": "请到窗口", "recent": "最近叫号", "waiting": "各区等候人数", "people": "人",
              "reconnecting": "与叫号服务的连接中断，正在重新连接", "serving": "正在办理", "idle": "暂停服务"},
    "en": {"number": "Number", "window": "Please go to", "recent": "Last calls", "waiting": "Waiting", "people": "",
           "reconnecting": "Connection to the queue service lost — reconnecting", "serving": "Now serving",
           "idle": "Closed"},
}


@QmlElement
@QmlUncreatable("made by the display role and given to Main.qml / Window.qml")
class DisplayBridge(QObject):  # type: ignore[operator]  # stubs: QmlUncreatable("…") is a decorator
    viewChanged = Signal()
    _changed = Signal()

    def __init__(self, client: Any, announcer: Announcer | None, *, hall_name: str, font_family: str,
                 language: str = "zh_CN", counter_id: str | None = None, notices: list[str] | None = None) -> None:
        super().__init__()
        self.model = DisplayModel()
        self.model.notices = list(notices or [])
        self.announcer = announcer
        self.counter_id = counter_id
        self._hall = hall_name
        self._font = font_family
        self._labels = LABELS.get(language, LABELS["zh_CN"])
        self._view: dict[str, Any] = to_qml(self.model.view())
        self._changed.connect(self._refresh, Qt.ConnectionType.QueuedConnection)
        self.follower = DisplayFollower(client, self.model, self._changed.emit, self._on_call)
        self.redraws = 0

    def start(self) -> DisplayBridge:
        self.follower.start()
        return self

    def stop(self) -> None:
        self.follower.stop()

    def _on_call(self, call: dict[str, Any]) -> None:
        if self.announcer is None:
            return
        if self.counter_id and call["counter_id"] != self.counter_id:
            return
        self.announcer.announce(call["number"], call["counter"])

    def _refresh(self) -> None:
        view = self.model.view()
        if self.counter_id:
            view["mine"] = self.model.current.get(self.counter_id)
            view["counter"] = self.model.counters.get(self.counter_id, self.counter_id)
        self._view = to_qml(view)
        self.redraws += 1
        self.viewChanged.emit()

    @Property("QVariantMap", notify=viewChanged)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def view(self) -> dict[str, Any]:
        return self._view

    @Property("QVariantMap", constant=True)  # type: ignore[arg-type]  # stubs take only a type; Qt takes its name
    def labels(self) -> dict[str, str]:
        return self._labels

    @Property(str, constant=True)
    def hallName(self) -> str:
        return self._hall

    @Property(str, constant=True)
    def fontFamily(self) -> str:
        return self._font
