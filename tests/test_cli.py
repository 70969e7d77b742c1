"""main.py as a newcomer meets it: --help explains the demo, bad options are refused with the
allowed values, the demo takes --screenshot and --data-dir, $HALL_KIOSK_DATA moves every Qt role's
data, Ctrl-C (SIGINT) stops a Qt role and the hall server cleanly, and a Qt role with no display says so
in words a newcomer can act on. Every test runs the real ``main.py`` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_QUICK_BACKEND="software")
    env.pop("HALL_KIOSK_DATA", None)
    env.update(extra)
    return env


def _main(*args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=_env(**env), capture_output=True,
                          text=True, timeout=timeout)


def test_help_says_no_command_is_the_embedded_demo() -> None:
    out = _main("--help")
    assert out.returncode == 0
    assert "With no COMMAND: the embedded demo" in out.stdout
    assert "--screenshot" in out.stdout and "HALL_KIOSK_DATA" in out.stdout


def test_a_wrong_log_level_is_refused_with_the_allowed_ones() -> None:
    out = _main("--log-level", "FOO", "cache", "status")
    assert out.returncode == 2
    assert "expected one of DEBUG, INFO, WARNING, ERROR, got 'FOO'" in out.stderr
    assert _main("--log-level", "debug", "--help").returncode == 0


def test_the_demo_takes_a_screenshot_into_its_data_dir(tmp_path: Path) -> None:
    png = tmp_path / "demo.png"
    out = _main("--data-dir", str(tmp_path / "demo"), "--screenshot", str(png), "--quit-after", "3")
    assert out.returncode == 0, out.stderr[-2000:]
    assert png.read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "demo" / "hall").is_dir()
    assert not (ROOT / "data" / "demo.png").exists()


def test_hall_kiosk_data_moves_a_staff_role_too(tmp_path: Path) -> None:
    out = _main("display", "--screenshot", str(tmp_path / "d.png"), "--quit-after", "2",
                HALL_KIOSK_DATA=str(tmp_path / "elsewhere"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "elsewhere" / "hall" / "hall.toml").is_file()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_a_qt_role(tmp_path: Path, sig: signal.Signals) -> None:
    err = tmp_path / "err.log"
    with err.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "main.py", "display", "--data-dir", str(tmp_path)], cwd=ROOT,
                                env=_env(), stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while "embedded hall service" not in err.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, err.read_text()[-2000:]
            time.sleep(0.2)
        time.sleep(2)  # the window and its event loop come up after the hall service
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0, err.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("role", [["display"], ["counter", "--counter", "W01"], [], ["demo-hall"]])
def test_a_qt_role_without_a_display_says_so(tmp_path: Path, role: list[str]) -> None:
    env = _env()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "main.py", *role, "--data-dir", str(tmp_path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=90)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "there is no display here" in out.stderr and "QT_QPA_PLATFORM=offscreen" in out.stderr
    assert "xcb-cursor0" not in out.stderr  # Qt's own message sent people installing a library they had
    assert not (tmp_path / "hall").exists()  # refused before any hall was started


def test_ctrl_c_stops_the_hall_server_without_a_traceback(tmp_path: Path) -> None:
    err = tmp_path / "err.log"
    with err.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "main.py", "hall-server", "--port", "0", "--data-dir",
                                 str(tmp_path / "hall")], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                                stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in err.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, err.read_text()[-2000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, err.read_text()[-2000:]
        assert "Traceback" not in err.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_technician_role_takes_a_screenshot_of_its_pin_dialog(tmp_path: Path) -> None:
    png = tmp_path / "tech.png"
    try:
        out = _main("technician", "--data-dir", str(tmp_path / "d"), "--screenshot", str(png), "--quit-after", "4",
                    timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("technician --quit-after 4 did not exit")
    assert out.returncode == 0, out.stderr[-2000:]
    assert png.read_bytes().startswith(b"\x89PNG")


def test_a_widget_role_saves_its_screenshot_into_a_new_folder(tmp_path: Path) -> None:
    png = tmp_path / "new" / "folder" / "counter.png"
    out = _main("counter", "--counter", "W01", "--data-dir", str(tmp_path / "d"), "--screenshot", str(png),
                "--quit-after", "3")
    assert out.returncode == 0, out.stderr[-2000:]
    assert png.read_bytes().startswith(b"\x89PNG")
