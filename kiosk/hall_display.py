"""What the hall display shows, kept live from the hall service's event stream.

:class:`DisplayModel` holds the current calls (ticket → window), the last calls and the people
waiting per service, rebuilt from a ``/api/v1/display`` snapshot on every (re)connect and then
updated by events; the notices staff posted (``GET /api/v1/notices``, then ``notice_posted`` /
``notice_withdrawn`` events) show between their start and end. More current calls than one
column holds go into a second column, and more than two columns hold are paged (:meth:`view`'s
``page``; the bridge turns the pages). :class:`DisplayFollower` runs the stream on its own thread, reconnects with
backoff, resumes after the last event id, and says when it is reconnecting — the screen is
never stale without saying so. Memory is bounded: the recent list is capped and everything
else is keyed by counter or service.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)
CALL_KINDS = ("call", "recall")
ONE_COLUMN = 6  # current calls that fit one column of the hall TV
PER_PAGE = 12  # in two columns; more are paged


class DisplayModel:
    def __init__(self, recent: int = 8) -> None:
        self.recent_size = recent
        self.counters: dict[str, str] = {}  # id → name
        self.services: dict[str, dict[str, Any]] = {}  # id → {name, zone}
        self.zones: dict[str, str] = {}
        self.current: dict[str, dict[str, Any]] = {}  # counter id → call
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=recent)
        self.waiting: dict[str, int] = {}
        self.connected = False
        self.since: float = time.monotonic()  # when the connection state last changed
        self.last_event_id: int | None = None
        self.notices: dict[int, dict[str, Any]] = {}  # id → notice (start/end as epoch seconds)
        self.timezone = "Asia/Shanghai"  # the hall's, from its notices answer: the display's clock

    def load_layout(self, services: dict[str, Any], counters: dict[str, Any]) -> None:
        self.zones = {z["id"]: z["name"] for z in services.get("zones", [])}
        self.services = {s["id"]: {"name": s["name"], "zone": s.get("zone", "")} for s in services["services"]}
        self.counters = {c["id"]: c["name"] for c in counters["counters"]}

    def load_snapshot(self, snapshot: dict[str, Any]) -> None:
        self.current = {c["counter_id"]: self._call(c["number"], c["counter_id"], c.get("service_id", ""),
                                                    c.get("called_at", ""))
                        for c in snapshot.get("current", []) if c.get("status") in ("called", "serving")}
        self.recent.clear()
        for c in reversed(snapshot.get("recent", [])[: self.recent_size]):
            self.recent.appendleft(self._call(c.get("number", ""), c.get("counter_id", ""), c.get("service_id", ""),
                                              c.get("at", c.get("called_at", ""))))
        self.waiting = {sid: int(w.get("count", 0)) for sid, w in snapshot.get("waiting", {}).items()}

    def load_notices(self, answer: dict[str, Any]) -> None:
        """The hall's notices not yet ended (``GET /api/v1/notices``) and its time zone."""
        self.timezone = str(answer.get("timezone") or self.timezone)
        self.notices = {}
        for n in answer.get("notices", []):
            self._add_notice(n)

    def _add_notice(self, n: dict[str, Any]) -> None:
        try:
            start, end = (datetime.fromisoformat(n["starts_at"]).timestamp(),
                          datetime.fromisoformat(n["ends_at"]).timestamp())
        except (KeyError, TypeError, ValueError):
            log.warning("a notice without a readable time was skipped", extra={"ctx": {"id": n.get("id")}})
            return
        self.notices[int(n["id"])] = {"zh": str(n.get("text_zh") or ""), "en": str(n.get("text_en") or ""),
                                      "start": start, "end": end}

    def _call(self, number: str, counter_id: str, service_id: str, at: str) -> dict[str, Any]:
        return {"number": number, "counter_id": counter_id, "counter": self.counters.get(counter_id, counter_id),
                "service": self.services.get(service_id, {}).get("name", ""), "at": at}

    def apply(self, kind: str, data: dict[str, Any], event_id: int | None = None) -> dict[str, Any] | None:
        """Apply one event; returns the call to announce for call/recall events."""
        if event_id is not None:
            self.last_event_id = event_id
        ticket = data.get("ticket") or {}
        sid, counter_id = ticket.get("service_id", ""), data.get("counter_id") or ""
        announce = None
        if kind == "issue" and sid:
            self.waiting[sid] = self.waiting.get(sid, 0) + 1
        elif kind in CALL_KINDS and counter_id:
            call = self._call(ticket.get("number", ""), counter_id, sid, data.get("at", ""))
            self.current[counter_id] = call
            if kind == "call":
                self.waiting[sid] = max(0, self.waiting.get(sid, 0) - 1)
                self.recent.appendleft(call)
            announce = {**call, "recall": kind == "recall"}
        elif kind in ("finish", "no_show", "transfer") and counter_id:
            if self.current.get(counter_id, {}).get("number") == ticket.get("number"):
                self.current.pop(counter_id, None)
            if kind == "transfer":
                target = data.get("to_service_id") or ticket.get("service_id")
                if target:
                    self.waiting[target] = self.waiting.get(target, 0) + 1
        elif kind == "put_back" and sid:
            self.waiting[sid] = self.waiting.get(sid, 0) + 1
        elif kind == "notice_posted" and isinstance(data.get("notice"), dict):
            self._add_notice(data["notice"])
        elif kind == "notice_withdrawn":
            self.notices.pop(int(data.get("notice_id") or 0), None)
        elif kind == "day_rollover":
            self.current.clear()
            self.recent.clear()
            self.waiting.clear()
        return announce

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.since = time.monotonic()

    def view(self, page: int = 0, now: float | None = None) -> dict[str, Any]:
        """What the screen shows; ``page`` of the current calls (wraps round), ``now`` for the notices."""
        now = time.time() if now is None else now
        by_zone: dict[str, list[dict[str, Any]]] = {}
        for sid, info in self.services.items():
            by_zone.setdefault(self.zones.get(info["zone"], info["zone"]), []).append(
                {"service": info["name"], "waiting": self.waiting.get(sid, 0)})
        current = sorted(self.current.values(), key=lambda c: c["at"], reverse=True)
        pages = max(1, -(-len(current) // PER_PAGE))
        page %= pages
        shown = current[page * PER_PAGE:(page + 1) * PER_PAGE]
        notices = [{"zh": n["zh"], "en": n["en"]} for _, n in sorted(self.notices.items())
                   if n["start"] <= now < n["end"]]
        return {"current": current, "shown": shown, "columns": 1 if len(shown) <= ONE_COLUMN else 2,
                "page": page + 1, "pages": pages, "recent": list(self.recent), "connected": self.connected,
                "offline_seconds": 0 if self.connected else int(time.monotonic() - self.since),
                "zones": [{"zone": z, "services": s, "waiting": sum(x["waiting"] for x in s)}
                          for z, s in by_zone.items()], "notices": notices}


class DisplayFollower:
    """Keeps a :class:`DisplayModel` live from a hall client; calls back on every change."""

    def __init__(self, client: Any, model: DisplayModel, on_change: Callable[[], None],
                 on_call: Callable[[dict[str, Any]], None] | None = None, *, retry_max: float = 5.0,
                 read_timeout: float = 20.0) -> None:
        self.client = client
        self.model = model
        self.on_change = on_change
        self.on_call = on_call
        self.retry_max = retry_max
        self.read_timeout = read_timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="display-events", daemon=True)
        self.reconnects = 0

    def start(self) -> DisplayFollower:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self.model.load_layout(self.client.services(), self.client.counters())
                snapshot = self.client.display()
                self.model.load_snapshot(snapshot)
                try:
                    self.model.load_notices(self.client.notices())
                except Exception as exc:  # a hall service of a release before notices: none shown
                    log.info("no notices from the hall", extra={"ctx": {"error": type(exc).__name__}})
                # The snapshot says which event it includes; the stream resumes right after it.
                self.model.last_event_id = snapshot.get("last_event_id", self.model.last_event_id)
                self.model.set_connected(True)
                if self._stop.is_set():  # stopped while connecting: the window may be gone already
                    return
                self.on_change()
                delay = 0.5
                for event in self.client.events(self.model.last_event_id, read_timeout=self.read_timeout):
                    if self._stop.is_set():
                        return
                    call = self.model.apply(event.kind, event.data, event.id)
                    self.on_change()
                    if call and self.on_call:
                        self.on_call(call)
            except Exception as exc:
                log.warning("display lost the hall service; reconnecting",
                            extra={"ctx": {"error": type(exc).__name__}})
            if self._stop.is_set():
                return
            self.reconnects += 1
            self.model.set_connected(False)
            self.on_change()
            self._stop.wait(delay)
            delay = min(delay * 2, self.retry_max)
