"""The Qt runtime under the kiosk must not leak references to None (PySide6 6.12.0 on Python 3.11
drops one per void call and aborts the process after a few thousand: a kiosk would die daily)."""

import sys

from PySide6.QtCore import QObject, QTimer


def test_void_calls_keep_none_alive() -> None:
    timer, obj = QTimer(), QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        timer.setInterval(5)
        obj.setObjectName("x")
    assert sys.getrefcount(None) >= before - 50, "this PySide6 build leaks references to None"
