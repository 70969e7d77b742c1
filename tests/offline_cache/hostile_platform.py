"""A hostile platform for the sync tests: a real HTTP/1.1 server on loopback that answers with
whatever a test scripts (any status, any headers, a body streamed for hundreds of MB), and a
trap: a plain TCP listener that records every connection and every byte it receives, so a
test can prove that nothing (no names, no ID numbers, no token) reached another host.

The answer script is a callable ``(method, path, body) -> Answer``; every request is logged."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MiB = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream_bytes: int = 0  # > 0: after ``body``, stream this many filler bytes
    chunked: bool = False  # stream without a Content-Length (Transfer-Encoding: chunked)
    drip: float = 0.0  # > 0: the filler goes out one byte at a time, this many seconds apart


def accept_all(body: bytes) -> Answer:
    """A well-formed batch answer accepting every record sent."""
    records = json.loads(body.decode("utf-8"))["records"]
    results = [{"id": r["id"], "status": "accepted", "receipt_no": f"SG{i:04d}"} for i, r in enumerate(records)]
    return Answer(200, {"Content-Type": "application/json"}, json.dumps({"results": results}).encode())


class HostilePlatform:
    """``HostilePlatform(script)``; ``.base_url``, ``.requests`` [(method, path)], ``.stop()``."""

    def __init__(self, script: Callable[[str, str, bytes], Answer]) -> None:
        self.script = script
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path))
                answer = outer.script(self.command, self.path, body)
                self._write(answer)

            def _write(self, a: Answer) -> None:
                self.send_response(a.status)
                for k, v in a.headers.items():
                    self.send_header(k, v)
                total = len(a.body) + a.stream_bytes
                if a.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(total))
                self.end_headers()
                try:
                    self._body(a)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client hung up on a long answer: good

            def _body(self, a: Answer) -> None:
                filler = b" " * MiB
                parts = [a.body] if a.body else []
                left = a.stream_bytes
                for part in parts:
                    self._out(part, a.chunked)
                while left > 0 and a.drip:
                    self._out(b" ", a.chunked)
                    self.wfile.flush()
                    left -= 1
                    time.sleep(a.drip)
                while left > 0:
                    piece = filler[:min(left, MiB)]
                    self._out(piece, a.chunked)
                    left -= len(piece)
                if a.chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def _out(self, data: bytes, chunked: bool) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

            do_GET = do_POST = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in list(self.requests) if m == method and p.startswith(prefix))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Trap:
    """Another host on loopback: accepts connections and keeps every byte sent to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(0.5)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                pass
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()
