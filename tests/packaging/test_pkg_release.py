"""The one-folder build as a real fleet release (docs/updates.md). The session's one PyInstaller
build (conftest.py ``pyinstaller_exe``) is published and signed with ``python -m common.releases
publish`` as the hall's release builder does; a real ``main.py hall-server`` serves it; a kiosk
laid out as packaging/install.sh lays one out (``bin/hall-kiosk``, ``bin/hall-kiosk-update``,
``lib/hall_kiosk_release.py``, ``releases/``, ``current -> releases/current``) takes it with the
commands its units run, and the test plays systemd: ``boot`` as ExecStartPre= with the system
Python, the launcher as ExecStart= with a notify socket, and ``home`` as hall-kiosk-home.service
once READY=1 arrives. The kiosk reports its version and update problem to the hall by its own
heartbeat (``GET /api/v1/fleet``). Then the same build with its QML removed is published as the
next release, fetched by the frozen release's own update check (``hall-kiosk-update``), fails
twice before its home screen and is rolled back by ``boot`` on the third start."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.packaging.conftest import PACKAGING, REPO

sys.path.insert(0, str(REPO / "tests" / "queueing"))
from hall_process import HallProcess
from queue_helpers import enrol

NIGHT = "2026-12-03T02:30:00"
SYSTEM_PYTHON = "/usr/bin/python3"


class Kiosk:
    """One kiosk's /opt/hall-kiosk in a temp dir, with its kiosk.toml."""

    def __init__(self, root: Path, hall_url: str, token: str, public_key: Path) -> None:
        self.root, self.releases = root, root / "releases"
        (root / "bin").mkdir(parents=True)
        (root / "lib").mkdir()
        self.releases.mkdir()
        for name in ("hall-kiosk", "hall-kiosk-update"):  # copies: the launcher finds the release beside itself
            shutil.copy2(PACKAGING / "bin" / name, root / "bin" / name)
        shutil.copy2(REPO / "kiosk" / "updates.py", root / "lib" / "hall_kiosk_release.py")
        (root / "current").symlink_to("releases/current")
        self.data = root / "data"
        self.config = root / "kiosk.toml"
        self.config.write_text("\n".join([
            "version = 1", f'data_dir = "{self.data}"',
            "[kiosk]", 'id = "kiosk-1"', 'hall_id = "sg-zj-01"', 'hall_name = "浈江区政务服务中心"',
            "[hall_service]", f'url = "{hall_url}"', f'token = "{token}"', "heartbeat_s = 1",
            "[updates]", f'releases_dir = "{self.releases}"', f'public_key = "{public_key}"', ""]), "utf-8")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "HALL_KIOSK"))}
        env.update(QT_QPA_PLATFORM="offscreen", QT_QUICK_BACKEND="software", PATH="/usr/bin:/bin",
                   HOME=str(self.root), HALL_KIOSK_CONFIG=str(self.config))
        return env

    def unit_step(self, action: str) -> str:
        """``boot`` (ExecStartPre=) or ``home`` (hall-kiosk-home.service): the system Python on the
        installer's copy of kiosk/updates.py."""
        out = subprocess.run([SYSTEM_PYTHON, "-I", str(self.root / "lib" / "hall_kiosk_release.py"), action,
                              "--releases", str(self.releases)], capture_output=True, text=True, timeout=60,
                             cwd=self.root, check=False)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def update_check(self) -> str:
        """hall-kiosk-update.service: ``hall-kiosk-update check --config kiosk.toml`` of the current release."""
        out = subprocess.run([str(self.root / "bin" / "hall-kiosk-update"), "check", "--config", str(self.config),
                              "--now", NIGHT], capture_output=True, text=True, timeout=120, env=self.env(),
                             cwd=self.root, check=False)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout.strip()

    def start(self, notify: socket.socket, log: Path) -> tuple[subprocess.Popen[bytes], bool]:
        """One start of hall-kiosk-kiosk.service: boot, then the launcher; True when READY=1 came
        (and the home unit ran), False when the process ended first."""
        self.unit_step("boot")
        env = self.env() | {"NOTIFY_SOCKET": notify.getsockname()}
        with log.open("ab") as err:
            proc = subprocess.Popen([str(self.root / "bin" / "hall-kiosk"), "kiosk", "--config", str(self.config)],
                                    stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=self.root)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                message = notify.recv(4096).decode()
            except TimeoutError:
                if proc.poll() is not None:
                    return proc, False
                continue
            if "READY=1" in message:
                self.unit_step("home")
                return proc, True
        proc.kill()
        raise AssertionError("the kiosk neither became ready nor ended in 120 s: " + log.read_text()[-3000:])


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(0.5)
    yield sock
    sock.close()


