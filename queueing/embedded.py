"""Assembling and running the hall service: in-process (embedded default, test fixtures) or as
the ``hall-server`` process. Both serve the same FastAPI app over real HTTP, so the embedded
kiosk talks to its hall through the very same ``HallClient`` as a networked one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from queueing import api_updates, cases
from queueing.api import create_app
from queueing.appointment_feed import AppointmentFeed
from queueing.engine import QueueEngine
from queueing.events import EventHub
from queueing.fleet import Fleet
from queueing.hallconfig import ConfigError, SmsTable, load_credentials, load_hall, load_sms
from queueing.limits import BodyCaps, PublicRate
from queueing.outbox import Outbox, OutboxForwarder
from queueing.public_pages import PublicPagesConfig
from queueing.public_sources import PlatformSettings, PublicSources
from queueing.server import ServerLimits, TlsFiles, bind, new_server, serve
from queueing.sms.case_notices import PickupWatcher
from queueing.sms.dispatcher import SmsDispatcher
from queueing.sms.outbox import SmsOutbox
from queueing.store import QueueStore, SQLiteStore

if TYPE_CHECKING:
    import uvicorn

    from queueing.sms.simulator import GatewaySimulator

log = logging.getLogger(__name__)


@dataclass
class HallService:
    """Everything one hall service owns, before it listens anywhere."""

    data_dir: Path
    engine: QueueEngine
    store: QueueStore
    hub: EventHub
    credentials: dict[str, str]
    app: FastAPI
    forwarder: OutboxForwarder | None = None
    sources: PublicSources | None = None
    appointments: AppointmentFeed | None = None
    sms: SmsDispatcher | None = None
    sms_outbox: SmsOutbox | None = None
    sms_simulator: GatewaySimulator | None = None
    sms_pickups: PickupWatcher | None = None

    def close(self) -> None:
        if self.sms_pickups:
            self.sms_pickups.stop()
        if self.sms:
            self.sms.stop()
        if self.sms_simulator:
            self.sms_simulator.stop()
        if self.sms_outbox:
            self.sms_outbox.close()
        if self.appointments:
            self.appointments.stop()
        self.hub.close()
        if self.forwarder:
            self.forwarder.stop()
        if self.sources:
            self.sources.close()
        self.store.close()


def build_service(
    data_dir: Path | str,
    clock: Callable[[], float] = time.time,
    heartbeat: float = 15.0,
    outbox: Outbox | None = None,
    public_base_url: str = "",
    platform: PlatformSettings | None = None,
    body_caps: BodyCaps | None = None,
    public_rate: PublicRate | None = None,
    store_url: str = "",
    integrity_check_s: float = 3600.0,
    appointment_pulls: bool = True,
    watch_others: bool = True,
    sms_duties: bool = True,
) -> HallService:
    """Load hall.toml and credentials (writing samples on first start), open the store, wire the
    engine's commits to the SSE hub and, when given, the platform outbox. ``public_base_url`` is
    where citizens' phones reach the /t/ /a/ /g/ pages; ``platform`` is asked for the catalogue
    and application status by those pages (without it: bundled catalogue, no status).
    ``store_url`` (``postgresql://…``) keeps the queue in PostgreSQL instead of ``queue.db``.
    ``appointment_pulls=False`` (the workers but one of ``hall-server --workers``): no periodic
    appointment pull, only the pull after a check-in missed; ``sms_duties=False`` (the same
    workers): opt-ins are taken, but the SMS dispatcher runs in worker 0 only. ``watch_others=False``
    (one process alone on its SQLite file): no doorbell thread polling for other processes'
    commits, since this process's own commits are published as they happen (issue 16: the poll
    cost CPU per cycle)."""
    data_dir = Path(data_dir)
    hall = load_hall(data_dir)
    creds = load_credentials(data_dir)
    sms_config = load_sms(data_dir)
    secret = creds.get("sms_secret", "")
    simulator = None
    if sms_config.enabled and sms_config.host == "simulator":  # a demo: the gateway simulator in-process
        from queueing.sms.simulator import GatewaySimulator

        secret = secret or "simulator"
        sms_config = sms_config.model_copy(update={"sp_id": sms_config.sp_id or "000000"})
        simulator = GatewaySimulator(sms_config.sp_id, secret).start()
        sms_config = sms_config.model_copy(update={"host": simulator.host, "port": simulator.port})
    if sms_config.enabled and not (secret and sms_config.sp_id):
        raise ConfigError(f"{data_dir / 'hall.toml'}: [sms] enabled needs sp_id, and sms_secret in credentials.json")
    store: QueueStore
    if store_url:
        from queueing.store_pg import PgStore  # psycopg only where a central hall uses it

        store = PgStore(store_url, hall.id, data_dir / "queue.db")
    else:
        store = SQLiteStore(data_dir / "queue.db")
    engine = QueueEngine(hall, store, creds["hall_key"], clock=clock)
    cases.install(engine, data_dir)  # the hall's working days (workdays.toml) for the 差评 clocks
    api_updates.install(engine, data_dir)  # [updates]: the signed releases served to kiosks
    hub = EventHub(store, heartbeat=heartbeat, watch=watch_others)
    engine.on_commit(hub.publish)
    forwarder = None
    if outbox is not None:
        forwarder = OutboxForwarder(store, hall, outbox)
        hub.on_publish(forwarder.notify)  # this process's commits and the other workers'
        forwarder.start()
    sources = PublicSources(platform, cache_path=data_dir / "public-pages" / "cache.db")
    # appointments come from the platform (never from a kiosk): pulled for the hall's own day
    feed = AppointmentFeed(engine, platform, hall.id) if platform is not None else None
    if feed is not None and appointment_pulls:
        feed.start()
    app = create_app(engine, creds, hub, public=PublicPagesConfig(public_base_url, sources), body_caps=body_caps,
                     public_rate=public_rate, appointment_feed=feed, integrity_check_s=integrity_check_s)
    if forwarder is not None:  # the hall's fleet state to the platform with its events (queueing/fleet.py)
        forwarder.fleet_state = fleet_snapshot(app.state.fleet)
        app.state.fleet.on_change = forwarder.fleet_changed
        forwarder.clock = engine.clock
    sms_outbox = dispatcher = None
    if sms_config.enabled:
        sms_outbox = SmsOutbox(data_dir / "sms.db")
        app.state.sms_outbox = sms_outbox  # queueing/api_sms.py takes opt-ins into it
        app.state.public_pages.sms = True  # and the phone page offers its form
        if sms_duties:
            dispatcher = SmsDispatcher(engine, sms_outbox, sms_config, secret, creds["hall_key"], public_base_url)
            hub.on_publish(dispatcher.notify)
            dispatcher.start()
    pickups = _pickup_watcher(engine, sms_outbox, sms_config, platform, dispatcher) if sms_outbox else None
    if sms_outbox is not None:
        app.state.sms_pickup_days = sms_config.pickup_days
    return HallService(data_dir, engine, store, hub, creds, app, forwarder, sources, feed, dispatcher, sms_outbox,
                       simulator, pickups)


def _pickup_watcher(engine: QueueEngine, outbox: SmsOutbox, config: SmsTable, platform: PlatformSettings | None,
                    dispatcher: SmsDispatcher | None) -> PickupWatcher | None:
    """Where this process sends texts and has a platform: the 自取 cases' readiness asked of it
    (queueing/sms/case_notices.py)."""
    if dispatcher is None or platform is None:
        return None
    from offline_cache.client import PlatformClient

    p = platform

    def client() -> PlatformClient:
        return PlatformClient(p.url, p.token, p.device_id, connect_timeout=min(3.0, p.timeout_s),
                              read_timeout=p.timeout_s, ca_bundle=p.ca_bundle)

    return PickupWatcher(engine, outbox, client, interval=config.pickup_poll_seconds,
                         per_round=config.pickup_per_round, notify=dispatcher.notify).start()


def fleet_snapshot(fleet: Fleet) -> Callable[[], dict[str, Any]]:
    def state() -> dict[str, Any]:
        return {"hall": fleet.hall_now(), "machines": fleet.machines()}

    return state


def uvicorn_server(
    app: FastAPI, log_level: str = "warning", limits: ServerLimits | None = None, tls: TlsFiles | None = None
) -> uvicorn.Server:
    """The hall service's uvicorn server, with its TLS and connection limits (queueing.server)."""
    return new_server(app, limits=limits, tls=tls, log_level=log_level)


