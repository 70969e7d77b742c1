"""The Qt runtime under the kiosk: no leaked references to None (PySide6 6.12.0 on Python 3.11
drops one per void call and aborts the process after a few thousand: a kiosk would die daily), and
the Virtual Keyboard's QML module present. Also run on the PySide6 floor (test_pkg_qt_floor.py)."""

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer


def test_void_calls_keep_none_alive() -> None:
    timer, obj = QTimer(), QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        timer.setInterval(5)
        obj.setObjectName("x")
    assert sys.getrefcount(None) >= before - 50, "this PySide6 build leaks references to None"


def test_virtual_keyboard_qml_module_loads(tmp_path: Path) -> None:
    """The kiosk's QML imports QtQuick.VirtualKeyboard (Pinyin); a PySide6 without it shows no keyboard."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlComponent, QQmlEngine

    _app = QGuiApplication.instance() or QGuiApplication([])
    engine = QQmlEngine()
    component = QQmlComponent(engine)
    component.setData(b"import QtQuick\nimport QtQuick.VirtualKeyboard\nimport QtQuick.VirtualKeyboard.Settings\n"
                      b"Item { InputPanel { id: panel }\n"
                      b"  Component.onCompleted: VirtualKeyboardSettings.activeLocales = ['zh_CN', 'en_US'] }",
                      QUrl.fromLocalFile(str(tmp_path / "vk.qml")))
    item = component.create()
    assert item is not None, [e.toString() for e in component.errors()]
    assert not component.errors()
