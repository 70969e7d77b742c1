"""Speech mode's voice (kiosk/speech_mode.py): phrases one after another, a new request cuts off
the old one (the espeak-ng process itself is ended: a stand-in espeak-ng that would talk for ten
seconds), the volume stays within bounds; and the core ends
speech mode with the visit (the idle wipe)."""

from __future__ import annotations

import stat
import sys
import threading
import time
from pathlib import Path

from kiosk.announcer import SilentEngine
from kiosk.speech import EspeakEngine
from kiosk.speech_mode import MAX_VOLUME, MIN_VOLUME, Speaker


def _until(check, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_phrases_in_order_and_an_interruption_drops_the_rest() -> None:
    speaker = Speaker(SilentEngine(seconds_per_char=0.01, minimum=0.05))
    speaker.say(["第一句", "第二句"], "zh_CN")
    assert _until(lambda: list(speaker.spoken) == ["第一句", "第二句"] and speaker.idle())
    speaker.say(["很长的一句" * 40, "不会说的一句"], "zh_CN")
    speaker.say(["新的一句"], "zh_CN")          # a key: cut off, the rest dropped
    assert _until(speaker.idle)
    assert list(speaker.spoken)[2:] == ["很长的一句" * 40, "新的一句"]


def test_volume_stays_within_bounds() -> None:
    speaker = Speaker(SilentEngine(), volume=0.9)
    assert speaker.louder() == MAX_VOLUME and speaker.louder() == MAX_VOLUME
    for _ in range(20):
        speaker.louder(-0.1)
    assert speaker.volume == MIN_VOLUME


def test_stop_ends_the_espeak_process(tmp_path: Path) -> None:
    talker = tmp_path / "espeak-ng"
    talker.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(10)\n")
    talker.chmod(talker.stat().st_mode | stat.S_IEXEC)
    engine = EspeakEngine(str(talker), voices={"zh_CN": "cmn-latn-pinyin", "en": "en-gb"})
    done = threading.Event()
    started = time.monotonic()
    engine.say("请A012号到3号窗口办理", "zh_CN", 0.8, done.set)
    time.sleep(0.3)
    engine.stop()
    assert done.wait(3) and time.monotonic() - started < 4
