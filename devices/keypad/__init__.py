"""The tactile keypad of speech mode: a USB numeric keypad (or an ADA phone-layout pad) that
arrives as an evdev keyboard, read exclusively (grabbed), its keys mapped to the speech-mode
commands (:class:`~devices.keypad.keys.KeypadKey`), and a simulator that sends the same
``input_event`` records through a pty."""

from devices.keypad.keys import KeypadKey, key_for

__all__ = ["KeypadKey", "key_for"]
