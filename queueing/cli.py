"""``python main.py hall-server``: the hall queue service as its own process."""

from __future__ import annotations

import argparse
import logging
import os

from queueing import credentials_cli

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "hall-server",
        help="run the hall queue service (HTTP API, OpenAPI, server-sent events)",
        description="Serve one hall's queue. On first start writes <data-dir>/hall.toml "
        "(a sample hall to edit) "
        "and <data-dir>/credentials.json (bearer tokens per role, mode 0600).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8600, help="TCP port (default 8600; 0 picks a free one)")
    p.add_argument(
        "--data-dir", default="data/hall", help="hall.toml, credentials.json, queue.db (default data/hall)"
    )
    p.add_argument("--heartbeat", type=float, default=15.0, help="seconds between SSE heartbeat comments")
    p.add_argument(
        "--public-base-url", default="",
        help="where citizens' phones reach the ticket/application/guide pages, e.g. https://hall.example.gov.cn/q "
        "(default: links relative to this server)",
    )
    p.add_argument("--platform-url", default="", help="central platform base URL for guides and application status")
    p.add_argument(
        "--platform-token", default=os.environ.get("HALL_PLATFORM_TOKEN", ""),
        help="device bearer token for --platform-url (default: $HALL_PLATFORM_TOKEN, which keeps it out of ps)",
    )
    p.set_defaults(func=run_hall_server)
    credentials_cli.register(p)  # enrol, revoke, devices, roles, staff


def run_hall_server(args: argparse.Namespace) -> int:
    from queueing.embedded import build_service, uvicorn_server
    from queueing.hallconfig import ConfigError
    from queueing.public_sources import PlatformSettings

    platform = PlatformSettings(args.platform_url, args.platform_token) if args.platform_url else None
    outbox = sync = None
    if platform is not None:
        # The hall's own outbox: queue events, ratings and daily statistics to the platform.
        from pathlib import Path

        from offline_cache.store import OfflineCache
        from offline_cache.sync import SyncEngine

        outbox = OfflineCache(Path(args.data_dir) / "offline-cache.db")
    try:
        service = build_service(
            args.data_dir, heartbeat=args.heartbeat, public_base_url=args.public_base_url, platform=platform,
            outbox=outbox,
        )
    except ConfigError as exc:
        log.error("cannot start the hall service: %s", exc)
        return 2
    if outbox is not None:
        sync = SyncEngine(outbox, args.platform_url, args.platform_token, f"hall-{service.engine.hall.id}")
        sync.start()
    server = uvicorn_server(service.app, log_level="info")
    server.config.host, server.config.port = args.host, args.port
    log.info(
        "hall service starting",
        extra={
            "ctx": {
                "host": args.host,
                "port": args.port,
                "data_dir": str(args.data_dir),
                "hall": service.engine.hall.id,
            }
        },
    )
    try:
        server.run()
    finally:
        service.close()
        if sync is not None:
            sync.stop()
        if outbox is not None:
            outbox.close()
    return 0
