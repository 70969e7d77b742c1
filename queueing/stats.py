"""Statistics computed from the event log: issued, served, no-shows, waiting and service times
(mean, p50, p90, minutes), the share of tickets that waited longer than their service's target,
ratings, per service, counter, staff, hour and day of issue (service times also against the
service's typical_service_minutes); and 跑动次数, repeat visits of the same
person (ID-number HMAC) for the same service within 30 days.

Waiting time is from when a ticket queued (issue, or the transfer that put it in this service)
to its first call; service time from start (or call, if never started) to finish or transfer."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from queueing.model import Hall
from queueing.store import StoreTx

REPEAT_WINDOW_DAYS = 30


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of unsorted values; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _summary(values: list[float]) -> dict[str, Any]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 2)

    return {
        "n": len(values),
        "mean": r(sum(values) / len(values)) if values else None,
        "p50": r(percentile(values, 50)),
        "p90": r(percentile(values, 90)),
    }


class _Group:
    def __init__(self) -> None:
        self.issued = self.called = self.served = self.no_shows = self.transferred = 0
        self.waits: list[float] = []
        self.services: list[float] = []
        self.over_target = 0
        self.over_typical = 0  # service times longer than the service's typical_service_minutes
        self.ratings: list[int] = []

    def out(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "called": self.called,
            "served": self.served,
            "no_shows": self.no_shows,
            "transferred": self.transferred,
            "waiting_minutes": _summary(self.waits),
            "service_minutes": _summary(self.services),
            "over_target_share": round(self.over_target / len(self.waits), 4) if self.waits else None,
            "over_typical_share": round(self.over_typical / len(self.services), 4) if self.services else None,
            "ratings": {
                "n": len(self.ratings),
                "mean": round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None,
                "bad": sum(1 for x in self.ratings if x <= 2),
                "satisfied": sum(1 for x in self.ratings if x >= 4),  # 非常满意 + 满意
            },
        }


def _groups(hall: Hall, events: Iterable[dict[str, Any]]) -> dict[str, dict[str, _Group]]:
    g: dict[str, dict[str, _Group]] = {
        k: defaultdict(_Group) for k in ("service", "counter", "staff", "hour", "day")
    }
    issue_day: dict[str, str] = {}  # ticket id -> the service day it was first issued (transfers keep it)
    total = _Group()
    queued: dict[str, tuple[float, str, str]] = {}  # ticket id -> (since, service, hour of issue)
    called: dict[str, tuple[str | None, str | None, float]] = {}  # ticket -> (counter, staff, call time)
    started: dict[str, float] = {}

    def targets(tid: str, counter: str | None, staff: str | None) -> list[_Group]:
        _since, sid, hour = queued.get(tid, (0.0, "?", "?"))
        out = [total, g["service"][sid], g["hour"][hour]]
        if tid in issue_day:
            out.append(g["day"][issue_day[tid]])
        if counter:
            out.append(g["counter"][counter])
        if staff:
            out.append(g["staff"][staff])
        return out

    for e in events:
        kind, tid, at = e["kind"], e["ticket_id"], e["at"]
        if kind == "issue":
            hour = f"{hall.local(at).hour:02d}"
            queued[tid] = (at, e["service_id"], hour)
            issue_day[tid] = e["day"]
            for grp in (total, g["service"][e["service_id"]], g["hour"][hour], g["day"][e["day"]]):
                grp.issued += 1
        elif kind == "call" and tid not in called:
            counter, staff = e["counter_id"], e["staff_id"]
            called[tid] = (counter, staff, at)
            since, sid, _h = queued.get(tid, (at, e["service_id"], ""))
            wait = (at - since) / 60
            svc = hall.services.get(sid)
            for grp in targets(tid, counter, staff):
                grp.called += 1
                grp.waits.append(wait)
                if svc and wait > svc.target_wait_minutes:
                    grp.over_target += 1
        elif kind == "start":
            started.setdefault(tid, at)
        elif kind in ("finish", "no_show", "transfer"):
            counter, staff, call_at = called.get(tid, (e["counter_id"], e["staff_id"], at))
            for grp in targets(tid, counter, staff):
                if kind == "no_show":
                    grp.no_shows += 1
                    continue
                grp.served += kind == "finish"
                grp.transferred += kind == "transfer"
                minutes = (at - started.get(tid, call_at)) / 60
                grp.services.append(minutes)
                typical = hall.services.get(queued.get(tid, (0.0, "?", ""))[1])
                if typical and minutes > typical.typical_service_minutes:
                    grp.over_typical += 1
            if kind == "transfer":
                data = json.loads(e["data"])
                new = data.get("new_ticket") or {}
                if new.get("id"):
                    queued[new["id"]] = (at, new["service_id"], queued.get(tid, (0, "", "?"))[2])
                    if tid in issue_day:
                        issue_day[new["id"]] = issue_day[tid]
            if kind == "no_show":
                called.pop(tid, None)  # a put-back ticket's next call counts again
        elif kind == "put_back":
            since, sid, hour = queued.get(tid, (at, e["service_id"], f"{hall.local(at).hour:02d}"))
            queued[tid] = (at, sid, hour)
        elif kind == "rating":
            level = json.loads(e["data"]).get("level")
            if isinstance(level, int):
                for grp in targets(tid, e["counter_id"], e["staff_id"]):
                    grp.ratings.append(level)
    return {"total": {"all": total}, **g}


def repeat_visits(tx: StoreTx, hall: Hall, day_to: str, window_days: int = REPEAT_WINDOW_DAYS) -> dict[str, Any]:
    """跑动次数: for each service, the visits beyond the first by one person within the window."""
    since = hall.day_before(day_to, window_days - 1)
    per: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for person, sid, day in tx.person_tickets(since, day_to):
        per[(person, sid)].add(day)
        counts[(person, sid)] += 1
    by_service: dict[str, dict[str, Any]] = {}
    for (_person, sid), n in counts.items():
        if n > 1:
            entry = by_service.setdefault(sid, {"repeat_visits": 0, "persons": 0})
            entry["repeat_visits"] += n - 1
            entry["persons"] += 1
    return {
        "window_days": window_days,
        "from": since,
        "to": day_to,
        "total": sum(v["repeat_visits"] for v in by_service.values()),
        "by_service": by_service,
    }


def compute(tx: StoreTx, hall: Hall, day_from: str, day_to: str,
            events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The figures of the days; ``events``: their event rows when the caller has read them."""
    groups = _groups(hall, tx.event_rows(day_from, day_to) if events is None else events)
    return {
        "from": day_from,
        "to": day_to,
        "totals": groups["total"]["all"].out(),
        "by_service": {k: v.out() for k, v in sorted(groups["service"].items())},
        "by_counter": {k: v.out() for k, v in sorted(groups["counter"].items())},
        "by_staff": {k: v.out() for k, v in sorted(groups["staff"].items())},
        "by_hour": {k: v.out() for k, v in sorted(groups["hour"].items())},
        "by_day": {k: v.out() for k, v in sorted(groups["day"].items())},
        "repeat_visits": repeat_visits(tx, hall, day_to),
    }
