"""A CMPP 2.0 SMS gateway (ISMG) on a local TCP socket, for tests and the demo: it checks the
SP's login (AuthenticatorSource), answers SUBMITs with Msg_Ids built as the spec lays them out,
sends a status report (DELIVER, Registered_Delivery 1) for each, answers ACTIVE_TEST and
TERMINATE, and records what reached each phone (concatenated parts joined).

Faults (:attr:`GatewaySimulator.FAULTS`), each for the next ``count`` SUBMITs:

- ``no_answer``: the gateway takes the message (it reaches the phone and its report follows
  later) but its SUBMIT_RESP never comes: the window where the SP cannot know
- ``throttled``: SUBMIT_RESP Result 8 (流量控制错); nothing is sent
- ``submit_refused``: SUBMIT_RESP Result 9 (其他错误); nothing is sent
- ``report_failed``: accepted (Result 0) but the status report says ``UNDELIV``; the phone got nothing
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime

from queueing.sms import cmpp

log = logging.getLogger(__name__)


@dataclass
class Delivered:
    """One whole message as it reached a phone."""

    phone: str
    text: str
    msg_ids: list[int] = field(default_factory=list)


class GatewaySimulator:
    FAULTS: tuple[str, ...] = ("no_answer", "throttled", "submit_refused", "report_failed")

    def __init__(self, sp_id: str, secret: str, host: str = "127.0.0.1", port: int = 0, ismg: int = 10086) -> None:
        self.sp_id, self.secret, self.ismg = sp_id, secret, ismg
        self._lock = threading.Lock()
        self._faults: list[str] = []
        self._seq = 0
        self._smsc = 0
        self.delivered: list[Delivered] = []
        self.submits = 0
        self.logins = 0
        self.send_reports = True  # False: status reports are lost on the way (the worst case)
        self._parts: dict[tuple[str, int, int], dict[int, tuple[str, int]]] = {}
        self._reports: list[cmpp.Report] = []  # waiting for a connection to go out on
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ control

    def start(self) -> GatewaySimulator:
        t = threading.Thread(target=self._accept, name="cmpp-sim-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        for t in self._threads:
            t.join(2.0)

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fault(self, name: str, count: int = 1) -> None:
        """The next ``count`` SUBMITs meet fault ``name``."""
        if name not in self.FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(self.FAULTS)}")
        with self._lock:
            self._faults += [name] * count

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def messages_to(self, phone: str) -> list[str]:
        with self._lock:
            return [d.text for d in self.delivered if d.phone == phone]

    # ------------------------------------------------------------------ the gateway

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), name="cmpp-sim-conn", daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                command, seq, body = cmpp.read_frame(conn)
                if command != cmpp.CONNECT or not self._login(conn, seq, body):
                    return
                while not self._stop.is_set():
                    self._send_reports(conn)
                    ready, _, _ = select.select([conn], [], [], 0.05)
                    if not ready:
                        continue
                    command, seq, body = cmpp.read_frame(conn)
                    if command == cmpp.SUBMIT:
                        self._submit(conn, seq, body)
                    elif command == cmpp.ACTIVE_TEST:
                        conn.sendall(cmpp.frame(cmpp.ACTIVE_TEST_RESP, seq, b"\0"))
                    elif command == cmpp.TERMINATE:
                        conn.sendall(cmpp.frame(cmpp.TERMINATE_RESP, seq))
                        return
                    # DELIVER_RESP and other responses: nothing to answer
        except (OSError, cmpp.FrameError) as exc:
            log.debug("cmpp simulator connection ended: %s", exc)

    def _login(self, conn: socket.socket, seq: int, body: bytes) -> bool:
        c = cmpp.Connect.parse(body)
        expected = cmpp.authenticator_source(self.sp_id, self.secret, f"{c.timestamp:010d}")
        status = 0 if c.source_addr == self.sp_id and c.authenticator == expected else 3
        if c.version > cmpp.VERSION and status == 0:
            status = 4
        auth = cmpp.authenticator_ismg(status, c.authenticator, self.secret) if status == 0 else b""
        conn.sendall(cmpp.frame(cmpp.CONNECT_RESP, seq, cmpp.ConnectResp(status, auth, cmpp.VERSION).body()))
        with self._lock:
            self.logins += status == 0
        return status == 0

    def _submit(self, conn: socket.socket, seq: int, body: bytes) -> None:
        s = cmpp.Submit.parse(body)
        now = datetime.now()
        with self._lock:
            self.submits += 1
            fault = self._faults.pop(0) if self._faults else None
            self._seq += 1
            msg_id = cmpp.make_msg_id(now, self.ismg, self._seq)
        if fault in ("throttled", "submit_refused"):
            result = cmpp.RESULT_FLOW_CONTROL if fault == "throttled" else 9
            conn.sendall(cmpp.frame(cmpp.SUBMIT_RESP, seq, cmpp.SubmitResp(0, result).body()))
            return
        delivered = fault != "report_failed"
        if delivered:
            self._reached(s, msg_id)
        if fault != "no_answer":
            conn.sendall(cmpp.frame(cmpp.SUBMIT_RESP, seq, cmpp.SubmitResp(msg_id, 0).body()))
        if s.registered_delivery == 1 and self.send_reports:
            stamp = now.strftime("%y%m%d%H%M")
            with self._lock:
                self._smsc += 1
                self._reports.append(cmpp.Report(msg_id, cmpp.DELIVERED if delivered else "UNDELIV", stamp, stamp,
                                                 s.dest[0], self._smsc))

    def _reached(self, s: cmpp.Submit, msg_id: int) -> None:
        with self._lock:
            for phone in s.dest:
                if s.tp_udhi and s.pk_total > 1:
                    ref = s.content[3] if len(s.content) > 3 else 0
                    parts = self._parts.setdefault((phone, ref, s.pk_total), {})
                    parts[s.pk_number] = (cmpp.ucs2_text(1, s.content), msg_id)
                    if len(parts) == s.pk_total:
                        del self._parts[(phone, ref, s.pk_total)]
                        ordered = [parts[i] for i in range(1, s.pk_total + 1)]
                        self.delivered.append(Delivered(phone, "".join(p[0] for p in ordered),
                                                        [p[1] for p in ordered]))
                        self._log(self.delivered[-1])
                else:
                    self.delivered.append(Delivered(phone, cmpp.ucs2_text(s.tp_udhi, s.content)
                                                    if s.msg_fmt == cmpp.MSG_FMT_UCS2
                                                    else s.content.decode("ascii", "replace"), [msg_id]))
                    self._log(self.delivered[-1])

    @staticmethod
    def _log(d: Delivered) -> None:
        """What the demo's phone got (the number masked, as everywhere)."""
        log.info("simulated SMS delivered", extra={"ctx": {"phone": f"{d.phone[:3]}****{d.phone[-4:]}",
                                                            "text": d.text}})

    def _send_reports(self, conn: socket.socket) -> None:
        with self._lock:
            reports, self._reports = self._reports, []
        for i, rep in enumerate(reports):
            try:
                with self._lock:
                    self._seq += 1
                    seq = self._seq
                conn.sendall(cmpp.frame(cmpp.DELIVER, seq, cmpp.Deliver(
                    0, self.sp_id, rep.dest_terminal_id, 1, rep.content()).body()))
            except OSError:
                with self._lock:
                    self._reports = reports[i:] + self._reports
                raise
