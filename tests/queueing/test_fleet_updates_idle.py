"""Fleet updates against a real kiosk process: a refused release is the kiosk's problem in the
hall's fleet health, and a staged release waits while a citizen is served.

A real hall-server process serves releases from ``[updates] releases_dir`` of its hall.toml (the
typed key, no environment). The kiosk's update check runs as the night timer runs it
(``python -m kiosk.updates check --config kiosk.toml``). A real ``main.py kiosk`` (offscreen) reads
its ID cards from the reader simulator over TCP, so the card on the reader is simulator bytes;
its heartbeats go to the hall, which the test reads as the dashboard does (``GET /api/v1/fleet``).
systemd's part (restart on the kiosk's exit status, ExecStartPre ``boot``) is done by the test
with the same commands the units run."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hall_process import HallProcess
from queue_helpers import ROOT

from common.releases import SIGNATURE, make_keys, pack
from devices.idcard.simulator import IdCardSimulator
from kiosk.updates import RESTART_STATUS
from queueing.hallconfig import sample_hall_toml


def stand_in(tmp: Path, version: str) -> Path:
    folder = tmp / f"src-{version}"
    folder.mkdir()
    (folder / "VERSION").write_text(version, "utf-8")
    return folder


def publish(hall_releases: Path, tmp: Path, version: str, key: bytes) -> None:
    pack(stand_in(tmp, version), version, hall_releases, key)
    (hall_releases / "latest").write_text(version, "utf-8")


def updates(action: str, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "kiosk.updates", action, *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() + "\n" + out.stderr


def wait_until(what: str, ready: Any, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None,
               log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the kiosk exited with {proc.returncode}: "
                                 f"{log.read_text('utf-8', 'replace')[-3000:] if log else ''}")
        time.sleep(0.3)
    raise AssertionError(f"{what}: not seen within {timeout:g} s")


@pytest.mark.slow
def test_refusal_reaches_fleet_health_and_the_update_waits_for_the_citizen(tmp_path: Path) -> None:
    make_keys(tmp_path / "release.key", tmp_path / "release.pub")
    key = (tmp_path / "release.key").read_bytes()
    hall_dir = tmp_path / "hall"
    hall_dir.mkdir()
    (hall_dir / "hall.toml").write_text(sample_hall_toml() + '\n[updates]\nreleases_dir = "releases"\n', "utf-8")
    hall_rel = hall_dir / "releases"
    publish(hall_rel, tmp_path, "1.0.0", key)
    now = datetime.now()
    window = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    sim = IdCardSimulator()
    url = sim.listen_tcp()
    kiosk_rel = tmp_path / "kiosk" / "releases"
    proc = None
    with HallProcess(hall_dir) as hall:
        admin = {"Authorization": f"Bearer {hall.token('admin')}"}
        conf = tmp_path / "kiosk.toml"
        conf.write_text("\n".join([
            "version = 1", f'data_dir = "{tmp_path / "kiosk" / "data"}"',
            "[kiosk]", 'id = "kiosk-7"', "demo_panel = false",
            "[hall_service]", f'url = "{hall.base_url}"', f'token = "{hall.token("kiosk")}"', "heartbeat_s = 1",
            "[platform]", 'url = "off"',
            "[updates]", f'releases_dir = "{kiosk_rel}"', f'public_key = "{tmp_path / "release.pub"}"',
            f'window = "{window}"', "idle_check_s = 0.5",
            "[devices.idcard]", f'port = "{url}"', ""]), "utf-8")
        check = ["--config", str(conf)]
        # the first release, as the timer and the unit's ExecStartPre install it
        assert updates("check", *check).split("\n")[0] == "1.0.0"
        assert updates("boot", "--releases", str(kiosk_rel)).split("\n")[0] == "1.0.0"
        # 1.1.0 comes with a signature that is not the key's: refused, nothing changes
        publish(hall_rel, tmp_path, "1.1.0", key)
        sig = hall_rel / "1.1.0" / SIGNATURE
        good_sig = sig.read_bytes()
        raw = bytearray(base64.b64decode(good_sig))
        raw[5] ^= 0x40
        sig.write_bytes(base64.b64encode(bytes(raw)))
        out = updates("check", *check)
        assert out.split("\n")[0] == "" and "bad release signature" in out
        assert os.readlink(kiosk_rel / "current") == "1.0.0" and not (kiosk_rel / "staged").exists()

        log = tmp_path / "kiosk.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--log-level", "INFO", "kiosk",
                                     "--config", str(conf)], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                                    env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1",
                                         "HALL_KIOSK_RELEASE": "1.0.0"})
            try:
                def kiosk_problems() -> list[str] | None:
                    machines = requests.get(hall.base_url + "/api/v1/fleet", headers=admin, timeout=5).json()
                    row = next((m for m in machines["machines"] if m["name"] == "kiosk-7"), None)
                    return None if row is None else list(row["problems"])

                # the refusal is the kiosk's problem in the hall's fleet health (and so the city's)
                wait_until("the refusal in fleet health", lambda: "update:bad_signature" in (kiosk_problems() or []),
                           proc=proc, log=log)
                # a citizen puts a card on the reader: the kiosk polls it over TCP (a session is active)
                sim.insert("zhang_san")
                time.sleep(2)
                # the hall's release is mended; the timer's next check stages it
                sig.write_bytes(good_sig)
                assert updates("check", *check).split("\n")[0] == "1.1.0"
                assert (kiosk_rel / "staged").read_text("utf-8") == "1.1.0"
                wait_until("the problem gone", lambda: kiosk_problems() == [], proc=proc, log=log)
                # while the card lies there the kiosk keeps serving (several idle checks pass)
                time.sleep(4)
                assert proc.poll() is None, log.read_text("utf-8", "replace")[-3000:]
                assert os.readlink(kiosk_rel / "current") == "1.0.0"
                # the citizen takes the card: nobody is served, the kiosk leaves for the new release
                sim.remove()
                assert proc.wait(30) == RESTART_STATUS, log.read_text("utf-8", "replace")[-3000:]
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(15)
                sim.close()
        assert "restarting for release 1.1.0" in log.read_text("utf-8", "replace")
        # systemd starts it again: ExecStartPre makes the staged release current, pending until home
        assert updates("boot", "--releases", str(kiosk_rel)).split("\n")[0] == "1.1.0"
        assert os.readlink(kiosk_rel / "previous") == "1.0.0" and (kiosk_rel / "pending").exists()
        updates("home", "--releases", str(kiosk_rel))
        assert not (kiosk_rel / "pending").exists()
