"""The clip announcer: the hall's recorded WAV clips joined without gaps, in the order of the
call, used for a call when every piece is installed; espeak-ng (here a stand-in) otherwise."""

from __future__ import annotations

import array
import math
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path

from kiosk.announcer import Announcer, ClipEngine, ClipLibrary, call_phrases

RATE = 16000
WORDS = ["请", "号", "到", "窗口", "办理", *"0123456789", *"ABCDG"]


def tone(path: Path, freq: float, ms: int, *, rate: int = RATE, channels: int = 1) -> bytes:
    """A sine clip as a recording would be (16-bit PCM); returns its frames."""
    n = rate * ms // 1000
    samples = array.array("h", (int(8000 * math.sin(2 * math.pi * freq * i / rate))
                                for i in range(n) for _ in range(channels)))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return samples.tobytes()


def install_clips(folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    # every clip a different pitch and length, so order and gaps are visible in the frames
    return {word: tone(folder / f"{word}.wav", 300 + 40 * i, 120 + 7 * i) for i, word in enumerate(WORDS)}


def test_a_call_is_the_clips_back_to_back(tmp_path: Path) -> None:
    frames = install_clips(tmp_path / "clips")
    library = ClipLibrary(tmp_path / "clips")
    [(phrase, _)] = call_phrases("A012", "3号窗口", english=False)
    order = ["请", "A", "0", "1", "2", "号", "到", "3", "号", "窗口", "办理"]
    assert library.sequence(phrase) == order
    audio = library.render(phrase)
    assert audio is not None
    out = tmp_path / "call.wav"
    out.write_bytes(audio)
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        joined = wav.readframes(wav.getnframes())
        assert wav.getnframes() == sum(len(frames[w]) for w in order) // 2  # length = sum, no gap
    assert joined == b"".join(frames[w] for w in order)


def test_a_clip_in_another_format_is_left_out_and_the_call_falls_back(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    install_clips(folder)
    tone(folder / "窗口.wav", 500, 200, rate=22050)  # re-recorded at another rate
    library = ClipLibrary(folder)
    assert library.rejected == ["窗口.wav"]
    [(phrase, _)] = call_phrases("A012", "3号窗口", english=False)
    assert library.sequence(phrase) is None  # 窗口 missing: not a call with a hole in it
    assert library.sequence("请 B 1 0 5 号") == ["请", "B", "1", "0", "5", "号"]


class Fallback:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        self.said.append(text)
        done()


def test_the_announcer_plays_clips_and_falls_back_for_the_rest(tmp_path: Path) -> None:
    frames = install_clips(tmp_path / "clips")
    played = tmp_path / "played"
    played.mkdir()
    # The player is a real process given the WAV file, like aplay; it keeps a copy for the test.
    player = [sys.executable, "-c",
              "import shutil, sys, time; shutil.copy(sys.argv[1], "
              f"{str(played)!r} + '/%d.wav' % time.monotonic_ns())"]
    fallback = Fallback()
    announcer = Announcer(ClipEngine(ClipLibrary(tmp_path / "clips"), fallback, player), repeat=1, english=True)
    announcer.announce("A012", "3号窗口")
    announcer.announce("C007", "综合窗口")  # 综合 has no clip: the voice says this call
    deadline = time.monotonic() + 20
    while not announcer.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert announcer.idle()
    files = sorted(played.glob("*.wav"))
    assert len(files) == 1
    with wave.open(str(files[0]), "rb") as wav:
        audio = wav.readframes(wav.getnframes())
    order = ["请", "A", "0", "1", "2", "号", "到", "3", "号", "窗口", "办理"]
    assert audio == b"".join(frames[w] for w in order)
    assert fallback.said[0].startswith("Number A")  # English phrases: the voice
    assert fallback.said[1].startswith(call_phrases("C007", "综合窗口", english=False)[0][0][:1])
    assert len(fallback.said) == 3
