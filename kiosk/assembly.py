"""Wiring of the kiosk-side roles from a :class:`~kiosk.config.Config`: which platform and hall
service to talk to (or start in-process for the embedded default), the offline cache and its
sync engine, the catalogue, the devices, and the kiosk core on its worker thread.

``python main.py`` with no configuration gets everything in one process: the reference platform,
the hall service (whose own outbox syncs to that platform), a kiosk with simulated devices.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.app import KioskCore
from kiosk.audit import AuditLog
from kiosk.catalogue import Catalogue, load_sample_catalogue, parse_catalogue
from kiosk.config import Config
from kiosk.i18n import Translator
from kiosk.runtime import KioskRuntime
from kiosk.session import IdlePolicy, wipe_leftovers
from kiosk.speech import best_engine

log = logging.getLogger(__name__)
#: the longest a citizen's look-up waits for the platform before the stored answer (with its age)
LOOKUP_WAIT_S = 2.0
#: the longest start-up waits for the platform's catalogue and appointments (then: background)
START_WAIT_S = 1.5


@dataclass
class PlatformLink:
    url: str | None
    token: str = ""
    hall_key: str = ""
    running: Any = None  # the in-process reference platform, when embedded


@dataclass
class HallLink:
    url: str
    tokens: dict[str, str]
    running: Any = None  # the in-process hall service, when embedded
    outbox: Any = None
    sync: Any = None


@dataclass
class Assembly:
    config: Config
    platform: PlatformLink
    hall: HallLink
    hall_client: Any
    cache: Any = None
    sync: Any = None
    pulls: Any = None
    devices: Any = None
    core: KioskCore | None = None
    runtime: KioskRuntime | None = None
    technician: Any = None
    audit: AuditLog | None = None
    heartbeat: Any = None  # queueing.heartbeat.Heartbeat: this machine's fleet health to the hall
    #: called (on the worker thread) when nobody is served and a staged release waits (kiosk.updates)
    restart_for_update: Any = None
    stops: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        """Stop everything in reverse order of starting; never raises."""
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception:
                log.exception("error while stopping")
        self.stops.clear()


def data_path(config: Config, *parts: str) -> Path:
    path = Path(config.data_dir).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def connect_platform(config: Config, assembly_stops: list[Any]) -> PlatformLink:
    """The configured platform, or the reference platform in-process when none is configured."""
    if config.platform.url == "off":
        return PlatformLink(None)
    if config.platform.url:
        return PlatformLink(config.platform.url, config.platform.token, config.platform.hall_key)
    from offline_cache.platform_server import start_reference_platform

    running = start_reference_platform(data_path(config, "platform"))
    assembly_stops.append(running.stop)
    log.info("embedded reference platform", extra={"ctx": {"url": running.base_url}})
    return PlatformLink(running.base_url, running.token, running.hall_key, running)


def new_sync_engine(config: Config, cache: Any, platform: PlatformLink, device_id: str) -> Any:
    from offline_cache.sync import SyncEngine

    cert: Any = None
    if config.platform.client_cert:
        cert = (config.platform.client_cert, config.platform.client_key) if config.platform.client_key \
            else config.platform.client_cert
    return SyncEngine(cache, platform.url or "", platform.token, device_id,
                      interval=config.platform.sync_interval_s, ca_bundle=config.platform.ca_bundle or None,
                      client_cert=cert, read_timeout=config.platform.timeout_s)


def connect_hall(config: Config, platform: PlatformLink, stops: list[Any]) -> HallLink:
    """The configured hall service, or one started in-process (with its outbox to the platform)."""
    if config.hall_service.url:
        return HallLink(config.hall_service.url, {"kiosk": config.hall_service.token,
                                                   "counter": config.hall_service.token,
                                                   "display": config.hall_service.token,
                                                   "admin": config.hall_service.token})
    from offline_cache.store import OfflineCache
    from queueing.embedded import start_hall_service

    hall_dir = data_path(config, "hall")
    credentials = hall_dir / "credentials.json"
    if platform.hall_key and not credentials.exists():
        # The hall matches swiped cards against the platform's appointments: same HMAC key.
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"hall_key": platform.hall_key}, fh)
    outbox = sync = None
    if platform.url:
        outbox = OfflineCache(hall_dir / "offline-cache.db", retention_seconds=config.privacy.retention_days * 86400,
                              crypto_suite=config.privacy.crypto_suite)
        stops.append(outbox.close)
        sync = new_sync_engine(config, outbox, platform, f"hall-{config.kiosk.hall_id}")
        sync.start()
        stops.append(sync.stop)
    from queueing.public_sources import PlatformSettings

    # the phone pages (/a/ status, /g/ guides) ask the same platform as the kiosk
    pages_platform = PlatformSettings(platform.url, platform.token, f"hall-{config.kiosk.hall_id}-pages",
                                      config.platform.ca_bundle or None) if platform.url else None
    running = start_hall_service(hall_dir, outbox=outbox, public_base_url=config.kiosk.public_base_url,
                                 platform=pages_platform)
    stops.append(running.stop)
    from queueing.credentials import seed_demo_staff

    # The demo hall's counters sign in as s-<counter> with the demo PIN (README): the counter
    # console has no typed 工号 any more.
    seed_demo_staff(hall_dir / "queue.db", list(running.service.engine.hall.counters))
    log.info("embedded hall service", extra={"ctx": {"url": running.base_url}})
    return HallLink(running.base_url, dict(running.credentials), running, outbox, sync)


def load_catalogue(pulls: Any, *, refresh: bool = True) -> Catalogue:
    """The platform's catalogue (fresh or the stored copy, with its age), else the bundled sample.
    ``refresh=False``: the stored copy only, the platform is not asked."""
    if pulls is not None:
        from offline_cache.pulls import NotCachedError

        try:
            pulled = pulls.catalogue(refresh)
            return parse_catalogue(pulled.data, age_seconds=pulled.age_seconds)
        except NotCachedError:
            log.warning("no catalogue from the platform yet: using the bundled sample")
        except (KeyError, TypeError, ValueError):
            log.exception("the platform's catalogue could not be read: using the bundled sample")
    return load_sample_catalogue()


def assemble_kiosk(config: Config, *, config_path: str | Path | None = None, start_devices: bool = True,
                   today: Any = date.today) -> Assembly:
    """Everything the kiosk role needs, started. Call :meth:`Assembly.stop` to end it."""
    from offline_cache.pulls import PullCache
    from offline_cache.store import OfflineCache
    from queueing.client import HallClient

    stops: list[Any] = []
    try:
        platform = connect_platform(config, stops)
        hall = connect_hall(config, platform, stops)
        public_base_url = config.kiosk.public_base_url or hall.url
        client = HallClient(hall.url, hall.tokens["kiosk"], timeout=config.hall_service.timeout_s,
                            ca_bundle=config.hall_service.ca_bundle)
        assembly = Assembly(config, platform, hall, client, stops=stops)
        kiosk_dir = data_path(config, "kiosk")
        assembly.audit = AuditLog(kiosk_dir / "audit.jsonl")
        # no session is live yet: what a killed kiosk left in session folders is destroyed now
        wiped = wipe_leftovers(kiosk_dir / "sessions")
        if wiped:
            log.warning("leftover session files wiped at start", extra={"ctx": {"files": wiped}})
        outage = None
        try:
            assembly.cache = OfflineCache(kiosk_dir / "offline-cache.db",
                                          retention_seconds=config.privacy.retention_days * 86400,
                                          crypto_suite=config.privacy.crypto_suite)
            stops.append(assembly.cache.close)
        except Exception as exc:  # a cache that cannot open: 暂停服务, never a crash
            log.exception("the offline cache could not open: the kiosk is out of service")
            outage = f"offline cache did not open ({type(exc).__name__}: {exc})"
        if platform.url and assembly.cache is not None:
            assembly.sync = new_sync_engine(config, assembly.cache, platform, config.kiosk.id)
            assembly.pulls = PullCache(assembly.cache, assembly.sync.client, wait_s=LOOKUP_WAIT_S)
        # Start-up never waits on the platform: the stored catalogue (or the sample) now, the
        # platform's answers from a background pull (_pull_at_start).
        catalogue = load_catalogue(assembly.pulls, refresh=False)
        core = KioskCore(
            catalogue=catalogue, translator=Translator(config.kiosk.language), hall=client,
            cache=assembly.cache, sync=assembly.sync, pulls=assembly.pulls, audit=assembly.audit,
            kiosk_id=config.kiosk.id, hall_id=config.kiosk.hall_id, hall_name=config.kiosk.hall_name,
            public_base_url=public_base_url, hall_key=platform.hall_key, session_root=kiosk_dir / "sessions",
            today=today, voice=best_engine(), ecard_qr=config.kiosk.ecard_qr,
            speech_blank=config.privacy.speech_blank,
            idle_policy=IdlePolicy(config.privacy.idle_seconds, config.privacy.form_idle_seconds,
                                   config.privacy.elder_idle_seconds, config.privacy.countdown_seconds),
        )
        from kiosk import elicences

        elicences.configure(core, config, embedded=platform.running is not None)  # pinned issuer keys
        if assembly.cache is not None:  # papers printed before local numbers carried the whole kiosk id
            from kiosk.applications import legacy_local_numbers

            core.legacy_local_through = legacy_local_numbers(assembly.cache, kiosk_dir / "local-numbers.json")
        runtime = KioskRuntime(core)
        assembly.core, assembly.runtime = core, runtime
        if outage:
            core.outage = outage
            core.go_home()
            core.alert_staff("sync", f"{core.kiosk_id}: out of service, {outage}")
        _check_audit(assembly, core)
        from kiosk.technician import Technician

        assembly.technician = Technician(config=config, config_path=config_path, audit=assembly.audit,
                                         cache=assembly.cache, sync=assembly.sync, catalogue=catalogue)
        if start_devices:
            assembly.devices = start_kiosk_devices(config, runtime, public_base_url, assembly.technician)
            assembly.technician.devices = assembly.devices
            core.devices = assembly.devices
            stops.append(assembly.devices.close)
        _report_complaints(assembly, config, core, kiosk_dir)
        if assembly.sync is not None:
            assembly.sync.add_listener(lambda event: runtime.post(lambda c: _sync_event(c, event)))
            _report_receipts(assembly, config, core, kiosk_dir)
            assembly.sync.start()
            stops.append(assembly.sync.stop)
        if platform.url and assembly.cache is not None:  # the chain head to the platform once a day, through the outbox
            from kiosk.audit import HeadPublisher

            heads = HeadPublisher(assembly.audit, assembly.cache, config.kiosk.id).start()
            stops.append(heads.stop)
        runtime.start()
        stops.append(runtime.stop)
        if config.updates.releases_dir:
            from kiosk.updates import start_idle_switch

            stops.append(start_idle_switch(assembly).stop)
        if config.hall_service.heartbeat_s > 0:
            from queueing.heartbeat import Heartbeat

            assembly.heartbeat = Heartbeat(client, "kiosk", config.kiosk.id, config.data_dir,
                                           probe=lambda: kiosk_health(assembly),
                                           interval_s=config.hall_service.heartbeat_s).start()
            stops.append(assembly.heartbeat.stop)
        if assembly.pulls is not None:
            puller = threading.Thread(target=_pull_at_start, args=(assembly,), name="start-pulls", daemon=True)
            puller.start()
            puller.join(START_WAIT_S)  # a platform that answers is in before the first citizen
        return assembly
    except BaseException:
        for stop in reversed(stops):
            try:
                stop()
            except Exception:
                log.exception("error while stopping after a failed start")
        raise


def kiosk_health(assembly: Assembly) -> dict[str, Any]:
    """What a kiosk's heartbeat says of it: each configured device's state, the cache's backlog."""
    out: dict[str, Any] = {}
    if assembly.devices is not None:
        out["devices"] = {kind: {"state": state.value, "reason": reason[:120] if reason else None}
                          for kind, (state, reason) in dict(assembly.devices.states).items()
                          if reason not in ("not configured", "not started")}
    if assembly.cache is not None:
        counts = assembly.cache.counts()
        out["backlog"], out["dead_letters"] = counts["pending"] + counts["inflight"], counts["dead"]
    if assembly.config.updates.releases_dir:
        from kiosk.updates import update_health

        out.update(update_health(assembly.config))
    return out


