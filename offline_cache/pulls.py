"""Pulls from the platform kept for offline use: the catalogue (ETag / If-None-Match), a day's
appointments of a hall, and an application's status by receipt number. Each answer is stored
in the cache's SQLite file (``pulls`` table) with the time it was fetched, so a kiosk without a
link still shows the last answer and how old it is.

A hung platform (accepts, never answers) must not hold a citizen for the client's whole read
timeout: with ``wait_s`` set, each question runs on its own thread and the caller waits at most
that long, then gets the stored answer (``fresh=False``, with its age) or :class:`NotCachedError`.
The question keeps running in the background and stores its answer for the next caller; a second
caller of the same key joins the question already under way instead of asking again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .client import PlatformClient, PlatformError, PlatformRefused
from .sealing import id_number_hash
from .store import OfflineCache

log = logging.getLogger(__name__)


class NotCachedError(LookupError):
    """The platform is out of reach and no earlier answer is stored."""


@dataclass(frozen=True)
class Pulled:
    data: Any
    fetched_at: str  # wall clock, for people
    age_seconds: float
    fresh: bool  # True: fetched (or confirmed by 304) just now; False: an older stored answer
    error: str | None = None  # why the platform could not be asked, when not fresh


def load_sample_catalogue() -> dict[str, Any]:
    """The realistic sample catalogue shipped with the package (what the reference platform serves)."""
    text = resources.files("offline_cache").joinpath("data/sample_catalogue.json").read_text("utf-8")
    catalogue: dict[str, Any] = json.loads(text)
    return catalogue


@dataclass
class _Question:
    """One question to the platform under way on its own thread."""

    thread: threading.Thread | None = None
    answer: Pulled | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class PullCache:
    """Last answers of the platform's pulls, refreshed when it can be reached."""

    def __init__(self, cache: OfflineCache, client: PlatformClient, *, wait_s: float | None = None) -> None:
        self.cache = cache
        self.client = client
        self.wait_s = wait_s  # None: wait as long as the client's own timeouts
        self._asking: dict[str, _Question] = {}
        self._lock = threading.Lock()

    def _ask(self, key: str, fetch: Callable[[], Pulled]) -> Pulled:
        """``fetch()``, but never waiting longer than ``wait_s`` for it (see the module doc)."""
        if self.wait_s is None:
            return fetch()
        with self._lock:
            question = self._asking.get(key)
            if question is None:
                question = self._asking[key] = _Question()

                def run(q: _Question = question) -> None:
                    try:
                        q.answer = fetch()
                    except BaseException as exc:  # handed to whoever waits for this question
                        q.error = exc
                    finally:
                        with self._lock:
                            self._asking.pop(key, None)
                        q.done.set()

                question.thread = threading.Thread(target=run, name=f"pull-{key[:24]}", daemon=True)
                question.thread.start()
        if not question.done.wait(self.wait_s):
            log.warning("platform slow: answering from the stored copy", extra={"ctx": {"key": key.split(":")[0]}})
            return self._stored(key, f"no answer within {self.wait_s:g} s")
        if question.error is not None:
            raise question.error
        assert question.answer is not None
        return question.answer

    def _stored(self, key: str, error: str | None) -> Pulled:
        row = self.cache.pull_get(key)
        if row is None:
            raise NotCachedError(f"no stored answer for {key}; platform: {error}")
        body, _etag, fetched_at, fetched_ts = row
        return Pulled(json.loads(body), fetched_at, max(0.0, time.time() - fetched_ts), False, error)

    def _fresh(self, key: str) -> Pulled:
        body, _etag, fetched_at, _ts = self.cache.pull_get(key)  # type: ignore[misc]
        return Pulled(json.loads(body), fetched_at, 0.0, True)

    def stored(self, key: str) -> Pulled | None:
        """The stored answer for a key without asking the platform (None if never fetched)."""
        try:
            return self._stored(key, None)
        except NotCachedError:
            return None

    def catalogue(self, refresh: bool = True, *, patient: bool = False) -> Pulled:
        """``patient``: wait as long as the client does (a background caller, never a citizen)."""
        key = "catalogue"
        if not refresh:
            return self._stored(key, "not asked")
        return self._pull_catalogue() if patient else self._ask(key, self._pull_catalogue)

    def _pull_catalogue(self) -> Pulled:
        key = "catalogue"
        row = self.cache.pull_get(key)
        try:
            answer = self.client.get_catalogue(row[1] if row else None)
        except PlatformError as exc:
            return self._stored(key, str(exc))
        if answer.changed and answer.body is not None:
            self.cache.pull_put(key, json.dumps(answer.body, ensure_ascii=False), answer.etag)
            log.info("catalogue updated", extra={"ctx": {"version": answer.body.get("version"),
                                                         "etag": answer.etag}})
        else:
            self.cache.pull_touch(key)
        return self._fresh(key)

    def appointments(self, hall_id: str, date: str, refresh: bool = True, *, patient: bool = False) -> Pulled:
        key = f"appointments:{hall_id}:{date}"
        if not refresh:
            return self._stored(key, "not asked")
        if patient:
            return self._pull_appointments(key, hall_id, date)
        return self._ask(key, lambda: self._pull_appointments(key, hall_id, date))

    def _pull_appointments(self, key: str, hall_id: str, date: str) -> Pulled:
        try:
            body = self.client.get_appointments(hall_id, date)
        except PlatformError as exc:
            return self._stored(key, str(exc))
        self.cache.pull_put(key, json.dumps(body, ensure_ascii=False), None)
        return self._fresh(key)

    def appointments_for_id(self, hall_id: str, date: str, hall_key: str, id_number: str,
                            refresh: bool = True) -> tuple[list[dict[str, Any]], Pulled]:
        """Appointments of the day that belong to a swiped ID card (matched by HMAC)."""
        pulled = self.appointments(hall_id, date, refresh)
        digest = id_number_hash(hall_key, id_number)
        mine = [a for a in pulled.data.get("appointments", []) if a.get("id_number_hash") == digest]
        return mine, pulled

    def appointment_by_code(self, hall_id: str, date: str, code: str,
                            refresh: bool = True) -> tuple[dict[str, Any] | None, Pulled]:
        pulled = self.appointments(hall_id, date, refresh)
        found = next((a for a in pulled.data.get("appointments", []) if a.get("code") == code), None)
        return found, pulled

    def application_status(self, receipt_no: str, refresh: bool = True) -> Pulled:
        key = f"application:{receipt_no}"
        if not refresh:
            return self._stored(key, "not asked")
        return self._ask(key, lambda: self._pull_application(key, receipt_no))

    def _pull_application(self, key: str, receipt_no: str) -> Pulled:
        try:
            body = self.client.get_application(receipt_no)
        except PlatformRefused as exc:
            if exc.status == 404:
                raise  # the platform says there is no such case: not an offline situation
            return self._stored(key, str(exc))
        except PlatformError as exc:
            return self._stored(key, str(exc))
        self.cache.pull_put(key, json.dumps(body, ensure_ascii=False), None)
        return self._fresh(key)
