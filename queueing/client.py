"""``HallClient``: the Python client of the hall service that kiosk and UI code use (requests).

One method per endpoint; answers are the API's JSON as dicts (checked to be objects). A 4xx/5xx
raises ``HallServiceError(status, code, message)`` whose ``rule`` is the ``HallCode``; no connection or a timeout raises
``HallUnavailable`` (a subclass, status 0), so callers can show "queue service offline".

``events()`` is a blocking iterator of parsed server-sent events for the caller's own thread;
``follow_events()`` wraps it with reconnects that resume from the last event id, so nothing is
missed across a dropped link.

Pooled connections: the hall closes a keep-alive connection idle for ``KEEP_ALIVE_S`` (5 s,
queueing/server.py), and a request sent as it does so is reset although the hall is fine. So a
thread's pool is dropped before a request once it has been idle ``POOL_IDLE_S``, and a GET/HEAD
whose reused connection failed before an answer is sent once more (``_ReusedConnectionRetry``).
A POST, PUT or DELETE is never sent twice: it may have been applied (a ticket issued twice)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from queueing.codes import HallCode, Outcome, Priority

# A thread's pooled connections idle longer than this are closed before its next request. Safely
# below queueing.server.KEEP_ALIVE_S (5 s; its HEAD_TIMEOUT_S of 10 s is longer still), after
# which the hall closes an idle connection: the margin covers the trip and a late wake-up. Not
# imported from there: that would load uvicorn into every kiosk (tests/queueing/
# test_client_keepalive.py holds the two together).
POOL_IDLE_S = 2.0


class _ReusedConnectionRetry(Retry):
    """One more try for a GET/HEAD whose connection failed before any answer came (a pooled
    connection the hall closed as it was reused: reset, or closed without an answer). Nothing
    else: no POST/PUT/DELETE, no connect or TLS error, no status (a ``503``/``429`` with
    ``Retry-After`` is the caller's to see), and no read timeout: a slow hall is not a stale
    connection, and asking again would double the wait and the hall's work."""

    def increment(self, method: str | None = None, url: str | None = None, response: BaseHTTPResponse | None = None,
                  error: Exception | None = None, _pool: ConnectionPool | None = None,
                  _stacktrace: TracebackType | None = None) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error  # as an exhausted Retry would: requests makes it a ReadTimeout
        return super().increment(method, url, response, error, _pool, _stacktrace)


_RETRY = _ReusedConnectionRetry(total=1, connect=0, read=1, status=0, other=0,
                                allowed_methods=frozenset({"GET", "HEAD"}), backoff_factor=0.0,
                                respect_retry_after_header=False)


@dataclass
class _Pool:
    """A thread's session and when its connections were last in use (monotonic)."""

    session: requests.Session
    last_used: float


class HallServiceError(Exception):
    """The hall service said no. ``code`` is the wire string as sent (a newer service may send
    one this client does not know); ``rule`` is the same code as a :class:`HallCode`, or None
    when it is not one (and for :class:`HallUnavailable`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.rule: HallCode | None = HallCode(code) if code in _CODES else None


_CODES = frozenset(HallCode)


class HallUnavailable(HallServiceError):
    def __init__(self, message: str) -> None:
        super().__init__(0, "unavailable", message)


@dataclass
class Event:
    id: int | None
    kind: str
    data: dict[str, Any]


class HallClient:
    """``ca_bundle``: the hall CA (``[hall_service] ca_bundle``, ``hall-server ca``). An https hall
    is then trusted only if its certificate chains to that file, never to the system's store."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0, ca_bundle: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.verify: str | bool = ca_bundle or True
        self._local = threading.local()  # one pooled session per thread (requests.Session is not thread-safe)
        self.staff_session: str | None = None  # X-Hall-Session after sign_in: the staff of every operation
        self.pool_idle_s = POOL_IDLE_S  # this thread's pool is dropped after idling so long (module doc)

    @property
    def session(self) -> requests.Session:
        return self._pool().session

    def _pool(self) -> _Pool:
        pool: _Pool | None = getattr(self._local, "pool", None)
        if pool is None:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {self.token}"
            # verify is also passed per request: requests lets $REQUESTS_CA_BUNDLE override a
            # session's verify, which would unpin the hall CA
            s.verify = self.verify
            for prefix in ("http://", "https://"):
                s.mount(prefix, HTTPAdapter(max_retries=_RETRY))
            pool = self._local.pool = _Pool(s, time.monotonic())
        return pool

    def close(self) -> None:
        """Close this thread's pooled connections (its next request opens a new one)."""
        pool: _Pool | None = getattr(self._local, "pool", None)
        if pool is not None:
            pool.session.close()
            self._local.pool = None

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request on this thread's session, after closing its pooled connections if they
        have idled ``pool_idle_s`` (the hall may be closing them just now). The caller of a
        streamed answer marks ``last_used`` again when it closes the answer."""
        pool = self._pool()
        if time.monotonic() - pool.last_used > self.pool_idle_s:
            pool.session.close()  # the adapters' pools only: the session stays usable and pools anew
        try:
            return pool.session.request(method, self.base_url + path, verify=self.verify, **kwargs)
        finally:
            pool.last_used = time.monotonic()

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        ok_empty: bool = False,
    ) -> Any:
        headers = {"X-Hall-Session": self.staff_session} if self.staff_session else None
        try:
            r = self._send(method, path, json=body, params=params, timeout=self.timeout, headers=headers)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HallUnavailable(f"hall service at {self.base_url} unreachable: {exc}") from exc
        if r.status_code == 204 and ok_empty:
            return None
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code >= 400:
            err = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            raise HallServiceError(
                r.status_code, err.get("code", "http_error"), err.get("message", r.text[:200])
            )
        return data

    def _json(
        self, method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An answer that must be a JSON object."""
        return _object(self._call(method, path, body, params), path)

    def _bytes(self, method: str, path: str, params: dict[str, Any] | None = None) -> bytes:
        """An answer that may take long (a month's statistics, a report file): its bytes, with a
        timeout of at least a minute; errors as :meth:`_call` raises them."""
        headers = {"X-Hall-Session": self.staff_session} if self.staff_session else None
        try:
            r = self._send(method, path, params=params, timeout=max(self.timeout, 60.0), headers=headers)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HallUnavailable(f"hall service at {self.base_url} unreachable: {exc}") from exc
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
            except (ValueError, AttributeError):
                err = {}
            raise HallServiceError(r.status_code, err.get("code", "http_error"), err.get("message", r.text[:200]))
        return bytes(r.content)

    @staticmethod
    def _staff(staff_id: str | None, **more: Any) -> dict[str, Any]:
        body = {k: v for k, v in more.items() if v is not None}
        if staff_id is not None:
            body["staff_id"] = staff_id
        return body

    # staff sessions
    def sign_in(self, staff_id: str, password: str, counter_id: str | None = None) -> dict[str, Any]:
        """Sign a member of staff in at this device; later calls carry the session."""
        body = {"staff_id": staff_id, "password": password, **({"counter_id": counter_id} if counter_id else {})}
        answer = self._json("POST", "/api/v1/sessions", body)
        self.staff_session = str(answer["session"])
        return answer

    def sign_out(self) -> None:
        try:
            if self.staff_session:
                self._call("POST", "/api/v1/sessions/sign-out", ok_empty=True)
        finally:
            self.staff_session = None

    # reading
    def health(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/health")

    def services(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/services")

    def counters(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/counters")

    def display(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/display")

    def stats(self, day_from: str | None = None, day_to: str | None = None) -> dict[str, Any]:
        return self._json(
            "GET", "/api/v1/stats", params={k: v for k, v in (("from", day_from), ("to", day_to)) if v}
        )

    def stats_history(self, day_from: str | None = None, day_to: str | None = None) -> dict[str, Any]:
        """Figures with history (rates, 跑动次数, by day) for a range of service days."""
        path = "/api/v1/stats/history"
        raw = self._bytes("GET", path, params={k: v for k, v in (("from", day_from), ("to", day_to)) if v})
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise HallServiceError(200, "http_error", f"{path}: not JSON") from exc
        return _object(answer, path)

    def stats_report(self, fmt: str, month: str | None = None, day_from: str | None = None,
                     day_to: str | None = None, language: str = "zh_CN") -> bytes:
        """The monthly report file (``fmt`` xlsx or pdf) for a month or a range of days."""
        params = {k: v for k, v in (("month", month), ("from", day_from), ("to", day_to), ("format", fmt),
                                    ("lang", language)) if v}
        return self._bytes("GET", "/api/v1/stats/report", params=params)

    def waiting(self, service_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"status": "waiting", "limit": limit}
        if service_id:
            params["service_id"] = service_id
        return _objects(self._json("GET", "/api/v1/tickets", params=params).get("tickets"), "tickets")

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/tickets/{ticket_id}")

    def ticket_by_token(self, token: str) -> dict[str, Any]:
        """A ticket by the token of its QR (``…/t/<token>``): ``{"ticket", "waiting_ahead",
        "eta_minutes", "rating"}``, following transfers; 404/410 raise ``HallServiceError``."""
        return self._json("GET", f"/api/v1/public/tickets/{token}")

    def ticket_by_number(self, number: str) -> dict[str, Any]:
        """Today's ticket by its number; ``rated`` says whether it has a rating already."""
        return self._json("GET", f"/api/v1/tickets/by-number/{number}")

    def ratings(
        self, day_from: str | None = None, day_to: str | None = None, bad: bool = False
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("from", day_from), ("to", day_to)) if v}
        if bad:
            params["bad"] = "true"
        return _objects(self._json("GET", "/api/v1/ratings", params=params).get("ratings"), "ratings")

    def rectify(self, ticket_id: str, response: str, staff_id: str | None = None) -> dict[str, Any]:
        body = {"response": response, **({"staff_id": staff_id} if staff_id else {})}
        answer = self._json("POST", f"/api/v1/ratings/{ticket_id}/rectification", body)
        return _object(answer.get("rectification"), "rectification")

    def preview(self, counter_id: str, n: int = 10) -> list[dict[str, Any]]:
        answer = self._json("GET", f"/api/v1/counters/{counter_id}/preview", params={"n": n})
        return _objects(answer.get("next"), "next")

    # kiosk
    def issue_ticket(
        self,
        service_id: str | None,
        priority: Priority | str | None = None,
        id_number: str | None = None,
        appointment_code: str | None = None,
        channel: str | None = None,
        case_no: str | None = None,
    ) -> dict[str, Any]:
        body = {
            k: v
            for k, v in (
                ("service_id", service_id),
                ("priority", priority),
                ("id_number", id_number),
                ("appointment_code", appointment_code),
                ("channel", channel),
                ("case_no", case_no),
            )
            if v is not None
        }
        return self._json("POST", "/api/v1/tickets", body)

    def link_receipt(self, local_no: str, receipt_no: str) -> bool:
        """Tell the hall which platform 受理编号 a local receipt number became (the phone page of
        the receipt's QR follows it); True when the hall had not known it."""
        return bool(self._json("PUT", f"/api/v1/receipts/{local_no}", {"receipt_no": receipt_no}).get("new"))

    def report_rejected(self, local_no: str, reason: str) -> bool:
        """Tell the hall the platform refused a local receipt number's application for good (its
        phone page then says so, and staff get an alert); True when the hall had not known it."""
        body = {"rejected": True, "reason": reason}
        return bool(self._json("PUT", f"/api/v1/receipts/{local_no}", body).get("new"))

    # complaints (吐槽找茬, queueing/api_complaints.py)
    def file_complaint(self, complaint_id: str, topic: str, text: str, local_number: str | None = None,
                       filed_at: str | None = None) -> dict[str, Any]:
        """File a complaint (idempotent on ``complaint_id``): ``{"complaint": {number…}, "public_path"}``."""
        body = {k: v for k, v in (("id", complaint_id), ("topic", topic), ("text", text),
                                   ("local_number", local_number), ("filed_at", filed_at)) if v is not None}
        return self._json("POST", "/api/v1/complaints", body)

    def complaint(self, number: str) -> dict[str, Any]:
        return _object(self._json("GET", f"/api/v1/complaints/{number}").get("complaint"), "complaint")

    def complaints(self, day_from: str | None = None, day_to: str | None = None,
                   state: str | None = None) -> dict[str, Any]:
        """``{"complaints": […], "closure": {received, closed, rate}}`` of the days (default today)."""
        params = {k: v for k, v in (("from", day_from), ("to", day_to), ("state", state)) if v}
        return self._json("GET", "/api/v1/complaints", params=params)

    def complaint_action(self, number: str, action: str, **body: Any) -> dict[str, Any]:
        """``assign`` (to=…), ``reply`` (text=…) or ``close``, by the signed-in staff."""
        path = f"/api/v1/complaints/{number}/{action}"
        return _object(self._json("POST", path, body).get("complaint"), "complaint")

    def push_appointments(self, appointments: list[dict[str, Any]]) -> int:
        return int(self._json("POST", "/api/v1/appointments", {"appointments": appointments})["stored"])

    def rate(
        self, ticket_id: str, level: int | str, reason: str | None = None, comment: str | None = None,
        stage: str | None = None, **scores: int,
    ) -> dict[str, Any]:
        """``scores``: the optional sub-scores attitude / efficiency / competence (1..5)."""
        body = {
            k: v for k, v in (("level", level), ("reason", reason), ("comment", comment), ("stage", stage),
                              *scores.items()) if v is not None
        }
        return _object(self._json("POST", f"/api/v1/tickets/{ticket_id}/rating", body).get("rating"), "rating")

    def quiet_hours(self, weeks: int = 8) -> dict[str, Any]:
        """错峰: tickets per weekday and hour of the last weeks (queueing/api_quiet.py)."""
        return self._json("GET", "/api/v1/stats/quiet", params={"weeks": weeks})

    def sms_enabled(self) -> bool:
        return bool(self._json("GET", "/api/v1/sms").get("enabled"))

    def sms_opt_in(self, ticket_id: str, phone: str, *, consent: bool, lang: str = "zh_CN") -> dict[str, Any]:
        """Text messages for a ticket (queueing/api_sms.py); the answer holds the number masked."""
        return self._json("POST", f"/api/v1/tickets/{ticket_id}/sms", {"phone": phone, "consent": consent,
                                                                        "lang": lang})

    def sms_booking(self, body: dict[str, Any]) -> dict[str, Any]:
        """A booking's confirmation by text (queueing/api_sms_cases.py): ``phone``, ``consent``,
        ``lang``, ``code``, ``service_id``, ``service_name``, ``slot_start``, ``slot_end``."""
        return self._json("POST", "/api/v1/sms/bookings", body)

    def sms_pickup(self, receipt_no: str, phone: str, *, consent: bool, lang: str = "zh_CN") -> dict[str, Any]:
        """One text when the case is ready for pickup (queueing/api_sms_cases.py)."""
        return self._json("POST", "/api/v1/sms/pickups", {"receipt_no": receipt_no, "phone": phone,
                                                          "consent": consent, "lang": lang})

    # cases and the rectification loop (queueing/api_cases.py)
    def set_case(self, ticket_id: str, case_no: str) -> dict[str, Any]:
        return _object(self._json("PUT", f"/api/v1/tickets/{ticket_id}/case", {"case_no": case_no}).get("ticket"),
                       "ticket")

    def follow_up(self, ticket_id: str, comment: str, level: int | str | None = None,
                  stage: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("comment", comment), ("level", level), ("stage", stage)) if v is not None}
        return _object(self._json("POST", f"/api/v1/tickets/{ticket_id}/rating/followup", body).get("followup"),
                       "followup")

    def rating_stage(self, ticket_id: str) -> dict[str, Any]:
        """``{"stage", "stage_rated", "stages"}``: the stage the ticket is rated at now (一事多评)."""
        return self._json("GET", f"/api/v1/tickets/{ticket_id}/rating-stage")

    def case_ratings(self, case_no: str) -> list[dict[str, Any]]:
        """The ratings of a case (by its 办件编号), each with ``followed_up``."""
        return _objects(self._json("GET", f"/api/v1/cases/{case_no}/ratings").get("ratings"), "ratings")

    def rectifications(self, day_from: str | None = None, day_to: str | None = None) -> list[dict[str, Any]]:
        """The 差评 loops: every one still open, or those opened on the days given."""
        params = {k: v for k, v in (("from", day_from), ("to", day_to)) if v}
        rows = self._json("GET", "/api/v1/rectifications", params=params or None).get("rectifications")
        return rows if isinstance(rows, list) else []

    def callback_done(self, ticket_id: str, note: str) -> dict[str, Any]:
        return self._json("POST", f"/api/v1/rectifications/{ticket_id}/callback", {"note": note})

    def verify_rectification(self, ticket_id: str, note: str) -> dict[str, Any]:
        return self._json("POST", f"/api/v1/rectifications/{ticket_id}/verify", {"note": note})

    def rectification_list(self, which: str, fmt: str = "xlsx", day_from: str | None = None,
                           day_to: str | None = None, lang: str = "zh_CN") -> bytes:
        """问题清单 / 需求清单 / 整改清单 (``problems`` / ``needs`` / ``rectification``) as a file."""
        params = {k: v for k, v in (("from", day_from), ("to", day_to), ("format", fmt), ("lang", lang)) if v}
        headers = {"X-Hall-Session": self.staff_session} if self.staff_session else None
        try:
            r = self._send("GET", f"/api/v1/rectifications/lists/{which}", params=params, timeout=self.timeout,
                           headers=headers)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HallUnavailable(f"hall service at {self.base_url} unreachable: {exc}") from exc
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
            except ValueError:
                err = {}
            raise HallServiceError(r.status_code, err.get("code", "http_error"), err.get("message", r.text[:200]))
        return r.content

    # counters
    def _counter(self, counter_id: str, op: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._json("POST", f"/api/v1/counters/{counter_id}/{op}", body or {})

    def call_next(self, counter_id: str, staff_id: str | None = None) -> dict[str, Any] | None:
        """The called ticket's answer ``{"ticket": …}``, or None when nobody waits."""
        path = f"/api/v1/counters/{counter_id}/call-next"
        answer = self._call("POST", path, self._staff(staff_id), ok_empty=True)
        return None if answer is None else _object(answer, path)

    def call_ticket(self, counter_id: str, ticket_id: str, reason: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "call", self._staff(staff_id, ticket_id=ticket_id, reason=reason))

    def recall(self, counter_id: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "recall", self._staff(staff_id))

    def start(self, counter_id: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "start", self._staff(staff_id))

    def finish(
        self, counter_id: str, outcome: Outcome | str = Outcome.DONE, staff_id: str | None = None,
        reason: str | None = None, supervisor_id: str | None = None, supervisor_pin: str | None = None,
        case_no: str | None = None,
    ) -> dict[str, Any]:
        """``rejected`` (不予受理) needs ``reason`` and a supervisor's sign-off: the signed-in staff
        is one, or ``supervisor_id`` + ``supervisor_pin`` (queueing/signoff.py); ``case_no`` is the
        办件编号 (queueing/cases.py)."""
        return self._counter(counter_id, "finish", self._staff(
            staff_id, outcome=outcome, reason=reason, supervisor_id=supervisor_id, supervisor_pin=supervisor_pin,
            case_no=case_no))

    def no_show(self, counter_id: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "no-show", self._staff(staff_id))

    def put_back(self, counter_id: str, ticket_id: str | None = None, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "put-back", self._staff(staff_id, ticket_id=ticket_id))

    def transfer(
        self, counter_id: str, service_id: str, staff_id: str | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        return self._counter(
            counter_id, "transfer", self._staff(staff_id, service_id=service_id, reason=reason)
        )

    def pause(self, counter_id: str, reason: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "pause", self._staff(staff_id, reason=reason))

    def resume(self, counter_id: str, staff_id: str | None = None) -> dict[str, Any]:
        return self._counter(counter_id, "resume", self._staff(staff_id))

    # alerts
    def raise_alert(self, kind: str, source: str, message: str) -> dict[str, Any]:
        answer = self._json("POST", "/api/v1/alerts", {"kind": kind, "source": source, "message": message})
        return _object(answer.get("alert"), "alert")

    def alerts(self, include_acked: bool = False) -> list[dict[str, Any]]:
        answer = self._json("GET", "/api/v1/alerts", params={"all": str(include_acked).lower()})
        return _objects(answer.get("alerts"), "alerts")

    def ack_alert(self, alert_id: int, staff_id: str | None = None) -> None:
        self._call("POST", f"/api/v1/alerts/{alert_id}/ack", self._staff(staff_id))

    # fleet health (queueing/api_fleet.py)
    def heartbeat(self, state: dict[str, Any]) -> dict[str, Any]:
        return _object(self._json("POST", "/api/v1/fleet/heartbeat", state).get("heartbeat"), "heartbeat")

    def fleet(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/fleet")

    def open_alerts(self, counter_id: str | None = None) -> list[dict[str, Any]]:
        """Alerts not resolved yet as this console sees them (a counter: its own and escalated)."""
        params = {"counter_id": counter_id} if counter_id else None
        return _objects(self._json("GET", "/api/v1/alerts/open", params=params).get("alerts"), "alerts")

    def alert(self, alert_id: int, follow: str | None = None) -> dict[str, Any]:
        """One alert; a kiosk follows its own help call with the raise answer's ``follow_token``."""
        params = {"follow": follow} if follow else None
        return _object(self._json("GET", f"/api/v1/alerts/{alert_id}", params=params).get("alert"), "alert")

    def resolve_alert(self, alert_id: int, note: str | None = None) -> dict[str, Any]:
        answer = self._json("POST", f"/api/v1/alerts/{alert_id}/resolve", self._staff(None, note=note))
        return _object(answer.get("alert"), "alert")

    # the display's notices
    def notices(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/notices")

    def post_notice(self, text_zh: str, text_en: str, ends_at: str, starts_at: str | None = None) -> dict[str, Any]:
        body = self._staff(None, text_zh=text_zh, text_en=text_en, starts_at=starts_at, ends_at=ends_at)
        return _object(self._json("POST", "/api/v1/notices", body).get("notice"), "notice")

    def withdraw_notice(self, notice_id: int) -> None:
        self._call("DELETE", f"/api/v1/notices/{notice_id}")

    # events
    def events(self, last_event_id: int | None = None, read_timeout: float = 45.0) -> Iterator[Event]:
        """Server-sent events, blocking; run it on your own thread. Ends when the link drops
        (``HallUnavailable``); ``read_timeout`` > the heartbeat detects a dead link."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        pool = self._pool()  # this thread's, whichever thread closes the generator
        try:
            r = self._send("GET", "/api/v1/events", headers=headers, stream=True, timeout=(self.timeout, read_timeout))
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HallUnavailable(f"event stream at {self.base_url} unreachable: {exc}") from exc
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
            except ValueError:
                err = {}
            r.close()
            raise HallServiceError(r.status_code, err.get("code", "http_error"), err.get("message", ""))
        try:
            yield from parse_sse(r.iter_lines(decode_unicode=True))
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise HallUnavailable(f"event stream lost: {exc}") from exc
        finally:
            r.close()
            pool.last_used = time.monotonic()

    def follow_events(
        self, stop: threading.Event | None = None, last_event_id: int | None = None, retry_max: float = 10.0
    ) -> Iterator[Event]:
        """``events()`` forever, reconnecting with backoff and resuming after the last event seen."""
        delay = 0.5
        while stop is None or not stop.is_set():
            try:
                for ev in self.events(last_event_id):
                    delay = 0.5
                    if ev.id is not None:
                        last_event_id = ev.id
                    yield ev
                    if stop is not None and stop.is_set():
                        return
            except HallUnavailable:
                pass
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
            delay = min(delay * 2, retry_max)


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HallServiceError(200, HallCode.HTTP_ERROR, f"{what}: the answer is not a JSON object")
    return value


def _objects(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise HallServiceError(200, HallCode.HTTP_ERROR, f"{what}: the answer is not a list of objects")
    return value


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Parse text/event-stream lines into events (comments and retry lines are skipped)."""
    eid: int | None = None
    kind, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = {"raw": text}
                yield Event(eid, kind, payload)
            kind, data, eid = "message", [], None
            continue
        if line.startswith(":"):
            continue
        field_name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field_name == "id":
            try:
                eid = int(value)
            except ValueError:
                eid = None
        elif field_name == "event":
            kind = value
        elif field_name == "data":
            data.append(value)
