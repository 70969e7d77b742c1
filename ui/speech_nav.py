"""Speech mode at the kiosk window: the tactile keypad's keys walk what the screen offers, and the
voice in the headphones says each screen, the focused choice and every change.

Nothing here is written per screen: the choices are the window's visible, enabled items a finger
could press (buttons and touch areas with a text or a known name), in reading order — the page's
first, then 返回/首页, then the header — so a page added later is walked as it is drawn. Keys
(devices/keypad/keys.py): 8/2 the previous/next choice, 5 presses it (the same press a finger
makes, at its centre), 4 back, 6 the next passage of the screen's text, ``*`` again, ``#`` the
keys explained (``#`` twice: staff are called), ``+``/``-`` the volume. Any key cuts the voice
off first. The focused choice is outlined (``speechFocus`` in Main.qml); the screen is dark while
``view.speech_blank`` (privacy).

What is said comes from the catalogue (``speech.*``) and the screen itself; the voice is the
core's :class:`~kiosk.speech_mode.Speaker`.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QMouseEvent

from devices.keypad.keys import KeypadKey
from kiosk.speech import elder_phrase
from kiosk.speech_mode import VOLUME_STEP
from ui.kiosk_bridge import KioskBridge
from ui.qt_app import descendants, is_shown

log = logging.getLogger(__name__)

#: parts of the window speech mode never walks (the on-screen keyboard, the demo panel)
LEFT_OUT = ("keyboard", "demoPanel")
#: items whose text is a symbol: what is said for them (catalogue keys)
NAMED = {"key_del": "speech.key_del", "key_clear": "speech.key_clear"}
#: templates whose step needs sight whatever is on them (a page held under the camera)
NEEDS_SIGHT = ("camera",)
#: flows whose whole visit needs sight (a form typed on the screen): entering one in speech mode
#: says so and calls staff at once (the help call of the header's 呼叫 button)
SIGHT_FLOWS = ("submit",)
#: templates whose every line is said on arrival (short results: a ticket, a message)
SAY_ALL = ("message", "ticket")
#: a screen with at most this many passages besides its choices says them all on arrival
SHORT = 3
#: how long a new screen gets to lay out before its choices are read
SETTLE_MS = 250


def _clean(text: str) -> str:
    """What is said for a shown text: pictographs (😄) left out, its lines joined as a list."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "So")
    return ", ".join(line.strip() for line in kept.splitlines() if line.strip())


def _words(text: str) -> bool:
    """A text with something to say (not a lone sign such as the "!" of a warning icon)."""
    return any(ch.isalnum() for ch in text)


def _inside(item: Any, names: tuple[str, ...]) -> bool:
    node = item
    while node is not None:
        if node.objectName() in names:
            return True
        node = node.parentItem()
    return False


