"""The kiosk session as deployed: packaging/bin/hall-kiosk-session from the installed root,
run as a non-root user under cage's headless backend, with grim taking the screenshot.

Set HALL_KIOSK_DEPLOY_SCREENSHOT=docs/screenshots/deploy-cage-kiosk.png to keep the picture.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.conftest import need, need_root

NOBODY = pwd.getpwnam("nobody")


def _x11_socket_dir() -> None:
    # Xwayland (started by cage) refuses a /tmp/.X11-unix it does not trust; systemd-tmpfiles
    # creates it root-owned 1777 on a real system.
    path = Path("/tmp/.X11-unix")
    if not path.exists():
        path.mkdir(mode=0o1777)
        path.chmod(0o1777)
    st = path.stat()
    if st.st_uid != 0:
        pytest.fail(f"{path} is owned by uid {st.st_uid}, not root: Xwayland will refuse it; remove it", pytrace=False)


@pytest.fixture
def session_dir(installed_root) -> Iterator[Path]:
    need_root()
    for tool, package in (("cage", "cage"), ("grim", "grim"), ("Xwayland", "xwayland")):
        need(tool, package)
    _x11_socket_dir()
    base = Path(tempfile.mkdtemp(prefix="hall-kiosk-session-", dir="/tmp"))
    base.chmod(0o755)
    for sub in ("run", "home", "data"):
        (base / sub).mkdir()
        os.chown(base / sub, NOBODY.pw_uid, NOBODY.pw_gid)
    (base / "run").chmod(0o700)
    shutil.copy(installed_root.path / "etc/hall-kiosk/kiosk.toml", base / "kiosk.toml")
    (base / "kiosk.toml").chmod(0o644)
    yield base
    if not os.environ.get("HALL_KIOSK_KEEP_SESSION"):
        shutil.rmtree(base, ignore_errors=True)


def _env(base: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8", "XDG_RUNTIME_DIR": str(base / "run"),
           "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1",
           # pixman gives clients no GL: Qt Quick draws in software, as on a GPU-less kiosk PC.
           "QT_QUICK_BACKEND": "software", "HALL_KIOSK_CONFIG": str(base / "kiosk.toml")}
    env.update(extra)
    return env


def _as_nobody(args: list[str], env: dict[str, str], **kwargs):
    return subprocess.Popen(args, env=env, user=NOBODY.pw_uid, group=NOBODY.pw_gid, extra_groups=[],
                            start_new_session=True, cwd="/", **kwargs)


def _grim(base: Path, out: Path) -> bool:
    shot = subprocess.run(["grim", str(out)], env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(base / "run"),
                                                   "WAYLAND_DISPLAY": "wayland-0"},
                          user=NOBODY.pw_uid, group=NOBODY.pw_gid, extra_groups=[], capture_output=True, timeout=30,
                          check=False)
    return shot.returncode == 0 and out.exists()


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def test_kiosk_session_under_cage_shows_the_kiosk_full_screen(installed_root, session_dir: Path) -> None:
    from PIL import Image

    base = session_dir
    session = installed_root.path / "opt/hall-kiosk/bin/hall-kiosk-session"
    log = base / "session.log"
    with log.open("w") as out:
        proc = _as_nobody([str(session), "kiosk", "--data-dir", str(base / "data")], _env(base),
                          stdout=out, stderr=subprocess.STDOUT)
    shot = base / "run" / "kiosk.png"
    try:
        deadline = time.monotonic() + 120
        while "idcard reader ready" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the kiosk did not come up under cage in 120 s"
            time.sleep(0.5)
        # Then until the compositor shows the page, not only the header bar over a flat body.
        # (cage 0.1.4 headless shows the first frame the app commits and, here, no later one:
        # see docs/deploy.md "Not done / known limits".)
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, ("cage showed no kiosk page in 120 s (last picture: header only?); "
                                                 "see docs/deploy.md, known limits of cage headless")
            if _grim(base, shot):
                with Image.open(shot) as image:
                    body = image.convert("RGB").crop((0, 120, 1280, 720))
                    if len(body.getcolors(1 << 24) or []) > 50:
                        break
            time.sleep(1)
        time.sleep(3)  # let the first page settle, then the picture that is kept
        assert _grim(base, shot)
    finally:
        _stop(proc)
    keep = os.environ.get("HALL_KIOSK_DEPLOY_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    text = log.read_text(errors="replace")
    assert "Could not load the Qt platform plugin" not in text
    assert "Unable to drop root" not in text
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (1280, 720)  # cage's headless output, filled edge to edge
        r, g, b = rgb.getpixel((4, 4))
        # The kiosk's dark-blue header starts at the very top: no title bar, no desktop.
        assert b > r + 40 and b > 60 and r < 60, (r, g, b)
        assert len(rgb.getcolors(1 << 24)) > 50  # text (Chinese glyphs) and cards, not a blank screen


@pytest.mark.parametrize("status", [0, 3])
def test_session_exit_status_is_the_applications(installed_root, session_dir: Path, status: int) -> None:
    """cage exits 0 whatever its client did; the session script carries the app's status out,
    so systemd restarts a crashed kiosk (Restart=on-failure) but not a technician's exit."""
    base = session_dir
    fake = base / "fake-app"
    fake.write_text(f"#!/bin/sh\necho \"fake app: $*\"\nexit {status}\n", encoding="utf-8")
    fake.chmod(0o755)
    session = installed_root.path / "opt/hall-kiosk/bin/hall-kiosk-session"
    proc = _as_nobody([str(session), "kiosk"], _env(base, HALL_KIOSK_BIN=str(fake)), stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        _stop(proc)
    assert proc.returncode == status, output
    assert f"fake app: kiosk --fullscreen --config {base / 'kiosk.toml'}" in output
