"""Command line of the offline cache and the reference platform.

    python main.py platform --host H --port P --data-dir D [--fault JSON ...]
    python main.py cache status|sync|dead-letters|retry ID|discard ID --reason R|purge|salvage FILE

Heavy imports happen inside the handlers so ``main.py --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

DEFAULT_CACHE_DB = "data/kiosk/offline-cache.db"
DEFAULT_PLATFORM_DIR = "data/platform"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("platform", help="run the reference central platform (sync protocol v1)",
                              description="Reference central platform: records, attachments, catalogue, "
                              "appointments, application status, fault injection for tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700, help="0 picks a free port (default 8700)")
    p.add_argument("--data-dir", default=DEFAULT_PLATFORM_DIR,
                   help=f"database, attachments, credentials (default {DEFAULT_PLATFORM_DIR})")
    p.add_argument("--fault", action="append", default=[], metavar="JSON",
                   help='fault rule, e.g. \'{"fault": "error", "rate": 0.2}\' (repeatable)')
    p.add_argument("--fault-seed", type=int, default=None)
    p.add_argument("--status-step-seconds", type=float, default=120.0,
                   help="how fast application status advances (default 120 s per step)")
    p.add_argument("--catalogue", help="serve this catalogue JSON instead of the sample")
    p.add_argument("--hall-id", default="demo-hall")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, may include the key)")
    p.add_argument("--tls-key", help="private key of --tls-cert if separate")
    p.add_argument("--tls-client-ca", help="require device client certificates signed by this CA")
    p.set_defaults(func=_platform)

    c = subparsers.add_parser("cache", help="offline cache status and sync (technicians)")
    c.add_argument("--db", default=None, help=f"cache database (default {DEFAULT_CACHE_DB})")
    c.add_argument("--data-dir", default=None, help="directory holding offline-cache.db")
    c.add_argument("--platform-url", default=os.environ.get("OFFLINE_CACHE_PLATFORM_URL"))
    c.add_argument("--token", default=os.environ.get("OFFLINE_CACHE_TOKEN"))
    c.add_argument("--credentials", help="platform-credentials.json (or a file holding the token)")
    c.add_argument("--device-id", default=os.environ.get("OFFLINE_CACHE_DEVICE_ID", "kiosk-01"))
    c.add_argument("--ca-bundle", help="CA bundle to verify the platform's TLS certificate")
    c.add_argument("--client-cert", help="client certificate (PEM with key) for mutual TLS")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    sub = c.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    sub.add_parser("status", help="records by state, oldest pending, alerts").set_defaults(func=_status)
    sub.add_parser("sync", help="sync now, once, and report").set_defaults(func=_sync)
    sub.add_parser("dead-letters", help="list dead letters with reasons").set_defaults(func=_dead)
    r = sub.add_parser("retry", help="send a dead letter again")
    r.add_argument("record_id")
    r.set_defaults(func=_retry)
    d = sub.add_parser("discard", help="give up on a dead letter (logged)")
    d.add_argument("record_id")
    d.add_argument("--reason", required=True)
    d.set_defaults(func=_discard)
    sub.add_parser("purge", help="delete personal data past the retention window now").set_defaults(
        func=_purge)
    s = sub.add_parser("salvage", help="re-enqueue readable records of a quarantined cache file")
    s.add_argument("file")
    s.set_defaults(func=_salvage)


# --- platform -----------------------------------------------------------------------------

def _platform(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .platform_faults import FaultRule
    from .platform_server import ReferencePlatform, make_server, server_url, tls_context, write_endpoint

    catalogue = json.loads(Path(args.catalogue).read_text("utf-8")) if args.catalogue else None
    try:
        rules = [FaultRule.from_dict(json.loads(f)) for f in args.fault]
    except (ValueError, TypeError) as exc:
        print(f"platform: bad --fault: {exc}", file=sys.stderr)
        return 2
    platform = ReferencePlatform(args.data_dir, catalogue=catalogue, faults=rules,
                                 status_step_seconds=args.status_step_seconds, hall_id=args.hall_id)
    if args.fault_seed is not None:
        platform.faults.replace(platform.faults.rules, args.fault_seed)
    tls = tls_context(args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    server = make_server(platform, args.host, args.port, tls)
    base_url = server_url(server)
    write_endpoint(platform.data_dir, base_url)
    print(f"reference platform listening on {base_url} "
          f"(credentials: {platform.data_dir / 'platform-credentials.json'})", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.close_all_connections()
        server.server_close()
    return 0


# --- cache --------------------------------------------------------------------------------

def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db)
    if args.data_dir:
        return Path(args.data_dir) / "offline-cache.db"
    return Path(DEFAULT_CACHE_DB)


def _open(args: argparse.Namespace) -> Any:
    from .migrations import SchemaTooNewError
    from .store import OfflineCache

    path = _db_path(args)
    if not path.is_file():
        # A technician's wrong path must not create an empty cache that reports "0 pending".
        print(f"cache: no offline cache at {path} (give --data-dir or --db of the kiosk's cache)", file=sys.stderr)
        raise SystemExit(2)
    try:
        return OfflineCache(path)
    except SchemaTooNewError as exc:  # a technician's old tool on a newer kiosk: say so, touch nothing
        print(f"cache: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _out(args: argparse.Namespace, obj: Any, text: str) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=1, default=str) if args.json else text)


def _status(args: argparse.Namespace) -> int:
    cache = _open(args)
    counts = cache.counts()
    alerts = cache.recent_alerts(20)  # kept in the file: the kiosk's sync engine raised most of them
    pending = cache.records("pending", limit=1)
    corrupt = sorted(str(p) for p in cache.path.parent.glob(cache.path.name + ".corrupt-*"))
    info = {"db": str(cache.path), "counts": counts,
            "oldest_pending": pending[0].created_at if pending else None,
            "last_error": pending[0].last_error if pending else None, "quarantined_files": corrupt,
            "alerts": [asdict(a) for a in alerts]}
    lines = [f"cache {cache.path}"] + [f"  {k:<10} {v}" for k, v in counts.items()]
    if pending:
        lines.append(f"  oldest pending created {pending[0].created_at}; last error: {pending[0].last_error}")
    for path in corrupt:
        lines.append(f"  QUARANTINED FILE: {path} (recover with: cache salvage {path})")
    for alert in alerts:
        lines.append(f"  ALERT {alert.code} at {alert.at}: {alert.message}"
                     + (f" {json.dumps(alert.details, ensure_ascii=False)}" if alert.details else ""))
    _out(args, info, "\n".join(lines))
    cache.close()
    return 0


def _token(args: argparse.Namespace) -> str | None:
    if args.token:
        return str(args.token)
    if args.credentials:
        text = Path(args.credentials).read_text("utf-8").strip()
        try:
            return str(json.loads(text)["device_token"])
        except (ValueError, KeyError, TypeError):
            return text
    return None


def _sync(args: argparse.Namespace) -> int:
    from .sync import SyncEngine

    token = _token(args)
    if not args.platform_url or not token:
        print("cache sync: give --platform-url and --token or --credentials", file=sys.stderr)
        return 2
    cache = _open(args)
    engine = SyncEngine(cache, args.platform_url, token, args.device_id, ca_bundle=args.ca_bundle,
                        client_cert=args.client_cert, connect_timeout=5, read_timeout=30)
    engine.sync_now()
    report = engine.sync_once()
    engine.close()
    cache.close()
    _out(args, report.__dict__,
         f"sent {report.sent}, accepted {report.acked}, duplicates {report.duplicates}, "
         f"dead letters {report.dead_letters}, retried {report.retried}, attachments "
         f"{report.attachments_uploaded}, still pending {report.still_pending}"
         + (f"\nerror: {report.error}" if report.error else ""))
    if report.auth_failed:
        return 3
    return 1 if report.error else 0


def _dead(args: argparse.Namespace) -> int:
    cache = _open(args)
    dead = cache.dead_letters()
    lines = [f"{len(dead)} dead letter(s)"] + [
        f"  {r.id}  {r.kind:<12} {r.created_at}  {(r.dead_reason or {}).get('code')}: "
        f"{(r.dead_reason or {}).get('message', '')}" for r in dead]
    _out(args, [r.__dict__ for r in dead], "\n".join(lines))
    cache.close()
    return 0


def _retry(args: argparse.Namespace) -> int:
    cache = _open(args)
    ok = cache.retry(args.record_id)
    cache.close()
    print(f"{args.record_id}: {'queued again' if ok else 'not a dead letter'}")
    return 0 if ok else 1


def _discard(args: argparse.Namespace) -> int:
    cache = _open(args)
    ok = cache.discard(args.record_id, args.reason)
    cache.close()
    print(f"{args.record_id}: {'discarded' if ok else 'not a dead letter'}")
    return 0 if ok else 1


def _purge(args: argparse.Namespace) -> int:
    cache = _open(args)
    result = cache.purge_expired()
    cache.close()
    _out(args, result, f"personal data deleted: {result['records']} record(s), "
                       f"{result['attachments']} attachment file(s)")
    return 0


def _salvage(args: argparse.Namespace) -> int:
    cache = _open(args)
    result = cache.salvage(args.file)
    cache.close()
    _out(args, result, f"found {result['found']}, re-enqueued {result['imported']}, "
                       f"unreadable {result['failed']}")
    return 0
