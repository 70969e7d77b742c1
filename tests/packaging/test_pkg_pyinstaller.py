"""The one-folder build (PyInstaller) for machines without Python: built from
packaging/pyinstaller/hall-kiosk.spec, then started offscreen: --version, a kiosk screenshot,
and the embedded default left running for a few seconds."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture
def bundle(pyinstaller_exe: Path) -> Path:
    """The session's one build (tests/packaging/conftest.py): built once, shared with test_pkg_release."""
    return pyinstaller_exe


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", QT_QUICK_BACKEND="software", HALL_KIOSK_DATA=str(tmp_path / "data"),
               PATH="/usr/bin:/bin")
    return env


@pytest.mark.slow
def test_bundle_version(bundle: Path, tmp_path: Path) -> None:
    out = subprocess.run([str(bundle), "--version"], capture_output=True, text=True, timeout=60,
                         env=_env(tmp_path), cwd=tmp_path, check=True)
    assert out.stdout.strip() == "hall-kiosk 0.1.0"


@pytest.mark.slow
def test_bundle_renders_the_kiosk(bundle: Path, tmp_path: Path) -> None:
    png = tmp_path / "kiosk.png"
    out = subprocess.run([str(bundle), "kiosk", "--data-dir", str(tmp_path / "data"), "--screenshot", str(png),
                          "--quit-after", "4"], capture_output=True, text=True, timeout=120, env=_env(tmp_path),
                         cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert png.stat().st_size > 10_000  # QML, fonts and images are in the bundle


@pytest.mark.slow
def test_bundle_embedded_default_keeps_running(bundle: Path, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        proc = subprocess.Popen([str(bundle)], stdout=subprocess.DEVNULL, stderr=err, env=_env(tmp_path), cwd=tmp_path)
        try:
            deadline = time.monotonic() + 90
            while "idcard reader ready" not in log.read_text(errors="replace"):
                assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "embedded default did not come up in 90 s"
                time.sleep(0.5)
            time.sleep(4)  # "a few seconds" of the running demo: it must not die on its own
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log.read_text(errors="replace")
    assert "embedded default" in text and "hall service running" in text
    assert (tmp_path / "data").is_dir()
