"""Offline speech for call announcements and elder mode: espeak-ng (no network) with a voice that
really speaks Mandarin, recorded clips for calls when the hall installed them
(:mod:`kiosk.announcer`), otherwise a silent engine that keeps the timing.

Which espeak-ng voice: Debian 12's ``cmn`` voice reads most hanzi of our phrases as English
letters and tone digits ("qing three"; espeak-ng issue #1236), while ``cmn-latn-pinyin`` reads
them all as Mandarin. So the voice is chosen from what the installed espeak-ng offers
(:func:`installed_voices`), best first from :data:`PREFERRED`. :func:`phonemes` and
:func:`foreign_switches` are how a test (and a technician) checks a phrase: espeak-ng's phoneme
output marks every switch to another language as ``(en)``.

One phrase at a time: the announcer never starts a phrase before the previous one is done.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.announcer import ClipEngine, ClipLibrary, SilentEngine, find_player, play_in_background

log = logging.getLogger(__name__)

#: voices per language, best first (names as ``espeak-ng --voices`` lists them)
PREFERRED: dict[str, tuple[str, ...]] = {
    "zh_CN": ("cmn-latn-pinyin", "cmn", "zh"),
    "en": ("en-gb", "en", "en-us"),
}
#: the language codes espeak-ng writes in ``(xx)`` when it stays within a voice's own language
OWN_CODES = {"zh_CN": {"cmn", "zh"}, "en": {"en", "en-us", "en-gb"}}
_SWITCH = re.compile(r"\(([a-z]{2,3}(?:-[a-z0-9]+)*)\)")
_ACRONYM = re.compile(r"[A-Z]{2,}")


def installed_voices(binary: str = "espeak-ng") -> set[str]:
    """The voice names the installed espeak-ng knows (its ``--voices`` table, Language column)."""
    try:
        result = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    names = set()
    for line in result.stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            names.add(parts[1].lower())
    return names


def pick_voice(language: str, installed: set[str]) -> str:
    """The best installed voice for ``language`` (the first preference when none is listed)."""
    preferred = PREFERRED.get(language, PREFERRED["zh_CN"])
    return next((v for v in preferred if v in installed), preferred[0])


def speakable(text: str, language: str) -> str:
    """What the voice is given: in Chinese, Latin acronyms are spelled letter by letter (``SAM``
    → ``S A M``, read as letter names by the Mandarin voice instead of an English word) and a
    slash becomes a pause (espeak-ng says "slash" in English otherwise)."""
    if language != "zh_CN":
        return text
    text = _ACRONYM.sub(lambda m: " ".join(m.group(0)), text)
    return text.replace("/", "，")


def phonemes(text: str, voice: str, binary: str = "espeak-ng") -> str:
    """espeak-ng's phoneme mnemonics for ``text`` (``-q -x``: nothing is played)."""
    result = subprocess.run([binary, "-q", "-x", "-v", voice, text], capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout


def foreign_switches(phoneme_text: str, language: str) -> list[str]:
    """The other languages espeak-ng switched to (``(en)`` in a Chinese phrase), in order."""
    own = OWN_CODES.get(language, set())
    return [code for code in _SWITCH.findall(phoneme_text) if code not in own]


def elder_phrase(view: dict[str, Any], tr: Callable[..., str]) -> tuple[str, str]:
    """What elder mode says for a kiosk view, and the key that keeps it from being said twice:
    the step (its ``speech``, else its title), a warning's lines, a problem the step shows
    (unreadable card, camera), the one-line notice — and, while the idle countdown runs, the
    countdown once (its key stays the same while the seconds go down)."""
    if view.get("countdown"):
        return "countdown", tr("common.countdown").replace("{n}", str(view["countdown"]))
    screen = view.get("screen", {})
    parts = [str(screen.get("speech") or screen.get("title") or "")]
    if screen.get("template") == "message" and screen.get("kind") in ("warning", "error"):
        parts += [str(line) for line in screen.get("lines", []) if isinstance(line, str)]
    for extra in (screen.get("problem"), view.get("notice")):
        if isinstance(extra, str) and extra:
            parts.append(extra)
    text = ". ".join(p.strip() for p in parts if p.strip())
    return text, text


class EspeakEngine:
    def __init__(self, binary: str = "espeak-ng", speed: int = 140, voices: dict[str, str] | None = None) -> None:
        self.binary = binary
        self.speed = speed
        if voices is None:
            installed = installed_voices(binary)
            voices = {lang: pick_voice(lang, installed) for lang in PREFERRED}
        self.voices = voices
        self._playing: set[subprocess.Popen[bytes]] = set()
        log.info("espeak-ng voices", extra={"ctx": dict(voices)})

    def voice(self, language: str) -> str:
        return self.voices.get(language, self.voices["zh_CN"])

    def say(self, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        self.say_to(None, text, language, volume, done)

    def say_to(self, sink: str | None, text: str, language: str, volume: float, done: Callable[[], None]) -> None:
        """Say ``text`` on the sound server's ``sink`` only (``PULSE_SINK``; None: the default
        output). ``env`` execs espeak-ng in its place, so :meth:`stop` still cuts it off."""
        args = [self.binary, "-v", self.voice(language), "-s", str(self.speed),
                "-a", str(int(max(0.0, min(1.0, volume)) * 200)), speakable(text, language)]
        if sink is not None:
            args = ["env", f"PULSE_SINK={sink}", *args]
        play_in_background(args, "espeak-ng", 30, done, playing=self._playing)

    def stop(self) -> None:
        """Cut off what is being said now (speech mode: a key interrupts the voice)."""
        for process in list(self._playing):
            process.terminate()


def best_engine(clips_dir: str | Path | None = None) -> EspeakEngine | SilentEngine | ClipEngine:
    """espeak-ng if installed (Debian package espeak-ng), else silent with a log line saying so;
    with the hall's recorded clips in ``clips_dir`` (and a WAV player), calls use those first."""
    binary = shutil.which("espeak-ng")
    voice: EspeakEngine | SilentEngine
    if binary:
        voice = EspeakEngine(binary)
    else:
        log.warning("no speech engine: install the Debian package espeak-ng for spoken calls")
        voice = SilentEngine()
    if clips_dir is None or not Path(clips_dir).is_dir():
        return voice
    library = ClipLibrary(Path(clips_dir))
    player = find_player()
    if not library.clips or player is None:
        log.warning("voice clips not used", extra={"ctx": {"clips": len(library.clips),
                                                           "player": bool(player)}})
        return voice
    return ClipEngine(library, voice, player)