def _check_audit(assembly: Assembly, core: KioskCore) -> None:
    """The audit log verified at start: a torn tail (already cut off) or a broken chain is an
    alert to the hall and an entry in the log, never a reason not to start."""
    assert assembly.audit is not None
    for problem in assembly.audit.check():
        log.error("audit log problem at start", extra={"ctx": {"problem": problem}})
        assembly.audit.record("kiosk", "audit.problem_at_start", problem=problem)
        core.alert_staff("audit", f"{core.kiosk_id}: {problem}")


def _pull_at_start(assembly: Assembly) -> None:
    """The platform's catalogue and the hall day's appointments, asked in the background at start:
    a newer catalogue replaces the one the kiosk started with (on the kiosk's worker thread)."""
    from offline_cache.pulls import NotCachedError

    pulls, runtime = assembly.pulls, assembly.runtime
    try:
        pulled = pulls.catalogue(patient=True)
        if pulled.fresh and runtime is not None:
            catalogue = parse_catalogue(pulled.data, age_seconds=pulled.age_seconds)

            def install(core: KioskCore) -> None:
                core.catalogue = catalogue
                if assembly.technician is not None:
                    assembly.technician.catalogue = catalogue

            runtime.post(install)
    except NotCachedError:
        log.warning("no catalogue from the platform yet: using the bundled sample")
    except (KeyError, TypeError, ValueError):
        log.exception("the platform's catalogue could not be read: keeping the one in use")
    except Exception as exc:  # e.g. the kiosk was stopped (cache closed) while the platform hung
        log.warning("start-up pull ended", extra={"ctx": {"error": type(exc).__name__}})
        return
    if assembly.core is not None:
        # the hall day's list for check-in by card, here and not on the worker: a hung platform
        # must not hold up the first citizen (later refreshes come from tick, at most every 10 min)
        assembly.core.appointments.refresh()


