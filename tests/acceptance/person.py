"""A citizen at the kiosk, for the acceptance suite: the real kiosk window of the embedded default
(reference platform, hall service and simulators behind real ptys, all in this process), driven only
the way a person can drive it.

A :class:`Person` may only
- look: :meth:`texts`, :meth:`sees`, :meth:`wait_for` read what is visible on the window;
- press and release on a visible item found by its visible text or its name (:meth:`tap`);
- press keys of the Qt Virtual Keyboard's ``InputPanel`` (:meth:`type`, :meth:`press_key`), never
  ``setText`` or input-method shortcuts;
- bring a card or a code: :meth:`place_card` / :meth:`remove_card` put a fictional card on the
  simulated reader (the driver reads it as SAM frames over the pty), :meth:`scan` sends a code as
  the scanner's serial bytes;
- press a key of the tactile keypad of speech mode (:meth:`press_keypad`: the keypad simulator
  sends the key's evdev records through its pty) and listen to the headphones (:meth:`heard`:
  the phrases the kiosk's speech-mode voice said);
- wait (:meth:`wait`), read what came out of the printer (:meth:`printed`) and hold the printed
  paper's QR code under the scanner (:meth:`scan_printed_qr`: decoded from the paper's image);
- have a device go wrong the way it does in the field (:meth:`break_device`, one of the fault
  names the device's simulator lists in its ``FAULTS``), and mend it again.

Nothing here calls a flow method, sets a field or hands the core a value; if a test needs that,
the kiosk is missing a way for the person to do it.

A person counts what they do: taps on the screen, keys of the on-screen keyboard, swipes, and
cards or codes brought to the devices. :meth:`Person.journey` measures one task from home (those
counts and the seconds it took) and appends it to :data:`JOURNEYS` (JSON lines, set by the suite's
session fixture), from which ``python -m tests.acceptance.journeys`` writes the table in
docs/kiosk.md.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")

# The keyboard's layout-switch keys, by the class name QML gives them.
_SYMBOL_MODE = "SymbolModeKey"
_SPECIAL_KEYS = {"\n": "EnterKey", "\b": "BackspaceKey", " ": "SpaceKey"}


#: where :meth:`Person.journey` appends its records (JSON lines); None: not written
JOURNEYS: Path | None = None
#: where each journey's last screen is pictured (``$HALL_SUITE_SHOTS``; None: no pictures)
SHOTS: Path | None = None


@dataclass
class Counts:
    """What a person did: screen taps, keyboard keys, swipes, cards and codes brought."""

    taps: int = 0
    keys: int = 0
    swipes: int = 0
    brought: int = 0

    def since(self, before: Counts) -> Counts:
        return Counts(self.taps - before.taps, self.keys - before.keys, self.swipes - before.swipes,
                      self.brought - before.brought)


@dataclass(frozen=True)
class TextBox:
    """A text as a person sees it: the words, its box on the window (x, y, width, height in
    pixels), its letters' pixel size, its colour (red, green, blue), the opacity it is drawn
    with (its own and its parents') and whether it belongs to something that can be pressed now
    (a greyed-out button's label not)."""

    text: str
    box: tuple[float, float, float, float]
    pixels: float
    colour: tuple[int, int, int]
    opacity: float
    enabled: bool


def _pump(app: Any, seconds: float) -> None:
    from ui.screenshots import pump

    pump(app, seconds)


def _items(item: Any) -> Iterator[Any]:
    from ui.qt_app import descendants

    return descendants(item)


def _shown(item: Any) -> bool:
    """Visible to a person: it and every ancestor visible and not transparent, with a size."""
    from ui.qt_app import is_shown

    return bool(is_shown(item))


def _class(item: Any) -> str:
    return str(item.metaObject().className())


def _within(item: Any, name: str) -> bool:
    while item is not None:
        if item.objectName() == name:
            return True
        item = item.parentItem()
    return False


def _pressable(item: Any) -> bool:
    if item.inherits("QQuickMouseArea") or item.inherits("QQuickAbstractButton"):
        return True
    meta = item.metaObject()
    return any(bytes(meta.method(i).name().data()) in (b"clicked", b"tapped", b"pressed")
               for i in range(meta.methodCount()))


class Person:
    """One citizen in front of one kiosk window (see the module docstring for what they may do)."""

    def __init__(self, data_dir: Path, size: tuple[int, int] | None = None, *,
                 config: Path | None = None) -> None:
        from ui.screenshots import KioskDriver

        # KioskDriver only assembles and shows the real window here; its flow-stepping helpers
        # are not used (they are what a person cannot do). ``config`` is a kiosk.toml the kiosk
        # reads as it would at a hall (e.g. a short privacy.idle_seconds).
        self._driver = KioskDriver(data_dir, size, config=config)
        self.app, self.window, self.assembly = self._driver.app, self._driver.window, self._driver.assembly
        self.sims: dict[str, Any] = dict(self.assembly.devices.simulators) if self.assembly.devices else {}
        self._finger: Any = None  # the touch screen, made on the first swipe
        self._kb: Any = None  # the on-screen keyboard's item, found on first use
        self.counts = Counts()

    # -- looking ------------------------------------------------------------------------------
    def _keyboard(self) -> Any:
        # the InputPanel is made once with the window (Main.qml): looked up once, not on every
        # item asked about (that search over the whole scene was a fifth of a walk's time)
        if self._kb is None:
            self._kb = next(i for i in _items(self.window.contentItem()) if i.objectName() == "keyboard")
        return self._kb

    def _in_keyboard(self, item: Any) -> bool:
        kb = self._keyboard()
        node = item
        while node is not None:
            if node is kb:
                return True
            node = node.parentItem()
        return False

    def _visible(self) -> list[Any]:
        """Every item a person can see, top of the scene first (depth first, as :func:`_shown`
        would pick them from all the scene's items): a hidden or transparent item's children are
        not looked at, none of them is shown."""
        out: list[Any] = []

        def look(item: Any) -> None:
            for child in item.childItems():
                if not hasattr(child, "opacity"):  # one being destroyed as the screen changes
                    continue
                if not child.isVisible() or child.opacity() == 0:
                    continue  # neither it nor anything under it is shown
                if child.width() > 0 and child.height() > 0 and self._on_screen(child):
                    out.append(child)
                look(child)

        root = self.window.contentItem()
        if root.isVisible() and root.opacity() != 0:
            look(root)
        return out

    def _on_screen(self, item: Any) -> bool:
        from PySide6.QtCore import QPointF

        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        return 0 <= centre.x() < self.window.width() and 0 <= centre.y() < self.window.height()

    def _centre_in_view(self, item: Any) -> bool:
        from PySide6.QtCore import QPointF

        y = item.mapToScene(QPointF(0, item.height() / 2)).y()
        clip = item.parentItem()
        while clip is not None:
            if clip.clip():
                ctop = clip.mapToScene(QPointF(0, 0)).y()
                if not ctop <= y <= ctop + clip.height():
                    return False
            clip = clip.parentItem()
        return True

    def texts(self) -> list[str]:
        """Every text shown on the window outside the keyboard, top to bottom."""
        out: list[str] = []
        for item in self._visible():
            text = item.property("text")
            # a button and the label inside it carry the same text: say it once
            if isinstance(text, str) and text.strip() and not self._in_keyboard(item) and (not out or out[-1] != text):
                out.append(text)
        return out

    def pressables(self, besides: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
        """Everything on the window outside the keyboard a finger can press: each visible, enabled
        MouseArea, button, text field or item with a clicked/tapped/pressed signal, as (its name or text, width,
        height) in window pixels (what a fingertip meets, whatever the item draws); ``besides`` names
        parts of the window left out."""
        from PySide6.QtCore import QRectF

        out: list[tuple[str, float, float]] = []
        for item in self._visible():
            if self._in_keyboard(item) or not item.isEnabled() or not _pressable(item) \
                    or any(_within(item, name) for name in besides):
                continue
            rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
            label = str(item.objectName() or item.property("text") or _class(item))
            out.append((label, rect.width(), rect.height()))
        return out

    def sees_dark(self) -> bool:
        """Whether the window is blanked (speech mode's privacy screen covers it all)."""
        return any(i.objectName() == "speechBlank" and i.width() >= self.window.width() for i in self._visible())

    def text_boxes(self, besides: tuple[str, ...] = ()) -> list[TextBox]:
        """Every text a person can read on the window outside the keyboard (in its scrolling
        view, not scrolled away): what it says, where it is (window pixels), its letters' pixel
        size as drawn and the colour it is drawn in; ``besides`` names parts of the window left out."""
        from PySide6.QtCore import QRectF

        out: list[TextBox] = []
        for item in self._visible():
            if not (item.inherits("QQuickText") or item.inherits("QQuickTextInput")) \
                    or self._in_keyboard(item) or not self._centre_in_view(item) \
                    or any(_within(item, name) for name in besides):
                continue
            text = item.property("text")
            if not isinstance(text, str) or not text.strip():
                continue
            rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
            font = item.property("font")
            size = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72
            size *= rect.height() / item.height()  # any scale on the way to the window
            colour, opacity, node = item.property("color"), 1.0, item
            while node is not None:
                opacity, node = opacity * node.opacity(), node.parentItem()
            out.append(TextBox(text, (rect.x(), rect.y(), rect.width(), rect.height()), size,
                               (colour.red(), colour.green(), colour.blue()), opacity * colour.alphaF(),
                               item.isEnabled()))
        return out

    def sees(self, text: str) -> bool:
        return any(text in t for t in self.texts())

    def wait_for(self, text: str, timeout: float = 10.0) -> None:
        """Wait until ``text`` is shown (part of any visible text); fail with what is shown."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sees(text):
                return
            _pump(self.app, 0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows: {self.texts()}")

    def wait(self, seconds: float) -> None:
        _pump(self.app, seconds)

    # -- pressing -----------------------------------------------------------------------------
    def _target(self, label: str, *, anywhere: bool = False) -> Any:
        """The visible item a person would press for ``label``: its text, or its name; one
        scrolled out of its view is no target (the person swipes first), unless ``anywhere``."""
        candidates = [i for i in self._visible() if not self._in_keyboard(i)
                      and (anywhere or self._centre_in_view(i))]
        for match in (lambda i: i.property("text") == label,
                      lambda i: i.objectName() == label,
                      lambda i: isinstance(i.property("text"), str) and label in i.property("text")):
            found = [i for i in candidates if match(i)]
            if found:
                return found[0]
        raise AssertionError(f"nothing called {label!r} to press; the screen shows: {self.texts()}")

    def _press(self, item: Any, settle: float) -> None:
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtTest import QTest

        if self._in_keyboard(item):
            self.counts.keys += 1
        else:
            self.counts.taps += 1
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        QTest.mousePress(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        QTest.mouseRelease(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre, 60)
        _pump(self.app, settle)

    def where(self, label: str) -> tuple[int, int]:
        """Where on the window (pixels from its top left) a finger presses ``label``: for driving
        the same kiosk, laid out alike, in another process (tests/test_demo_hall_x11.py)."""
        from PySide6.QtCore import QPointF

        item = self._target(label)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        return centre.x(), centre.y()

    def tap(self, label: str, settle: float = 0.5) -> None:
        """Press and release on what shows ``label`` (exact text first, then name, then part of a text)."""
        self._press(self._target(label), settle)

    def _touchscreen(self) -> Any:
        from PySide6.QtTest import QTest

        if self._finger is None:
            self._finger = QTest.createTouchDevice()
        return self._finger

    def swipe_to(self, label: str, tries: int = 8) -> None:
        """Swipe the scrolling view that holds ``label`` until what shows ``label`` is in its view:
        a finger drawn up over it when it lies below (as a person does when a cue says there is
        more below), drawn down when it was scrolled away above."""
        from PySide6.QtCore import QPoint, QPointF
        from PySide6.QtTest import QTest

        for _ in range(tries):
            item = self._target(label, anywhere=True)
            if self._centre_in_view(item):
                return
            view = item.parentItem()
            while view is not None and not view.clip():
                view = view.parentItem()
            assert view is not None, f"{label!r} is out of sight and not in a scrolling view"
            top = view.mapToScene(QPointF(view.width() / 2, 0)).toPoint()
            above = item.mapToScene(QPointF(0, item.height() / 2)).y() < top.y()
            start, rise = top + QPoint(0, int(view.height() * 0.8)), int(view.height() * 0.5)
            if above:
                start, rise = top + QPoint(0, int(view.height() * 0.2)), -rise
            # a finger on the touch screen: press, draw up, lift
            self.counts.swipes += 1
            finger = self._touchscreen()
            QTest.touchEvent(self.window, finger).press(0, start, self.window).commit()
            for step in range(1, 13):
                _pump(self.app, 0.02)
                QTest.touchEvent(self.window, finger).move(0, start - QPoint(0, rise * step // 12),
                                                           self.window).commit()
            QTest.touchEvent(self.window, finger).release(0, start - QPoint(0, rise), self.window).commit()
            _pump(self.app, 0.8)  # the flick settles
        raise AssertionError(f"{label!r} never came into view")

    # -- the on-screen keyboard ---------------------------------------------------------------
    def focused(self) -> str:
        """The name of the item that has the keyboard's focus ("" when none): where keys go."""
        item = self.window.activeFocusItem()
        return str(item.objectName()) if item is not None else ""

    def in_sight(self, label: str) -> bool:
        """Whether what shows ``label`` (text or name, as :meth:`tap` finds it) is wholly on the
        window, not under the keyboard and not scrolled out of its view."""
        try:
            return self._whole(self._target(label, anywhere=True))
        except AssertionError:
            return False

    def _whole(self, item: Any) -> bool:
        from PySide6.QtCore import QPointF

        top = item.mapToScene(QPointF(0, 0)).y()
        bottom = top + item.height()
        clip = item.parentItem()
        while clip is not None:  # a scrolling view clips what lies beyond its edges
            if clip.clip():
                ctop = clip.mapToScene(QPointF(0, 0)).y()
                if top < ctop - 1 or bottom > ctop + clip.height() + 1:
                    return False
            clip = clip.parentItem()
        floor = self.window.height()
        if self.keyboard_shown():
            floor = min(floor, self._keyboard().mapToScene(QPointF(0, 0)).y())
        return top >= 0 and bottom <= floor + 1

    def keyboard_shown(self) -> bool:
        kb = self._keyboard()
        return bool(kb.property("active")) and self._on_screen(kb)

    def _keys(self) -> list[Any]:
        kb = self._keyboard()
        return [i for i in _items(kb) if i.property("displayText") is not None and _shown(i)]

    def _key_for(self, char: str) -> Any | None:
        keys = self._keys()
        if char in _SPECIAL_KEYS:
            return next((k for k in keys if _class(k).startswith(_SPECIAL_KEYS[char])), None)
        return next((k for k in keys if k.property("text") == char or k.property("displayText") == char), None)

    def press_key(self, char: str, settle: float = 0.15) -> None:
        """Press one key of the on-screen keyboard ("\\n" Enter, "\\b" Backspace), switching to the
        symbol layout (&123) and back when the key is not on the current one."""
        assert self.keyboard_shown(), "the on-screen keyboard is not shown"
        key = self._key_for(char)
        if key is None:
            self._toggle_symbols()
            key = self._key_for(char)
            if key is None:
                self._toggle_symbols()
                raise AssertionError(f"no key {char!r} on the on-screen keyboard")
            self._press(key, settle)
            if self._key_for(char) is not None and not char.isdigit():
                self._toggle_symbols()
            return
        self._press(key, settle)

    def _toggle_symbols(self) -> None:
        mode = next((k for k in self._keys() if _class(k).startswith(_SYMBOL_MODE)), None)
        assert mode is not None, "no symbol-mode key on the keyboard"
        self._press(mode, 0.3)

    def type(self, text: str) -> None:
        """Type ``text`` key by key on the on-screen keyboard (the field must have the focus)."""
        for char in text:
            self.press_key(char)

    # -- cards, codes, paper ------------------------------------------------------------------
    def place_card(self, identity: str) -> None:
        """Put a fictional card (a key of the ID-card simulator's identities) on the reader."""
        self.counts.brought += 1
        self.sims["idcard"].insert(identity)

    def remove_card(self) -> None:
        self.sims["idcard"].remove()

    def scan(self, code: str) -> None:
        """Hold a code under the scanner: it arrives as the scanner's serial bytes."""
        self.counts.brought += 1
        self.sims["scanner"].feed(code)

    def press_keypad(self, key: str, settle: float = 0.6) -> None:
        """Press one key of the speech-mode keypad ("2", "5", "*", "#", "+"…); not counted with
        the on-screen keyboard's keys of :class:`Counts`."""
        self.sims["keypad"].press(key)
        _pump(self.app, settle)

    def heard(self) -> list[str]:
        """Every phrase said in the headphones so far (speech mode), oldest first."""
        return list(self.assembly.core.speaker.spoken)

    def break_device(self, kind: str, fault: str | None) -> None:
        """A device goes wrong: ``fault`` is one of ``FAULTS`` of that device's simulator (None mends it)."""
        sim = self.sims[kind]
        assert fault is None or fault in sim.FAULTS, f"{kind} simulator has no fault {fault!r}: {sim.FAULTS}"
        sim.set_fault(fault)

    def printed_qr(self) -> str:
        """What the QR code on the last printed paper says (decoded from the paper's image, as a
        phone camera or the kiosk's scanner would read it)."""
        import numpy as np

        from devices.scanner.decode import make_decoder

        pages = self.sims["printer"].pages()
        assert pages, "nothing was printed"
        found = make_decoder()(np.asarray(pages[-1].convert("L")))
        assert found, "the printed paper carries no readable QR code"
        return found[0].decode("utf-8")

    def scan_printed_qr(self) -> None:
        """Hold the last printed paper's QR code under the scanner."""
        self.scan(self.printed_qr())

    def printed(self) -> list[str]:
        """The lines the receipt printer has printed so far."""
        return list(self.sims["printer"].text_lines())

    @contextmanager
    def journey(self, task: str, mode: str) -> Iterator[Counts]:
        """One task from the home screen: what the person did in it and how long it took, appended
        to :data:`JOURNEYS` when the task got to its end (the body did not raise). The counts are
        yielded as they stand when the task ends (read them after the ``with``)."""
        before, started = Counts(**asdict(self.counts)), time.monotonic()
        done = Counts()
        yield done
        spent = self.counts.since(before)
        done.taps, done.keys, done.swipes, done.brought = spent.taps, spent.keys, spent.swipes, spent.brought
        if JOURNEYS is not None:
            size = f"{self.window.width()}x{self.window.height()}"
            line = {"task": task, "mode": mode, "size": size, **asdict(spent),
                    "seconds": round(time.monotonic() - started, 1)}
            with JOURNEYS.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        if SHOTS is not None:  # the screen the task ended on, as the citizen saw it
            slug = "-".join(re.findall(r"[a-z0-9]+", task.replace("即办件", "same-day item").lower()))
            self.shot(SHOTS / f"suite-{mode}-{slug}.png")

    def shot(self, path: Path) -> Path:
        return Path(self._driver.shot(path))

    def picture(self, name: str) -> None:
        """This screen as the citizen sees it, for the docs: ``suite-<name>.png`` where the docs'
        script asks for pictures (``$HALL_SUITE_SHOTS``); nothing in an ordinary run."""
        if SHOTS is not None:
            self.shot(SHOTS / f"suite-{name}.png")

    def leave(self) -> None:
        self._driver.close()
