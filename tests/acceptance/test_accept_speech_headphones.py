"""Speech mode's voice in the headphones only (issue 19): a blind citizen plugs headphones into the
kiosk's jack, listens, and pulls them out. The sound server is a stand-in ``pactl`` on PATH that
prints what PulseAudio prints (``subscribe`` events, ``list sinks`` with the headphone port
available or not) and notes ``set-sink-port``; the voice is a stand-in ``espeak-ng`` that notes
each phrase with the sink it was sent to (``PULSE_SINK``), "speaks" for a few seconds, and notes
being cut off. Elder mode is on (its voice speaks each step aloud on the hall's loudspeaker)."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from common.i18n import translate
from tests.acceptance.test_accept_speech import hear

pytestmark = pytest.mark.slow  # the stand-in voice takes its time, as a real one does

SINK = "alsa_output.pci-0000_00_1f.3.analog-stereo"
SINKS = """Sink #0
\tState: RUNNING
\tName: {sink}
\tPorts:
\t\tanalog-output-speaker: Speakers (priority: 10000, available)
\t\tanalog-output-headphones: Headphones (priority: 9000, {state})
\tActive Port: analog-output-speaker
"""

PACTL = """#!{python}
import os, sys, time
from pathlib import Path
here = Path(os.environ["FAKE_SOUND_DIR"])
if sys.argv[1:] == ["list", "sinks"]:
    print((here / "sinks").read_text())
elif sys.argv[1:2] == ["set-sink-port"]:
    with (here / "ports").open("a") as fh:
        fh.write(" ".join(sys.argv[2:]) + "\\n")
elif sys.argv[1:] == ["subscribe"]:
    seen = 0
    while True:
        lines = (here / "events").read_text().splitlines()
        for line in lines[seen:]:
            print(line, flush=True)
        seen = len(lines)
        time.sleep(0.05)
"""

ESPEAK = """#!{python}
import json, os, signal, sys, time
from pathlib import Path
log = Path(os.environ["FAKE_SOUND_DIR"]) / "voice"
if sys.argv[1:2] == ["--voices"]:
    print("Pty Language       Age/Gender VoiceName          File                 Other Languages")
    sys.exit(0)
def note(event):
    with log.open("a") as fh:
        fh.write(json.dumps({{"pid": os.getpid(), "event": event, "sink": os.environ.get("PULSE_SINK"),
                              "text": sys.argv[-1]}}, ensure_ascii=False) + "\\n")
def cut(*_):
    note("cut")
    sys.exit(0)
signal.signal(signal.SIGTERM, cut)
note("start")
time.sleep(2.5)
note("end")
"""


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def said(sound: Path) -> list[dict[str, str]]:
    path = sound / "voice"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def jack(sound: Path, state: str) -> None:
    (sound / "sinks").write_text(SINKS.format(sink=SINK, state=state))
    with (sound / "events").open("a") as fh:
        fh.write("Event 'change' on sink #0\n")


@pytest.fixture
def sound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    here = tmp_path / "sound"
    (here / "bin").mkdir(parents=True)
    for name, text in (("pactl", PACTL), ("espeak-ng", ESPEAK)):
        script = here / "bin" / name
        script.write_text(text.format(python=sys.executable))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (here / "sinks").write_text(SINKS.format(sink=SINK, state="not available"))
    (here / "events").write_text("")
    monkeypatch.setenv("PATH", f"{here / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SOUND_DIR", str(here))
    return here


def test_speech_only_in_the_headphones_and_cut_off_when_they_come_out(people, sound: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "kiosk.toml"
    config.write_text('[devices.keypad]\nheadphones = "pactl"\n')
    person = people(config=config)
    person.wait_for(zh("home.title"))
    person.tap(zh("common.elder"))               # elder mode: its voice speaks aloud
    person.press_keypad("5")                     # no headphones in: a key says nothing of the visit
    person.wait(1.0)
    assert person.heard() == [] and not person.sees_dark()
    before = len(said(sound))

    jack(sound, "available")                     # headphones in: speech mode, in them only
    hear(person, zh("speech.started"))
    person.press_keypad("2", settle=0.3)
    hear(person, "2")
    deadline = time.monotonic() + 10
    while not any(e["event"] == "start" and "2" in e["text"] for e in said(sound)[before:]):
        assert time.monotonic() < deadline, said(sound)
        time.sleep(0.1)
    during = [e for e in said(sound)[before:] if e["event"] == "start"]
    assert during and all(e["sink"] == SINK for e in during), during   # never the loudspeaker
    assert f"{SINK} analog-output-headphones" in (sound / "ports").read_text()

    speaking = next(e for e in reversed(during) if e["event"] == "start")
    jack(sound, "not available")                 # pulled out mid-phrase
    deadline = time.monotonic() + 3
    while not any(e["event"] == "cut" and e["pid"] == speaking["pid"] for e in said(sound)):
        assert time.monotonic() < deadline, f"the phrase went on: {said(sound)[-4:]}"
        time.sleep(0.05)
    after = len(said(sound))
    person.press_keypad("2")                     # a key without headphones: nothing aloud
    person.wait(3.0)
    assert [e for e in said(sound)[after:] if e["event"] == "start"] == []
    assert person.heard() == []                  # what was said in them went with speech mode
