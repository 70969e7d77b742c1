"""The lowest supported PySide6 (the pyproject floor, 6.8 LTS: the newest with aarch64 wheels for
Debian 12's glibc, what the lock pins for ARM64 kiosks) runs the Qt smoke tests: no None leak, the
Virtual Keyboard's QML module, the display following calls with a screenshot, and the kiosk's
whole screen tour upright in elder mode.

The venv is .venv-qt-floor in the checkout (ignored by git), the lock's ARM64 pins installed with
their hashes on this PC; it is rebuilt only when those pins change (a stamp of their hash)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from tests.packaging.lockfile import AARCH64, DEV_LOCK, REPO, requirements_for

# pyproject's --timeout=300 counts fixtures too: a fresh floor venv downloads and installs the
# whole dev lock (pip's own timeout is 1200 s, the smoke run's 900 s). Without this, a first run on
# a slower network is cut off by pytest-timeout before either step can say what went wrong.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

VENV = REPO / ".venv-qt-floor"
SMOKE = ["tests/test_qt_runtime.py", "tests/ui/test_ui_display.py",
         "tests/ui/test_ui_kiosk_layout.py::test_every_kiosk_screen_fits[720x1280-elder]"]


def floor_venv() -> str:
    requirements = requirements_for(DEV_LOCK, AARCH64)
    stamp = VENV / f".installed-{hashlib.sha256(requirements.encode()).hexdigest()[:16]}"
    python = VENV / "bin" / "python"
    if not stamp.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
        (VENV / "requirements.txt").write_text(requirements, encoding="utf-8")
        install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                  "--require-hashes", "-r", str(VENV / "requirements.txt")],
                                 capture_output=True, text=True, timeout=1200, check=False)
        assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
        stamp.touch()
    return str(python)


def test_qt_smoke_tests_pass_on_the_pyside6_floor() -> None:
    python = floor_venv()
    version = subprocess.run([python, "-c", "import PySide6; print(PySide6.__version__)"], capture_output=True,
                             text=True, timeout=60, check=True).stdout.strip()
    assert version.startswith("6.8."), version
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env |= {"QT_QPA_PLATFORM": "offscreen", "QT_QUICK_BACKEND": "software"}
    run = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SMOKE], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, f"PySide6 {version}:\n" + run.stdout[-5000:] + run.stderr[-2000:]
    assert "5 passed" in run.stdout, run.stdout[-2000:]
