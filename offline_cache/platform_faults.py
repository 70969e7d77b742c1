"""Fault injection of the reference platform, switchable at runtime (admin endpoint) or at start
(``--fault``). A rule names a fault, where it applies (path prefix, method), and how often:
``rate`` (probability per request) and/or ``times`` (how many requests it hits, then it is
spent); ``record_id`` limits a rule to batches that carry that record (a platform that chokes
on one record of a batch). The first rule that fires decides a request; no rule firing means a
normal answer.

Faults before the request is applied (nothing stored):
  ``error`` (5xx, ``status`` default 500), ``rate_limit`` (429 or ``status`` 503 with
  ``Retry-After: retry_after``; ``http_date: true`` sends a date), ``html`` (200 HTML page),
  ``empty`` (200, empty body), ``wrong_ids`` (200 listing ids that were not sent),
  ``conflict`` (409), ``too_large`` (413; with ``max_records`` only batches above that size),
  ``bad_request`` (400, or ``status`` 422), ``unauthorized`` (401), ``forbidden`` (403),
  ``reset`` (TCP reset), ``hang`` (no answer for ``seconds``, then close), ``delay`` (sleep
  ``seconds`` then answer normally), ``raw`` (answer ``status`` with ``body`` as given, with
  ``content_type``: any answer an integrator wants to try).
Hostile answers (issue 14; a client must neither stop, stall, leak nor bloat):
  ``rate_limit`` with ``retry_after_header`` sends that header text verbatim (e.g.
  ``99999999999`` or ``Fri, 31 Dec 9999 23:59:59 GMT``); ``redirect`` (``status`` default 307 to
  ``location``: a client that follows it hands the batch to another host); ``huge`` (200 JSON
  of ``size`` bytes, streamed: a client that reads it whole takes that much memory).
Faults after the batch was committed (the client cannot know it was stored):
  ``lose_after_commit`` (close without an answer), ``truncate`` (half the body, then close),
  ``error_after_commit`` (500), ``partial`` (only every other result listed).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

PRE = frozenset({"error", "rate_limit", "html", "empty", "wrong_ids", "conflict", "too_large",
                 "bad_request", "unauthorized", "forbidden", "reset", "hang", "delay", "raw",
                 "redirect", "huge"})
POST = frozenset({"lose_after_commit", "truncate", "error_after_commit", "partial"})
FAULTS = PRE | POST


@dataclass
class FaultRule:
    fault: str
    rate: float = 1.0
    times: int | None = None
    path: str = "/v1/records"
    method: str | None = None
    status: int | None = None
    retry_after: float = 1.0
    http_date: bool = False
    seconds: float = 1.0
    max_records: int | None = None
    record_id: str | None = None
    body: str = ""
    content_type: str = "application/json"
    retry_after_header: str | None = None
    location: str = "http://127.0.0.1:9/v1/records:batch"
    size: int = 300 * 1024 * 1024

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rule = cls(**data)
        if rule.fault not in FAULTS:
            raise ValueError(f"unknown fault {rule.fault!r}; known: {sorted(FAULTS)}")
        if not 0.0 <= rule.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        return rule


class FaultSet:
    """The live rules of a running platform (thread-safe)."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.rules: list[FaultRule] = list(rules or [])
        self.fired: dict[str, int] = {}

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self.rules = list(rules)
            if seed is not None:
                self._rng = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        self.replace([])

    def pick(self, method: str, path: str, n_records: int | None = None,
             record_ids: frozenset[str] = frozenset()) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if not path.startswith(rule.path) or (rule.method and rule.method.upper() != method):
                    continue
                if rule.record_id is not None and rule.record_id not in record_ids:
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.fault == "too_large" and rule.max_records is not None and \
                        (n_records is None or n_records <= rule.max_records):
                    continue
                if self._rng.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                self.fired[rule.fault] = self.fired.get(rule.fault, 0) + 1
                return rule
        return None

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"rules": [asdict(r) for r in self.rules], "fired": dict(self.fired)}
