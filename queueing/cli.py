"""``python main.py hall-server``: the hall queue service as its own process, and its TLS files
(``hall-server make-cert``, ``hall-server ca``).

On any address but loopback the service speaks only TLS (``--tls-cert/--tls-key``): kiosks post
citizens' ID numbers and every device sends its bearer token. ``--insecure-http`` overrides that
for a lab, with a warning at every start."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from pathlib import Path

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
    p.add_argument(
        "--store", default="", metavar="URL",
        help="postgresql://user@host/db: keep the queue in PostgreSQL (central halls; several hall-server "
        "processes may share it; the password from ~/.pgpass or $PGPASSWORD) instead of <data-dir>/queue.db",
    )
    p.add_argument("--heartbeat", type=float, default=15.0, help="seconds between SSE heartbeat comments")
    p.add_argument("--integrity-check-every", type=float, default=3600.0, metavar="SECONDS",
                   help="check queue.db in full this often while running (default hourly; 0 = only at start)")
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
    tls = p.add_argument_group("TLS (required on any address but loopback)")
    tls.add_argument("--tls-cert", default="", help="server certificate, PEM (hall-server make-cert writes one)")
    tls.add_argument("--tls-key", default="", help="its private key, PEM")
    tls.add_argument("--insecure-http", action="store_true",
                     help="allow plain HTTP on a non-loopback address (a lab only: ID numbers cross the LAN in clear)")
    lim = p.add_argument_group("limits")
    lim.add_argument("--max-connections", type=int, default=0,
                     help="open connections at most (default: what the open-files limit allows, at most 4000)")
    lim.add_argument("--public-rate", type=float, default=2.0,
                     help="phone-page requests per second per client address, sustained (default 2)")
    lim.add_argument("--public-burst", type=int, default=60, help="phone-page requests in a burst (default 60)")
    p.set_defaults(func=run_hall_server)
    sub = p.add_subparsers(dest="hall_command", metavar="COMMAND")
    mk = sub.add_parser("make-cert", help="create the hall CA (once) and issue the server certificate",
                        description="Write <data-dir>/tls/{ca.pem,ca.key,server.pem,server.key} (keys mode 0600). "
                        "A second run keeps the CA and re-issues the server certificate.")
    mk.add_argument("--data-dir", default="data/hall")
    mk.add_argument("--host", action="append", default=[], dest="cert_hosts", metavar="NAME",
                    help="a DNS name or IP address clients use for this server (repeat)")
    mk.set_defaults(func=run_make_cert)
    ca = sub.add_parser("ca", help="print the hall CA certificate (what clients set as hall_service.ca_bundle)")
    ca.add_argument("--data-dir", default="data/hall")
    ca.add_argument("--out", default="", help="write it to this file instead of printing it")
    ca.set_defaults(func=run_print_ca)
    credentials_cli.register(p)  # enrol, revoke, devices, roles, staff (on the same subcommand list)


def run_make_cert(args: argparse.Namespace) -> int:
    from queueing.certs import make_certificates

    try:
        out = make_certificates(args.data_dir, args.cert_hosts)
    except ValueError as exc:
        print(f"hall-server make-cert: {exc}", file=sys.stderr)
        return 2
    print(f"{out / 'server.pem'} for {', '.join(args.cert_hosts)}; clients trust {out / 'ca.pem'}")
    return 0


def run_print_ca(args: argparse.Namespace) -> int:
    from queueing.certs import tls_dir

    ca = tls_dir(args.data_dir) / "ca.pem"
    if not ca.is_file():
        print(f"hall-server ca: no {ca}: run hall-server make-cert first", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_bytes(ca.read_bytes())
    else:
        sys.stdout.write(ca.read_text("ascii"))
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def run_hall_server(args: argparse.Namespace) -> int:
    from queueing.embedded import build_service, uvicorn_server
    from queueing.hallconfig import ConfigError
    from queueing.limits import PublicRate
    from queueing.public_sources import PlatformSettings
    from queueing.server import ServerLimits, TlsFiles, bind, serve

    if bool(args.tls_cert) != bool(args.tls_key):
        print("hall-server: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.store and not args.store.startswith(("postgresql://", "postgres://")):
        print("hall-server: --store takes a postgresql:// URL (without it the queue is <data-dir>/queue.db)",
              file=sys.stderr)
        return 2
    tls = TlsFiles(args.tls_cert, args.tls_key) if args.tls_cert else None
    if tls is None and not is_loopback(args.host) and not args.insecure_http:
        print(f"hall-server: refusing to listen on {args.host} in plain HTTP: give --tls-cert and --tls-key "
              "(hall-server make-cert writes them), or --insecure-http for a lab", file=sys.stderr)
        return 2
    if tls is None and args.insecure_http:
        log.warning("plain HTTP on %s (--insecure-http): ID numbers and tokens cross the network in clear",
                    args.host)

    platform = PlatformSettings(args.platform_url, args.platform_token) if args.platform_url else None
    outbox = sync = None
    if platform is not None:
        # The hall's own outbox: queue events, ratings and daily statistics to the platform.
        from offline_cache.store import OfflineCache
        from offline_cache.sync import SyncEngine

        outbox = OfflineCache(Path(args.data_dir) / "offline-cache.db")
    try:
        service = build_service(
            args.data_dir, heartbeat=args.heartbeat, public_base_url=args.public_base_url, platform=platform,
            outbox=outbox, public_rate=PublicRate(args.public_rate, args.public_burst), store_url=args.store,
            integrity_check_s=args.integrity_check_every,
        )
    except ConfigError as exc:
        log.error("cannot start the hall service: %s", exc)
        return 2
    try:
        server = uvicorn_server(service.app, log_level="info", tls=tls,
                                limits=ServerLimits(max_connections=args.max_connections))
        sock = bind(args.host, args.port)
    except (OSError, ValueError) as exc:  # a bad key/certificate file, an address in use
        service.close()
        log.error("cannot start the hall service: %s", exc)
        return 2
    if outbox is not None:
        sync = SyncEngine(outbox, args.platform_url, args.platform_token, f"hall-{service.engine.hall.id}")
        sync.start()
    log.info(
        "hall service starting",
        extra={
            "ctx": {
                "host": args.host,
                "port": sock.getsockname()[1],
                "tls": tls is not None,
                "data_dir": str(args.data_dir),
                "hall": service.engine.hall.id,
            }
        },
    )
    try:
        serve(server, sock)
    finally:
        service.close()
        if sync is not None:
            sync.stop()
        if outbox is not None:
            outbox.close()
    return 0