def _report_receipts(assembly: Assembly, config: Config, core: KioskCore, kiosk_dir: Path) -> None:
    """Each synced application's local → platform number to the hall (the phone page of an
    offline receipt follows it): on a thread and a hall client of its own, woken by syncs."""
    from kiosk.applications import record_local_number
    from kiosk.receipts import ReceiptReporter
    from queueing.client import HallClient

    hall = HallClient(assembly.hall.url, assembly.hall.tokens["kiosk"], timeout=config.hall_service.timeout_s,
                      ca_bundle=config.hall_service.ca_bundle)
    reporter = ReceiptReporter(assembly.cache, hall, lambda record: record_local_number(core, record),
                               kiosk_dir / "receipts-reported.json").start()
    assembly.stops.append(hall.close)
    assembly.stops.append(reporter.stop)
    assert assembly.sync is not None
    assembly.sync.add_listener(lambda event: reporter.wake() if event.kind in ("success", "dead_letter") else None)


def _report_complaints(assembly: Assembly, config: Config, core: KioskCore, kiosk_dir: Path) -> None:
    """Complaints numbered here while the hall was away, filed with it once it answers again
    (kiosk/complaints.py): on a thread and a hall client of their own."""
    if assembly.cache is None:
        return
    from kiosk.complaints import ComplaintReporter
    from queueing.client import HallClient

    hall = HallClient(assembly.hall.url, assembly.hall.tokens["kiosk"], timeout=config.hall_service.timeout_s,
                      ca_bundle=config.hall_service.ca_bundle)
    reporter = ComplaintReporter(core, assembly.cache, hall, kiosk_dir / "complaints-reported.json").start()
    core.complaint_reporter = reporter
    assembly.stops.append(hall.close)
    assembly.stops.append(reporter.stop)


