"""A virtual SAM ID-card reader that answers the real frames over a pty or TCP socket.

Holds fictional identities (every card type, a rare-character name, an elderly person, an
expired card), one card slot and a fault switch. Like the real reader, a card once read is not
found again until it is lifted and placed again; ``select`` answers while it lies there.
Replies are paced at the configured baud rate so timings look like the wire.
"""

from __future__ import annotations

import hashlib
import threading
import time

from common.identity import check_digit
from devices.idcard import frames as fr
from devices.idcard.card import (
    FLAG_OFFSET,
    FOREIGN_2023,
    FOREIGN_OLD,
    HMT_PERMIT,
    PHOTO_LEN,
    RESIDENT,
    TEXT_LEN,
    IdCard,
    build_text_block,
)
from devices.simport import SimPort, known_fault

FAULTS = ("no_card", "unreadable", "bad_checksum", "sam_failure", "slow", "silent", "garbage", "disconnect",
          "garbled_text")


def _num(first17: str) -> str:
    return first17 + check_digit(first17)


def _card(kind: str, name: str, gender: str, birth: str, number: str, valid: tuple[str, str],
          **fields: object) -> IdCard:
    return IdCard(kind, name, gender, birth, number, valid[0], valid[1], **fields)  # type: ignore[arg-type]


def _identities() -> dict[str, IdCard]:
    return {
        "zhang_san": _card(RESIDENT, "张三", "1", "19900307", _num("11010119900307051"),
                           ("20150610", "20350610"), nation_code="01",
                           address="北京市东城区东华门街道示例胡同12号", issuer="北京市公安局东城分局"),
        "rare_name": _card(RESIDENT, "王䶮", "2", "19851120", _num("44030419851120002"),
                           ("20200101", "20400101"), nation_code="08",
                           address="广西壮族自治区南宁市青秀区示例路88号", issuer="南宁市公安局青秀分局"),
        "elderly": _card(RESIDENT, "李秀英", "2", "19460501", _num("32010219460501004"),
                         ("20060801", "长期"), nation_code="01",
                         address="江苏省南京市玄武区示例巷3号", issuer="南京市公安局玄武分局"),
        "expired": _card(RESIDENT, "赵敏", "2", "19780214", _num("51010719780214122"),
                         ("20100301", "20200301"), nation_code="03",
                         address="四川省成都市武侯区示例街5号", issuer="成都市公安局武侯区分局"),
        "hmt_permit": _card(HMT_PERMIT, "陈大文", "1", "19880808", _num("81000019880808003"),
                            ("20220115", "20270115"), address="广东省深圳市福田区示例大道1号",
                            issuer="深圳市公安局", extra={"permit_number": "H12345678", "issue_count": "01"}),
        "foreign_old": _card(FOREIGN_OLD, "史密斯", "1", "19750630", "USA110075063001",
                             ("20180901", "20280901"),
                             extra={"english_name": "SMITH JOHN", "nationality": "USA",
                                    "card_version": "01", "authority_code": "1100"}),
        "foreign_2023": _card(FOREIGN_2023, "马丁", "2", "19920412", _num("93125019920412002"),
                              ("20230705", "20330705"),
                              extra={"english_name": "MARTIN MARIE CLAIRE", "nationality": "FRA",
                                     "renewal_count": "00"}),
    }


IDENTITIES = _identities()
SAM_ID_BYTES = b"".join(v.to_bytes(n, "little") for v, n in ((5, 2), (1, 2), (20240601, 4),
                                                             (123456789, 4), (987654321, 4)))
FINGERPRINTS = {"zhang_san"}
APPENDED_ADDRESSES = {"elderly": "江苏省南京市鼓楼区示例新村7栋201室"}


def _fake_bytes(key: str, length: int, salt: str) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{salt}:{key}:{counter}".encode()).digest()
        counter += 1
    return out[:length]


