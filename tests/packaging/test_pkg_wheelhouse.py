"""The documented offline install: packaging/build-wheelhouse.sh on a connected machine, then
packaging/install.sh ROLE --wheels DIR on a machine with no network at all (a network namespace
with nothing in it, the machine's pip configuration ignored). The release venv is fresh, holds
exactly the lock's pins, imports the product and runs main.py --help. A wheelhouse of another
lock is refused. Downloads come from pip's cache after the first run (~350 MB, PySide6 mostly)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.conftest import INSTALL, PACKAGING, base_root, need, need_root
from tests.packaging.lockfile import AARCH64, RUNTIME_LOCK, X86_64, pins_for

# pyproject's --timeout=300 counts fixtures too: the first wheelhouse downloads ~350 MB
# (build-wheelhouse.sh's own timeout is 900 s, each install's 900 s). Without this, a first run on
# a slower network is cut off by pytest-timeout before either step can say what went wrong.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def offline_env() -> dict[str, str]:
    """No pip configuration of this machine (its find-links, indexes, constraints)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.fixture(scope="module")
def wheelhouse() -> Iterator[Path]:
    need_root()
    path = Path(tempfile.mkdtemp(prefix="hall-kiosk-wheels-", dir="/tmp"))
    try:
        out = subprocess.run(["bash", str(PACKAGING / "build-wheelhouse.sh"), str(path)], capture_output=True,
                             text=True, timeout=900, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def install_offline(role: str, root: Path, wheels: Path) -> subprocess.CompletedProcess[str]:
    unshare = need("unshare", "util-linux")
    return subprocess.run([unshare, "--net", "bash", str(INSTALL), role, "--root", str(root), "--wheels", str(wheels)],
                          capture_output=True, text=True, timeout=900, check=False, env=offline_env())


def test_wheelhouse_holds_the_lock_and_the_build_backend(wheelhouse: Path) -> None:
    env = AARCH64 if platform.machine() == "aarch64" else X86_64
    wanted = {name: pin.version for name, pin in pins_for(RUNTIME_LOCK, env).items()}
    wheels = {}
    for wheel in wheelhouse.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        wheels[name.lower().replace("_", "-")] = version
    assert wheels == wanted
    assert "setuptools" in wheels and "evdev" in wheels  # the build backend; the source-only package, built


def test_offline_install_from_the_wheelhouse(wheelhouse: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    base_root(root)
    out = install_offline("kiosk", root, wheelhouse)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "changed: release " in out.stdout
    venv = root / "opt/hall-kiosk/current/venv"
    py = str(venv / "bin/python")
    # Exactly the lock's versions (pip check ran in install.sh: nothing missing or conflicting);
    # pip itself is the venv's own installer (python3 -m venv), not a dependency the lock pins.
    env = AARCH64 if platform.machine() == "aarch64" else X86_64
    freeze = subprocess.run([py, "-m", "pip", "list", "--format=freeze", "--exclude", "hall-kiosk", "--exclude", "pip"],
                            capture_output=True, text=True, timeout=120, check=True, env=offline_env()).stdout
    installed = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1] for line in freeze.split()}
    assert installed == {n: p.version for n, p in pins_for(RUNTIME_LOCK, env).items()}
    # The product runs from the release (not from this checkout: -P, and another working directory).
    imports = subprocess.run([py, "-P", "-c", "import common, kiosk, devices, queueing, offline_cache, ui, main, "
                              "PySide6.QtQuick, evdev; print(main.__file__)"], capture_output=True, text=True,
                             timeout=120, check=False, cwd="/")
    assert imports.returncode == 0, imports.stderr
    assert imports.stdout.strip().startswith(str(venv)), imports.stdout
    helped = subprocess.run([py, "-P", "-m", "main", "--help"], capture_output=True, text=True, timeout=120,
                            check=False, cwd="/")
    assert helped.returncode == 0 and helped.stdout.startswith("usage:"), helped.stdout + helped.stderr
    again = install_offline("kiosk", root, wheelhouse)
    assert again.returncode == 0 and again.stdout.strip().endswith(": 0 changes"), again.stdout + again.stderr


def test_wheelhouse_of_another_lock_is_refused(wheelhouse: Path, tmp_path: Path) -> None:
    stale = tmp_path / "stale-wheels"
    stale.mkdir()
    (stale / "requirements.txt").write_text((wheelhouse / "requirements.txt").read_text())
    (stale / "lock.sha256").write_text("0" * 64 + "\n")
    root = tmp_path / "root"
    root.mkdir()
    base_root(root)
    out = install_offline("hall-server", root, stale)
    assert out.returncode == 1
    assert "was built from another release's lock" in out.stderr
    assert not (root / "opt/hall-kiosk/releases").exists() or not any((root / "opt/hall-kiosk/releases").iterdir())