class SpeechNavigator(QObject):
    def __init__(self, window: Any, bridge: KioskBridge) -> None:
        super().__init__(window)  # the window keeps it
        self.window, self.bridge = window, bridge
        self.core = bridge.runtime.core
        self.active = False
        self.focus = 0
        self.passage = -1
        self.choices: list[Any] = []
        self._screen_key: tuple[Any, ...] | None = None
        self._notice = ""
        self._texts: list[str] = []
        self._help_armed = False
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._arrived)
        bridge.keyPressed.connect(self._on_key, Qt.ConnectionType.QueuedConnection)
        bridge.viewChanged.connect(self._on_view)

    # -- what the window offers ---------------------------------------------------------------
    def _tr(self, key: str, **kw: Any) -> str:
        return str(self.core.translator.tr(key, **kw))

    def _say(self, phrases: list[str], *, interrupt: bool = True) -> None:
        self.core.speaker.say(phrases, self.core.translator.language, interrupt=interrupt)

    def _label(self, item: Any) -> str:
        name = str(item.objectName())
        if name in NAMED:
            return self._tr(NAMED[name])
        text = item.property("text")
        label = _clean(text) if isinstance(text, str) else ""
        sub = item.property("sublabel")
        if label and isinstance(sub, str) and _clean(sub):
            label = f"{label}, {_clean(sub)}"
        return label

    def _walkable(self) -> list[Any]:
        root = self.window.contentItem()
        overlay = next((i for i in descendants(root) if i.objectName() == "countdown" and is_shown(i)), None)
        scope = overlay if overlay is not None else root
        found = []
        for item in descendants(scope):
            if not (item.inherits("QQuickAbstractButton") or item.inherits("QQuickMouseArea")):
                continue
            if not is_shown(item) or not item.isEnabled() or _inside(item, LEFT_OUT) or not self._label(item):
                continue
            found.append(item)

        def order(item: Any) -> tuple[int, float, float]:
            at = item.mapToScene(QPointF(0, 0))
            name = str(item.objectName())
            part = 2 if name.startswith("header_") else 1 if name.startswith("nav_") else 0
            return part, round(at.y() / 8), at.x()

        return sorted(found, key=order)

    def _page_texts(self) -> list[str]:
        """The screen's words that are no choice, in reading order (the header left out)."""
        root = self.window.contentItem()
        pressable = {id(i) for i in self.choices}
        out: list[str] = []
        loader = next((i for i in descendants(root) if i.objectName() == "pageLoader"), None)
        if loader is None:
            return out
        for item in descendants(loader):
            text = item.property("text")
            if not isinstance(text, str) or not _words(text) or not is_shown(item) or not item.inherits("QQuickText"):
                continue
            node, in_choice = item.parentItem(), False
            while node is not None and node is not loader:
                if id(node) in pressable:
                    in_choice = True
                    break
                node = node.parentItem()
            if not in_choice and _clean(text) not in out:
                out.append(_clean(text))
        return out

    def _needs_sight(self, view: dict[str, Any]) -> bool:
        """A step the keypad cannot do: a field typed on the on-screen keyboard, or a photo taken
        of a page (the citizen is told to call staff, who can help at the kiosk)."""
        if (view.get("screen") or {}).get("template") in NEEDS_SIGHT:
            return True
        return any(i.inherits("QQuickTextInput") and is_shown(i) and not _inside(i, LEFT_OUT)
                   for i in descendants(self.window.contentItem()))

    def _outline(self) -> None:
        frame = next((i for i in descendants(self.window.contentItem()) if i.objectName() == "speechFocus"), None)
        if frame is None:
            return
        item = self.choices[self.focus] if self.active and self.choices else None
        frame.setProperty("visible", item is not None)
        if item is not None:
            rect = item.mapRectToItem(frame.parentItem(), QRectF(0, 0, item.width(), item.height()))
            for name, value in (("x", rect.x() - 6), ("y", rect.y() - 6), ("width", rect.width() + 12),
                                ("height", rect.height() + 12)):
                frame.setProperty(name, value)

    def _focused_phrase(self) -> list[str]:
        if not self.choices:
            return [self._tr("speech.no_choices")]
        return [self._tr("speech.focus", n=self.focus + 1, total=len(self.choices),
                         label=self._label(self.choices[self.focus]))]

    def _view(self) -> dict[str, Any]:
        view: dict[str, Any] = self.bridge.runtime_view()
        return view

    # -- the screen changed -------------------------------------------------------------------
    @Slot()
    def _on_view(self) -> None:
        view = self._view()
        if not view.get("speech"):
            if self.active:
                self.active = False
                self._screen_key = None
                self._outline()
            return
        if not self.active:  # just started (headphones plugged in, or a key): the keys explained
            self._activate()
            return
        self._settle.start()

    def _screen_of(self, view: dict[str, Any]) -> tuple[Any, ...]:
        screen = view.get("screen") or {}
        return (view.get("flow"), view.get("state"), screen.get("template"), screen.get("title"),
                view.get("language"), bool(view.get("countdown")))

    @Slot()
    def _arrived(self) -> None:
        view = self._view()
        key = self._screen_of(view)
        self.choices = self._walkable()
        notice = str(view.get("notice") or "")
        if key != self._screen_key:
            entered_submit = key[0] in SIGHT_FLOWS and (self._screen_key or (None,))[0] != key[0]
            self._screen_key, self.focus, self.passage = key, 0, -1
            self._texts = self._page_texts()
            self._notice = notice
            self._outline()
            if entered_submit:  # a form the keypad cannot fill: said, and staff called as 呼叫 does
                self._say([*self._screen_phrase(view)[:1], self._tr("speech.submit_staff_called")])
                self.bridge.act("help", {})
                return
            self._say(self._screen_phrase(view) + self._focused_phrase())
            return
        # the same screen: what changed on it (a key typed, a problem, a notice), then the focus
        self.focus = min(self.focus, max(0, len(self.choices) - 1))
        self._outline()
        texts = self._page_texts()
        new = [t for t in texts if t not in self._texts]
        self._texts = texts
        typed = bool(new)
        if notice and notice != self._notice:
            new.append(notice)
        self._notice = notice
        if new:  # a notice alone (staff called, staff coming) waits for the phrase being said
            self._say(new, interrupt=typed)

    def _screen_phrase(self, view: dict[str, Any]) -> list[str]:
        _, text = elder_phrase(view, self.core.translator.tr)
        phrases = [text]
        if self._needs_sight(view):
            phrases.append(self._tr("speech.needs_sight"))
        rest = [t for t in self._texts if t not in text]
        if (view.get("screen") or {}).get("template") in SAY_ALL or len(rest) <= SHORT:
            phrases += rest
        else:  # a long page (a guide): its text passage by passage on 6
            phrases.append(self._tr("speech.more_text", n=len(rest)))
        return phrases

    # -- keys -----------------------------------------------------------------------------------
    @Slot(str, bool)
    def _on_key(self, name: str, started: bool) -> None:
        try:
            key = KeypadKey(name)
        except ValueError:
            return
        if started and self.active:
            return  # the key that started speech mode: the start is being said (_on_view)
        self.core.speaker.stop()   # any key cuts the voice off
        if not self.active:
            self._activate()
            return
        if key is not KeypadKey.HELP:
            self._help_armed = False
        self.choices = self._walkable()
        if key in (KeypadKey.UP, KeypadKey.DOWN):
            self._move(-1 if key is KeypadKey.UP else 1)
        elif key is KeypadKey.SELECT:
            self._select()
        elif key is KeypadKey.BACK:
            self.bridge.act("back", {})
        elif key is KeypadKey.FORWARD:
            self._read_on()
        elif key is KeypadKey.REPEAT:
            self._say(self._screen_phrase(self._view()) + self._focused_phrase())
        elif key is KeypadKey.HELP:
            self._help()
        else:
            volume = self.core.speaker.louder(VOLUME_STEP if key is KeypadKey.LOUDER else -VOLUME_STEP)
            self._say([self._tr("speech.volume", n=round(volume * 10))])

    def _activate(self) -> None:
        self.active = True
        self.choices = self._walkable()
        self._texts = self._page_texts()
        view = self._view()
        self._screen_key, self.focus, self.passage = self._screen_of(view), 0, -1
        self._notice = str(view.get("notice") or "")
        self._outline()
        self._say([self._tr("speech.started"), *self._screen_phrase(view), *self._focused_phrase()])

    def _move(self, step: int) -> None:
        if not self.choices:
            self._say([self._tr("speech.no_choices")])
            return
        target = self.focus + step
        edge: list[str] = []
        if not 0 <= target < len(self.choices):  # round the list: said, so the citizen knows
            edge = [self._tr("speech.first" if target < 0 else "speech.last")]
            target %= len(self.choices)
        self.focus = target
        self._outline()
        self._say([*edge, *self._focused_phrase()])

    def _select(self) -> None:
        if not self.choices:
            self._say([self._tr("speech.no_choices")])
            return
        item = self.choices[min(self.focus, len(self.choices) - 1)]
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        globe = QPointF(self.window.mapToGlobal(centre.toPoint()))
        for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                              (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
            event = QMouseEvent(kind, centre, globe, Qt.MouseButton.LeftButton, buttons,
                                Qt.KeyboardModifier.NoModifier)
            QGuiApplication.sendEvent(self.window, event)
        self._settle.start()  # what the press changed is said when the screen settles

    def _read_on(self) -> None:
        texts = self._page_texts()
        if not texts:
            self._say([self._tr("speech.no_text")])
            return
        self.passage += 1
        if self.passage >= len(texts):
            self.passage = -1
            self._say([self._tr("speech.text_end")])
            return
        self._say([texts[self.passage]])

    def _help(self) -> None:
        if self._help_armed:
            self._help_armed = False
            self.bridge.act("help", {})
            return
        self._help_armed = True
        self._say([self._tr("speech.keys"), self._tr("speech.call_hint")])


def attach(window: Any, bridge: KioskBridge) -> SpeechNavigator:
    """Speech mode for this kiosk window (keep the returned object as long as the window)."""
    return SpeechNavigator(window, bridge)
