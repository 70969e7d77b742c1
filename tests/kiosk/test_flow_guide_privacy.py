"""Elder mode's speech through the kiosk core: each new step is said once.

The other tests that were here are citizen journeys now: the guide, browsing back out of a zone,
the complaint and the idle wipe in tests/acceptance/test_accept_guide_privacy.py; elder mode and
English in test_accept_elder.py, test_accept_tasks.py (each task in zh, en and elder mode) and
test_accept_next_citizen.py (a new visit starts afresh). This one stays on the core until the
kiosk has a speech simulator a test can listen to: a person cannot hear the offscreen kiosk.
"""

from __future__ import annotations

from tests.kiosk.conftest import Kiosk


def test_elder_mode_speaks_each_new_step_once(kiosk: Kiosk) -> None:
    said: list[str] = []

    class Recorder:
        def say(self, text: str, language: str, volume: float, done) -> None:  # type: ignore[no-untyped-def]
            said.append(text)
            done()

    kiosk.runtime.call(lambda c: setattr(c, "voice", Recorder()))
    kiosk.act("start", flow="guide")
    assert said == []  # not in elder mode
    kiosk.act("home")
    kiosk.act("elder")
    kiosk.act("touch")
    kiosk.act("start", flow="ticket")
    assert said == ["您好，请点击屏幕上您要办理的事情", "请选择办事区域"]
