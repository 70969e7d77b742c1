"""The voice speaks Mandarin: the espeak-ng voice the kiosk picks reads every phrase the kiosk and
the display say (calls, elder-mode steps, errors, notices, the countdown, the catalogue's item
names) without one switch to English, checked through espeak-ng's own phoneme output
(``espeak-ng -q -x``). And elder mode says each step, each error and the countdown."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from common.i18n import catalogue, placeholders
from kiosk.announcer import call_phrases
from kiosk.catalogue import load_sample_catalogue
from kiosk.speech import EspeakEngine, foreign_switches, installed_voices, phonemes, pick_voice, speakable

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (setup.sh installs it)")

# Catalogue areas never spoken: paper (printed, bilingual), staff windows, phone pages, the demo
# panel and the technician's words.
NOT_SPOKEN = ("paper.", "staff.", "phone.", "demo.", "technician.", "pin.")  # pin.: the technician's PIN dialog


def spoken_phrases() -> list[tuple[str, str]]:
    """(where, text) of every Chinese phrase the kiosk or the display can say."""
    phrases: list[tuple[str, str]] = []
    for key, text in sorted(catalogue("zh_CN").items()):
        if key.startswith(NOT_SPOKEN):
            continue
        phrases.append((key, text.format(**{name: "12" for name in placeholders(text)})))
    for number, counter in (("A012", "3号窗口"), ("B105", "12号窗口"), ("G001", "综合受理区 1 号窗口")):
        phrases += [(f"call {number}", text) for text, _ in call_phrases(number, counter, english=False)]
    sample = load_sample_catalogue()
    phrases += [(f"item {s.id}", s.name) for s in sample.services]
    phrases += [(f"zone {z.id}", z.name) for z in sample.zones + sample.themes]
    return phrases


@needs_espeak
def test_the_picked_voice_is_the_pinyin_one_when_installed() -> None:
    installed = installed_voices()
    voice = pick_voice("zh_CN", installed)
    if "cmn-latn-pinyin" in installed:
        assert voice == "cmn-latn-pinyin"
        # why: Debian 12's plain cmn voice reads 请 as English ("qing three"), espeak-ng #1236
        assert "en" in foreign_switches(phonemes("请", "cmn"), "zh_CN")
    assert EspeakEngine().voice("zh_CN") == voice
    assert foreign_switches(phonemes("请", voice), "zh_CN") == []


@needs_espeak
def test_every_spoken_phrase_is_read_as_mandarin() -> None:
    voice = pick_voice("zh_CN", installed_voices())
    phrases = spoken_phrases()
    assert len(phrases) > 150
    # One espeak-ng run for all (a second), then the culprits one by one if anything switched.
    batch = phonemes("\n".join(speakable(text, "zh_CN") + "." for _, text in phrases), voice)
    if not foreign_switches(batch, "zh_CN"):
        return
    bad = []
    for where, text in phrases:
        out = phonemes(speakable(text, "zh_CN"), voice)
        if foreign_switches(out, "zh_CN"):
            bad.append(f"{where}: {text!r} -> {out.strip()}")
    assert not bad, "read with an English fallback:\n" + "\n".join(bad)


def fake_espeak(tmp_path: Path) -> Path:
    """An ``espeak-ng`` first on PATH: lists the real voices, and logs what it is asked to say."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "said.jsonl"
    script = bindir / "espeak-ng"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, subprocess, sys\n"
        "if '--voices' in sys.argv:\n"
        f"    sys.exit(subprocess.run([{ESPEAK!r}, *sys.argv[1:]]).returncode)\n"
        f"with open({str(log)!r}, 'a', encoding='utf-8') as fh:\n"
        "    fh.write(json.dumps(sys.argv[1:], ensure_ascii=False) + '\\n')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def said(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()] if log.exists() else []


def wait_said(log: Path, predicate: Callable[[list[str]], bool], timeout: float = 10.0) -> list[list[str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate([args[-1] for args in said(log)]):
            return said(log)
        time.sleep(0.05)
    raise AssertionError(f"not said; said so far: {[args[-1] for args in said(log)]}")


@needs_espeak
def test_elder_mode_says_each_step_the_error_and_the_countdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.assembly import assemble_kiosk
    from kiosk.config import PrivacySection
    from tests.kiosk.conftest import Kiosk, make_config

    log = fake_espeak(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    config = make_config(tmp_path)
    config.privacy = PrivacySection(idle_seconds=4, form_idle_seconds=4, elder_idle_seconds=4,
                                    countdown_seconds=3)
    assembly = assemble_kiosk(config)
    try:
        kiosk = Kiosk(assembly)
        zh = catalogue("zh_CN")
        kiosk.act("elder", on=True)
        wait_said(log, lambda t: zh["speech.home"] in t)
        kiosk.act("start", flow="progress")
        wait_said(log, lambda t: any(zh["progress.how"] in x or kiosk.view()["screen"]["title"] in x for x in t))
        kiosk.scan("HELLO-NOT-A-RECEIPT")  # the scanner's bytes: an error the citizen must hear
        kiosk.wait(lambda v: v["screen"].get("problem"))
        wait_said(log, lambda t: any(zh["progress.not_receipt"] in x for x in t))
        countdown = zh["common.countdown"].split("{n}")[0]
        calls = wait_said(log, lambda t: any(x.startswith(countdown) for x in t), timeout=8)
        assert sum(args[-1].startswith(countdown) for args in calls) == 1, "the countdown is said once"
        voice = pick_voice("zh_CN", installed_voices(ESPEAK or "espeak-ng"))
        assert all(args[args.index("-v") + 1] == voice for args in calls)
    finally:
        assembly.stop()
