"""The rating keypad offers the letters of the hall's own tickets: a hall whose services number
their tickets F… (hall.toml) lets a citizen type F001 on the real kiosk window and rate it.

The hall is the kiosk's embedded hall service over loopback HTTP; the ticket is issued by a kiosk
client and served by a counter client, as at a real hall; the citizen only taps the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queueing.client import HallClient
from queueing.hallconfig import sample_hall_toml
from ui.screenshots import KioskDriver


def _items(item: Any) -> Iterator[Any]:
    for child in item.childItems():
        yield child
        yield from _items(child)


def _find(driver: KioskDriver, name: str) -> Any:
    """The visible item called ``name`` (a citizen can only press what is shown)."""
    found = [i for i in _items(driver.window.contentItem()) if i.objectName() == name and i.isVisible()]
    assert found, f"no visible {name!r} on the screen"
    return found[0]


def _tap(qtbot: Any, driver: KioskDriver, name: str) -> None:
    from PySide6.QtCore import QPointF, Qt

    item = _find(driver, name)
    assert item.isEnabled(), f"{name} is disabled"
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    seen = driver.bridge.views_seen
    qtbot.mouseClick(driver.window, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: driver.bridge.views_seen > seen, timeout=5000)


def _text(driver: KioskDriver, name: str) -> str:
    return str(_find(driver, name).property("text"))


@pytest.fixture
def f_hall(tmp_path: Path) -> Iterator[KioskDriver]:
    data = tmp_path / "data"
    (data / "hall").mkdir(parents=True)
    # The 社保 services number their tickets F… in this hall (the sample says A).
    (data / "hall" / "hall.toml").write_text(sample_hall_toml().replace('prefix = "A"', 'prefix = "F"'),
                                             encoding="utf-8")
    driver = KioskDriver(data)
    try:
        yield driver
    finally:
        driver.close()


def test_citizen_types_an_f_ticket_on_the_rating_keypad(qtbot: Any, f_hall: KioskDriver) -> None:
    hall = f_hall.assembly.hall
    kiosk, counter = HallClient(hall.url, hall.tokens["kiosk"]), HallClient(hall.url, hall.tokens["counter"])
    number = kiosk.issue_ticket("S0101")["ticket"]["number"]
    assert number == "F001"
    counter.call_next("W01", staff_id="s-W01")
    counter.start("W01", staff_id="s-W01")
    counter.finish("W01", staff_id="s-W01")

    _tap(qtbot, f_hall, "choice_rating")
    _tap(qtbot, f_hall, "choice_rate")
    for key in number:
        _tap(qtbot, f_hall, f"key_{key}")
    assert _text(f_hall, "keypadValue") == "F001"
    _tap(qtbot, f_hall, "button_ok")
    assert "F001" in _text(f_hall, "pageTitle")  # the five faces for this ticket
    assert _find(f_hall, "choice_very_satisfied")
