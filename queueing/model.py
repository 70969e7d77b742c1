"""The queue's vocabulary: statuses, priorities, the hall layout (services, counters, policy),
tickets, counter state, and the one error type every rule violation raises.

Plain dataclasses only; no I/O. The words themselves (statuses, priorities, outcomes, error
codes) are the enums of ``queueing.codes``, the contract of the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from queueing.codes import EndReason, HallCode, Outcome, Priority, TicketStatus, ticket_outcome

# The names the rest of the package (and the store) use; each is the enum member itself.
WAITING, CALLED, SERVING = TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING
DONE, NO_SHOW, TRANSFERRED = TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.TRANSFERRED
CANCELLED = TicketStatus.CANCELLED
STATUSES = tuple(TicketStatus)
# Plain text, not the members: the store writes this tuple's repr into its SQL.
ACTIVE = (WAITING.value, CALLED.value, SERVING.value)

NORMAL, GREEN, APPOINTMENT = Priority.NORMAL, Priority.GREEN, Priority.APPOINTMENT
PRIORITIES = tuple(Priority)

POLICIES = ("strict", "interleave", "aging")


class QueueError(Exception):
    """A broken rule or bad input. ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: HallCode, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(what: Literal["counter", "ticket", "service", "rating", "alert"], key: str) -> QueueError:
    return QueueError(404, HallCode(f"{what}_not_found"), f"no {what} {key!r}")


def conflict(code: HallCode, message: str) -> QueueError:
    return QueueError(409, code, message)


def bad_input(code: HallCode, message: str) -> QueueError:
    return QueueError(422, code, message)


@dataclass(frozen=True)
class Hours:
    """Opening hours as minute ranges of the local day, e.g. 08:30-12:00,13:30-17:30."""

    ranges: tuple[tuple[int, int], ...] = ((0, 24 * 60),)

    def is_open(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.ranges)

    def text(self) -> str:
        return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in self.ranges)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    zone: str
    prefix: str
    target_wait_minutes: float = 20.0
    typical_service_minutes: float = 8.0
    daily_cap: int = 0  # 0 = no cap
    hours: Hours = field(default_factory=Hours)


@dataclass(frozen=True)
class Counter:
    id: str
    name: str
    zone: str
    services: tuple[str, ...]
    weights: dict[str, float] = field(default_factory=dict)

    def weight(self, service_id: str) -> float:
        return self.weights.get(service_id, 1.0)


@dataclass(frozen=True)
class Policy:
    """How call-next orders the classes; see docs/queueing.md, "Ordering policies"."""

    kind: str = "interleave"
    interleave_normal: int = 3
    aging_boost_minutes: float = 20.0
    max_wait_minutes: float = 0.0  # 0 = off
    appointment_early_minutes: float = 30.0
    appointment_late_minutes: float = 15.0
    max_recalls: int = 3
    person_daily_cap: int = 5
    anonymous_share: float = 0.5  # of a service's daily_cap, per issuing device, for tickets without an ID number
    anonymous_share_by_device: Mapping[str, float] = field(default_factory=dict)  # per enrolled name
    # help calls (queueing/alerts.py): the counters they go to first (empty: the 帮办代办 counters,
    # by name) and the minutes before an unacknowledged one goes to every counter and the dashboard
    help_counters: Sequence[str] = ()
    help_escalate_minutes: float = 2.0


RATING_STAGES = ("accept", "finish")  # 受理 (the counter started the case), 办结 (finished)


@dataclass(frozen=True)
class RatingRules:
    """好差评 rules of the hall (hall.toml ``[rating]``; docs/queueing.md, "Cases and ratings")."""

    stages: tuple[str, ...] = ("finish",)  # 一事多评: ("accept", "finish")
    default_level: int = 4  # 满意: what an unrated case counts as ...
    default_after_working_days: int = 5  # ... after this many working days (0 = never)
    callback_working_days: int = 1  # a 差评 is called back within this many working days
    rectify_working_days: int = 15  # and rectified within these


@dataclass(frozen=True)
class Zone:
    id: str
    name: str


