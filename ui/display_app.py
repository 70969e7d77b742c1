"""The display role: the hall TV (or a small per-window screen) fed live by the hall service's
event stream, with queued voice announcements."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Property, QObject, Qt, QTimer, Signal
from PySide6.QtQml import QmlElement, QmlUncreatable

from common.i18n import translate
from kiosk.announcer import Announcer
from kiosk.hall_display import PER_PAGE, DisplayFollower, DisplayModel
from ui.qt_app import to_qml

# The QML module the bridge types belong to: pages declare `required property DisplayBridge bridge`
# and qmllint checks their use against it (ui/qml_lint.py).
QML_IMPORT_NAME = "HallKiosk"
QML_IMPORT_MAJOR_VERSION = 1

log = logging.getLogger(__name__)

# The words of the screens (staff.display.<name>); "title" and "window_title" name the windows.
LABEL_NAMES = ("title", "window_title", "number", "window", "recent", "waiting", "people", "reconnecting",
               "serving", "idle", "notices")
PAGE_SECONDS = 8  # each page of current calls when more than two columns hold


def labels(language: str) -> dict[str, str]:
    """The display's words in ``language`` (the configured ``kiosk.language``)."""
    return {name: translate(language, f"staff.display.{name}") for name in LABEL_NAMES}


@QmlElement
@QmlUncreatable("made by the display role and given to Main.qml / Window.qml")
class DisplayBridge(QObject):  # type: ignore[operator]  # stubs: QmlUncreatable("…") is a decorator
    viewChanged = Signal()
    clockChanged = Signal()
    _changed = Signal()

    def __init__(self, client: Any, announcer: Announcer | None, *, hall_name: str, font_family: str,
                 language: str = "zh_CN", counter_id: str | None = None, page_seconds: int = PAGE_SECONDS) -> None:
        super().__init__()
        self.model = DisplayModel()
        self.page = 0
        self._clock = ""
        self.announcer = announcer
        self.counter_id = counter_id
        self._hall = hall_name
        self._font = font_family
        self._labels = labels(language)
        self._view: dict[str, Any] = to_qml(self.model.view())
        self._changed.connect(self._refresh, Qt.ConnectionType.QueuedConnection)
        self.follower = DisplayFollower(client, self.model, self._changed.emit, self._on_call)
        self.redraws = 0
        self._was_connected = False
        # the hall's time (its zone from hall.toml, not this machine's) and the notices' start and
        # end, checked every second; the current calls' pages turned every PAGE_SECONDS
        self._ticks = 0
        self.page_seconds = max(1, page_seconds)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self._tick()

    def _tick(self) -> None:
        try:
            zone: tzinfo = ZoneInfo(self.model.timezone)
        except (ValueError, KeyError):
            zone = ZoneInfo("Asia/Shanghai")
        self._clock = datetime.now(zone).strftime("%Y-%m-%d  %H:%M:%S")
        self.clockChanged.emit()
        self._ticks += 1
        if self._ticks % self.page_seconds == 0 and len(self.model.current) > PER_PAGE:
            self.page += 1
            self._refresh()
        elif self._ticks % 5 == 0 and self.model.notices:
            self._refresh()  # a scheduled notice starts or ends

    def start(self) -> DisplayBridge:
        self.follower.start()
        return self

    def stop(self) -> None:
        self.follower.stop()

    def _on_call(self, call: dict[str, Any]) -> None:
        # the hall's record that the TV got the call ("my call never showed" is checked here)
        log.info("call shown", extra={"ctx": {"number": call["number"], "counter": call["counter_id"]}})
        if self.announcer is None:
            return
        if self.counter_id and call["counter_id"] != self.counter_id:
            return
        self.announcer.announce(call["number"], call["counter"])

    def _refresh(self) -> None:
        if self.model.connected != self._was_connected:  # what a technician reads when the TV goes blank
            self._was_connected = self.model.connected
            log.info("display following the hall's calls" if self.model.connected else "display lost the hall")
        view = self.model.view(self.page)
        self.page = int(view["page"]) - 1
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

    @Property(str, notify=clockChanged)
    def clock(self) -> str:
        """The hall's date and time now, in the hall's time zone."""
        return self._clock

    @Property(str, constant=True)
    def hallName(self) -> str:
        return self._hall

    @Property(str, constant=True)
    def fontFamily(self) -> str:
        return self._font
