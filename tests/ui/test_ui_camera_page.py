"""The materials camera page in the real kiosk window (simulated document camera): the live
picture shows while the citizen frames the page, tapping 拍照 gives the cropped photo, 重拍 goes
back to the live picture. Taps are mouse clicks on the window, as a finger would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui.screenshots import KioskDriver, pump


def _item(window: Any, name: str) -> Any:
    """The visible item called ``name`` in the window's item tree (Repeater delegates included)."""
    todo = [window.contentItem()]
    while todo:
        item = todo.pop()
        if item.objectName() == name:
            return item
        todo += item.childItems()
    return None


def _tap(driver: KioskDriver, name: str) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest

    item = _item(driver.window, name)
    assert item is not None and item.isVisible() and item.isEnabled(), name
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
    QTest.mouseClick(driver.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(centre.x()), int(centre.y())))


def test_live_preview_capture_and_retake(tmp_path: Path) -> None:
    driver = KioskDriver(tmp_path / "data", size=(1280, 720))
    try:
        driver.act("start", flow="submit")
        driver.act("choose", id="S0403")
        driver.assembly.devices.simulators["idcard"].insert("zhang_san")
        driver.wait_state("form")
        for key, value in (("phone", "13800138000"), ("reason", "租房"), ("amount", "3000")):
            driver.act("set", key=key, value=value)
        driver.act("next")
        driver.act("capture", index=1, settle=1.2)
        assert driver.runtime.call(lambda c: c.flow.state) == "camera"
        live = _item(driver.window, "livePreview")
        assert live is not None and live.isVisible()
        pump(driver.app, 0.8)
        assert live.property("sourceSize").width() == 800   # a camera frame (the placeholder is 640)
        shot = driver.shot(tmp_path / "camera-live.png")
        assert shot.stat().st_size > 10_000
        _tap(driver, "button_shoot")
        driver.wait_state("camera")
        pump(driver.app, 2.0)
        photo = _item(driver.window, "photoPreview")
        # the cropped photo, held in memory only (never a file on disk): served by the image provider
        assert photo.isVisible() and str(photo.property("source").toString()).startswith("image://camera/photo/")
        assert not live.isVisible()
        _tap(driver, "button_retake")
        pump(driver.app, 0.8)
        assert live.isVisible() and not photo.isVisible()
        _tap(driver, "button_shoot")
        pump(driver.app, 2.0)
        _tap(driver, "button_use")
        pump(driver.app, 0.8)
        assert driver.runtime.call(lambda c: c.flow.state) == "materials"
    finally:
        driver.close()
