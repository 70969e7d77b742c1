"""The reference central platform: a real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``,
TCP_NODELAY, keep-alive) implementing sync protocol v1 for the embedded demo, the tests and
integrators, with runtime-switchable fault injection and admin endpoints for inspection.

Chosen over uvicorn because a fault mode needs the raw socket: a TCP reset, a connection closed
after the commit without an answer, a body cut short under a correct Content-Length.

Credentials live in ``<data-dir>/platform-credentials.json`` (mode 0600), created on first start:
``device_token`` (the bearer token of devices), ``admin_token`` (``/admin/*``), ``hall_key``
(for appointment ``id_number_hash``) and ``hall_id``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass
from datetime import date
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests

from .platform_faults import POST, PRE, FaultRule, FaultSet
from .platform_store import KINDS, PlatformStore

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 1024 * 1024
MAX_BATCH_RECORDS = 100
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
CREDENTIALS_FILE = "platform-credentials.json"
ENDPOINT_FILE = "platform-endpoint.json"
_HTML = (b"<!DOCTYPE html><html><head><title>Portal</title></head><body><h1>\xe8\xaf\xb7\xe7\x99\xbb"
         b"\xe5\xbd\x95 / Please log in</h1></body></html>")


def load_or_create_credentials(data_dir: Path, hall_id: str = "demo-hall") -> dict[str, str]:
    path = Path(data_dir) / CREDENTIALS_FILE
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text("utf-8"))
        return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    # hex, not urlsafe: a token starting with "-" is taken for an option on a command line
    creds = {"device_token": secrets.token_hex(32), "admin_token": secrets.token_hex(32),
             "hall_key": secrets.token_hex(32), "hall_id": hall_id}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(creds, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    log.info("platform credentials created", extra={"ctx": {"path": str(path)}})
    return creds


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")


class ReferencePlatform:
    """Everything one platform instance serves: store, credentials, fault rules."""

    def __init__(self, data_dir: str | os.PathLike[str], *, catalogue: dict[str, Any] | None = None,
                 status_step_seconds: float = 120.0, faults: list[FaultRule] | None = None,
                 kinds: frozenset[str] = KINDS, hall_id: str = "demo-hall", elicences: bool = True) -> None:
        from .elicence_library import ElicenceLibrary
        from .pulls import load_sample_catalogue

        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.credentials = load_or_create_credentials(self.data_dir, hall_id)
        self.store = PlatformStore(self.data_dir, catalogue or load_sample_catalogue(),
                                   hall_key=self.credentials["hall_key"], kinds=kinds,
                                   status_step_seconds=status_step_seconds)
        self.faults = FaultSet(faults)
        # 电子证照 (docs/platform-contract.md); None: an older platform, the endpoints answer 404
        self.elicences = ElicenceLibrary(self.credentials["hall_key"]) if elicences else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    scheme = "http"

    def __init__(self, addr: tuple[str, int], platform: ReferencePlatform) -> None:
        self.platform = platform
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # failed TLS handshakes and dropped peers are the clients' business, not a traceback
        log.debug("platform: connection from %s failed", client_address, exc_info=True)

    def close_all_connections(self) -> None:
        with self.conn_lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HallRefPlatform/1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("platform %s", format % args)

    # --- writing ---------------------------------------------------------------------------

    def _send(self, status: int, body: bytes = b"", ctype: str = "application/json; charset=utf-8",
              headers: dict[str, str] | None = None, *, cut: int | None = None,
              declared: int | None = None) -> None:
        length = len(body) if declared is None else declared  # declared: the rest streams after
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Server: {self.server_version}",
                 f"Date: {formatdate(usegmt=True)}", f"Content-Length: {length}"]
        if status != 304:
            lines.append(f"Content-Type: {ctype}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if cut is not None:
            self.close_connection = True
            body = body[:cut]
        self.wfile.write(head + body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                   headers=headers)

    def _err(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, _error(code, message), headers=headers)

    def _reset(self) -> None:
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    # --- dispatch --------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        try:
            self._route(method)
        except (BrokenPipeError, ConnectionResetError, OSError) as exc:
            log.debug("platform connection dropped: %s", exc)
            self.close_connection = True
        except Exception:
            log.exception("platform handler failed")
            self.close_connection = True
            try:
                self._err(500, "internal", "internal error")
            except OSError:
                pass

    def _route(self, method: str) -> None:
        platform = self.server.platform
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_ATTACHMENT_BYTES + 65536:
            self.close_connection = True
            return self._err(413, "too_large", "request body too large")
        body = self.rfile.read(length) if length else b""
        if path.startswith("/admin/"):
            return self._admin(method, path, query, body)
        parsed: Any = None
        n_records = None
        ids: frozenset[str] = frozenset()
        if method == "POST" and path == "/v1/records:batch":
            try:
                parsed = json.loads(body.decode("utf-8"))
                listed = parsed.get("records", []) if isinstance(parsed, dict) else None
                n_records = len(listed) if isinstance(listed, list) else None
                ids = frozenset(str(r.get("id")) for r in listed or [] if isinstance(r, dict))
            except (ValueError, UnicodeDecodeError, TypeError, AttributeError):
                parsed = None
        rule = platform.faults.pick(method, path, n_records, ids)
        if rule is not None and rule.fault in PRE and self._pre_fault(rule, parsed):
            return None
        creds = platform.credentials
        if self.headers.get("Authorization") != f"Bearer {creds['device_token']}":
            return self._err(401, "unauthorized", "missing or wrong device token")
        device_id = self.headers.get("X-Device-Id")
        if not device_id:
            return self._err(400, "missing_device_id", "X-Device-Id header is required")
        if path == "/v1/records:batch":
            if method != "POST":
                return self._err(405, "method_not_allowed", "use POST")
            return self._batch(device_id, body, parsed, rule if rule and rule.fault in POST else None)
        if path.startswith("/v1/attachments/"):
            if method != "PUT":
                return self._err(405, "method_not_allowed", "use PUT")
            return self._attachment(path.rsplit("/", 1)[1], body)
        if path.startswith("/v1/elicences") and platform.elicences is not None:
            return self._elicences(method, path, body)
        if path.startswith("/v1/booking"):  # 预约号源 (offline_cache/platform_booking.py)
            return self._booking(method, path, query, body, rule if rule and rule.fault in POST else None)
        if method != "GET":
            return self._err(405, "method_not_allowed", "use GET")
        if path == "/v1/catalogue":
            store = platform.store
            etag = store.catalogue_etag
            wanted = [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]
            if etag in wanted or "*" in wanted:
                return self._send(304, headers={"ETag": etag})
            return self._send(200, store.catalogue_body, headers={"ETag": etag, "Cache-Control": "no-cache"})
        if path == "/v1/appointments":
            hall = (query.get("hall_id") or [""])[0]
            try:
                day = date.fromisoformat((query.get("date") or [""])[0])
            except ValueError:
                return self._err(400, "invalid_query", "date must be YYYY-MM-DD")
            if not hall:
                return self._err(400, "invalid_query", "hall_id is required")
            return self._json(200, {"appointments": platform.store.appointments(hall, day)})
        if path.startswith("/v1/applications/"):
            found = platform.store.application(path.split("/v1/applications/", 1)[1])
            if found is None:
                return self._err(404, "not_found", "no application with this receipt number")
            return self._json(200, found)
        return self._err(404, "not_found", f"no route {path}")

    def _booking(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
                 post: FaultRule | None) -> None:
        from .platform_booking import BookingError

        bookings = self.server.platform.store.bookings
        try:
            if path == "/v1/booking/slots" and method == "GET":
                first = (query.get("from") or [""])[0]
                days = (query.get("days") or ["7"])[0]
                hall, service = (query.get("hall_id") or [""])[0], (query.get("service_id") or [""])[0]
                if not hall or not service or not days.isdigit():
                    return self._err(400, "invalid_query", "hall_id, service_id and days are required")
                try:
                    start = date.fromisoformat(first) if first else None
                except ValueError:
                    return self._err(400, "invalid_query", "from must be YYYY-MM-DD")
                return self._json(200, bookings.slots(hall, service, start, int(days)))
            if path == "/v1/bookings" and method == "POST":
                try:
                    data = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    return self._err(400, "malformed", "body is not JSON")
                created, booking = bookings.book(data)
                if post is not None and post.fault == "lose_after_commit":  # booked, answer lost
                    self.close_connection = True
                    return None
                return self._json(201 if created else 200, {**booking, "duplicate": not created})
        except BookingError as exc:
            return self._err(exc.status, str(exc.code), str(exc))
        return self._err(404, "not_found", f"no route {method} {path}")

    def _pre_fault(self, rule: FaultRule, parsed: Any) -> bool:
        """Apply a fault that happens before processing; False means 'then answer normally'."""
        kind = rule.fault
        if kind == "delay":
            time.sleep(rule.seconds)
            return False
        if kind == "hang":
            time.sleep(rule.seconds)
            self.close_connection = True
            return True
        if kind == "reset":
            self._reset()
            return True
        if kind == "error":
            self._err(rule.status or 500, "internal", "injected server error")
        elif kind == "rate_limit":
            after = formatdate(time.time() + rule.retry_after, usegmt=True) if rule.http_date \
                else str(max(0, math.ceil(rule.retry_after)))  # delta-seconds is an integer
            if rule.retry_after_header is not None:
                after = rule.retry_after_header
            self._err(rule.status or 429, "rate_limited", "slow down", headers={"Retry-After": after})
        elif kind == "redirect":
            self.close_connection = True
            self._send(rule.status or 307, b"", headers={"Location": rule.location})
        elif kind == "huge":
            self._huge(rule.size)
        elif kind == "html":
            self._send(200, _HTML, ctype="text/html; charset=utf-8")
        elif kind == "raw":
            self._send(rule.status or 200, rule.body.encode("utf-8"), ctype=rule.content_type)
        elif kind == "empty":
            self._send(200, b"", ctype="application/json")
        elif kind == "wrong_ids":
            self._json(200, {"results": [{"id": "not-" + secrets.token_hex(4), "status": "accepted",
                                          "receipt_no": "SG0"}]})
        elif kind == "conflict":
            self._err(409, "conflict", "injected conflict")
        elif kind == "too_large":
            self._err(413, "too_large", "batch over the limit")
        elif kind == "bad_request":
            self._err(rule.status or 400, "malformed", "injected malformed request")
        elif kind == "unauthorized":
            self._err(401, "unauthorized", "token revoked")
        elif kind == "forbidden":
            self._err(403, "forbidden", "device disabled")
        return True

    def _huge(self, size: int) -> None:
        """A 200 JSON answer of ``size`` bytes, written a MiB at a time (never held whole)."""
        self.close_connection = True
        head = b'{"results": ['
        self._send(200, head, declared=size)
        filler = b" " * (1024 * 1024)
        left = size - len(head)
        while left > 0:
            piece = filler[:min(left, len(filler))]
            self.wfile.write(piece)
            left -= len(piece)

    def _batch(self, device_id: str, body: bytes, data: Any, post: FaultRule | None) -> None:
        if len(body) > MAX_BATCH_BYTES:
            return self._err(413, "too_large", f"batch over {MAX_BATCH_BYTES} bytes")
        if data is None:
            return self._err(400, "malformed", "body is not JSON")
        records = data.get("records") if isinstance(data, dict) else None
        if not isinstance(records, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) for r in records):
            return self._err(422, "malformed", "records must be a list of objects with a string id")
        if len(records) > MAX_BATCH_RECORDS:
            return self._err(413, "too_large", f"more than {MAX_BATCH_RECORDS} records")
        results = self.server.platform.store.ingest(str(data.get("device_id") or device_id), records)
        if post is None:
            return self._json(200, {"results": results})
        if post.fault == "lose_after_commit":
            self.close_connection = True
            return None
        if post.fault == "error_after_commit":
            return self._err(500, "internal", "injected error after commit")
        if post.fault == "partial":
            return self._json(200, {"results": results[::2]})
        full = json.dumps({"results": results}, ensure_ascii=False).encode("utf-8")
        return self._send(200, full, cut=len(full) // 2)  # truncate

    def _attachment(self, sha: str, body: bytes) -> None:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            return self._err(400, "invalid_hash", "the path must be a lower-case sha256 hex")
        if len(body) > MAX_ATTACHMENT_BYTES:
            return self._err(413, "too_large", "attachment over 20 MiB")
        try:
            status = self.server.platform.store.put_attachment(sha, body)
        except ValueError:
            return self._err(400, "hash_mismatch", "the bytes do not hash to the path")
        return self._json(status, {"sha256": sha, "size": len(body)})

    def _elicences(self, method: str, path: str, body: bytes) -> None:
        """电子证照: the types (and issuer keys), a holder's licences under a consent, one document."""
        from .elicence_library import ConsentError

        library = self.server.platform.elicences
        assert library is not None
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            return self._err(400, "malformed", "body is not JSON")
        try:
            if path == "/v1/elicences/types" and method == "GET":
                return self._json(200, library.types())
            if path == "/v1/elicences:query" and method == "POST":
                return self._json(200, library.query(data))
            if path == "/v1/elicences:fetch" and method == "POST":  # ids in the body: never in a URL or log
                found = library.fetch(str(data.get("licence_id", "")) if isinstance(data, dict) else "", data)
                if found is None:
                    return self._err(404, "not_found", "no such licence")
                return self._send(200, found[0], ctype=found[1], headers={"Cache-Control": "no-store"})
        except ConsentError as exc:
            return self._err(422, "consent_invalid", str(exc))
        return self._err(404, "not_found", f"no route {method} {path}")

    # --- admin -----------------------------------------------------------------------------

    def _admin(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        platform = self.server.platform
        if self.headers.get("Authorization") != f"Bearer {platform.credentials['admin_token']}":
            return self._err(401, "unauthorized", "admin token required")
        data = json.loads(body.decode("utf-8")) if body else {}
        if path == "/admin/faults":
            try:
                if method == "PUT":
                    platform.faults.replace([FaultRule.from_dict(r) for r in data.get("rules", [])],
                                            data.get("seed"))
                elif method == "POST":
                    platform.faults.add(FaultRule.from_dict(data))
                elif method == "DELETE":
                    platform.faults.clear()
            except (TypeError, ValueError) as exc:
                return self._err(400, "invalid_fault", str(exc))
            return self._json(200, platform.faults.describe())
        if path == "/admin/stats":
            return self._json(200, {**platform.store.stats(), "faults": platform.faults.describe()})
        if path == "/admin/records":
            device = (query.get("device_id") or [""])[0] or None
            return self._json(200, {"records": platform.store.list_records(device)})
        if path.startswith("/admin/records/"):
            rec = platform.store.get_record(path.rsplit("/", 1)[1])
            return self._json(200, rec) if rec else self._err(404, "not_found", "no such record")
        if path == "/admin/city":  # the city view (offline_cache/city.py, ui/city_app.py)
            district = (query.get("district") or [""])[0] or None
            return self._json(200, platform.store.city.overview(district))
        if path.startswith("/admin/city/halls/"):
            hall = platform.store.city.hall(path.split("/admin/city/halls/", 1)[1])
            return self._json(200, hall) if hall else self._err(404, "not_found", "no such hall")
        if path.startswith("/admin/applications/") and path.endswith("/ready") and method == "POST":
            # the department finished the case and its result waits at the hall's 出件 window
            verdict = platform.store.mark_ready(path[len("/admin/applications/"):-len("/ready")])
            if verdict == "unknown":
                return self._err(404, "not_found", "no application with this receipt number")
            if verdict == "posted":
                return self._err(409, "posted", "the citizen chose 邮寄: the result goes by post")
            return self._json(200, {"status": "ready_for_pickup"})
        if path == "/admin/elicences/tamper" and platform.elicences is not None:
            if method == "DELETE":
                platform.elicences.untamper()
                return self._json(200, {"tampered": 0})
            hit = platform.elicences.tamper(licence_id=str(data.get("licence_id", "")), kind=str(data.get("type", "")))
            return self._json(200, {"tampered": hit})
        if path == "/admin/bookings":
            return self._json(200, {"bookings": platform.store.bookings.all()})
        if path == "/admin/catalogue" and method == "PUT":
            platform.store.set_catalogue(data)
            return self._json(200, {"etag": platform.store.catalogue_etag})
        return self._err(404, "not_found", f"no admin route {path}")


# --- running it ------------------------------------------------------------------------------

def tls_context(cert: str, key: str | None = None, client_ca: str | None = None) -> ssl.SSLContext:
    """Server TLS context; with ``client_ca`` devices must present a certificate it signed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca:
        ctx.load_verify_locations(client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_server(platform: ReferencePlatform, host: str = "127.0.0.1", port: int = 0,
                tls: ssl.SSLContext | None = None) -> _Server:
    server = _Server((host, port), platform)
    if tls is not None:
        # the handshake runs on the first read, in the connection's own thread
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.scheme = "https"
    return server


def server_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    name = host.decode() if isinstance(host, bytes) else host
    return f"{server.scheme}://{name}:{port}"


def write_endpoint(data_dir: Path, base_url: str) -> None:
    (Path(data_dir) / ENDPOINT_FILE).write_text(json.dumps({"base_url": base_url, "pid": os.getpid()}))


@dataclass
class RunningPlatform:
    """A reference platform serving in a background thread (embedded demo, tests)."""

    base_url: str
    token: str
    admin_token: str
    hall_key: str
    hall_id: str
    data_dir: Path
    platform: ReferencePlatform
    server: _Server
    thread: threading.Thread

    @property
    def faults(self) -> FaultSet:
        return self.platform.faults

    @property
    def store(self) -> PlatformStore:
        return self.platform.store

    def admin(self) -> PlatformAdmin:
        return PlatformAdmin(self.base_url, self.admin_token)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_all_connections()
        self.server.server_close()
        self.thread.join(5)


def start_reference_platform(data_dir: str | os.PathLike[str], port: int = 0, host: str = "127.0.0.1",
                             tls: ssl.SSLContext | None = None, **kwargs: Any) -> RunningPlatform:
    """Start a platform on ``host:port`` (0 = a free port) in a daemon thread and return it.
    ``kwargs`` go to :class:`ReferencePlatform` (catalogue, status_step_seconds, faults, ...)."""
    platform = ReferencePlatform(data_dir, **kwargs)
    server = make_server(platform, host, port, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="reference-platform", daemon=True)
    thread.start()
    creds = platform.credentials
    base_url = server_url(server)
    write_endpoint(platform.data_dir, base_url)
    log.info("reference platform running", extra={"ctx": {"base_url": base_url}})
    return RunningPlatform(base_url, creds["device_token"], creds["admin_token"], creds["hall_key"],
                           creds["hall_id"], platform.data_dir, platform, server, thread)


class PlatformAdmin:
    """HTTP client of the admin endpoints (tests and technicians flip faults on a live server)."""

    def __init__(self, base_url: str, admin_token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {admin_token}"
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.session.request(method, self.base_url + path, json=body, timeout=self.timeout,
                                    allow_redirects=False)
        resp.raise_for_status()
        return resp.json()

    def set_faults(self, rules: list[dict[str, Any]], seed: int | None = None) -> Any:
        return self._call("PUT", "/admin/faults", {"rules": rules, "seed": seed})

    def add_fault(self, **rule: Any) -> Any:
        return self._call("POST", "/admin/faults", rule)

    def clear_faults(self) -> Any:
        return self._call("DELETE", "/admin/faults")

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._call("GET", "/admin/stats")
        return stats

    def records(self, device_id: str | None = None) -> list[dict[str, Any]]:
        path = "/admin/records" + (f"?device_id={device_id}" if device_id else "")
        records: list[dict[str, Any]] = self._call("GET", path)["records"]
        return records

    def record(self, record_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self._call("GET", f"/admin/records/{record_id}")
        return record

    def set_catalogue(self, catalogue: dict[str, Any]) -> Any:
        return self._call("PUT", "/admin/catalogue", catalogue)

    def mark_ready(self, receipt_no: str) -> Any:
        """The case's result is at the hall's 出件 window (``ready_for_pickup``)."""
        return self._call("POST", f"/admin/applications/{quote(receipt_no, safe='')}/ready")

    def city(self, district: str | None = None) -> dict[str, Any]:
        path = "/admin/city" + (f"?district={quote(district)}" if district else "")
        found: dict[str, Any] = self._call("GET", path)
        return found

    def bookings(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/admin/bookings")["bookings"]
        return found

    def city_hall(self, hall_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/admin/city/halls/{quote(hall_id, safe='')}")
        return found

    def tamper_elicences(self, kind: str = "", licence_id: str = "") -> int:
        """Alter the served bytes of the licences of ``kind`` (or one licence) after signing."""
        found: dict[str, Any] = self._call("POST", "/admin/elicences/tamper", {"type": kind, "licence_id": licence_id})
        return int(found["tampered"])
