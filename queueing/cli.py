"""``python main.py hall-server``: the hall queue service as its own process, and its TLS files
(``hall-server make-cert``, ``hall-server ca``).

On any address but loopback the service speaks only TLS (``--tls-cert/--tls-key``): kiosks post
citizens' ID numbers and every device sends its bearer token. ``--insecure-http`` overrides that
for a lab, with a warning at every start.

``--workers N`` (N > 1) runs N worker processes on one hall: this process prepares the data
directory once (samples, schema migration, a start-up repair), binds the listening socket and
hands it to each worker (the kernel spreads connections over them), then supervises them: when
one exits the others are stopped and the service exits non-zero (systemd restarts it). The
workers share nothing but the queue file: SQLite's write lock serialises every operation (no
duplicate number or pull) and each worker's event hub tails the event log through the store's
doorbell, so every subscriber of every worker gets every event in order. Only worker 0 runs the
platform duties (outbox, sync, appointment pulls) and the SMS dispatcher, so nothing goes to the
platform or to a citizen's phone twice."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
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
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes serving this hall (default 1; one per core is the most that helps)")
    p.add_argument("--listen-fd", type=int, default=-1, help=argparse.SUPPRESS)  # a worker's inherited socket
    p.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
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

    if args.workers > 1 and args.listen_fd < 0:
        return run_workers(args)
    duties = args.worker_index == 0  # the platform's outbox, sync and appointment pulls: one worker only
    platform = PlatformSettings(args.platform_url, args.platform_token) if args.platform_url else None
    outbox = sync = None
    if platform is not None and duties:
        # The hall's own outbox: queue events, ratings and daily statistics to the platform.
        from offline_cache.store import OfflineCache
        from offline_cache.sync import SyncEngine

        outbox = OfflineCache(Path(args.data_dir) / "offline-cache.db")
    try:
        service = build_service(
            args.data_dir, heartbeat=args.heartbeat, public_base_url=args.public_base_url, platform=platform,
            outbox=outbox, public_rate=PublicRate(args.public_rate, args.public_burst), store_url=args.store,
            integrity_check_s=args.integrity_check_every, appointment_pulls=duties, sms_duties=duties,
            # another process commits to this hall only with --workers or a shared PostgreSQL
            watch_others=args.workers > 1 or bool(args.store),
        )
    except ConfigError as exc:
        log.error("cannot start the hall service: %s", exc)
        return 2
    try:
        server = uvicorn_server(service.app, log_level="info", tls=tls,
                                limits=ServerLimits(max_connections=args.max_connections))
        sock = socket.socket(fileno=args.listen_fd) if args.listen_fd >= 0 else bind(args.host, args.port)
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
                "worker": args.worker_index,
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


def _worker_command(args: argparse.Namespace, fd: int, index: int) -> list[str]:
    """The command line of worker ``index``: this one's options, the inherited socket."""
    cmd = [sys.executable, "-c", "import sys, main; sys.exit(main.main(sys.argv[1:]))",
           "--log-level", args.log_level, "--log-format", args.log_format, "hall-server",
           "--host", args.host, "--port", str(args.port), "--data-dir", str(args.data_dir),
           "--heartbeat", str(args.heartbeat), "--public-base-url", args.public_base_url,
           "--platform-url", args.platform_url, "--max-connections", str(args.max_connections),
           "--public-rate", str(args.public_rate), "--public-burst", str(args.public_burst),
           "--integrity-check-every", str(args.integrity_check_every), "--workers", str(args.workers),
           "--listen-fd", str(fd), "--worker-index", str(index)]
    if args.store:
        cmd += ["--store", args.store]
    if args.tls_cert:
        cmd += ["--tls-cert", args.tls_cert, "--tls-key", args.tls_key]
    if args.insecure_http:
        cmd.append("--insecure-http")
    return cmd


def run_workers(args: argparse.Namespace) -> int:
    """``--workers N``: prepare once, bind once, run N workers on the socket, supervise them."""
    from queueing.hallconfig import ConfigError, load_credentials, load_hall
    from queueing.server import bind
    from queueing.store import SQLiteStore

    try:
        load_hall(Path(args.data_dir))  # the first start writes the samples here, not in N racing workers
        load_credentials(Path(args.data_dir))
        SQLiteStore(Path(args.data_dir) / "queue.db").close()  # migration and any repair, once
        sock = bind(args.host, args.port)
    except (ConfigError, OSError, ValueError) as exc:
        log.error("cannot start the hall service: %s", exc)
        return 2
    root = Path(__file__).resolve().parent.parent
    # the platform token by environment (out of ps); systemd's watchdog stays this process's
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env["HALL_PLATFORM_TOKEN"] = args.platform_token
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    workers = [subprocess.Popen(_worker_command(args, sock.fileno(), i), pass_fds=[sock.fileno()], env=env)
               for i in range(args.workers)]
    sock.close()  # the workers hold it
    log.info("hall service workers started", extra={"ctx": {
        "workers": args.workers, "pids": [w.pid for w in workers], "data_dir": str(args.data_dir)}})
    stop = threading.Event()
    asked = [False]

    def on_signal(signum: int, _frame: object) -> None:
        asked[0] = True
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    while not stop.wait(0.2):
        for w in workers:
            if w.poll() is not None:
                log.error("hall service worker exited: stopping the others",
                          extra={"ctx": {"pid": w.pid, "returncode": w.returncode}})
                stop.set()
    for w in workers:
        if w.poll() is None:
            w.terminate()
    for w in workers:
        try:
            w.wait(10)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(5)
    return 0 if asked[0] else 1
