"""Fixtures of the deployment checks: required system tools, and one throwaway root in which
packaging/install.sh has installed every role twice (shared by the install, systemd and cage
tests because building the release's virtual environment is the slow part)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
INSTALL = PACKAGING / "install.sh"
ROLES = ("kiosk", "hall-server", "counter", "display")
# One path's mode, uid, gid, size, mtime and link target (snapshot).
Snapshot = tuple[int, int, int, int, int, str | None]


def need(tool: str, package: str) -> str:
    """The tool's path, or a failing test naming the Debian package to install."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: apt-get install {package} "
                    f"(setup.sh installs it in CI through EXTRA_SYSTEM_PACKAGES)", pytrace=False)
    return path


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("the installer and the non-root kiosk session checks need root (CI runs as root)")


def run_install(role: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(INSTALL), role, "--root", str(root)], capture_output=True, text=True,
                          timeout=600, check=False)


def snapshot(root: Path) -> dict[str, Snapshot]:
    """Every path under root with its type, mode, owner, size, mtime and link target."""
    state: dict[str, Snapshot] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            link = os.readlink(path) if path.is_symlink() else None
            state[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, st.st_size,
                                                  st.st_mtime_ns, link)
    return state


def base_root(path: Path) -> None:
    """A base /etc (users and groups of this machine) and systemd's own units under path."""
    (path / "etc").mkdir()
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if Path("/etc", name).exists():
            shutil.copy2(Path("/etc", name), path / "etc" / name)
    (path / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", path / "usr/lib/systemd/system", symlinks=True)
    (path / "lib").symlink_to("usr/lib")


class InstalledRoot:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: dict[str, subprocess.CompletedProcess[str]] = {}
        self.second: dict[str, subprocess.CompletedProcess[str]] = {}
        self.after_first: dict[str, Snapshot] = {}
        self.after_second: dict[str, Snapshot] = {}


@pytest.fixture(scope="session")
def installed_root() -> Iterator[InstalledRoot]:
    """A container-like root: a base /etc (users and groups of this machine) and systemd's own
    units, then every role installed twice with packaging/install.sh --root."""
    need_root()
    need("dpkg-query", "dpkg")
    need("useradd", "passwd")
    # World-readable so that the non-root kiosk session test can run the installed release.
    path = Path(tempfile.mkdtemp(prefix="hall-kiosk-root-", dir="/tmp"))
    path.chmod(0o755)
    try:
        base_root(path)
        root = InstalledRoot(path)
        for role in ROLES:
            root.first[role] = run_install(role, path)
            assert root.first[role].returncode == 0, root.first[role].stdout + root.first[role].stderr
        root.after_first = snapshot(path)
        for role in ROLES:
            root.second[role] = run_install(role, path)
        root.after_second = snapshot(path)
        yield root
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pyinstaller_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder build of packaging/pyinstaller/hall-kiosk.spec, built once per session (about
    70 s) for every test that needs it: ``dist/hall-kiosk/hall-kiosk``."""
    work = tmp_path_factory.mktemp("pyinstaller")
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    if not pyinstaller.exists():
        pytest.fail("PyInstaller is not installed in the virtualenv: pip install -e '.[dev]' "
                    "(pyinstaller is in the dev extra)", pytrace=False)
    result = subprocess.run([str(pyinstaller), "--noconfirm", "--log-level", "WARN", "--distpath", str(work / "dist"),
                             "--workpath", str(work / "build"), str(PACKAGING / "pyinstaller" / "hall-kiosk.spec")],
                            cwd=REPO, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    exe = work / "dist" / "hall-kiosk" / "hall-kiosk"
    assert exe.is_file()
    return exe
