"""Where a simulator listens: a pseudo-terminal or a TCP socket, served by one I/O thread.

Drivers open what this prints exactly like real hardware: the pty slave path (optionally behind a
stable symlink, like ``/dev/serial/by-id/…``) or ``socket://127.0.0.1:PORT``. ``unplug()`` closes
the line so the driver sees the device vanish; ``replug()`` brings it back at the same address.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import selectors
import socket
import threading
import tty
from collections.abc import Callable

log = logging.getLogger(__name__)

Reply = Callable[[bytes], None]
Handler = Callable[[bytes, Reply], None]


def known_fault(name: str | None, faults: tuple[str, ...]) -> str | None:
    """A simulator's fault name checked against its ``FAULTS`` (None or "" for no fault)."""
    if name and name not in faults:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(faults)}")
    return name or None


class SimPort:
    def __init__(self, name: str, handler: Handler) -> None:
        self.name = name
        self._handler = handler
        self._sel = selectors.DefaultSelector()
        self._lock = threading.RLock()
        self._wake_r, self._wake_w = os.pipe()
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._master: int | None = None
        self._slave: int | None = None
        self._link: str | None = None
        self._listener: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self._unplugged = False
        self._stop = threading.Event()
        self._mode: str | None = None
        self._tcp_addr: tuple[str, int] | None = None
        self.url: str = ""
        self._thread = threading.Thread(target=self._run, name=f"sim-{name}", daemon=True)
        self._thread.start()

    # -- listening ------------------------------------------------------------------------
    def listen_pty(self, link: str | None = None) -> str:
        """Open a pty; return the path a driver opens (``link`` if given, kept across replugs)."""
        with self._lock:
            self._mode, self._link = "pty", link
            self._open_pty()
            return self.url

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: the line carries bytes, not text
        tty.setraw(master)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        path = os.ttyname(slave)
        if self._link:
            tmp = self._link + ".tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(path, tmp)
            os.replace(tmp, self._link)
            path = self._link
        self.url = path
        self._sel.register(master, selectors.EVENT_READ, ("pty", None))
        self._wake()

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                if fd == self._master:
                    with contextlib.suppress(KeyError, ValueError):
                        self._sel.unregister(fd)
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        with self._lock:
            self._mode = "tcp"
            self._open_listener(host, port)
            return self.url

    def _open_listener(self, host: str, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(4)
        sock.setblocking(False)
        self._listener = sock
        self._tcp_addr = sock.getsockname()[:2]
        self.url = f"socket://{self._tcp_addr[0]}:{self._tcp_addr[1]}"
        self._sel.register(sock, selectors.EVENT_READ, ("accept", None))
        self._wake()

    # -- faults ---------------------------------------------------------------------------
    @property
    def unplugged(self) -> bool:
        return self._unplugged

    def unplug(self) -> None:
        """Drop the line: the driver's next read or write fails as with a pulled USB cable."""
        with self._lock:
            self._unplugged = True
            self._drop_clients()
            if self._mode == "pty":
                self._close_pty()
            elif self._listener is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(self._listener)
                self._listener.close()
                self._listener = None

    def set_plugged(self, plugged: bool) -> None:
        """Follow a simulator's ``disconnect`` fault: unplug when it starts, replug when it ends."""
        if plugged:
            self.replug()
        elif not self._unplugged:
            self.unplug()

    def replug(self) -> None:
        with self._lock:
            if not self._unplugged:
                return
            self._unplugged = False
            if self._mode == "pty":
                self._open_pty()
            elif self._mode == "tcp" and self._tcp_addr:
                self._open_listener(*self._tcp_addr)

    def _drop_clients(self) -> None:
        for c in self._clients:
            with contextlib.suppress(KeyError, ValueError):
                self._sel.unregister(c)
            with contextlib.suppress(OSError):
                c.close()
        self._clients.clear()

    # -- sending --------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Write to every connected client (the scanner 'types' into whoever listens)."""
        with self._lock:
            if self._master is not None:
                self._write_fd(self._master, data)
            for c in list(self._clients):
                self._send_sock(c, data)

    def _write_fd(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
                view = view[n:]
            except BlockingIOError:
                selectors.DefaultSelector().select(0.01)
            except OSError:
                return

    def _send_sock(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.setblocking(True)
            sock.sendall(data)
            sock.setblocking(False)
        except OSError:
            self._forget(sock)

    def _forget(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._sel.unregister(sock)
        with contextlib.suppress(OSError):
            sock.close()
        if sock in self._clients:
            self._clients.remove(sock)

    # -- the I/O thread -------------------------------------------------------------------
    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                events = self._sel.select(0.5)
            except (OSError, ValueError):
                continue
            for key, _ in events:
                kind, _ = key.data
                if kind == "wake":
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 64)
                elif kind == "accept":
                    self._accept(key.fileobj)  # type: ignore[arg-type]
                elif kind == "pty":
                    self._read_pty(key.fd)
                elif kind == "client":
                    self._read_client(key.fileobj)  # type: ignore[arg-type]

    def _accept(self, listener: socket.socket) -> None:
        with self._lock:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.setblocking(False)
            self._clients.append(conn)
            self._sel.register(conn, selectors.EVENT_READ, ("client", None))

    def _read_pty(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            return
        if data:
            self._dispatch(data, functools.partial(self._reply_fd, fd))

    def _reply_fd(self, fd: int, out: bytes) -> None:
        with self._lock:
            if fd == self._master:
                self._write_fd(fd, out)

    def _read_client(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            with self._lock:
                self._forget(sock)
            return
        self._dispatch(data, functools.partial(self._reply_sock, sock))

    def _reply_sock(self, sock: socket.socket, out: bytes) -> None:
        with self._lock:
            if sock in self._clients:
                self._send_sock(sock, out)

    def _dispatch(self, data: bytes, reply: Reply) -> None:
        try:
            self._handler(data, reply)
        except Exception:  # a simulator bug must not kill the port thread; it is logged loudly
            log.exception("simulator %s failed on %d bytes", self.name, len(data))

    def close(self) -> None:
        self._stop.set()
        self._wake()
        self._thread.join(timeout=2)
        with self._lock:
            self._drop_clients()
            self._close_pty()
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            if self._link:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._link)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._sel.close()