class IdCardSimulator:
    #: what a technician can switch on (see ``_on_bytes`` for what each does on the wire)
    FAULTS: tuple[str, ...] = FAULTS

    def __init__(self, baud: int = 115200, pace: bool = True) -> None:
        self.baud, self.pace = baud, pace
        self._lock = threading.Lock()
        self._card: str | None = None
        self._read_done = False
        self._fault: str | None = None
        self.requests = 0
        self._splitter = fr.FrameSplitter()
        self.port = SimPort("idcard", self._on_bytes)

    # -- programmatic control (demo panel, UI tests) ----------------------------------------
    def identities(self) -> dict[str, IdCard]:
        return dict(IDENTITIES)

    def insert(self, identity_key: str) -> None:
        if identity_key not in IDENTITIES:
            raise KeyError(f"unknown identity {identity_key!r}; known: {', '.join(IDENTITIES)}")
        with self._lock:
            self._card, self._read_done = identity_key, False

    def remove(self) -> None:
        with self._lock:
            self._card, self._read_done = None, False

    @property
    def inserted(self) -> str | None:
        return self._card

    def set_fault(self, name: str | None) -> None:
        self._fault = known_fault(name, FAULTS)
        self.port.set_plugged(self._fault != "disconnect")

    @property
    def fault(self) -> str | None:
        return self._fault

    def listen_pty(self, link: str | None = None) -> str:
        return self.port.listen_pty(link)

    def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> str:
        return self.port.listen_tcp(host, port)

    @property
    def url(self) -> str:
        return self.port.url

    def close(self) -> None:
        self.port.close()

    # -- the protocol -------------------------------------------------------------------------
    def _on_bytes(self, data: bytes, reply) -> None:  # type: ignore[no-untyped-def]
        for frame in self._splitter.feed(data):
            self.requests += 1
            try:
                cmd, para, _payload = fr.parse_request(frame)
            except fr.FrameError:
                self._send(reply, fr.build_response(0x10))
                continue
            out = self.answer(cmd, para)
            if out is not None:
                self._send(reply, out)

    def answer(self, cmd: int, para: int) -> bytes | None:
        """The reply frame to one request (None: stay silent)."""
        fault = self._fault
        if fault in ("silent", "disconnect"):
            return None
        with self._lock:
            card = self._card if fault != "no_card" else None
            if fault == "sam_failure" and (cmd, para) != fr.RESET:
                return fr.build_response(0x60)
            if (cmd, para) in (fr.RESET, fr.SAM_STATUS, fr.SET_MAX_RF_BYTE):
                return fr.build_response(fr.SW_SUCCESS)
            if (cmd, para) == fr.SAM_ID:
                return fr.build_response(fr.SW_SUCCESS, SAM_ID_BYTES)
            if (cmd, para) == fr.FIND_CARD:
                if card is None or self._read_done:
                    return fr.build_response(fr.SW_NO_CARD)
                return fr.build_response(fr.SW_FIND_OK, b"\x00" * 4)
            if (cmd, para) == fr.SELECT_CARD:
                if card is None:
                    return fr.build_response(fr.SW_SELECT_FAILED)
                return fr.build_response(fr.SW_SUCCESS, b"\x00" * 8)
            if (cmd, para) in (fr.READ_BASE, fr.READ_WITH_FINGER):
                if card is None:
                    return fr.build_response(0x41)
                if fault == "unreadable":
                    return fr.build_response(0x41)
                finger = (cmd, para) == fr.READ_WITH_FINGER
                if finger and card not in FINGERPRINTS:
                    return fr.build_response(fr.SW_NO_ITEM)
                self._read_done = True
                payload = self.read_payload(card, finger)
                if fault == "garbled_text":  # a damaged chip: noise in the text block, the type flag intact
                    text = bytearray(_fake_bytes(card, TEXT_LEN, "garbled"))
                    text[FLAG_OFFSET:FLAG_OFFSET + 2] = payload[4 + FLAG_OFFSET:4 + FLAG_OFFSET + 2]
                    payload = payload[:4] + bytes(text) + payload[4 + TEXT_LEN:]
                return fr.build_response(fr.SW_SUCCESS, payload)
            if (cmd, para) == fr.READ_NEW_ADDRESS:
                if card is None:
                    return fr.build_response(0x41)
                addr = APPENDED_ADDRESSES.get(card)
                if addr is None:
                    return fr.build_response(fr.SW_NO_ITEM)
                raw = addr.encode("utf-16-le")
                return fr.build_response(fr.SW_SUCCESS, raw + b" \x00" * ((70 - len(raw)) // 2))
            return fr.build_response(0x21)

    @staticmethod
    def read_payload(key: str, fingerprint: bool = False) -> bytes:
        text = build_text_block(IDENTITIES[key])
        photo = _fake_bytes(key, PHOTO_LEN, "wlt")
        if fingerprint:
            finger = _fake_bytes(key, 1024, "finger")
            lengths = b"".join(n.to_bytes(2, "big") for n in (TEXT_LEN, PHOTO_LEN, len(finger)))
            return lengths + text + photo + finger
        return TEXT_LEN.to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big") + text + photo

    def _send(self, reply, out: bytes) -> None:  # type: ignore[no-untyped-def]
        fault = self._fault
        if fault == "bad_checksum":
            out = out[:-1] + bytes([out[-1] ^ 0x5A])
        if fault == "garbage":
            # Line noise and a half frame before the real reply: the driver must resync.
            out = b"\x13\x37\xaa\xaa" + fr.PREAMBLE + b"\x00" + out
        if fault == "slow":
            for i in range(0, len(out), 256):
                time.sleep(0.15)
                reply(out[i:i + 256])
            return
        if self.pace:
            time.sleep(len(out) * 10 / self.baud)  # 8N1: ten bit times per byte
        reply(out)
