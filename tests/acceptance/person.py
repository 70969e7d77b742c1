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
- wait (:meth:`wait`), and read what came out of the printer (:meth:`printed`).

Nothing here calls a flow method, sets a field or hands the core a value; if a test needs that,
the kiosk is missing a way for the person to do it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")

# The keyboard's layout-switch keys, by the class name QML gives them.
_SYMBOL_MODE = "SymbolModeKey"
_SPECIAL_KEYS = {"\n": "EnterKey", "\b": "BackspaceKey", " ": "SpaceKey"}


def _pump(app: Any, seconds: float) -> None:
    from ui.screenshots import pump

    pump(app, seconds)


def _items(item: Any) -> Iterator[Any]:
    for child in item.childItems():
        yield child
        yield from _items(child)


def _shown(item: Any) -> bool:
    """Visible to a person: it and every ancestor visible and not transparent, with a size."""
    if item.width() <= 0 or item.height() <= 0:
        return False
    node = item
    while node is not None:
        if not node.isVisible() or node.opacity() == 0:
            return False
        node = node.parentItem()
    return True


def _class(item: Any) -> str:
    return str(item.metaObject().className())


class Person:
    """One citizen in front of one kiosk window (see the module docstring for what they may do)."""

    def __init__(self, data_dir: Path, size: tuple[int, int] | None = None,
                 config_path: Path | None = None) -> None:
        """``config_path``: the hall's kiosk.toml (default: the embedded default)."""
        from ui.screenshots import KioskDriver

        # KioskDriver only assembles and shows the real window here; its flow-stepping helpers
        # are not used (they are what a person cannot do).
        self._driver = KioskDriver(data_dir, size, config_path)
        self.app, self.window, self.assembly = self._driver.app, self._driver.window, self._driver.assembly
        self.sims: dict[str, Any] = dict(self.assembly.devices.simulators) if self.assembly.devices else {}

    # -- looking ------------------------------------------------------------------------------
    def _keyboard(self) -> Any:
        return next(i for i in _items(self.window.contentItem()) if i.objectName() == "keyboard")

    def _in_keyboard(self, item: Any) -> bool:
        kb = self._keyboard()
        node = item
        while node is not None:
            if node is kb:
                return True
            node = node.parentItem()
        return False

    def _visible(self) -> list[Any]:
        return [i for i in _items(self.window.contentItem()) if _shown(i) and self._on_screen(i)]

    def _on_screen(self, item: Any) -> bool:
        from PySide6.QtCore import QPointF

        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        return 0 <= centre.x() < self.window.width() and 0 <= centre.y() < self.window.height()

    def texts(self) -> list[str]:
        """Every text shown on the window outside the keyboard, top to bottom."""
        out: list[str] = []
        for item in self._visible():
            text = item.property("text")
            # a button and the label inside it carry the same text: say it once
            if isinstance(text, str) and text.strip() and not self._in_keyboard(item) and (not out or out[-1] != text):
                out.append(text)
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
    def _target(self, label: str) -> Any:
        """The visible item a person would press for ``label``: its text, or its name."""
        candidates = [i for i in self._visible() if not self._in_keyboard(i)]
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

        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        QTest.mousePress(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        QTest.mouseRelease(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre, 60)
        _pump(self.app, settle)

    def tap(self, label: str, settle: float = 0.5) -> None:
        """Press and release on what shows ``label`` (exact text first, then name, then part of a text)."""
        self._press(self._target(label), settle)

    # -- the on-screen keyboard ---------------------------------------------------------------
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
        self.sims["idcard"].insert(identity)

    def remove_card(self) -> None:
        self.sims["idcard"].remove()

    def scan(self, code: str) -> None:
        """Hold a code under the scanner: it arrives as the scanner's serial bytes."""
        self.sims["scanner"].feed(code)

    def printed(self) -> list[str]:
        """The lines the receipt printer has printed so far."""
        return list(self.sims["printer"].text_lines())

    def shot(self, path: Path) -> Path:
        return Path(self._driver.shot(path))

    def leave(self) -> None:
        self._driver.close()
