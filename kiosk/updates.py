"""The kiosk's side of fleet updates: fetch the hall's signed release, install it beside the
running one, switch at night when no citizen is served, and roll back by itself.

Layout under the releases root (``/opt/hall-kiosk/releases`` when installed; ``packaging/install.sh``
writes the same one)::

    <release>/        one unpacked release each (the running one and the previous one are kept):
                      a one-folder build (an executable ``hall-kiosk`` at its top) or a venv
                      release (``venv/bin/python``, ``src/``), started by packaging/bin/hall-kiosk
                      by that rule (common.releases.release_layout)
    current -> <r>    the release systemd starts (switched atomically: new symlink + rename)
    previous -> <r>   the release to go back to
    staged            the name of a checked release waiting to become current at the next start
    pending           JSON ``{"version", "boots"}`` while a new release has not reached its home screen
    home-<release>    the release reached its home screen (:meth:`Releases.reached_home`)
    status.json       the last problem ``{"problem": <UpdateProblem>, "detail", "version"}``, for the heartbeat

Who does what (docs/updates.md): ``check`` (a root timer at night) downloads, verifies and unpacks
a release and *stages* it — it never touches the running one. The kiosk process itself
(:class:`IdleSwitch`) sees a staged release inside its night window and, on its worker thread
between two citizen events, exits with :data:`RESTART_STATUS` once nobody is served; systemd
starts it again, and :meth:`Releases.boot` (``ExecStartPre=``, root) makes the staged release
current. ``home`` (hall-kiosk-home.service, after the start's READY=1) marks it as having reached home.
A pending release started :data:`MAX_BOOTS` times without reaching home is abandoned for
``previous`` on the next start, and that version is not staged again.

``boot`` and ``home`` need nothing but the standard library: the installer copies this file out of
the release (``/opt/hall-kiosk/lib/hall_kiosk_release.py``) and the unit runs it with the system
Python, so a broken release cannot break its own rollback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from common.daily_window import DailyWindow
    from common.releases import Manifest
    from kiosk.config import Config

log = logging.getLogger(__name__)
MAX_BOOTS = 2
#: room kept on top of twice the bundle (download + unpack)
DISK_MARGIN = 16 * 1024 * 1024
#: the kiosk's exit status when it leaves for a staged release (the unit restarts it: Restart=on-failure)
RESTART_STATUS = 75
#: common.releases.UpdateProblem.ROLLED_BACK, spelt here so that ``boot`` needs no third-party import
ROLLED_BACK = "rolled_back"
#: when a kiosk may update unless its config says otherwise: the hall is closed
NIGHT = (time(1, 0), time(5, 0))


def night() -> DailyWindow:
    from common.daily_window import DailyWindow

    return DailyWindow(*NIGHT)


class Releases:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _link(self, name: str) -> str | None:
        path = self.root / name
        return os.readlink(path) if path.is_symlink() else None

    def current(self) -> str | None:
        return self._link("current")

    def previous(self) -> str | None:
        return self._link("previous")

    def staged(self) -> str | None:
        """A checked release waiting for the next start (None: nothing new, or it is current)."""
        try:
            name = (self.root / "staged").read_text("utf-8").strip()
        except OSError:
            return None
        return name if name and name != self.current() and self.has(name) else None

    def _point(self, name: str, version: str) -> None:
        tmp = self.root / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(version)
        os.replace(tmp, self.root / name)

    def has(self, version: str) -> bool:
        return bool(version) and "/" not in version and not version.startswith(".") \
            and (self.root / version).is_dir()

    def stage(self, version: str) -> None:
        self._put("staged", version)

    def switch(self, version: str) -> None:
        """Make ``version`` current, keep the old current as previous, mark it pending."""
        old = self.current()
        if old and old != version:
            self._point("previous", old)
        self._write("pending", {"version": version, "boots": 0})
        self._point("current", version)
        (self.root / "staged").unlink(missing_ok=True)
        self.prune()

    def prune(self) -> None:
        keep = {self.current(), self.previous()}
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink() and child.name not in keep \
                    and not child.name.startswith("."):
                shutil.rmtree(child, ignore_errors=True)
                (self.root / f"home-{child.name}").unlink(missing_ok=True)

    def _write(self, name: str, doc: dict[str, object]) -> None:
        self._put(name, json.dumps(doc))

    def _put(self, name: str, text: str) -> None:
        """Replace ``name`` atomically, readable by the kiosk user whatever the writer's umask (the
        unit's 0027): its heartbeat reads status.json, its idle switch reads staged."""
        tmp = self.root / f".{name}.tmp"
        tmp.write_text(text, "utf-8")
        tmp.chmod(0o644)
        os.replace(tmp, self.root / name)

    def _read(self, name: str) -> dict[str, object] | None:
        try:
            doc = json.loads((self.root / name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def boot(self) -> str | None:
        """Called at every start before the kiosk: switch to a staged release, count the pending
        release's boots and go back to ``previous`` when it has failed to reach home
        :data:`MAX_BOOTS` times. The release to run."""
        staged = self.staged()
        if staged:
            log.warning("starting the staged release %s (was %s)", staged, self.current())
            self.switch(staged)
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
            self.problem(ROLLED_BACK, f"rolled back from {current}: it never reached its home screen", current)
            return previous
        self._write("pending", {"version": current, "boots": boots + 1})
        return current

    def pending(self) -> str | None:
        """The release that has not yet reached its home screen since it became current."""
        doc = self._read("pending")
        return str(doc["version"]) if doc and doc.get("version") else None

    def reached_home(self, version: str) -> None:
        (self.root / f"home-{version}").touch()
        pending = self._read("pending")
        if pending and pending.get("version") == version:
            (self.root / "pending").unlink(missing_ok=True)

    def problem(self, code: str, detail: str, version: str | None = None) -> None:
        """Record why an update was refused or given up (the heartbeat carries ``code``)."""
        self._write("status.json", {"problem": str(code), "detail": detail, "version": version})

    def clear_problem(self) -> None:
        (self.root / "status.json").unlink(missing_ok=True)

    def status(self) -> dict[str, object] | None:
        return self._read("status.json")

    def gave_up(self, version: str) -> bool:
        """``version`` was rolled back from: it is not staged again (a new version is)."""
        status = self.status() or {}
        return status.get("problem") == ROLLED_BACK and status.get("version") == version


class Updater:
    """One look at the hall for a newer release (the timer runs it every few minutes at night)."""

    def __init__(self, releases: Releases, base_url: str, token: str, public_key_pem: bytes, *,
                 ca_bundle: str | bool = True, window: DailyWindow | None = None,
                 timeout: float = 30.0) -> None:
        from common.releases import load_public_key

        self.releases = releases
        self.base_url = base_url.rstrip("/")
        self.key = load_public_key(public_key_pem)
        self.verify = ca_bundle
        self.window = window or night()
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"}

    def check(self, now: datetime | None = None) -> str | None:
        """Download, verify and stage the hall's release when due; the version staged, else None.
        It becomes current at the kiosk's next start (:meth:`Releases.boot`), which the kiosk
        itself asks for once nobody is served (:class:`IdleSwitch`)."""
        import requests

        from common.releases import ReleaseRefused, verify_manifest

        now = now or datetime.now()
        if not self.window.contains(now):
            return None
        self.releases.root.mkdir(parents=True, exist_ok=True)
        version = None
        try:
            r = requests.get(f"{self.base_url}/api/v1/updates/latest", headers=self.headers,
                             verify=self.verify, timeout=self.timeout)
            r.raise_for_status()
            doc = r.json()
            if not doc.get("manifest"):
                return None
            raw = str(doc["manifest"]).encode("utf-8")
            version = _claimed_version(raw)
            manifest = verify_manifest(raw, str(doc.get("signature", "")).encode("ascii"), self.key)
            if manifest.version == self.releases.current() or self.releases.gave_up(manifest.version):
                return None
            if not self.releases.has(manifest.version):
                self._fetch(manifest)
        except ReleaseRefused as exc:
            log.error("release %s refused: %s", version or "?", exc)
            self.releases.problem(exc.problem, str(exc), version)
            return None
        except (requests.RequestException, ValueError, OSError) as exc:
            log.warning("release check failed: %s", exc)
            return None
        self.releases.stage(manifest.version)
        self.releases.clear_problem()
        log.info("release %s staged; the kiosk starts it once nobody is served", manifest.version)
        return manifest.version

    def _fetch(self, manifest: Manifest) -> None:
        import requests

        from common.releases import ReleaseRefused, UpdateProblem, check_bundle, unpack

        root = self.releases.root
        if shutil.disk_usage(root).free < 2 * manifest.size + DISK_MARGIN:
            raise ReleaseRefused(f"disk full: {manifest.size} byte release does not fit", UpdateProblem.DISK_FULL)
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
                            raise ReleaseRefused("bundle larger than its signed size", UpdateProblem.BAD_BUNDLE)
                        f.write(block)
            check_bundle(bundle, manifest)
            tree = staging / "tree"
            unpack(bundle, tree)
            tree.chmod(0o755)  # mkdtemp's 0700 would hide the release from the kiosk user
            os.replace(tree, root / manifest.version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _claimed_version(raw: bytes) -> str | None:
    """The version a (not yet verified) manifest names, only to say which release was refused."""
    try:
        value = json.loads(raw).get("version")
    except (ValueError, AttributeError):
        return None
    return str(value)[:40] if value else None


def citizen_absent(core: Any) -> bool:
    """Nobody is being served: the home screen (or 暂停服务, which a new release may mend), nothing
    given, default mode, no card on the reader. Read on the kiosk's worker thread (the core's owner)."""
    from kiosk.flows.home import HomeFlow
    from kiosk.flows.outage import OutageFlow

    return (isinstance(core.flow, (HomeFlow, OutageFlow)) and core.session.is_empty() and not core.card_present
            and not core.elder and not core.speech_mode and core.translator.language == "zh_CN"
            and not core.flow.holds_citizen)  # a language picked at home: the idle wipe resets it first


class IdleSwitch:
    """In the kiosk process: every ``every_s`` inside the night window, when a release is staged,
    ask the worker thread whether anyone is served; if nobody is, call ``restart`` there (the UI
    quits with :data:`RESTART_STATUS`). Deciding on the worker thread means no tap or card can
    slip in between the idle check and the restart."""

    def __init__(self, releases: Releases, window: DailyWindow, post: Callable[[Callable[[Any], None]], None],
                 restart: Callable[[], None], every_s: float = 30.0,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self.releases, self.window, self.post, self.restart = releases, window, post, restart
        self.every_s, self.clock = every_s, clock
        self.asked = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="update-switch", daemon=True)

    def due(self) -> str | None:
        return self.releases.staged() if self.window.contains(self.clock()) else None

    def _on_worker(self, core: Any) -> None:
        staged = self.due()
        if staged and not self.asked and citizen_absent(core):
            self.asked = True
            log.warning("nobody is served: restarting for release %s", staged)
            self.restart()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            if not self.asked and self.due():
                self.post(self._on_worker)

    def start(self) -> IdleSwitch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()


def start_idle_switch(assembly: Any) -> IdleSwitch:
    """The kiosk's :class:`IdleSwitch` (kiosk/assembly.py): ``assembly.restart_for_update`` is the
    UI's way out (ui/cli.py quits with :data:`RESTART_STATUS`)."""
    from common.daily_window import DailyWindow

    u = assembly.config.updates

    def restart() -> None:
        if assembly.restart_for_update is None:
            log.warning("a release is staged but this kiosk has no way to restart itself")
        else:
            assembly.restart_for_update()

    return IdleSwitch(Releases(Path(u.releases_dir)), DailyWindow.parse(u.window) or night(),
                      assembly.runtime.post, restart, every_s=u.idle_check_s).start()


def update_health(config: Config) -> dict[str, Any]:
    """What the heartbeat says of fleet updates: the release's last problem (``update_problem``,
    a :class:`common.releases.UpdateProblem`), which the hall counts as the machine's problem."""
    status = Releases(Path(config.updates.releases_dir)).status() or {}
    problem = status.get("problem")
    return {"update_problem": str(problem)} if problem else {}


def updater_from_config(config: Config) -> Updater:
    """An :class:`Updater` (with its releases root) from kiosk.toml (``[updates]`` and ``[hall_service]``)."""
    from common.daily_window import DailyWindow

    u, hall = config.updates, config.hall_service
    if not u.releases_dir or not u.public_key:
        raise ValueError("updates.releases_dir and updates.public_key must be set for fleet updates")
    if not hall.url or not hall.token:
        raise ValueError("hall_service.url and hall_service.token must be set for fleet updates")
    window = DailyWindow.parse(u.window) or night()
    return Updater(Releases(Path(u.releases_dir)), hall.url, hall.token, Path(u.public_key).read_bytes(),
                   ca_bundle=hall.ca_bundle or True, window=window, timeout=u.timeout_s)


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.updates boot|check|home`` as the kiosk's systemd units run them:
    ``boot`` (ExecStartPre) prints the release to start; ``check`` (the night timer) stages a
    release; ``home`` (hall-kiosk-home.service) marks the running release as having reached home.
    ``check --config kiosk.toml`` reads the typed ``[updates]`` section; the explicit options
    override it (a rehearsal by hand)."""
    import argparse
    p = argparse.ArgumentParser(prog="kiosk.updates")
    p.add_argument("action", choices=["boot", "check", "home"])
    p.add_argument("--config", type=Path, help="kiosk.toml: [updates] and [hall_service]")
    p.add_argument("--releases", type=Path)
    p.add_argument("--hall-url", default="")
    p.add_argument("--token-file", type=Path)
    p.add_argument("--public-key", type=Path)
    p.add_argument("--ca", default="")
    p.add_argument("--window", default="", help="HH:MM-HH:MM, local time (default 01:00-05:00)")
    p.add_argument("--now", default="", help="ISO time, for a rehearsal outside the window")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if a.action in ("boot", "home"):
        if a.releases is None:
            p.error(f"{a.action} needs --releases")
        releases = Releases(a.releases)
        try:
            if a.action == "boot":
                print(releases.boot() or "")
            elif releases.current() and releases.pending() == releases.current():
                releases.reached_home(str(releases.current()))
        except OSError as exc:  # never the reason a kiosk does not start (a read-only /opt, a full disk)
            log.error("%s: %s", a.action, exc)
            print(releases.current() or "")
        return 0
    updater = _cli_updater(p, a)
    if updater is None:
        print("")
        return 0
    version = updater.check(datetime.fromisoformat(a.now) if a.now else None)
    print(version or "")
    return 0


def register(subparsers: Any) -> None:
    """``main.py update boot|check|home …``: :func:`main` as a subcommand, so a one-folder build
    (which has no ``python -m``) runs its own update check (packaging/bin/hall-kiosk-update)."""
    import argparse

    parser = subparsers.add_parser("update", help="fleet updates: boot, check or home (docs/updates.md)")
    parser.add_argument("update_args", nargs=argparse.REMAINDER, help="what python -m kiosk.updates takes")
    parser.set_defaults(func=lambda args: main(list(args.update_args)))


def _cli_updater(p: Any, a: Any) -> Updater | None:
    """The updater the options name; None (with a log line) when kiosk.toml turns updates off or
    lacks what they need: the night timer of a kiosk not yet enrolled with its hall is no failure."""
    from common.daily_window import DailyWindow

    if a.config is not None:
        from kiosk.config import ConfigError, load_config

        try:
            config = load_config(a.config)
        except ConfigError as exc:
            p.error(str(exc))
        try:
            updater = updater_from_config(config)
        except (ValueError, OSError) as exc:
            log.warning("no fleet update check: %s", exc)
            return None
        if a.releases:
            updater.releases = Releases(a.releases)
        if a.window:
            updater.window = DailyWindow.parse(a.window) or updater.window
        return updater
    if not (a.releases and a.hall_url and a.token_file and a.public_key):
        p.error("check needs --config, or --releases, --hall-url, --token-file and --public-key")
    return Updater(Releases(a.releases), a.hall_url, a.token_file.read_text("utf-8").strip(),
                   a.public_key.read_bytes(), ca_bundle=a.ca or True,
                   window=DailyWindow.parse(a.window) or night())


if __name__ == "__main__":
    raise SystemExit(main())
