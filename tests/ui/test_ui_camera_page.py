"""The materials camera page in the real kiosk window (simulated document camera), reached and
used by a citizen (tests/acceptance/person.py: taps and the on-screen keyboard's keys): the live
picture shows while the citizen frames the page, tapping 拍照 gives the cropped photo, 重新拍摄
goes back to the live picture, 使用这张照片 keeps it. What is drawn is read off the window's items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import to_materials


def zh(key: str) -> str:
    return str(translate("zh_CN", key))


def _item(window: Any, name: str) -> Any:
    """The item called ``name`` in the window's item tree (Repeater delegates included)."""
    todo = [window.contentItem()]
    while todo:
        item = todo.pop()
        if item.objectName() == name:
            return item
        todo += item.childItems()
    return None


def test_live_preview_capture_and_retake(tmp_path: Path, qapp: object) -> None:
    person = Person(tmp_path / "data", (1280, 720))
    try:
        to_materials(person)   # the 即办件's form typed on the keyboard, on to its materials
        person.tap(zh("submit.capture"), settle=1.2)       # the material's 拍照: the camera page
        person.wait_for(zh("submit.camera.hint"))
        live = _item(person.window, "livePreview")
        assert live is not None and live.isVisible()
        for _ in range(20):  # the first frame arrives within a few of the camera's refreshes (slower under load)
            person.wait(0.4)
            if live.property("sourceSize").width() == 800:
                break
        assert live.property("sourceSize").width() == 800   # a camera frame (the placeholder is 640)
        shot = person.shot(tmp_path / "camera-live.png")
        assert shot.stat().st_size > 10_000
        person.tap("button_shoot", settle=2.0)
        person.wait_for(zh("submit.use"), timeout=15)
        photo = _item(person.window, "photoPreview")
        # the cropped photo, held in memory only (never a file on disk): served by the image provider
        assert photo.isVisible() and str(photo.property("source").toString()).startswith("image://camera/photo/")
        assert not live.isVisible()
        person.tap("button_retake", settle=0.8)
        assert live.isVisible() and not photo.isVisible()
        person.tap("button_shoot", settle=2.0)
        person.wait_for(zh("submit.use"), timeout=15)
        person.tap("button_use", settle=0.8)
        person.wait_for(zh("submit.material.photo"))       # back on the materials, photographed
        assert person.sees(zh("submit.materials")), person.texts()
    finally:
        person.leave()
