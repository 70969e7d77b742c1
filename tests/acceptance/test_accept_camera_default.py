"""A deployed kiosk whose kiosk.toml names a real printer but says nothing of a camera (as an
older configuration does): the citizen who taps 拍照 is told there is no camera here and how to
go on, and no simulated page ever becomes their material."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from common.i18n import translate
from tests.acceptance.person import Person
from tests.acceptance.test_accept_submit_faults import to_materials, zh


def test_no_camera_section_beside_a_real_printer_means_no_camera(people: Callable[..., Person],
                                                                  tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[devices.printer]\nconnection = "file:{tmp_path / "printer.bin"}"\n', encoding="utf-8")
    person = people(config=config)
    to_materials(person)
    assert "camera" not in person.sims                              # no simulated camera runs
    assert person.sees(zh("submit.camera.none")), person.texts()   # why not, and how to go on
    assert not person.sees(zh("submit.capture"))                    # no 拍照 that does nothing
    assert not person.sees(str(translate("zh_CN", "submit.material.photo")))
