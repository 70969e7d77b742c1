"""The kiosk's side of fleet updates: fetch the hall's signed release, install it beside the
running one, switch at night when no citizen is served, and roll back by itself.

Layout under the releases root (``/opt/hall-kiosk/releases`` when installed)::

    <version>/        one unpacked release each (the running one and the previous one are kept)
    current -> <v>    the release systemd starts (switched atomically: new symlink + rename)
    previous -> <v>   the release to go back to
    pending           JSON ``{"version", "boots"}`` while a new release has not reached its home screen
    home-<version>    written by the kiosk when its home screen is shown (:meth:`Releases.reached_home`)
    status.json       the last refusal (bad signature, truncated download, disk full), for the heartbeat

:meth:`Releases.boot` runs before the kiosk at each start (``ExecStartPre``): a pending release
started :data:`MAX_BOOTS` times without reaching home is abandoned for ``previous``. A refused
update is logged, written to ``status.json`` and leaves both releases untouched."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

import requests

from common.daily_window import DailyWindow
from common.releases import ReleaseRefused, check_bundle, load_public_key, unpack, verify_manifest

log = logging.getLogger(__name__)
MAX_BOOTS = 2
#: room kept on top of twice the bundle (download + unpack)
DISK_MARGIN = 16 * 1024 * 1024


#: when a kiosk may update unless its config says otherwise: the hall is closed
NIGHT = DailyWindow(time(1, 0), time(5, 0))


class Releases:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _link(self, name: str) -> str | None:
        path = self.root / name
        return os.readlink(path) if path.is_symlink() else None

    def current(self) -> str | None:
        return self._link("current")

    def previous(self) -> str | None:
        return self._link("previous")

    def _point(self, name: str, version: str) -> None:
        tmp = self.root / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(version)
        os.replace(tmp, self.root / name)

    def has(self, version: str) -> bool:
        return (self.root / version).is_dir()

    def switch(self, version: str) -> None:
        """Make ``version`` current, keep the old current as previous, mark it pending."""
        old = self.current()
        if old and old != version:
            self._point("previous", old)
        self._write("pending", {"version": version, "boots": 0})
        self._point("current", version)
        self.prune()

    def prune(self) -> None:
        keep = {self.current(), self.previous()}
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink() and child.name not in keep \
                    and not child.name.startswith("."):
                shutil.rmtree(child, ignore_errors=True)

    def _write(self, name: str, doc: dict[str, object]) -> None:
        tmp = self.root / f".{name}.tmp"
        tmp.write_text(json.dumps(doc), "utf-8")
        os.replace(tmp, self.root / name)

    def _read(self, name: str) -> dict[str, object] | None:
        try:
            doc = json.loads((self.root / name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def boot(self) -> str | None:
        """Called at every start before the kiosk: count the pending release's boots and go back to
        ``previous`` when it has failed to reach home :data:`MAX_BOOTS` times. The release to run."""
        pending = self._read("pending")
        current = self.current()
        if pending is None or pending.get("version") != current or current is None:
            return current
        if (self.root / f"home-{current}").exists():
            (self.root / "pending").unlink(missing_ok=True)
            return current
        boots = int(str(pending.get("boots", 0)))
        previous = self.previous()
        if boots >= MAX_BOOTS and previous and self.has(previous):
            log.error("release %s did not reach its home screen in %d starts: rolling back to %s",
                      current, boots, previous)
            self._point("current", previous)
            self._point("previous", current)
            (self.root / "pending").unlink(missing_ok=True)
            self.refused(f"rolled back from {current}")
            return previous
        self._write("pending", {"version": current, "boots": boots + 1})
        return current

    def reached_home(self, version: str) -> None:
        (self.root / f"home-{version}").touch()
        pending = self._read("pending")
        if pending and pending.get("version") == version:
            (self.root / "pending").unlink(missing_ok=True)

    def refused(self, reason: str) -> None:
        self._write("status.json", {"problem": reason})

    def status(self) -> dict[str, object] | None:
        return self._read("status.json")


class Updater:
    """One look at the hall for a newer release (call it every few minutes)."""

    def __init__(self, releases: Releases, base_url: str, token: str, public_key_pem: bytes, *,
                 ca_bundle: str | bool = True, window: DailyWindow = NIGHT,
                 idle: Callable[[], bool] = lambda: True, timeout: float = 30.0) -> None:
        self.releases = releases
        self.base_url = base_url.rstrip("/")
        self.key = load_public_key(public_key_pem)
        self.verify = ca_bundle
        self.window = window
        self.idle = idle
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"}

    def check(self, now: datetime | None = None) -> str | None:
        """Install and switch to the hall's release when due; the version switched to, else None."""
        now = now or datetime.now()
        if not self.window.contains(now) or not self.idle():
            return None
        try:
            r = requests.get(f"{self.base_url}/api/v1/updates/latest", headers=self.headers,
                             verify=self.verify, timeout=self.timeout)
            r.raise_for_status()
            doc = r.json()
            if not doc.get("manifest"):
                return None
            manifest = verify_manifest(str(doc["manifest"]).encode("utf-8"),
                                       str(doc.get("signature", "")).encode("ascii"), self.key)
            if manifest.version == self.releases.current():
                return None
            if not self.releases.has(manifest.version):
                self._fetch(manifest)
        except ReleaseRefused as exc:
            log.error("release refused: %s", exc)
            self.releases.refused(str(exc))
            return None
        except (requests.RequestException, ValueError, OSError) as exc:
            log.warning("release check failed: %s", exc)
            return None
        self.releases.switch(manifest.version)
        log.info("release %s installed; it starts at the next restart", manifest.version)
        return manifest.version

    def _fetch(self, manifest: object) -> None:
        from common.releases import Manifest
        assert isinstance(manifest, Manifest)
        root = self.releases.root
        if shutil.disk_usage(root).free < 2 * manifest.size + DISK_MARGIN:
            raise ReleaseRefused(f"disk full: {manifest.size} byte release does not fit")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        try:
            bundle = staging / "bundle.tar.gz"
            with requests.get(f"{self.base_url}/api/v1/updates/{manifest.version}/bundle",
                              headers=self.headers, verify=self.verify, timeout=self.timeout,
                              stream=True) as r:
                r.raise_for_status()
                with bundle.open("wb") as f:
                    written = 0
                    for block in r.iter_content(1 << 16):
                        written += len(block)
                        if written > manifest.size:
                            raise ReleaseRefused("bundle larger than its signed size")
                        f.write(block)
            check_bundle(bundle, manifest)
            tree = staging / "tree"
            unpack(bundle, tree)
            os.replace(tree, root / manifest.version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.updates boot|check|home`` as the kiosk's systemd unit runs them:
    ``boot`` (ExecStartPre) prints the release to start; ``check`` (a timer) looks for a release;
    ``home`` marks the running release as having reached its home screen."""
    import argparse
    p = argparse.ArgumentParser(prog="kiosk.updates")
    p.add_argument("action", choices=["boot", "check", "home"])
    p.add_argument("--releases", required=True, type=Path)
    p.add_argument("--hall-url", default="")
    p.add_argument("--token-file", type=Path)
    p.add_argument("--public-key", type=Path)
    p.add_argument("--ca", default="")
    p.add_argument("--window", default="01:00-05:00", help="HH:MM-HH:MM, local time")
    p.add_argument("--now", default="", help="ISO time, for a rehearsal outside the window")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    releases = Releases(a.releases)
    if a.action == "boot":
        print(releases.boot() or "")
        return 0
    if a.action == "home":
        current = releases.current()
        if current:
            releases.reached_home(current)
        return 0
    if not (a.hall_url and a.token_file and a.public_key):
        p.error("check needs --hall-url, --token-file and --public-key")
    start, end = (time.fromisoformat(x) for x in a.window.split("-", 1))
    updater = Updater(releases, a.hall_url, a.token_file.read_text("utf-8").strip(), a.public_key.read_bytes(),
                      ca_bundle=a.ca or True, window=DailyWindow(start, end))
    version = updater.check(datetime.fromisoformat(a.now) if a.now else None)
    print(version or "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
