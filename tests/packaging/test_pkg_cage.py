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


# cage 0.1.4 (Debian 12) hands an untransformed full-screen client's buffer straight to the output
# (direct scan-out), and on the headless backend the screen copy grim asks for then keeps showing
# the last composited frame: the app's first one, before the compositor sized it. A rotated output
# is always composited, so the checks run turned: 180° gives the landscape screen upright in the
# picture, 90° an upright kiosk (a portrait panel). Real outputs (DRM) cannot scan out the app's
# shared-memory buffers and always composite. HALL_KIOSK_ROTATE is also how a turned panel is set.
@pytest.mark.parametrize(("rotate", "size"), [("180", (1280, 720)), ("90", (720, 1280))],
                         ids=["landscape", "portrait"])
def test_kiosk_session_under_cage_fills_the_screen(installed_root, session_dir: Path, rotate: str,
                                                    size: tuple[int, int]) -> None:
    from PIL import Image

    base = session_dir
    session = installed_root.path / "opt/hall-kiosk/bin/hall-kiosk-session"
    log = base / "session.log"
    with log.open("w") as out:
        proc = _as_nobody([str(session), "kiosk", "--data-dir", str(base / "data")],
                          _env(base, HALL_KIOSK_ROTATE=rotate), stdout=out, stderr=subprocess.STDOUT)
    shot = base / "run" / "kiosk.png"
    width, height = size
    try:
        deadline = time.monotonic() + 120
        while "idcard reader ready" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the kiosk did not come up under cage in 120 s"
            time.sleep(0.5)
        # Until the page is laid out for this screen: the orange help button, the last thing in the
        # header, sits at its right edge (the first frame, at the QML's 1920 px, has it off screen).
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, (f"no kiosk page laid out for {width}×{height} in 120 s; "
                                                 f"the session said: {log.read_text(errors='replace')[-3000:]}")
            if _grim(base, shot) and _help_button_at_right(shot, width):
                break
            time.sleep(1)
        time.sleep(2)  # let the first page settle, then the picture that is kept
        assert _grim(base, shot)
    finally:
        _stop(proc)
    keep = os.environ.get("HALL_KIOSK_DEPLOY_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep.replace(".png", "-portrait.png") if rotate == "90" else keep)
    text = log.read_text(errors="replace")
    assert "Could not load the Qt platform plugin" not in text
    assert "Unable to drop root" not in text
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.size == (width, height)  # cage's headless output, filled edge to edge
        r, g, b = rgb.getpixel((4, 4))
        # The kiosk's dark-blue header starts at the very top: no title bar, no desktop.
        assert b > r + 40 and b > 60 and r < 60, (r, g, b)
        assert len(rgb.getcolors(1 << 24)) > 50  # text (Chinese glyphs) and cards, not a blank screen
        assert _help_button_at_right(shot, width)


def _help_button_at_right(path: Path, width: int) -> bool:
    """The header's orange help button (Theme.help, #a85300) ends within the last 8 % of the screen width."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        if rgb.width != width:
            return False
        header = rgb.crop((0, 0, rgb.width, 60))
        orange = [x for x in range(header.width) for y in range(8, 56, 8)
                  if _near(header.getpixel((x, y)), (0xA8, 0x53, 0x00))]
    return bool(orange) and max(orange) > width * 0.92


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 24 for a, b in zip(pixel, colour, strict=True))


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
