"""The headphone jack through the sound server's own client: ``pactl`` here is a stand-in
program on PATH that prints what PulseAudio prints (``subscribe`` events, ``list sinks`` ports),
as the sound server would when headphones go in and out."""

from __future__ import annotations

import os
import queue
import stat
import sys
import time
from pathlib import Path

import pytest

from devices.keypad.headphones import HeadphoneJack, headphones_in
from devices.state import DeviceState

PORTS = """Sink #0
\tPorts:
\t\tanalog-output-lineout: Line Out (priority: 9900, not available)
\t\tanalog-output-headphones: Headphones (priority: 9000, {state})
\tActive Port: analog-output-lineout
"""

FAKE = """#!{python}
import os, sys, time
from pathlib import Path
here = Path(os.environ["FAKE_PACTL_DIR"])
if sys.argv[1:] == ["list", "sinks"]:
    print((here / "sinks").read_text())
elif sys.argv[1:] == ["subscribe"]:
    seen = 0
    while True:
        lines = (here / "events").read_text().splitlines()
        for line in lines[seen:]:
            print(line, flush=True)
        seen = len(lines)
        time.sleep(0.05)
"""


def test_a_headphone_port_available_is_headphones_in() -> None:
    assert headphones_in(PORTS.format(state="available"))
    assert not headphones_in(PORTS.format(state="not available"))
    assert not headphones_in("")


@pytest.fixture
def fake_pactl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "pactl"
    script.parent.mkdir()
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "sinks").write_text(PORTS.format(state="not available"))
    (tmp_path / "events").write_text("")
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PACTL_DIR", str(tmp_path))
    return tmp_path


def test_plugging_in_and_out_is_told(fake_pactl: Path) -> None:
    told: queue.Queue[bool] = queue.Queue()
    jack = HeadphoneJack(told.put)
    jack.start()
    try:
        deadline = time.monotonic() + 10
        while jack.state is not DeviceState.READY and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jack.state is DeviceState.READY and told.empty()   # nothing plugged in at start
        (fake_pactl / "sinks").write_text(PORTS.format(state="available"))
        (fake_pactl / "events").write_text("Event 'change' on card #0\nEvent 'change' on sink #0\n")
        assert told.get(timeout=5) is True
        (fake_pactl / "sinks").write_text(PORTS.format(state="not available"))
        with (fake_pactl / "events").open("a") as fh:
            fh.write("Event 'change' on sink #0\n")
        assert told.get(timeout=5) is False
    finally:
        jack.stop()


def test_no_sound_server_client_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    jack = HeadphoneJack(lambda plugged: None)
    jack.start()
    try:
        deadline = time.monotonic() + 5
        while jack.reason == "not started" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jack.state is DeviceState.DISCONNECTED and "pulseaudio-utils" in (jack.reason or "")
    finally:
        jack.stop()