ISO_MEMO = 8192
_ISO: dict[tuple[tzinfo, float], str] = {}


@dataclass(frozen=True)
class Hall:
    id: str
    name: str
    tz: tzinfo
    zones: tuple[Zone, ...]
    services: dict[str, Service]
    counters: dict[str, Counter]
    policy: Policy = field(default_factory=Policy)
    #: 兜底: the service of 不确定办哪项 / 其他事项 at the kiosk (hall.toml ``[hall] catch_all_service``)
    catch_all_service: str | None = None
    district: str = ""  # the city's district (区/县) of the hall: the city view filters by it
    rating: RatingRules = field(default_factory=RatingRules)
    #: 统一窗口出件: the service of the 出件 window (hall.toml ``[hall] pickup_service``)
    pickup_service: str | None = None

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz)

    def day(self, ts: float) -> str:
        """The service day: the local calendar date, so the day rolls over at local midnight."""
        return self.local(ts).date().isoformat()

    def iso(self, ts: float | None) -> str | None:
        """``ts`` as local ISO 8601 to the second. A ticket's times are shown again on every answer
        and event it appears in (a zone's look-up each: 6 % of the service's CPU, issue 16), so
        they are remembered, a bounded memo shared by every thread."""
        if ts is None:
            return None
        key = (self.tz, ts)
        text = _ISO.get(key)
        if text is None:
            if len(_ISO) >= ISO_MEMO:
                _ISO.clear()
            text = _ISO[key] = self.local(ts).isoformat(timespec="seconds")
        return text

    def day_start(self, day: str) -> float:
        d = datetime.fromisoformat(day).replace(tzinfo=self.tz)
        return d.timestamp()

    def day_before(self, day: str, days: int) -> str:
        return (datetime.fromisoformat(day) - timedelta(days=days)).date().isoformat()

    def counters_serving(self, service_id: str) -> list[Counter]:
        return [c for c in self.counters.values() if service_id in c.services]


@dataclass
class Ticket:
    id: str
    day: str
    number: str
    service_id: str
    priority: Priority
    status: TicketStatus
    issued_at: float
    key_time: float  # when the ticket queues from: arrival, the original arrival, or the slot
    seq: int = 0  # global issue order, for stable tie-breaks
    person_hash: str | None = None
    channel: str | None = None
    appointment_code: str | None = None
    slot_start: float | None = None
    slot_end: float | None = None
    counter_id: str | None = None
    staff_id: str | None = None
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    recalls: int = 0
    outcome: Outcome | EndReason | None = None
    transferred_from: str | None = None
    transferred_to: str | None = None
    case_no: str | None = None  # 办件编号: given at finish or later by the window business system

    def __post_init__(self) -> None:
        # The store builds tickets from its rows' text; from here on they are the enums.
        self.priority, self.status = Priority(self.priority), TicketStatus(self.status)
        self.outcome = ticket_outcome(self.outcome)

    def public(self, hall: Hall) -> dict[str, Any]:
        """The ticket as the API shows it: never the person hash."""
        return {
            "id": self.id,
            "number": self.number,
            "service_id": self.service_id,
            "status": self.status,
            "priority": self.priority,
            "issued_at": hall.iso(self.issued_at),
            "queued_since": hall.iso(self.key_time),
            "channel": self.channel,
            "counter_id": self.counter_id,
            "called_at": hall.iso(self.called_at),
            "started_at": hall.iso(self.started_at),
            "finished_at": hall.iso(self.finished_at),
            "recalls": self.recalls,
            "outcome": self.outcome,
            "slot_start": hall.iso(self.slot_start),
            "slot_end": hall.iso(self.slot_end),
            "transferred_from": self.transferred_from,
            "transferred_to": self.transferred_to,
            "case_no": self.case_no,
        }


@dataclass
class CounterState:
    counter_id: str
    paused: bool = False
    pause_reason: str | None = None
    current_ticket_id: str | None = None
    staff_id: str | None = None
    normal_streak: int = 0  # normal calls since the last priority call (interleave policy)
