"""The speech-mode keys (ADA 2010 §707 / EN 301 549 closed functionality, numeric-keypad layout)
and which evdev key codes carry them.

A USB numeric keypad has 8 at the top and 2 at the bottom: 8 moves up (the previous choice), 2
down (the next), 4 back, 6 forward (the next passage of the screen's text), 5 (the one with the
tactile dot) selects, ``*`` repeats, ``#`` asks for help, ``+``/``-`` set the volume. A plain
numeric keypad has no ``#`` key: its ``/`` key carries the ``#`` cap (and ``Enter`` selects too).
An ADA phone-layout pad sends the top-row digit codes and ``KEY_NUMERIC_POUND``/``_STAR``.
"""

from __future__ import annotations

import enum


class KeypadKey(enum.StrEnum):
    UP = "8"
    DOWN = "2"
    BACK = "4"
    FORWARD = "6"
    SELECT = "5"
    REPEAT = "*"
    HELP = "#"
    LOUDER = "+"
    QUIETER = "-"


#: evdev key names → the key they are in speech mode (names as ``evdev.ecodes.KEY`` lists them)
KEY_NAMES: dict[str, KeypadKey] = {
    **{f"KEY_KP{k.value}": k for k in (KeypadKey.UP, KeypadKey.DOWN, KeypadKey.BACK, KeypadKey.FORWARD,
                                       KeypadKey.SELECT)},
    **{f"KEY_{k.value}": k for k in (KeypadKey.UP, KeypadKey.DOWN, KeypadKey.BACK, KeypadKey.FORWARD,
                                     KeypadKey.SELECT)},
    "KEY_KPENTER": KeypadKey.SELECT,
    "KEY_KPASTERISK": KeypadKey.REPEAT, "KEY_NUMERIC_STAR": KeypadKey.REPEAT,
    "KEY_KPSLASH": KeypadKey.HELP, "KEY_NUMERIC_POUND": KeypadKey.HELP,
    "KEY_KPPLUS": KeypadKey.LOUDER, "KEY_KPMINUS": KeypadKey.QUIETER,
}
#: the code each key is sent as by the simulator (a USB numeric keypad's)
SENT_AS: dict[KeypadKey, str] = {
    KeypadKey.UP: "KEY_KP8", KeypadKey.DOWN: "KEY_KP2", KeypadKey.BACK: "KEY_KP4",
    KeypadKey.FORWARD: "KEY_KP6", KeypadKey.SELECT: "KEY_KP5", KeypadKey.REPEAT: "KEY_KPASTERISK",
    KeypadKey.HELP: "KEY_KPSLASH", KeypadKey.LOUDER: "KEY_KPPLUS", KeypadKey.QUIETER: "KEY_KPMINUS",
}


def key_for(name: str) -> KeypadKey | None:
    """The speech-mode key an evdev key name is, or None (a key speech mode does not use)."""
    return KEY_NAMES.get(name)
