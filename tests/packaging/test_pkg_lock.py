"""The release's lock files cover pyproject.toml for both machines it is locked for, pin every
package by version and sha256, runtime and dev agree, and the .venv CI runs in is the lock.
(Whether a fresh resolution would differ needs the index: packaging/lock.sh is the one command.)"""

from __future__ import annotations

import platform
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.packaging.lockfile import AARCH64, DEV_LOCK, LOCK_DIR, REPO, RUNTIME_LOCK, X86_64, pins_for, read_lock

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
DEV = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]]
BUILD = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]


@pytest.mark.parametrize("env", [X86_64, AARCH64], ids=["x86_64", "aarch64"])
@pytest.mark.parametrize(("lock", "wanted"), [(RUNTIME_LOCK, RUNTIME + BUILD), (DEV_LOCK, RUNTIME + BUILD + DEV)],
                         ids=["runtime", "dev"])
def test_lock_covers_pyproject(lock: Path, wanted: list[Requirement], env: dict[str, str]) -> None:
    pins = pins_for(lock, env)
    stale = []
    for req in wanted:
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None or not req.specifier.contains(pin.version, prereleases=True):
            stale.append(f"{req} (locked: {pin.version if pin else 'missing'})")
    assert not stale, f"{lock.name} is stale, run packaging/lock.sh: " + ", ".join(stale)


def test_every_pin_has_hashes_and_runtime_pins_are_the_dev_pins() -> None:
    dev = {(p.name, p.version, str(p.marker)): p for p in read_lock(DEV_LOCK)}
    runtime = read_lock(RUNTIME_LOCK)
    assert len(runtime) > 40 and len(dev) > len(runtime)
    for pin in [*runtime, *dev.values()]:
        assert pin.hashes and all(h.startswith("sha256:") for h in pin.hashes), pin.name
    for pin in runtime:
        assert (pin.name, pin.version, str(pin.marker)) in dev, f"runtime pins {pin.name}=={pin.version}, dev not"
    names = {p.name for p in runtime}
    assert "setuptools" in names  # the build backend: installs build with --no-build-isolation from it
    assert not names & {"pytest", "mypy", "ruff", "pyinstaller", "playwright", "uv"}  # dev tools stay off kiosks


def test_build_system_input_is_pyprojects() -> None:
    written = (LOCK_DIR / "build-system.in").read_text(encoding="utf-8").splitlines()
    assert [line for line in written if not line.startswith("#")] == [str(r) for r in BUILD]


def test_arm64_runs_the_pyside6_floor() -> None:
    floor = next(r for r in RUNTIME if r.name == "PySide6")
    arm = pins_for(RUNTIME_LOCK, AARCH64)["pyside6"].version
    assert floor.specifier.contains(arm) and Version(arm).release[:2] == (6, 8), arm
    assert not floor.specifier.contains("6.7.3"), "the floor is 6.8: the ARM64 pin, tested in test_pkg_qt_floor"
    for part in ("pyside6-essentials", "pyside6-addons", "shiboken6"):
        assert pins_for(RUNTIME_LOCK, AARCH64)[part].version == arm


def test_this_venv_is_the_lock() -> None:
    """./setup.sh installed .venv from packaging/lock/dev.txt (CI runs in it)."""
    env = AARCH64 if platform.machine() == "aarch64" else X86_64
    wrong = []
    for name, pin in pins_for(DEV_LOCK, env).items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = "not installed"
        if have != pin.version:
            wrong.append(f"{name} {have} (lock {pin.version})")
    assert not wrong, "the venv is not the lock (./setup.sh installs it): " + ", ".join(wrong)
