"""The SMS dispatcher of one hall: follows the queue's event log and decides what each citizen who
opted in is owed, then hands the outbox's parts to the gateway (one thread, in worker 0 of
``hall-server``).

- **turn near**: after any event, each opted-in ticket still waiting with at most N tickets ahead
  (``[sms] turn_near``, per service in ``[sms.turn_near_by_service]``) gets "your turn is near";
- **rating invitation**: a ``finish`` of an opted-in ticket, with its phone page link;
- **差评 callback notice**: a ``rating`` of level 1–2: "we will call you back within 1 working day".

The cursor (the last event seq handled) lives in sms.db and moves after the batch is handled;
a crash in between replays the batch, which creates nothing twice because a message is keyed by
(ticket, kind). Messages that end failed or unknown raise a staff alert (the engine's
``raise_alert``); the number is purged when a ticket can be owed nothing more, and at day
rollover plus ``retention_days`` in any case."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from common.i18n import translate
from queueing.engine import QueueEngine
from queueing.hallconfig import SmsTable
from queueing.model import QueueError
from queueing.public_pages import public_links
from queueing.sms import case_notices, cmpp
from queueing.sms.gateway import CmppGateway, Part, SmsGateway, StatusReport
from queueing.sms.outbox import Due, SmsOutbox

log = logging.getLogger(__name__)
BATCH = 500
IDLE_S = 0.5
LINK_TEST_S = 60.0  # an idle long connection is tested this often (CMPP_ACTIVE_TEST)
PERMANENT_RESULTS = frozenset(range(1, 8))  # structure, command, seq, length, fee, too long, service code


class SmsDispatcher:
    def __init__(self, engine: QueueEngine, outbox: SmsOutbox, config: SmsTable, secret: str, hall_key: str,
                 public_base_url: str = "", gateway: SmsGateway | None = None) -> None:
        self.engine, self.outbox, self.config, self._hall_key = engine, outbox, config, hall_key
        self.base_url = public_base_url.rstrip("/")
        self.gateway: SmsGateway = gateway or CmppGateway(
            config.host, config.port, config.sp_id, secret, config.service_id, config.src_id,
            next_seq=outbox.next_seq, on_report=self._on_report, timeout=config.timeout_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down_until = 0.0
        self._down_logged = False
        self._seen: set[str] = set()
        self._last_sent = time.monotonic()

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        if self.outbox.meta("cursor") == "":
            with self.engine.store.read() as tx:  # from now on: nothing from before SMS was switched on
                self.outbox.set_meta("cursor", str(tx.last_event_seq()))
        doubts = self.outbox.doubts_from_before()
        if doubts:
            log.warning("SMS parts were in flight at the last stop: in doubt, not resent",
                        extra={"ctx": {"messages": doubts}})
        self._thread = threading.Thread(target=self._run, name="hall-sms", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """New events (the hub's on_publish): look now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            self.gateway.close()
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the dispatcher keeps going; what failed is retried next step
                log.exception("SMS dispatcher step failed")
                self._stop.wait(2.0)
            self._wake.wait(IDLE_S)
            self._wake.clear()

    def step(self) -> None:
        """One round: events → messages, parts → gateway, reports in, alerts, purges."""
        self.follow_events()
        self.send_due()
        self.settle()

    # ------------------------------------------------------------------ deciding

    def follow_events(self) -> None:
        cursor = int(self.outbox.meta("cursor", "0"))
        with self.engine.store.read() as tx:
            rows = tx.events_after(cursor, BATCH)
        subs = self._ticket_subs()
        if not rows:
            new = {tid: s for tid, s in subs.items() if tid not in self._seen}
            self._seen = set(subs)
            if new:  # an opt-in with few ahead already: no event needs to come first
                self._turn_near(new)
            return
        self._seen = set(subs)
        for _seq, kind, data in rows:
            ticket = json.loads(data).get("ticket") or {}
            tid = ticket.get("id")
            if tid not in subs:
                continue
            if kind == "finish":
                self._create(tid, "rating_invite")
            elif kind == "rating":
                level = json.loads(data).get("level")
                if isinstance(level, int) and level <= 2:
                    self._create(tid, "callback")
            elif kind == "transfer":
                moved = json.loads(data).get("new_ticket") or {}
                if moved.get("id"):
                    self.outbox.follow_transfer(tid, str(moved["id"]), str(moved.get("number", "")),
                                                str(moved.get("service_id", "")))
                    subs = self._ticket_subs()
            # cancel, no_show: nothing more is owed; the number is purged in settle()
        self._turn_near(subs)
        self.outbox.set_meta("cursor", str(rows[-1][0]))
        if len(rows) == BATCH:
            self._wake.set()

    def _ticket_subs(self) -> dict[str, Any]:
        """The tickets' opt-ins (a booking's or a case's are case_notices.py's)."""
        return {s.ticket_id: s for s in self.outbox.active() if not case_notices.is_notice(s.ticket_id)}

    def _turn_near(self, subs: dict[str, Any]) -> None:
        for tid, sub in subs.items():
            try:
                t, ahead, _minutes = self.engine.ticket(tid)
            except QueueError:
                continue
            if t.status == "waiting" and ahead <= self.threshold(sub.service_id):
                self._create(tid, "turn_near", ahead=ahead)

    def threshold(self, service_id: str) -> int:
        return self.config.turn_near_by_service.get(service_id, self.config.turn_near)

    def text(self, ticket_id: str, kind: str, **extra: Any) -> str:
        sub = self.outbox.subscription(ticket_id)
        assert sub is not None
        link = self.base_url + public_links(self._hall_key, ticket_id)["public_path"]
        if kind == "rating_invite":
            link += "/rate"
        return translate(sub.lang, f"sms.{kind}", hall=self.engine.hall.name, number=sub.number, link=link, **extra)

    def _create(self, ticket_id: str, kind: str, **extra: Any) -> None:
        if any(m["kind"] == kind for m in self.outbox.messages(ticket_id)):
            return
        body = self.text(ticket_id, kind, **extra)
        parts = len(cmpp.ucs2_parts(body, 0))
        if self.outbox.create(ticket_id, kind, body, parts):
            log.info("SMS owed", extra={"ctx": {"ticket": ticket_id, "kind": kind, "parts": parts}})

    # ------------------------------------------------------------------ sending

    def send_due(self) -> None:
        due = self.outbox.due()
        if not due:
            if self.gateway.connected:
                self._poll(0.05)
                if time.monotonic() - self._last_sent > LINK_TEST_S:
                    self._last_sent = time.monotonic()
                    try:
                        self.gateway.active_test()
                    except (cmpp.GatewayDown, cmpp.NoAnswer) as exc:  # reconnects when there is work
                        log.warning("SMS gateway link test failed", extra={"ctx": {"error": str(exc)}})
            return
        if time.monotonic() < self._down_until:
            return
        if not self.gateway.connected:
            try:
                self.gateway.connect()
                self._down_logged = False
            except cmpp.GatewayDown as exc:
                self._down_until = time.monotonic() + 5.0
                if not self._down_logged:
                    log.warning("SMS gateway unavailable", extra={"ctx": {"error": str(exc)}})
                    self._down_logged = True
                return
        self._last_sent = time.monotonic()
        for d in due:
            if not self._send(d):
                break
        self._poll(0.05)

    def _send(self, d: Due) -> bool:
        phone = self.outbox.phone(d.ticket_id)
        if phone is None:
            self.outbox.refused(d.message_id, d.part, "number purged", permanent=True)
            return True
        udhi, content = cmpp.ucs2_parts(self.outbox.text(d.message_id), d.message_id)[d.part - 1]
        seq = self.outbox.next_seq()
        self.outbox.sending(d.message_id, d.part, seq)  # committed before the bytes leave
        try:
            answer = self.gateway.submit(Part(phone, udhi, content, d.total, d.part), seq)
        except cmpp.NoAnswer:
            self.outbox.in_doubt(d.message_id, d.part)
            log.warning("SMS gateway did not answer a SUBMIT: in doubt, not resent",
                        extra={"ctx": {"message": d.message_id, "part": d.part, "seq": seq}})
            return False
        except cmpp.GatewayDown as exc:
            # the link broke before or while writing: the gateway may have read the SUBMIT
            self.outbox.in_doubt(d.message_id, d.part)
            log.warning("SMS gateway link broke during a SUBMIT: in doubt", extra={"ctx": {"error": str(exc)}})
            return False
        if answer.result == cmpp.RESULT_OK:
            self.outbox.submitted(d.message_id, d.part, answer.msg_id)
            return True
        why = cmpp.SUBMIT_RESULTS.get(answer.result, "other error")
        state = self.outbox.refused(d.message_id, d.part, f"SUBMIT_RESP Result {answer.result} ({why})",
                                    permanent=answer.result in PERMANENT_RESULTS)
        log.warning("SMS gateway refused a SUBMIT", extra={"ctx": {
            "message": d.message_id, "result": answer.result, "state": state}})
        return answer.result != cmpp.RESULT_FLOW_CONTROL  # throttled: stop this round, back off

    def _poll(self, seconds: float) -> None:
        try:
            self.gateway.poll(seconds)
        except cmpp.GatewayDown as exc:
            log.warning("SMS gateway link broke", extra={"ctx": {"error": str(exc)}})

    def _on_report(self, report: StatusReport) -> None:
        state = self.outbox.report(report.msg_id, report.stat, self.outbox.phone_hmac(report.phone))
        log.info("SMS status report", extra={"ctx": {"msg_id": report.msg_id, "stat": report.stat, "state": state}})

    # ------------------------------------------------------------------ settling

    def settle(self) -> None:
        self.outbox.expire_doubts(self.config.report_wait_seconds)
        for m in self.outbox.unalerted():
            key = "alert.sms_unknown" if m["state"] == "unknown" else "alert.sms_failed"
            try:
                self.engine.raise_alert("sms", "sms", translate("zh_CN", key, number=m["number"],
                                                                phone=m["phone_mask"], error=m["error"] or ""))
            except QueueError:
                log.exception("SMS alert could not be raised")
                continue
            self.outbox.alerted(m["id"])
        today = self.engine.hall.day(self.engine.clock())
        for sub in self.outbox.active():
            if sub.day < today or self._owed_nothing_more(sub.ticket_id):
                self.outbox.purge(sub.ticket_id)
        keep_from = (self.engine.hall.local(self.engine.clock()) - timedelta(days=self.config.retention_days))
        self.outbox.purge_before(keep_from.date().isoformat())

    def _owed_nothing_more(self, ticket_id: str) -> bool:
        if case_notices.is_notice(ticket_id):  # a booking's or a case's one text (case_notices.py)
            return case_notices.owed_nothing_more(self.outbox, ticket_id)
        try:
            t, _, _ = self.engine.ticket(ticket_id)
        except QueueError:
            return True
        if t.status in ("cancelled", "no_show"):
            return True
        if t.status in ("done", "transferred"):
            rating = self.engine.rating_of(ticket_id)
            return (rating is not None and int(rating["level"]) >= 3) or any(
                m["kind"] == "callback" for m in self.outbox.messages(ticket_id))
        return False