def publish(folder: Path, version: str, key: Path, hall_rel: Path) -> None:
    subprocess.run([sys.executable, "-m", "common.releases", "publish", str(folder), "--version", version,
                    "--key", str(key), "--releases", str(hall_rel), "--level", "1"], cwd=REPO, check=True, timeout=300)


def fleet(hall: HallProcess, admin: str) -> dict[str, Any]:
    machines = requests.get(hall.base_url + "/api/v1/fleet", headers={"Authorization": f"Bearer {admin}"},
                            timeout=10).json()["machines"]
    return {m["name"]: m for m in machines}


def wait_for(what: str, probe: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"no {what} in {timeout:.0f} s")


@pytest.mark.slow
def test_one_folder_build_is_a_fleet_release(pyinstaller_exe: Path, tmp_path: Path, notify: socket.socket,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.fail(f"{SYSTEM_PYTHON} is missing: apt-get install python3 (the units' boot and home run it)",
                    pytrace=False)
    dist = pyinstaller_exe.parent
    keys = tmp_path / "keys"
    subprocess.run([sys.executable, "-m", "common.releases", "keys", "--private", str(keys / "release.key"),
                    "--public", str(keys / "release.pub")], cwd=REPO, check=True, timeout=60)
    hall_rel = tmp_path / "hall-releases"
    publish(dist, "2.0.0", keys / "release.key", hall_rel)
    monkeypatch.setenv("HALL_RELEASES_DIR", str(hall_rel))
    log = tmp_path / "kiosk.log"
    with HallProcess(tmp_path / "hall") as hall:
        token = enrol(hall.data_dir, "kiosk", "kiosk-1")
        k = Kiosk(tmp_path / "opt", hall.base_url, token, keys / "release.pub")
        admin = hall.token("admin")
        # a kiosk with nothing installed yet: the installer's own release runs the first check
        check = subprocess.run([sys.executable, "-m", "kiosk.updates", "check", "--config", str(k.config),
                                "--now", NIGHT], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert check.stdout.strip() == "2.0.0", check.stderr
        assert (k.releases / "2.0.0" / "hall-kiosk").is_file()  # the one-folder build, unpacked as is

        proc, ready = k.start(notify, log)
        try:
            assert ready, log.read_text()[-3000:]
            assert (k.releases / "current").readlink().name == "2.0.0"
            assert (k.releases / "home-2.0.0").exists() and not (k.releases / "pending").exists()
            seen = wait_for("heartbeat of 2.0.0", lambda: fleet(hall, admin).get("kiosk-1", {}).get("version")
                            == "2.0.0" and fleet(hall, admin)["kiosk-1"])
            assert seen["problems"] == []
        finally:
            stop(proc)

        # the same build without its QML: it starts but fails before its home screen
        broken = tmp_path / "broken"
        shutil.copytree(dist, broken, symlinks=True, copy_function=os.link)  # hard links: 600 MB not copied
        qml = broken / "_internal" / "ui" / "qml"
        assert qml.is_dir()
        shutil.rmtree(qml)
        publish(broken, "2.1.0", keys / "release.key", hall_rel)
        # the night timer in the frozen release: it has no python -m; by the launcher's rule
        # hall-kiosk-update runs its own `hall-kiosk update check`, which fetches, checks and stages
        assert k.update_check() == "2.1.0"
        assert (k.releases / "current").readlink().name == "2.0.0"

        for start in (1, 2):
            proc, ready = k.start(notify, log)
            assert not ready and proc.returncode != 0, f"start {start} of the broken release reached home"
            assert (k.releases / "current").readlink().name == "2.1.0"
            assert json.loads((k.releases / "pending").read_text())["boots"] == start
        assert "QML failed to load: kiosk/Main.qml" in log.read_text(errors="replace")  # what the journal shows
        proc, ready = k.start(notify, log)  # the third start: boot went back to 2.0.0
        try:
            assert ready, log.read_text()[-3000:]
            assert (k.releases / "current").readlink().name == "2.0.0"
            assert (k.releases / "previous").readlink().name == "2.1.0"
            status = json.loads((k.releases / "status.json").read_text())
            assert status["problem"] == "rolled_back" and status["version"] == "2.1.0"
            assert not (k.releases / "home-2.1.0").exists()
            seen = wait_for("heartbeat of the rolled-back kiosk", lambda: fleet(hall, admin).get("kiosk-1", {})
                            .get("problems") and fleet(hall, admin)["kiosk-1"])
            assert seen["version"] == "2.0.0" and seen["problems"] == ["update:rolled_back"]
            assert k.update_check() == ""  # the rolled-back 2.1.0 is not taken again
            assert (k.releases / "current").readlink().name == "2.0.0"
        finally:
            stop(proc)


def test_launcher_rule(tmp_path: Path) -> None:
    """packaging/bin/hall-kiosk and hall-kiosk-update start a release by one rule: an executable
    ``hall-kiosk`` at its top (a one-folder build) first, else ``venv/bin/python -P -m main``;
    neither: a clear refusal. The release's name is exported as the version heartbeats report."""
    root = tmp_path / "opt"
    (root / "bin").mkdir(parents=True)
    for name in ("hall-kiosk", "hall-kiosk-update"):
        shutil.copy2(PACKAGING / "bin" / name, root / "bin" / name)
    (root / "releases").mkdir()
    (root / "current").symlink_to("releases/current")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(root / "bin" / command), *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=60, check=False)

    def current(name: str) -> None:
        (root / "releases" / ".tmp").symlink_to(name)
        (root / "releases" / ".tmp").replace(root / "releases" / "current")

    (root / "releases" / "empty").mkdir()
    current("empty")
    refused = run("hall-kiosk", "--version")
    assert refused.returncode == 1 and "neither hall-kiosk nor venv/bin/python" in refused.stderr
    # a venv release (what install.sh builds): its python runs main
    venv = root / "releases" / "0.1.0-venv" / "venv"
    venv.parent.mkdir()
    venv.symlink_to(sys.prefix)  # this virtualenv stands for the release's own
    current("0.1.0-venv")
    assert run("hall-kiosk", "--version").stdout.strip() == "hall-kiosk 0.1.0"
    # a one-folder build: its own executable, with the arguments and the release's name
    one = root / "releases" / "2.0.0"
    one.mkdir()
    (one / "hall-kiosk").write_text('#!/bin/sh\necho "$HALL_KIOSK_RELEASE $*"\n', "utf-8")
    (one / "hall-kiosk").chmod(0o755)
    (one / "venv").symlink_to(sys.prefix)  # both present: the one-folder build wins, by the rule
    current("2.0.0")
    assert run("hall-kiosk", "kiosk", "--config", "k.toml").stdout.strip() == "2.0.0 kiosk --config k.toml"
    update = run("hall-kiosk-update", "check", "--config", "k.toml")
    assert update.stdout.strip() == "update check --config k.toml", update.stderr