@dataclass
class RunningHall:
    """A hall service listening on ``base_url`` in a background thread of this process."""

    base_url: str
    credentials: dict[str, str]
    service: HallService
    _server: object = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def engine(self) -> QueueEngine:
        return self.service.engine

    def token(self, role: str) -> str:
        return self.credentials[role]

    def stop(self, timeout: float = 10.0) -> None:
        self.service.hub.close()
        self._server.should_exit = True  # type: ignore[attr-defined]
        self._thread.join(timeout)
        self.service.close()

    def __enter__(self) -> RunningHall:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_hall_service(
    data_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Callable[[], float] = time.time,
    heartbeat: float = 15.0,
    outbox: Outbox | None = None,
    ready_timeout: float = 15.0,
    public_base_url: str = "",
    platform: PlatformSettings | None = None,
    tls: TlsFiles | None = None,
    limits: ServerLimits | None = None,
) -> RunningHall:
    """Run the hall service in this process (uvicorn on a background thread); returns when it
    accepts connections. ``port=0`` picks a free port; see ``RunningHall.base_url``. The embedded
    default listens on loopback in plain HTTP; ``tls`` serves HTTPS instead."""
    service = build_service(
        data_dir, clock=clock, heartbeat=heartbeat, outbox=outbox, public_base_url=public_base_url, platform=platform
    )
    sock = bind(host, port)
    bound = sock.getsockname()
    server = uvicorn_server(service.app, limits=limits, tls=tls)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            serve(server, sock)
        except BaseException as exc:  # reported to the caller below
            failed.append(exc)

    thread = threading.Thread(target=run, name=f"hall-service-{bound[1]}", daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not server.started:
        if failed or not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            service.close()
            raise RuntimeError(f"hall service did not start: {failed[0] if failed else 'timeout'}")
        time.sleep(0.01)
    host_part = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    base_url = f"{'https' if tls else 'http'}://{host_part}:{bound[1]}"
    log.info("hall service running", extra={"ctx": {"url": base_url, "data_dir": str(data_dir)}})
    return RunningHall(base_url, dict(service.credentials), service, server, thread)