def _sync_event(core: KioskCore, event: Any) -> None:
    if event.kind == "success":
        core.platform_online = True
    elif event.kind in ("error", "auth_failure"):
        core.platform_online = False
    else:
        return
    core._publish()


def start_kiosk_devices(config: Config, runtime: KioskRuntime, public_base_url: str, technician: Any) -> Any:
    from devices.manager import DeviceManager
    from devices.state import DeviceState

    core = runtime.core

    def on_card(card: Any) -> None:
        technician.note_card(card)
        runtime.card_read(card)

    def on_scan(scan: Any) -> None:
        technician.note_scan(scan)
        runtime.scanned(scan)

    def on_state(kind: str, state: Any, reason: str | None) -> None:
        # every device's every change: the citizen waiting for it and the staff hear of it
        runtime.post(lambda c: c.device_changed(kind, str(state), reason))

    def on_alert(kind: str, message: str) -> None:
        # The manager also pages on entering a bad state; the core already alerts on every state
        # change (kiosk/device_trouble.py), so only the other alerts (a failed job) pass here.
        if message.startswith((f"{kind} {DeviceState.DISCONNECTED.value}:", f"{kind} {DeviceState.ERROR.value}:")):
            return

        def raise_alert(c: KioskCore) -> None:
            c.alert_staff(kind, f"{c.kiosk_id}: {message}")

        runtime.post(raise_alert)

    if config.devices.keypad.headphones == "pactl":  # speech mode's voice in the headphones only
        from kiosk.speech_output import HeadphoneEngine

        core.speaker.engine = HeadphoneEngine(core.speaker.engine)
    manager = DeviceManager(config.devices, base_url=public_base_url, on_card=on_card,
                            on_card_removed=lambda: runtime.post(lambda c: c.card_removed()),
                            on_scan=on_scan, on_state=on_state, on_alert=on_alert,
                            on_key=lambda key: runtime.post(lambda c: c.keypad_pressed(str(key))),
                            on_headphones=lambda on: runtime.post(lambda c: c.set_speech_mode(on)))
    from kiosk.receipt_presenter import watch_receipts

    watch_receipts(manager, config.privacy.receipt_retract_seconds, runtime.post)  # personal receipts left
    core.devices = manager
    return manager.start()
