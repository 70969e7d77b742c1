"""The sync engine: drains the offline cache to the central platform exactly once.

At-least-once delivery from here, exactly-once storage on the platform (it de-duplicates on
the record id forever). A pass leases due records (≤ 100, ≤ 1 MiB), uploads their attachments
first, posts the batch and applies every per-record result; anything whose outcome is unknown
goes back to pending with full-jitter exponential backoff on the monotonic clock. Nothing is
deleted before an ack. Triggers: a new record, a timer, and :meth:`SyncEngine.sync_now`.
Progress and health reach the kiosk banner and technician panel as plain callbacks.

No answer can stop the sync (issue 14): any successful request resets the backoff, a pause
asked by the platform is at most an hour, a redirect or an oversized answer is an alert and a
retry, and the background thread outlives any exception ("sync now" restarts it if it is gone).

A configured CA bundle or client certificate that cannot be read is a staff problem, not an
outage: the engine says so in the log and raises the ``platform_tls_config`` alert (once, at
start and again only after the link has worked), keeps every record without counting attempts,
and keeps retrying, so the kiosk syncs as soon as the file is in place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from .client import (
    MAX_RETRY_AFTER,
    PlatformAnswerTooLarge,
    PlatformAuthError,
    PlatformClient,
    PlatformRedirected,
    PlatformRefused,
    PlatformTLSConfigError,
    PlatformUnavailable,
)
from .crash import crash_point
from .sealing import payload_sha256
from .store import AttachmentCorruptError, OfflineCache, OutgoingRecord, RecordInfo, now_iso

log = logging.getLogger(__name__)

MISSING_ATTACHMENT_RETRIES = 3
#: kinds a platform may not know (docs/platform-contract.md): an older platform's ``unknown_kind``
#: drops them (state ``discarded``) instead of filling the dead letters every minute
ADVISORY_KINDS = frozenset({"fleet_health", "alert", "complaint_update"})
MAX_BACKOFF_EXPONENT = 30  # 2**30 × base is past any cap; more would overflow a float in a week


@dataclass
class SyncReport:
    """What one :meth:`SyncEngine.sync_once` pass did."""

    sent: int = 0
    acked: int = 0  # stored now by the platform (``accepted``)
    duplicates: int = 0  # the platform already held them: also synced
    dead_letters: int = 0  # moved to dead letters in this pass
    retried: int = 0  # unknown outcome, back to pending with backoff
    attachments_uploaded: int = 0
    batches: int = 0
    still_pending: int = 0
    auth_failed: bool = False
    error: str | None = None

    @property
    def synced(self) -> int:
        return self.acked + self.duplicates


@dataclass(frozen=True)
class SyncHealth:
    pending: int
    in_flight: int
    dead_letters: int
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    auth_failed: bool
    syncing: bool
    retry_in_seconds: float | None
    last_alert: dict[str, Any] | None = None  # {"code", "message", "at"} of the newest alert

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SyncEvent:
    """``kind``: started, progress, success, error, dead_letter, auth_failure, alert, idle."""

    kind: str
    health: SyncHealth
    detail: dict[str, Any] = field(default_factory=dict)


class SyncEngine:
    """Sends what the cache holds to the platform at ``base_url``.

    Tests shrink ``backoff_base``/``backoff_cap``/timeouts to run in seconds; ``monotonic`` and
    ``rng`` are injectable. ``lease_seconds`` must exceed one batch round trip."""

    def __init__(
        self,
        cache: OfflineCache,
        base_url: str,
        token: str,
        device_id: str,
        *,
        batch_size: int = 100,
        max_batch_bytes: int = 1024 * 1024,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 600.0,
        interval: float = 60.0,
        lease_seconds: float = 300.0,
        purge_interval: float = 3600.0,
        ca_bundle: str | None = None,
        client_cert: str | tuple[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        client: PlatformClient | None = None,
    ) -> None:
        self.cache = cache
        self.base_url = base_url
        self.device_id = device_id
        self.batch_size = min(batch_size, 100)
        self.max_batch_bytes = min(max_batch_bytes, 1024 * 1024)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.interval = interval
        self.lease_seconds = lease_seconds
        self.purge_interval = purge_interval
        self._timeouts = (connect_timeout, read_timeout)
        self._tls = (ca_bundle, client_cert)
        self.client = client or self._make_client(token)
        self._injected_client = client is not None
        self._poster: PlatformClient | None = None  # batches go on their own connection (_drain)
        self._mono = monotonic
        self._rng = rng or random.Random()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._listeners: list[Callable[[SyncEvent], None]] = []
        self._pass_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._not_before = 0.0
        self._last_purge: float | None = None
        self._missing_att: dict[str, int] = {}
        self.auth_failed = False
        self.syncing = False
        self.last_success: str | None = None
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self.last_alert: dict[str, Any] | None = None
        self._tls_alerted = False  # the platform_tls_config alert is raised once per episode
        cache.add_enqueue_listener(self._on_enqueue)

    # --- listeners, health -----------------------------------------------------------------

    def add_listener(self, callback: Callable[[SyncEvent], None]) -> None:
        """``callback(SyncEvent)`` from the syncing thread; keep it short, never block."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[SyncEvent], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def health(self) -> SyncHealth:
        counts = self.cache.counts()
        wait = self._not_before - self._mono()
        return SyncHealth(pending=counts["pending"], in_flight=counts["inflight"],
                          dead_letters=counts["dead"], last_success=self.last_success,
                          last_error=self.last_error, last_error_at=self.last_error_at,
                          auth_failed=self.auth_failed, syncing=self.syncing,
                          retry_in_seconds=round(wait, 1) if wait > 0 else None,
                          last_alert=self.last_alert)

    def _emit(self, kind: str, **detail: Any) -> None:
        if not self._listeners:
            return
        event = SyncEvent(kind, self.health(), detail)
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:
                log.exception("sync listener failed")

    def _error(self, message: str) -> None:
        self.last_error, self.last_error_at = message[:300], now_iso()
        log.warning("sync: %s", message[:300])
        self._emit("error", message=message[:300])

    def _alert(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        # details is a dict, not **kwargs: a detail named "code" once collided with the alert's
        # own code and crashed the pass (issue 12, defect 5)
        item = self.cache.alert(code, message, details)
        self.last_alert = {"code": item.code, "message": item.message, "at": item.at}
        self._emit("alert", code=code, message=message)

    def _tls_config_problem(self, problem: str) -> None:
        """``problem`` starts with "TLS configuration:" (the client's error or :meth:`start`)."""
        self._error(problem)
        if not self._tls_alerted:
            self._tls_alerted = True
            log.error("sync: the platform cannot be reached until the TLS configuration is fixed "
                      "([platform] ca_bundle / client_cert in the configuration): %s; records stay on this kiosk",
                      problem)
            self._alert("platform_tls_config", "a TLS file named in [platform] cannot be read; nothing is "
                        "sent until it is fixed, every record is kept", {"problem": problem[:300]})

    # --- triggers --------------------------------------------------------------------------

    def _on_enqueue(self, _record_id: str) -> None:
        self._wake.set()

    def sync_now(self) -> None:
        """A technician's "sync now": forget backoff (not a Retry-After, which is at most an
        hour) and auth stop, wake up; a background thread that died is started again."""
        self.auth_failed = False
        self._failures = 0
        now = self._mono()
        if self._not_before <= now:
            self.cache.reschedule_pending(0.0)
        if self._thread is not None and not self._thread.is_alive() and not self._stopping.is_set():
            log.error("sync thread was not running: started again by sync now")
            self.start()
        self._wake.set()

    def set_token(self, token: str) -> None:
        """New device credentials (after a 401/403): resume syncing."""
        self.client.set_token(token)
        if self._poster is not None:
            self._poster.set_token(token)
        self.auth_failed = False
        self._wake.set()

    def dead_letters(self) -> list[RecordInfo]:
        return self.cache.dead_letters()

    def retry(self, record_id: str) -> bool:
        """Send a dead letter again, now."""
        ok = self.cache.retry(record_id)
        if ok:
            self._wake.set()
        return ok

    def discard(self, record_id: str, reason: str) -> bool:
        ok = self.cache.discard(record_id, reason)
        if ok:
            self._emit("dead_letter", discarded=record_id)
        return ok

    def new_client(self) -> PlatformClient:
        """A client with this engine's settings, for another thread (e.g. a PullCache)."""
        return self._make_client(self.client.token)

    def _make_client(self, token: str) -> PlatformClient:
        return PlatformClient(self.base_url, token, self.device_id, connect_timeout=self._timeouts[0],
                              read_timeout=self._timeouts[1], ca_bundle=self._tls[0],
                              client_cert=self._tls[1])

    # --- one pass --------------------------------------------------------------------------

    def _backoff(self, retry_after: float | None = None) -> float:
        self._failures += 1
        exponent = min(self._failures - 1, MAX_BACKOFF_EXPONENT)
        delay = self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** exponent))
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        self._not_before = self._mono() + delay
        return self._not_before

    def _succeeded(self) -> None:
        """Any request the platform answered as the contract says: the link works, so the next
        failure starts the backoff from the base again (an upload counts as much as an ack)."""
        self._failures = 0

    def sync_once(self) -> SyncReport:
        """Send everything due now; stop at the first failure that needs a pause."""
        report = SyncReport()
        with self._pass_lock:
            if self.auth_failed:
                report.auth_failed = True
                report.error = "stopped: the platform refused the device credentials"
            elif self._mono() < self._not_before:
                report.error = "waiting (backoff or Retry-After)"
            else:
                self.syncing = True
                self._emit("started")
                try:
                    self._drain(report)
                finally:
                    self.syncing = False
                self._maybe_purge()
            report.still_pending = self.cache.pending_count()
        if report.synced and report.error is None:
            self._emit("success", synced=report.synced, still_pending=report.still_pending)
        elif report.batches == 0 and report.error is None:
            self._emit("idle")
        return report

    def _maybe_purge(self) -> None:
        now = self._mono()
        if self._last_purge is None or now - self._last_purge >= self.purge_interval:
            self._last_purge = now
            try:
                self.cache.purge_expired()
            except Exception:
                log.exception("retention purge failed")

    def _claim(self, report: SyncReport) -> list[OutgoingRecord]:
        if self._stopping.is_set():
            return []
        batch = self.cache.claim(self.owner, now=self._mono(), lease_seconds=self.lease_seconds,
                                 limit=self.batch_size, max_bytes=self.max_batch_bytes)
        if batch:
            crash_point("after_claim")
            report.batches += 1
        return batch

    def _drain(self, report: SyncReport) -> None:
        """Batch after batch until nothing is due or a failure asks for a pause. While the
        platform answers batch N (its request on a connection of its own, in a helper thread),
        this thread claims batch N+1 and uploads its attachments: the kiosk and the platform
        work at the same time instead of taking turns. Every ack, dead letter and release is
        still written here, in order; at most one batch more than today is leased at a time,
        and a pass that stops hands its leases back (kill -9: they are taken over, pid gone)."""
        held: list[list[OutgoingRecord]] = []  # claimed and not yet settled: released on a crash
        pool: ThreadPoolExecutor | None = None
        try:
            batch = self._claim(report)
            held.append(batch)
            prepared = self._prepare(batch, report) if batch else None
            while prepared is not None:
                ok, good = prepared
                if not ok:
                    break
                post_client = self._post_client()
                body = self.client.encode_batch([r.as_wire() for r in good]) if good else b""
                if not good or post_client is None or len(body) > self.max_batch_bytes:
                    if good and not self._post(good, report, body):
                        break
                    held = []
                    batch = self._claim(report)
                    held.append(batch)
                    prepared = self._prepare(batch, report) if batch else None
                else:
                    pool = pool or ThreadPoolExecutor(1, thread_name_prefix="offline-sync-post")
                    answer = pool.submit(post_client.post_batch, body)
                    report.sent += len(good)
                    following = self._claim(report)  # while the platform answers
                    held.append(following)
                    upcoming = self._prepare(following, report) if following else None
                    if not self._settle(good, answer, report):
                        if following:  # leased for nothing: back as it was, no attempt counted
                            self.cache.release([r.id for r in following], self.owner,
                                               next_attempt=self._not_before, error=None, count_attempt=False)
                        held = []
                        break
                    held = [following]
                    prepared = upcoming
                self._emit("progress", sent=report.sent, synced=report.synced)
        except BaseException:
            # a bug or a broken disk: hand the leases back rather than wait them out
            with contextlib.suppress(Exception):
                ids = [r.id for b in held for r in b]
                if ids:
                    self.cache.release(ids, self.owner, next_attempt=self._backoff(), error="sync pass failed")
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)

    def _post_client(self) -> PlatformClient | None:
        """The connection batches are posted on while this thread uploads (None: a client
        handed in by a caller, which is used as it is, one request at a time)."""
        if self._injected_client:
            return None
        if self._poster is None:
            self._poster = self._make_client(self.client.token)
        return self._poster

    def _settle(self, records: list[OutgoingRecord], answer: Future[dict[str, dict[str, Any]]],
                report: SyncReport) -> bool:
        """The answer to a batch posted in the helper thread, taken as :meth:`_post` takes it."""
        return self._answered(records, answer.result, report)

    def _answered(self, records: list[OutgoingRecord], answer: Callable[[], dict[str, dict[str, Any]]],
                  report: SyncReport) -> bool:
        """The platform's answer to ``records`` (``answer()`` returns it or raises): applied, or
        the batch failed, refused or released as the contract says."""
        try:
            results = answer()
        except (PlatformUnavailable, PlatformAuthError) as exc:
            self._fail(records, exc, report)
            return False
        except PlatformRefused as exc:
            return self._refused(records, exc, report)
        crash_point("after_send_before_ack")
        self._succeeded()
        return self._apply(records, results, report)

    def _send(self, batch: list[OutgoingRecord], report: SyncReport) -> bool:
        ok, good = self._prepare(batch, report)
        if not ok:
            return False
        return self._post(good, report) if good else True

    def _prepare(self, batch: list[OutgoingRecord], report: SyncReport) -> tuple[bool, list[OutgoingRecord]]:
        """Check a claimed batch's hashes and upload its attachments: ``(ok, records to post)``;
        not ok: an upload failed and the batch was handed back (``_fail``)."""
        dead: list[tuple[str, dict[str, Any]]] = []
        good: list[OutgoingRecord] = []
        for rec in batch:
            if rec.payload is None or payload_sha256(rec.payload) != rec.payload_sha256:
                dead.append((rec.id, {"code": "local_corruption",
                                      "message": "the stored payload no longer matches its hash"}))
            else:
                good.append(rec)
        if dead:
            self._alert("local_corruption", "records failed their hash check in the cache",
                        {"records": [d[0] for d in dead]})
        ok, good = self._upload_attachments(good, report, dead)
        if dead:
            self.cache.mark_dead(dead)
            report.dead_letters += len(dead)
            self._emit("dead_letter", count=len(dead))
        return ok, good

    def _upload_attachments(self, records: list[OutgoingRecord], report: SyncReport,
                            dead: list[tuple[str, dict[str, Any]]]) -> tuple[bool, list[OutgoingRecord]]:
        wanted = list(dict.fromkeys(s for r in records for s in r.attachments))
        if not wanted:
            return True, records
        meta = self.cache.attachment_meta(wanted)
        bad: dict[str, dict[str, Any]] = {}
        done: list[str] = []
        try:
            for sha in wanted:
                if sha not in meta:
                    bad[sha] = {"code": "attachment_missing_locally", "message": f"attachment {sha} is gone"}
                    continue
                content_type, uploaded = meta[sha]
                if uploaded:
                    continue
                try:
                    data = self.cache.read_attachment(sha)
                except AttachmentCorruptError as exc:
                    bad[sha] = {"code": "attachment_corrupt", "message": str(exc)}
                    continue
                try:
                    self.client.put_attachment(sha, data, content_type)
                    self._succeeded()
                except PlatformRefused as exc:
                    if exc.status == 413:
                        bad[sha] = {"code": "attachment_too_large", "message": exc.message}
                        continue
                    raise PlatformUnavailable(str(exc), status=exc.status) from exc
                done.append(sha)
                report.attachments_uploaded += 1
                crash_point("mid_attachment")
        except (PlatformUnavailable, PlatformAuthError) as exc:
            self.cache.mark_uploaded(done)
            self._fail(records, exc, report)
            return False, []
        self.cache.mark_uploaded(done)
        if bad:
            self._alert("attachment_problem", "attachments could not be uploaded",
                        {"attachments": {k: v["code"] for k, v in bad.items()}})
        keep = []
        for rec in records:
            reason = next((bad[s] for s in rec.attachments if s in bad), None)
            if reason:
                dead.append((rec.id, reason))
            else:
                keep.append(rec)
        return True, keep

    def _fail(self, records: list[OutgoingRecord], exc: Exception, report: SyncReport) -> None:
        """The request's outcome is unknown or refused for auth: give the records back."""
        ids = [r.id for r in records]
        if isinstance(exc, PlatformAuthError):
            self.auth_failed = True
            self.cache.release(ids, self.owner, next_attempt=0.0, error=str(exc), count_attempt=False)
            report.auth_failed = True
            report.error = str(exc)
            self.last_error, self.last_error_at = str(exc)[:300], now_iso()
            self._alert("platform_auth", "the platform refused this device's credentials; "
                        "syncing stopped, every record is kept", {"status": exc.status})
            self._emit("auth_failure", status=exc.status)
            return
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(exc, PlatformRedirected):
            self._alert("platform_redirect", "the platform URL answered with a redirect; it was not "
                        "followed (records would go to another host): check the platform URL",
                        {"status": exc.status, "location": exc.location[:200]})
        elif isinstance(exc, PlatformAnswerTooLarge):
            self._alert("platform_answer_too_large", "the platform's answer was over the size cap "
                        "and was not read; the records are kept and retried", {"status": exc.status})
        if isinstance(exc, PlatformUnavailable) and exc.retry_after_clamped:
            self._alert("retry_after_clamped", f"the platform asked for a pause of more than "
                        f"{MAX_RETRY_AFTER:.0f} s; waiting {MAX_RETRY_AFTER:.0f} s", {"status": exc.status})
        when = self._backoff(retry_after)
        # nothing left the kiosk on a TLS configuration problem: no attempt is counted
        self.cache.release(ids, self.owner, next_attempt=when, error=str(exc),
                           count_attempt=not isinstance(exc, PlatformTLSConfigError))
        report.retried += len(ids)
        report.error = str(exc)
        if isinstance(exc, PlatformTLSConfigError):
            self._tls_config_problem(str(exc))
        else:
            self._error(str(exc))

    def _post(self, records: list[OutgoingRecord], report: SyncReport, body: bytes = b"") -> bool:
        body = body or self.client.encode_batch([r.as_wire() for r in records])
        if len(body) > self.max_batch_bytes and len(records) > 1:
            half = len(records) // 2
            return self._post(records[:half], report) and self._post(records[half:], report)
        report.sent += len(records)
        return self._answered(records, lambda: self.client.post_batch(body), report)

    def _refused(self, records: list[OutgoingRecord], exc: PlatformRefused, report: SyncReport) -> bool:
        ids = [r.id for r in records]
        if exc.status == 409:
            reason = {"code": exc.code or "conflict", "message": exc.message}
            self.cache.mark_dead([(i, reason) for i in ids])
            report.dead_letters += len(ids)
            self._alert("conflict", "the platform answered 409 for a whole batch", {"records": len(ids)})
            self._emit("dead_letter", count=len(ids))
            return True
        if exc.status in (413, 400, 422):
            if len(records) > 1:  # split to find the record that does not fit or is malformed
                report.sent -= len(records)
                half = len(records) // 2
                return self._post(records[:half], report) and self._post(records[half:], report)
            code = "too_large" if exc.status == 413 else (exc.code or "malformed")
            self.cache.mark_dead([(ids[0], {"code": code, "message": exc.message})])
            report.dead_letters += 1
            if exc.status != 413:
                self._alert("malformed_request", "the platform refused a record as malformed; "
                            "it is in the dead letters", {"record_id": ids[0], "platform_code": code,
                                                          "status": exc.status})
            self._emit("dead_letter", count=1)
            return True
        # 404 and the like: a configuration problem (wrong base URL); keep everything, retry later
        self._alert("platform_refused", f"unexpected answer from the platform: {exc}")
        self._fail(records, PlatformUnavailable(str(exc), status=exc.status), report)
        return False

    def _apply(self, records: list[OutgoingRecord], results: dict[str, dict[str, Any]],
               report: SyncReport) -> bool:
        acks: list[tuple[str, str | None]] = []
        dead: list[tuple[str, dict[str, Any]]] = []
        again_now: list[str] = []
        unknown: list[OutgoingRecord] = []
        advisory: list[tuple[str, dict[str, Any]]] = []
        for rec in records:
            res = results.get(rec.id)
            if res is None:
                unknown.append(rec)
                continue
            status = res["status"]
            if status in ("accepted", "duplicate"):
                acks.append((rec.id, res.get("receipt_no")))
                if status == "accepted":
                    report.acked += 1
                else:
                    report.duplicates += 1
                self._missing_att.pop(rec.id, None)
                continue
            given = res.get("reason")
            # a reason that is not an object is still a rejection: keep the status as its code
            given = given if isinstance(given, dict) else {}
            reason = {"code": str(given.get("code", status)), "message": str(given.get("message", ""))}
            if status == "rejected" and reason["code"] == "missing_attachment" and rec.attachments:
                tries = self._missing_att.get(rec.id, 0) + 1
                self._missing_att[rec.id] = tries
                if tries <= MISSING_ATTACHMENT_RETRIES:
                    self.cache.mark_uploaded(rec.attachments, uploaded=False)
                    again_now.append(rec.id)
                    continue
            if status == "rejected" and reason["code"] == "unknown_kind" and rec.kind in ADVISORY_KINDS:
                advisory.append((rec.id, reason))  # an older platform: dropped, not a dead letter
                continue
            if status == "conflict":
                self._alert("conflict", "the platform holds a different payload under this id",
                            {"record_id": rec.id})
            dead.append((rec.id, reason))
        self.cache.mark_acked(acks)
        crash_point("after_ack")
        if acks:
            self._failures = 0
            self._tls_alerted = False
            self.last_success = now_iso()
        if dead:
            self.cache.mark_dead(dead)
            report.dead_letters += len(dead)
            self._emit("dead_letter", count=len(dead))
        if advisory:  # one step: never seen as a dead letter on the way (the technician's cache status)
            self.cache.mark_dropped(advisory, "the platform does not take this advisory kind (an older platform)")
        if again_now:
            self.cache.release(again_now, self.owner, next_attempt=0.0, error="missing_attachment")
        if unknown:
            message = f"{len(unknown)} record(s) missing from the platform's answer"
            if len(unknown) == len(records):
                self._fail(unknown, PlatformUnavailable(message), report)
                return False
            self.cache.release([r.id for r in unknown], self.owner,
                               next_attempt=self._mono() + self.backoff_base, error=message)
            report.retried += len(unknown)
        return True

    # --- background thread -----------------------------------------------------------------

    def run_forever(self) -> None:
        """Sync on every trigger until :meth:`stop`. Never raises: whatever a pass, a listener
        or the wait throws is logged for staff, alerted, and followed by backoff."""
        while not self._stopping.is_set():
            try:
                self._wake.clear()
                self.sync_once()
                wait = self._next_wait()
            except Exception as exc:  # a bug, a broken disk or a hostile answer must not kill it
                wait = self._survive(exc)
            self._wake.wait(wait)

    def _survive(self, exc: Exception) -> float:
        log.exception("sync pass failed")
        try:
            self._error(f"sync pass failed: {type(exc).__name__}: {str(exc)[:200]}")
            self._alert("sync_pass_failed", "a sync pass failed; retrying with backoff",
                        {"error": type(exc).__name__})
        except Exception:
            log.exception("the sync failure could not be reported")
        return min(max(0.01, self._backoff() - self._mono()), self.interval)

    def _next_wait(self) -> float:
        now = self._mono()
        wait = self.interval
        if self.auth_failed:
            return wait
        with contextlib.suppress(Exception):
            due = self.cache.next_due(now)
            if due is not None:
                wait = min(wait, due - now)
        wait = max(wait, self._not_before - now)
        # bounded: never handed to Event.wait beyond what threading accepts (OverflowError)
        return min(max(0.01, wait), MAX_RETRY_AFTER)

    def start(self) -> threading.Thread:
        """Run :meth:`run_forever` in a daemon thread named ``offline-sync``."""
        if self._thread and self._thread.is_alive():
            return self._thread
        problem = self.client.tls_problem()
        if problem:  # say so now, not only when the first record waits to be sent
            self._tls_config_problem(f"TLS configuration: {problem}")
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run_forever, name="offline-sync", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the loop after the current request (bounded by the request timeouts)."""
        self._stopping.set()
        self._wake.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def close(self) -> None:
        """Stop and let go of the cache trigger and the HTTP connections."""
        self.stop()
        self.cache.remove_enqueue_listener(self._on_enqueue)
        self.client.close()
        if self._poster is not None:
            self._poster.close()
