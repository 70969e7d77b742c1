"""What the SMS dispatcher needs of a gateway (:class:`SmsGateway`), and its CMPP 2.0 driver.

A gateway sends one frame-sized part at a time and tells whether the gateway took it (its
message id), refused it (flow control or an error: nothing was sent) or never answered (it may
have been sent). Status reports arrive through the ``on_report`` callback given when it is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from queueing.sms import cmpp


@dataclass(frozen=True)
class Part:
    phone: str
    udhi: int
    content: bytes  # UCS2, with its concatenation header when udhi
    total: int
    number: int


@dataclass(frozen=True)
class StatusReport:
    msg_id: int
    stat: str
    phone: str


class SmsGateway(Protocol):
    @property
    def connected(self) -> bool: ...

    def connect(self) -> None:
        """Log in; raises :class:`queueing.sms.cmpp.GatewayDown`."""

    def submit(self, part: Part, seq: int) -> cmpp.SubmitAnswer:
        """Send one part under Sequence_Id ``seq``; raises GatewayDown (nothing sent) or
        :class:`queueing.sms.cmpp.NoAnswer` (may have been sent)."""

    def poll(self, seconds: float) -> None:
        """Take status reports and link tests for up to ``seconds``."""

    def active_test(self) -> None:
        """Check the idle link (raises GatewayDown or NoAnswer when it is gone)."""

    def close(self) -> None: ...


class CmppGateway:
    """:class:`SmsGateway` over CMPP 2.0 (:mod:`queueing.sms.cmpp`)."""

    def __init__(self, host: str, port: int, sp_id: str, secret: str, service_id: str, src_id: str, *,
                 next_seq: Callable[[], int], on_report: Callable[[StatusReport], None], timeout: float = 10.0) -> None:
        self.sp_id, self.service_id, self.src_id = sp_id, service_id, src_id
        self._client = cmpp.CmppClient(
            host, port, sp_id, secret, next_seq=next_seq, timeout=timeout,
            on_report=lambda r: on_report(StatusReport(r.msg_id, r.stat, r.dest_terminal_id)))

    @property
    def connected(self) -> bool:
        return self._client.connected

    def connect(self) -> None:
        self._client.connect()

    def submit(self, part: Part, seq: int) -> cmpp.SubmitAnswer:
        return self._client.submit(cmpp.Submit(
            (part.phone,), part.content, service_id=self.service_id, src_id=self.src_id, msg_src=self.sp_id,
            pk_total=part.total, pk_number=part.number, tp_udhi=part.udhi), seq)

    def poll(self, seconds: float) -> None:
        self._client.poll(seconds)

    def active_test(self) -> None:
        self._client.active_test()

    def close(self) -> None:
        self._client.close()
