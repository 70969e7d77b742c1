"""CMPP 2.0 (中国移动通信互联网短信网关接口协议, China Mobile Peer to Peer, V2.0, 2002-04): the
frames an SP (us) and an ISMG (the SMS gateway) exchange over one TCP connection, and a small
blocking client.

Byte layouts (docs/sms.md cites where each was checked): every integer is big-endian (network
order); an Octet String is fixed length, padded with binary zeros on the right.

- header: Total_Length 4, Command_Id 4, Sequence_Id 4 (a request and its response share it)
- CONNECT: Source_Addr 6 (SP_Id), AuthenticatorSource 16 =
  MD5(Source_Addr + 9 zero bytes + shared secret + timestamp "MMDDHHMMSS"), Version 1 (0x20),
  Timestamp 4 (MMDDHHMMSS as an integer)
- CONNECT_RESP (2.0): Status 1, AuthenticatorISMG 16 = MD5(Status + AuthenticatorSource +
  shared secret), Version 1 — 18 bytes (CMPP 3.0 widened Status to 4; we speak 2.0)
- SUBMIT: Msg_Id 8 (0 from the SP), Pk_total 1, Pk_number 1, Registered_Delivery 1, Msg_level 1,
  Service_Id 10, Fee_UserType 1, Fee_terminal_Id 21, TP_pId 1, TP_udhi 1, Msg_Fmt 1, Msg_src 6,
  FeeType 2, FeeCode 6, ValId_Time 17, At_Time 17, Src_Id 21, DestUsr_tl 1,
  Dest_terminal_Id 21 × DestUsr_tl, Msg_Length 1, Msg_Content, Reserve 8
- SUBMIT_RESP (2.0): Msg_Id 8, Result 1 (0 ok … 8 流量控制错 flow control, 9+ other)
- DELIVER: Msg_Id 8, Dest_Id 21, Service_Id 10, TP_pid 1, TP_udhi 1, Msg_Fmt 1,
  Src_terminal_Id 21, Registered_Delivery 1 (1: a status report), Msg_Length 1, Msg_Content,
  Reserved 8; a status report's content: Msg_Id 8, Stat 7, Submit_time 10, Done_time 10,
  Dest_terminal_Id 21, SMSC_sequence 4 (60 bytes)
- DELIVER_RESP (2.0): Msg_Id 8, Result 1
- ACTIVE_TEST: no body; ACTIVE_TEST_RESP: Reserved 1; TERMINATE / TERMINATE_RESP: no body

Msg_Id (64 bits): month bit64–61, day 60–56, hour 55–51, minute 50–45, second 44–39, ISMG code
38–17, sequence 16–1. Message text goes as UCS2 (Msg_Fmt 8, UTF-16BE): at most 140 bytes per
frame; a longer text is cut into parts with a GSM 03.40 concatenation header (TP_udhi 1,
``05 00 03 ref total n``, 67 characters per part) and Pk_total/Pk_number set.

Parsers raise :class:`FrameError` (a ValueError) with what was wrong; nothing here logs a phone
number or a message text."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

CONNECT = 0x00000001
TERMINATE = 0x00000002
SUBMIT = 0x00000004
DELIVER = 0x00000005
ACTIVE_TEST = 0x00000008
RESP = 0x80000000
CONNECT_RESP = CONNECT | RESP
TERMINATE_RESP = TERMINATE | RESP
SUBMIT_RESP = SUBMIT | RESP
DELIVER_RESP = DELIVER | RESP
ACTIVE_TEST_RESP = ACTIVE_TEST | RESP
COMMANDS = {CONNECT: "CMPP_CONNECT", CONNECT_RESP: "CMPP_CONNECT_RESP", TERMINATE: "CMPP_TERMINATE",
            TERMINATE_RESP: "CMPP_TERMINATE_RESP", SUBMIT: "CMPP_SUBMIT", SUBMIT_RESP: "CMPP_SUBMIT_RESP",
            DELIVER: "CMPP_DELIVER", DELIVER_RESP: "CMPP_DELIVER_RESP", ACTIVE_TEST: "CMPP_ACTIVE_TEST",
            ACTIVE_TEST_RESP: "CMPP_ACTIVE_TEST_RESP"}

VERSION = 0x20
HEADER = struct.Struct(">III")
MAX_FRAME = 12 + 8 + 4 + 10 + 1 + 21 + 3 + 6 + 2 + 6 + 17 + 17 + 21 + 1 + 21 * 100 + 1 + 255 + 8
MSG_FMT_ASCII = 0
MSG_FMT_UCS2 = 8
MAX_CONTENT = 140
PART_CHARS = 67  # (140 - 6 header bytes) // 2

#: SUBMIT_RESP Result values (CMPP 2.0 §7.4.3.2: 正确, 消息结构错, 命令字错, 消息序号重复, 消息长度错,
#: 资费代码错, 超过最大信息长, 业务代码错, 流量控制错; 9 and over 其他错误), for logs and alerts
SUBMIT_RESULTS = {0: "ok", 1: "message structure error", 2: "command error", 3: "duplicate sequence",
                  4: "message length error", 5: "fee code error", 6: "over the maximum length",
                  7: "service code error", 8: "flow control"}
RESULT_OK = 0
RESULT_FLOW_CONTROL = 8
#: CONNECT_RESP Status values (正确, 消息结构错, 非法源地址, 认证错, 版本太高; 5 and over 其他错误)
CONNECT_STATUS = {0: "ok", 1: "message structure error", 2: "invalid source address", 3: "authentication error",
                  4: "version too high"}
DELIVERED = "DELIVRD"
REPORT_LEN = 60


class FrameError(ValueError):
    """A frame that is not CMPP 2.0 as the spec lays it out: truncated, too long, or hostile."""


# ------------------------------------------------------------------ primitives


def octets(value: str | bytes, size: int) -> bytes:
    raw = value.encode("ascii") if isinstance(value, str) else value
    if len(raw) > size:
        raise ValueError(f"{raw[:size]!r}…: at most {size} bytes")
    return raw.ljust(size, b"\0")


def text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


class _Reader:
    def __init__(self, body: bytes, what: str) -> None:
        self.body, self.at, self.what = body, 0, what

    def take(self, n: int, field: str) -> bytes:
        if self.at + n > len(self.body):
            raise FrameError(f"{self.what}: truncated at {field} (needs {n} bytes at offset {self.at}, "
                             f"the body has {len(self.body)})")
        chunk = self.body[self.at:self.at + n]
        self.at += n
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def u32(self, field: str) -> int:
        return int.from_bytes(self.take(4, field), "big")

    def u64(self, field: str) -> int:
        return int.from_bytes(self.take(8, field), "big")

    def end(self) -> None:
        if self.at != len(self.body):
            raise FrameError(f"{self.what}: {len(self.body) - self.at} bytes after the last field")


def frame(command: int, seq: int, body: bytes = b"") -> bytes:
    return HEADER.pack(HEADER.size + len(body), command, seq & 0xFFFFFFFF) + body


def split_frame(data: bytes) -> tuple[int, int, bytes]:
    """(Command_Id, Sequence_Id, body) of one whole frame."""
    if len(data) < HEADER.size:
        raise FrameError(f"frame of {len(data)} bytes is shorter than the 12-byte header")
    total, command, seq = HEADER.unpack_from(data)
    if total != len(data):
        raise FrameError(f"Total_Length says {total} bytes, the frame has {len(data)}")
    if command not in COMMANDS:
        raise FrameError(f"unknown Command_Id 0x{command:08x}")
    return command, seq, data[HEADER.size:]


def check_length(total: int) -> None:
    if total < HEADER.size or total > MAX_FRAME:
        raise FrameError(f"Total_Length {total} is outside 12..{MAX_FRAME}")


def timestamp(now: datetime) -> str:
    return now.strftime("%m%d%H%M%S")


def authenticator_source(sp_id: str, secret: str, stamp: str) -> bytes:
    return hashlib.md5(sp_id.encode("ascii") + b"\0" * 9 + secret.encode("utf-8") + stamp.encode("ascii")).digest()


def authenticator_ismg(status: int, auth_source: bytes, secret: str) -> bytes:
    return hashlib.md5(bytes([status]) + auth_source + secret.encode("utf-8")).digest()


# ------------------------------------------------------------------ messages


@dataclass(frozen=True)
class Connect:
    source_addr: str
    authenticator: bytes
    version: int
    timestamp: int

    def body(self) -> bytes:
        return octets(self.source_addr, 6) + self.authenticator + bytes([self.version]) + \
            self.timestamp.to_bytes(4, "big")

    @classmethod
    def parse(cls, body: bytes) -> Connect:
        r = _Reader(body, "CMPP_CONNECT")
        c = cls(text(r.take(6, "Source_Addr")), r.take(16, "AuthenticatorSource"), r.u8("Version"), r.u32("Timestamp"))
        r.end()
        return c


@dataclass(frozen=True)
class ConnectResp:
    status: int
    authenticator: bytes
    version: int

    def body(self) -> bytes:
        return bytes([self.status]) + octets(self.authenticator, 16) + bytes([self.version])

    @classmethod
    def parse(cls, body: bytes) -> ConnectResp:
        r = _Reader(body, "CMPP_CONNECT_RESP")
        c = cls(r.u8("Status"), r.take(16, "AuthenticatorISMG"), r.u8("Version"))
        r.end()
        return c


@dataclass(frozen=True)
class Submit:
    dest: tuple[str, ...]
    content: bytes
    service_id: str = ""
    src_id: str = ""
    msg_src: str = ""
    msg_fmt: int = MSG_FMT_UCS2
    registered_delivery: int = 1
    pk_total: int = 1
    pk_number: int = 1
    tp_udhi: int = 0
    msg_level: int = 0
    fee_user_type: int = 2  # 对SP计费: the hall pays, never the citizen
    fee_type: str = "01"  # 免费
    fee_code: str = "000000"

    def body(self) -> bytes:
        if not 1 <= len(self.dest) <= 99:
            raise ValueError("DestUsr_tl must be 1..99")
        if len(self.content) > MAX_CONTENT:
            raise ValueError(f"Msg_Content of {len(self.content)} bytes: at most {MAX_CONTENT}")
        return b"".join([
            b"\0" * 8, bytes([self.pk_total, self.pk_number, self.registered_delivery, self.msg_level]),
            octets(self.service_id, 10), bytes([self.fee_user_type]), octets("", 21),
            bytes([0, self.tp_udhi, self.msg_fmt]), octets(self.msg_src, 6), octets(self.fee_type, 2),
            octets(self.fee_code, 6), octets("", 17), octets("", 17), octets(self.src_id, 21),
            bytes([len(self.dest)]), *(octets(d, 21) for d in self.dest), bytes([len(self.content)]),
            self.content, b"\0" * 8,
        ])

    @classmethod
    def parse(cls, body: bytes) -> Submit:
        r = _Reader(body, "CMPP_SUBMIT")
        r.u64("Msg_Id")
        pk_total, pk_number, reg, level = (r.u8(f) for f in ("Pk_total", "Pk_number", "Registered_Delivery",
                                                             "Msg_level"))
        service_id = text(r.take(10, "Service_Id"))
        fee_user_type = r.u8("Fee_UserType")
        r.take(21, "Fee_terminal_Id")
        r.u8("TP_pId")
        udhi, fmt = r.u8("TP_udhi"), r.u8("Msg_Fmt")
        msg_src, fee_type, fee_code = text(r.take(6, "Msg_src")), text(r.take(2, "FeeType")), text(r.take(6, "FeeCode"))
        r.take(17, "ValId_Time")
        r.take(17, "At_Time")
        src_id = text(r.take(21, "Src_Id"))
        n = r.u8("DestUsr_tl")
        if not 1 <= n <= 99:
            raise FrameError(f"CMPP_SUBMIT: DestUsr_tl {n} is outside 1..99")
        dest = tuple(text(r.take(21, "Dest_terminal_Id")) for _ in range(n))
        length = r.u8("Msg_Length")
        if length > MAX_CONTENT:
            raise FrameError(f"CMPP_SUBMIT: Msg_Length {length} is over {MAX_CONTENT}")
        content = r.take(length, "Msg_Content")
        r.take(8, "Reserve")
        r.end()
        if pk_total < 1 or not 1 <= pk_number <= pk_total:
            raise FrameError(f"CMPP_SUBMIT: Pk_number {pk_number} of Pk_total {pk_total}")
        return cls(dest, content, service_id, src_id, msg_src, fmt, reg, pk_total, pk_number, udhi, level,
                   fee_user_type, fee_type, fee_code)


@dataclass(frozen=True)
class SubmitResp:
    msg_id: int
    result: int

    def body(self) -> bytes:
        return self.msg_id.to_bytes(8, "big") + bytes([self.result])

    @classmethod
    def parse(cls, body: bytes) -> SubmitResp:
        r = _Reader(body, "CMPP_SUBMIT_RESP")
        s = cls(r.u64("Msg_Id"), r.u8("Result"))
        r.end()
        return s


@dataclass(frozen=True)
class Report:
    """The content of a status report (a DELIVER with Registered_Delivery 1)."""

    msg_id: int
    stat: str
    submit_time: str
    done_time: str
    dest_terminal_id: str
    smsc_sequence: int

    @property
    def delivered(self) -> bool:
        return self.stat == DELIVERED

    def content(self) -> bytes:
        return (self.msg_id.to_bytes(8, "big") + octets(self.stat, 7) + octets(self.submit_time, 10)
                + octets(self.done_time, 10) + octets(self.dest_terminal_id, 21)
                + self.smsc_sequence.to_bytes(4, "big"))

    @classmethod
    def parse(cls, content: bytes) -> Report:
        r = _Reader(content, "status report")
        rep = cls(r.u64("Msg_Id"), text(r.take(7, "Stat")), text(r.take(10, "Submit_time")),
                  text(r.take(10, "Done_time")), text(r.take(21, "Dest_terminal_Id")), r.u32("SMSC_sequence"))
        r.end()
        return rep


@dataclass(frozen=True)
class Deliver:
    msg_id: int
    dest_id: str
    src_terminal_id: str
    registered_delivery: int
    content: bytes
    service_id: str = ""
    msg_fmt: int = 0
    tp_udhi: int = 0

    def body(self) -> bytes:
        return b"".join([
            self.msg_id.to_bytes(8, "big"), octets(self.dest_id, 21), octets(self.service_id, 10),
            bytes([0, self.tp_udhi, self.msg_fmt]), octets(self.src_terminal_id, 21),
            bytes([self.registered_delivery, len(self.content)]), self.content, b"\0" * 8])

    @classmethod
    def parse(cls, body: bytes) -> Deliver:
        r = _Reader(body, "CMPP_DELIVER")
        msg_id, dest_id, service_id = r.u64("Msg_Id"), text(r.take(21, "Dest_Id")), text(r.take(10, "Service_Id"))
        r.u8("TP_pid")
        udhi, fmt = r.u8("TP_udhi"), r.u8("Msg_Fmt")
        src = text(r.take(21, "Src_terminal_Id"))
        reg, length = r.u8("Registered_Delivery"), r.u8("Msg_Length")
        content = r.take(length, "Msg_Content")
        r.take(8, "Reserved")
        r.end()
        if reg == 1 and length != REPORT_LEN:
            raise FrameError(f"CMPP_DELIVER: a status report has {REPORT_LEN} bytes of content, this one {length}")
        return cls(msg_id, dest_id, src, reg, content, service_id, fmt, udhi)

    def report(self) -> Report | None:
        return Report.parse(self.content) if self.registered_delivery == 1 else None


@dataclass(frozen=True)
class DeliverResp:
    msg_id: int
    result: int = 0

    def body(self) -> bytes:
        return self.msg_id.to_bytes(8, "big") + bytes([self.result])

    @classmethod
    def parse(cls, body: bytes) -> DeliverResp:
        r = _Reader(body, "CMPP_DELIVER_RESP")
        d = cls(r.u64("Msg_Id"), r.u8("Result"))
        r.end()
        return d


def empty(body: bytes, what: str) -> None:
    if body:
        raise FrameError(f"{what}: has no body, got {len(body)} bytes")


# ------------------------------------------------------------------ Msg_Id and text


def make_msg_id(when: datetime, ismg: int, seq: int) -> int:
    return ((when.month << 60) | (when.day << 55) | (when.hour << 50) | (when.minute << 44) | (when.second << 38)
            | ((ismg & 0x3FFFFF) << 16) | (seq & 0xFFFF))


def msg_id_fields(msg_id: int) -> dict[str, int]:
    return {"month": msg_id >> 60 & 0xF, "day": msg_id >> 55 & 0x1F, "hour": msg_id >> 50 & 0x1F,
            "minute": msg_id >> 44 & 0x3F, "second": msg_id >> 38 & 0x3F, "ismg": msg_id >> 16 & 0x3FFFFF,
            "seq": msg_id & 0xFFFF}


def ucs2_parts(message: str, ref: int) -> list[tuple[int, bytes]]:
    """(TP_udhi, Msg_Content) of each frame the text needs (UCS2; concatenated over 70 characters)."""
    units = message.encode("utf-16-be")
    if len(units) <= MAX_CONTENT:
        return [(0, units)]
    chunks, at = [], 0
    while at < len(units):
        end = min(at + PART_CHARS * 2, len(units))
        if end < len(units) and 0xD8 <= units[end - 2] <= 0xDB:  # never cut a surrogate pair
            end -= 2
        chunks.append(units[at:end])
        at = end
    if len(chunks) > 255:
        raise ValueError("message too long for one concatenated SMS")
    return [(1, bytes([5, 0, 3, ref & 0xFF, len(chunks), i + 1]) + c) for i, c in enumerate(chunks)]


def ucs2_text(udhi: int, content: bytes) -> str:
    if udhi:
        if not content or content[0] + 1 > len(content):
            raise FrameError("UDH length runs past the content")
        content = content[content[0] + 1:]
    return content.decode("utf-16-be", "replace")


# ------------------------------------------------------------------ the SP's client


class GatewayDown(ConnectionError):
    """The gateway cannot be reached, refused the login, or the link broke."""


class NoAnswer(TimeoutError):
    """A request went out and its response did not come in time: the gateway may have acted on it."""


def read_frame(sock: socket.socket) -> tuple[int, int, bytes]:
    head = _read_exact(sock, 4)
    total = int.from_bytes(head, "big")
    check_length(total)
    return split_frame(head + _read_exact(sock, total - 4))


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the peer closed the connection")
        buf += chunk
    return buf


@dataclass
class SubmitAnswer:
    msg_id: int
    result: int
    seq: int


class CmppClient:
    """One SP connection to an ISMG, used from one thread: ``submit`` waits for its response
    (window of one), answering any DELIVER and ACTIVE_TEST that arrive meanwhile; status
    reports go to ``on_report``. ``next_seq`` hands out Sequence_Ids (the outbox keeps them
    across restarts so no two SUBMITs ever share one)."""

    def __init__(self, host: str, port: int, sp_id: str, secret: str, *, next_seq: Callable[[], int],
                 on_report: Callable[[Report], None], timeout: float = 10.0,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        self.host, self.port, self.sp_id, self._secret = host, port, sp_id, secret
        self.next_seq, self.on_report, self.timeout, self.clock = next_seq, on_report, timeout, clock
        self.sock: socket.socket | None = None

    def connect(self) -> None:
        self.close(quietly=True)
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise GatewayDown(f"cannot reach the SMS gateway at {self.host}:{self.port}: {exc}") from exc
        self.sock = sock
        stamp = timestamp(self.clock())
        auth = authenticator_source(self.sp_id, self._secret, stamp)
        seq = self.next_seq()
        try:
            sock.sendall(frame(CONNECT, seq, Connect(self.sp_id, auth, VERSION, int(stamp)).body()))
            command, got_seq, body = self._read(time.monotonic() + self.timeout)
        except (OSError, FrameError, NoAnswer) as exc:
            self.close(quietly=True)
            raise GatewayDown(f"the SMS gateway did not answer the login: {exc}") from exc
        if command != CONNECT_RESP or got_seq != seq:
            self.close(quietly=True)
            raise GatewayDown(f"the SMS gateway answered the login with {COMMANDS.get(command)} seq {got_seq}")
        resp = ConnectResp.parse(body)
        if resp.status != 0:
            self.close(quietly=True)
            why = CONNECT_STATUS.get(resp.status, "other error")
            raise GatewayDown(f"the SMS gateway refused the login: status {resp.status} ({why})")
        if resp.authenticator != authenticator_ismg(0, auth, self._secret):
            self.close(quietly=True)
            raise GatewayDown("the SMS gateway's AuthenticatorISMG is wrong: not the gateway we share a secret with")

    @property
    def connected(self) -> bool:
        return self.sock is not None

    def _read(self, deadline: float) -> tuple[int, int, bytes]:
        assert self.sock is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise NoAnswer("no answer in time")
        self.sock.settimeout(left)
        try:
            return read_frame(self.sock)
        except TimeoutError as exc:
            raise NoAnswer("no answer in time") from exc

    def _serve(self, command: int, seq: int, body: bytes) -> None:
        """A request from the gateway: answer it."""
        assert self.sock is not None
        if command == DELIVER:
            d = Deliver.parse(body)
            self.sock.sendall(frame(DELIVER_RESP, seq, DeliverResp(d.msg_id, 0).body()))
            report = d.report()
            if report is not None:
                self.on_report(report)
        elif command == ACTIVE_TEST:
            self.sock.sendall(frame(ACTIVE_TEST_RESP, seq, b"\0"))
        elif command == TERMINATE:
            self.sock.sendall(frame(TERMINATE_RESP, seq))
            self.close(quietly=True)
            raise GatewayDown("the SMS gateway ended the connection (CMPP_TERMINATE)")

    def request(self, command: int, body: bytes, seq: int | None = None) -> tuple[int, bytes]:
        """Send one request and wait for its response (serving the gateway's requests meanwhile)."""
        if self.sock is None:
            raise GatewayDown("not connected")
        seq = self.next_seq() if seq is None else seq
        try:
            self.sock.sendall(frame(command, seq, body))
            deadline = time.monotonic() + self.timeout
            while True:
                got, got_seq, got_body = self._read(deadline)
                if got == command | RESP and got_seq == seq:
                    return seq, got_body
                if got & RESP:
                    continue  # a late response to something we gave up on
                self._serve(got, got_seq, got_body)
        except NoAnswer:
            self.close(quietly=True)  # the stream may be out of step: start a fresh link
            raise
        except (OSError, FrameError) as exc:
            self.close(quietly=True)
            raise GatewayDown(f"the SMS gateway link broke: {exc}") from exc

    def submit(self, submit: Submit, seq: int) -> SubmitAnswer:
        _, body = self.request(SUBMIT, submit.body(), seq)
        resp = SubmitResp.parse(body)
        return SubmitAnswer(resp.msg_id, resp.result, seq)

    def active_test(self) -> None:
        self.request(ACTIVE_TEST, b"")

    def poll(self, seconds: float) -> None:
        """Serve what the gateway sends (status reports, link tests) for up to ``seconds``."""
        if self.sock is None:
            return
        deadline = time.monotonic() + seconds
        try:
            while True:
                try:
                    command, seq, body = self._read(deadline)
                except NoAnswer:
                    return
                if not command & RESP:
                    self._serve(command, seq, body)
                deadline = min(deadline, time.monotonic() + 0.05)  # drain what is there, then return
        except (OSError, FrameError) as exc:
            self.close(quietly=True)
            raise GatewayDown(f"the SMS gateway link broke: {exc}") from exc

    def close(self, quietly: bool = False) -> None:
        sock, self.sock = self.sock, None
        if sock is None:
            return
        if not quietly:
            try:
                sock.settimeout(2.0)
                sock.sendall(frame(TERMINATE, self.next_seq()))
                read_frame(sock)
            except (OSError, FrameError):
                pass
        sock.close()
