"""Reading the release's lock files (packaging/lock/*.txt, written by packaging/lock.sh): the pins,
their markers and hashes, and the pins that apply to one machine."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCK_DIR = REPO / "packaging" / "lock"
RUNTIME_LOCK = LOCK_DIR / "runtime.txt"
DEV_LOCK = LOCK_DIR / "dev.txt"

# The machines a release is locked for: Debian 12's Python on a PC and on an ARM64 (信创) kiosk.
X86_64 = {"platform_machine": "x86_64", "sys_platform": "linux", "python_version": "3.11",
          "python_full_version": "3.11.2", "platform_system": "Linux", "os_name": "posix",
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
AARCH64 = {**X86_64, "platform_machine": "aarch64"}

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]
    block: str  # the entry's lines as written, hashes included

    def applies(self, env: dict[str, str]) -> bool:
        return self.marker is None or self.marker.evaluate(env)


def read_lock(path: Path) -> list[Pin]:
    pins: list[Pin] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = _PIN.match(lines[i])
        if not match:
            i += 1
            continue
        block = [lines[i]]
        i += 1
        while i < len(lines) and lines[i].startswith("    --hash="):
            block.append(lines[i])
            i += 1
        hashes = tuple(line.split("--hash=")[1].rstrip(" \\") for line in block[1:])
        marker = Marker(match.group(3)) if match.group(3) else None
        pins.append(Pin(canonicalize_name(match.group(1)), match.group(2), marker, hashes, "\n".join(block)))
    return pins


def pins_for(path: Path, env: dict[str, str]) -> dict[str, Pin]:
    """The pins of the lock that this machine installs, by canonical name (one each)."""
    chosen: dict[str, Pin] = {}
    for pin in read_lock(path):
        if pin.applies(env):
            assert pin.name not in chosen, f"{path.name}: two pins of {pin.name} for {env['platform_machine']}"
            chosen[pin.name] = pin
    return chosen


def requirements_for(path: Path, env: dict[str, str]) -> str:
    """A requirements file with the lock's pins for env, markers dropped, hashes kept: what a
    machine of that kind installs (used to install the ARM64 pins on this PC for the Qt floor)."""
    out = []
    for pin in pins_for(path, env).values():
        hashes = pin.block.splitlines()[1:]
        out.append("\n".join([f"{pin.name}=={pin.version} \\", *hashes]))
    return "\n".join(out) + "\n"
