"""The city view shows the release every kiosk runs after a fleet update: a real platform, a real
hall-server serving a signed release, three kiosks that take it with ``python -m kiosk.updates``
and then start ``main.py kiosk`` (offscreen) with the version of their ``current`` release, as the
installed ``hall-kiosk`` command does. The third kiosk's release is broken and it rolls back, so
the city sees 1.1.0×2 and 1.0.0×1, and the third kiosk listed with its rollback in words (its
heartbeat carries the releases' status, as an installed kiosk's does). Saved as docs/screenshots/city-versions.png when
``HALL_CITY_SHOTS`` names a directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from common.releases import make_keys, pack
from tests.queueing.queue_helpers import ROOT, enrol, free_port
from tests.ui.test_ui_city import Proc, answers, close_city, kiosk_toml, start_platform, wait_until


def release(tmp: Path, version: str, broken: bool) -> Path:
    folder = tmp / f"src-{version}"
    folder.mkdir()
    (folder / "start.py").write_text("raise SystemExit(3)\n" if broken else (
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'kiosk.updates', 'home', '--releases', sys.argv[1]], check=True)\n"),
        "utf-8")
    return folder


def updates(action: str, releases: Path, *extra: str) -> str:
    out = subprocess.run([sys.executable, "-m", "kiosk.updates", action, "--releases", str(releases), *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def start(releases: Path) -> str:
    version = updates("boot", releases)
    subprocess.run([sys.executable, str(releases / version / "start.py"), str(releases)], cwd=ROOT, timeout=60)
    return version


@pytest.mark.slow
def test_the_city_sees_every_kiosks_release(tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from offline_cache.platform_server import PlatformAdmin
    from tests.acceptance.person import _pump
    from ui.city_app import CityWindow

    app = QApplication.instance()
    procs: list[Proc] = []
    city = None
    try:
        make_keys(tmp_path / "r.key", tmp_path / "r.pub")
        key = (tmp_path / "r.key").read_bytes()
        hall_rel = tmp_path / "hall-releases"
        pack(release(tmp_path, "1.0.0", False), "1.0.0", hall_rel, key)
        platform_url, creds, hall_dir = start_platform(tmp_path, procs)
        hall_port = free_port()
        hall_url = f"http://127.0.0.1:{hall_port}"
        procs.append(Proc("hall-server", ["hall-server", "--port", str(hall_port), "--data-dir", str(hall_dir),
                                          "--platform-url", platform_url], tmp_path / "hall.log",
                          env={"HALL_PLATFORM_TOKEN": creds["device_token"], "HALL_RELEASES_DIR": str(hall_rel)}))
        wait_until("the hall service", lambda: answers(hall_url + "/api/v1/health"))
        platform = {"url": platform_url, **creds}
        night = "2026-12-03T02:30:00"
        names = ["kiosk-a", "kiosk-b", "kiosk-c"]
        tokens = {n: enrol(hall_dir, "kiosk", n) for n in names}
        for i, n in enumerate(names):
            (tmp_path / f"{n}.token").write_text(tokens[n], "utf-8")
            (hall_rel / "latest").write_text("1.0.0", "utf-8")
            rel = tmp_path / n / "releases"
            check = ["--hall-url", hall_url, "--token-file", str(tmp_path / f"{n}.token"),
                     "--public-key", str(tmp_path / "r.pub"), "--now", night]
            assert updates("check", rel, *check) == "1.0.0"
            start(rel)
            target = "1.1.0" if i < 2 else "1.1.1"
            if not (hall_rel / target).exists():
                pack(release(tmp_path, target, broken=i == 2), target, hall_rel, key)
            (hall_rel / "latest").write_text(target, "utf-8")
            assert updates("check", rel, *check) == target
            running = [start(rel) for _ in range(3)][-1]
            assert running == ("1.1.0" if i < 2 else "1.0.0")
            (rel / f"home-{running}").unlink()  # the real kiosk writes it again when its window shows
            cfg = kiosk_toml(tmp_path / f"{n}.toml", tmp_path / n / "data", n, hall_url, tokens[n], platform)
            # as installed (packaging/etc/kiosk.toml): the heartbeat reads the releases' status.json
            with cfg.open("a", encoding="utf-8") as f:
                f.write(f'[updates]\nreleases_dir = "{rel}"\npublic_key = "{tmp_path / "r.pub"}"\n')
            procs.append(Proc(n, ["kiosk", "--config", str(cfg)], tmp_path / f"{n}.log",
                              env={"QT_QPA_PLATFORM": "offscreen",
                                   "HALL_KIOSK_RELEASES": str(rel),
                                   "HALL_KIOSK_RELEASE": os.readlink(rel / "current")}))

        for n in names:
            wait_until(f"{n} at its home screen", lambda n=n: list((tmp_path / n / "releases").glob("home-*")))
        city = CityWindow(PlatformAdmin(platform_url, creds["admin_token"]), refresh_ms=500)
        city.resize(1800, 1000)
        city.show()
        city.choose_hall("sg-zj-01")

        def versions() -> dict[str, str]:
            return {row[0]: row[2] for row in city.cells(city.detail_table)}

        wait_until("three kiosks in the city view", lambda: set(names) <= set(versions()),
                   lambda s: _pump(app, s), timeout=120)
        assert versions() == {"kiosk-a": "1.1.0", "kiosk-b": "1.1.0", "kiosk-c": "1.0.0"} | {
            k: v for k, v in versions().items() if k not in names}
        wait_until("the hall's versions", lambda: "1.1.0×2" in city.cells(city.halls)[0][8]
                   and "1.0.0×1" in city.cells(city.halls)[0][8], lambda s: _pump(app, s))
        # the kiosk that rolled back by itself is the one machine with a problem, in words
        rolled_back = city.t("problem.update.rolled_back")
        troubled = [("kiosk-c", "1.0.0", rolled_back)]
        wait_until("the rolled-back kiosk among the machines with a problem",
                   lambda: [(r[1], r[3], r[4]) for r in city.cells(city.machines)] == troubled,
                   lambda s: _pump(app, s))
        assert {r[0]: r[3] for r in city.cells(city.detail_table)}["kiosk-c"] == rolled_back
        # and its rollback is one open alert of the city (queueing/fleet.py fleet_update)
        alert = [(city.t("alert.fleet_update"), "kiosk-c")]
        wait_until("the rollback among the open alerts",
                   lambda: [(r[2], r[3]) for r in city.cells(city.alerts)] == alert, lambda s: _pump(app, s))
        shots = os.environ.get("HALL_CITY_SHOTS")
        if shots:
            _pump(app, 1.0)
            assert city.grab().save(str(Path(shots) / "city-versions.png"))
    finally:
        close_city(city)
        for p in reversed(procs):
            p.stop()
