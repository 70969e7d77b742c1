"""The sync engine against a real reference platform on loopback, with the platform's fault
mode switched on at runtime. Every test ends on the invariant: every record the cache accepted
is on the platform exactly once with the same payload hash."""

from __future__ import annotations

import threading
import time

import pytest
from cache_testlib import FAST, application, assert_exactly_once, drain

from offline_cache.client import parse_retry_after
from offline_cache.platform_faults import FaultRule
from offline_cache.platform_server import start_reference_platform
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine


def fill(cache, n: int, attachments_every: int = 0) -> tuple[list[str], dict[str, dict]]:
    ids, payloads = [], {}
    for i in range(n):
        payload = application(i)
        atts = [cache.add_attachment(f"scan {i}".encode() * 100, "image/jpeg")] \
            if attachments_every and i % attachments_every == 0 else []
        rid = cache.enqueue("application", payload, atts)
        ids.append(rid)
        payloads[rid] = payload
    return ids, payloads


def test_drain_uploads_attachments_first_and_keeps_receipts(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 250, attachments_every=25)
    events = []
    engine = make_engine(cache)
    engine.add_listener(events.append)
    report = engine.sync_once()
    assert (report.sent, report.acked, report.duplicates, report.dead_letters) == (250, 250, 0, 0)
    assert report.attachments_uploaded == 10 and report.still_pending == 0
    assert_exactly_once(cache, platform, ids, payloads)
    assert platform.store.stats()["attachments"] == 10
    assert cache.get(ids[0]).receipt_no.startswith("SG")
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and "progress" in kinds and kinds[-1] == "success"
    assert events[-1].health.pending == 0 and events[-1].health.last_success


@pytest.mark.parametrize("fault", ["lose_after_commit", "truncate", "error_after_commit", "partial"])
def test_lost_answers_after_commit_never_duplicate(platform, make_cache, make_engine, fault) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 230)
    platform.admin().set_faults([{"fault": fault, "times": 2}])
    engine = make_engine(cache)
    reports = drain(engine)
    assert sum(r.retried for r in reports) > 0
    assert sum(r.duplicates for r in reports) > 0  # the retry found them already stored
    assert sum(r.acked + r.duplicates for r in reports) >= 230
    assert_exactly_once(cache, platform, ids, payloads)
    assert platform.admin().stats()["faults"]["fired"][fault] == 2


@pytest.mark.parametrize("rule", [
    {"fault": "error", "times": 2},
    {"fault": "error", "status": 503, "times": 1},
    {"fault": "reset", "times": 2},
    {"fault": "hang", "seconds": 1.5, "times": 1},
    {"fault": "html", "times": 2},
    {"fault": "empty", "times": 1},
    {"fault": "wrong_ids", "times": 1},
    {"fault": "error", "rate": 0.3},
], ids=lambda r: f"{r['fault']}-{r.get('status', '')}{r.get('rate', '')}")
def test_transient_failures_are_retried(platform, make_cache, make_engine, rule) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 150, attachments_every=30)
    platform.faults.replace([FaultRule.from_dict(rule)], seed=7)
    engine = make_engine(cache)
    first = engine.sync_once()
    assert first.error is not None and first.retried > 0
    assert engine.health().last_error
    if rule.get("rate"):
        platform.faults.clear()  # a flaky link comes back
    reports = drain(engine)
    assert_exactly_once(cache, platform, ids, payloads)
    assert not any(r.dead_letters for r in [first, *reports])


def test_attachment_upload_failures_are_retried(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 20, attachments_every=2)
    platform.faults.replace([FaultRule("reset", path="/v1/attachments", times=3),
                             FaultRule("error", path="/v1/attachments", rate=1.0, times=2)])
    engine = make_engine(cache)
    drain(engine)
    assert_exactly_once(cache, platform, ids, payloads)
    assert platform.store.stats()["attachments"] == 10


def test_409_dead_letters_the_batch_with_an_alert(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    ids, _ = fill(cache, 5)
    platform.faults.replace([FaultRule("conflict", times=1)])
    engine = make_engine(cache)
    report = engine.sync_once()
    assert report.dead_letters == 5 and cache.pending_count() == 0
    assert {r.id for r in cache.dead_letters()} == set(ids)
    assert cache.dead_letters()[0].dead_reason["code"] == "conflict"
    assert any(a.code == "conflict" for a in cache.alerts)
    assert platform.store.stats()["records"] == 3  # only the platform's samples


def test_same_id_different_payload_is_a_conflict(platform, make_cache, make_engine) -> None:
    first = make_cache("a.db")
    rid = first.enqueue("application", application(1))
    drain(make_engine(first))
    second = make_cache("b.db")
    second.enqueue("application", application(2), record_id=rid)
    report = make_engine(second).sync_once()
    assert report.dead_letters == 1
    assert second.get(rid).dead_reason["code"] == "payload_mismatch"
    assert platform.store.get_record(rid)["payload"] == application(1)


def test_413_splits_and_dead_letters_a_single_oversized_record(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 60)
    huge = cache.enqueue("stats", {"blob": "x" * (1024 * 1024 + 10)})
    platform.faults.replace([FaultRule("too_large", max_records=7)])
    engine = make_engine(cache)
    drain(engine)
    assert_exactly_once(cache, platform, ids, payloads)
    assert cache.get(huge).state == "dead" and cache.get(huge).dead_reason["code"] == "too_large"


def test_401_stops_keeps_everything_and_resumes_with_new_credentials(platform, make_cache) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 40)
    events = []
    engine = SyncEngine(cache, platform.base_url, "revoked-token", "kiosk-test", **FAST)
    engine.add_listener(events.append)
    report = engine.sync_once()
    assert report.auth_failed and cache.pending_count() == 40
    assert cache.counts()["inflight"] == 0 and not cache.dead_letters()
    assert engine.health().auth_failed
    assert any(e.kind == "auth_failure" for e in events)
    assert any(a.code == "platform_auth" for a in cache.alerts)
    assert engine.sync_once().sent == 0  # stopped: nothing is sent until a technician acts
    engine.set_token(platform.token)
    drain(engine)
    assert_exactly_once(cache, platform, ids, payloads)
    engine.close()


def test_injected_403_also_stops(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    fill(cache, 3)
    platform.faults.replace([FaultRule("forbidden")])
    engine = make_engine(cache)
    assert engine.sync_once().auth_failed
    platform.faults.clear()
    engine.sync_now()
    drain(engine)


def test_retry_after_is_honoured_on_the_monotonic_clock(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 10)
    platform.faults.replace([FaultRule("rate_limit", retry_after=1, times=1)])
    engine = make_engine(cache)
    t0 = time.monotonic()
    first = engine.sync_once()
    assert first.retried == 10
    assert engine.health().retry_in_seconds >= 0.5
    waiting = engine.sync_once()
    assert waiting.sent == 0 and "waiting" in waiting.error
    engine.sync_now()  # even a technician's "sync now" respects Retry-After
    assert engine.sync_once().sent == 0
    deadline = time.monotonic() + 10
    while cache.pending_count() and time.monotonic() < deadline:
        engine.sync_once()
        time.sleep(0.05)
    assert time.monotonic() - t0 >= 1.0
    assert_exactly_once(cache, platform, ids, payloads)


def test_parse_retry_after_http_date() -> None:
    from email.utils import formatdate

    assert parse_retry_after("120") == 120
    assert 55 <= parse_retry_after(formatdate(time.time() + 60, usegmt=True)) <= 61
    assert parse_retry_after("soon") is None


def test_wall_clock_jumps_do_not_move_the_schedule(platform, make_cache, monkeypatch) -> None:
    cache = make_cache()
    ids, payloads = fill(cache, 20)
    fake = {"now": 1000.0}
    engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-test",
                        **{**FAST, "backoff_base": 5.0, "backoff_cap": 5.0}, monotonic=lambda: fake["now"])
    platform.faults.replace([FaultRule("error", times=1)])
    assert engine.sync_once().retried == 20
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 365 * 86400)  # NTP jumps a year ahead
    # backoff (≤ 5 s on the monotonic clock) is not over: the wall clock jump changes nothing
    if engine.health().retry_in_seconds:
        assert engine.sync_once().sent == 0
    monkeypatch.setattr(time, "time", lambda: real_time() - 365 * 86400)  # and a year back
    fake["now"] += 5.01
    drain(engine)
    assert_exactly_once(cache, platform, ids, payloads)
    engine.close()


def test_two_senders_in_threads_never_send_the_same_record(platform, make_cache, tmp_path) -> None:
    cache_a = make_cache()
    ids, payloads = fill(cache_a, 600)
    cache_b = OfflineCache(tmp_path / "kiosk" / "cache.db")
    engines = [SyncEngine(c, platform.base_url, platform.token, f"kiosk-{n}", **{**FAST, "batch_size": 20})
               for n, c in (("a", cache_a), ("b", cache_b), ("c", cache_a))]
    errors = []

    def run(engine: SyncEngine) -> None:
        try:
            deadline = time.monotonic() + 20
            while engine.cache.pending_count() and time.monotonic() < deadline:
                engine.sync_once()
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert_exactly_once(cache_a, platform, ids, payloads)
    ingest = platform.store.stats()["ingest"]
    assert ingest.get("duplicate", 0) == 0  # leases: no record was ever sent twice
    for e in engines:
        e.close()
    cache_b.close()


def test_missing_attachment_on_the_platform_is_uploaded_again(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    photo = cache.add_attachment(b"id card photo" * 50, "image/jpeg")
    first = cache.enqueue("application", application(1), [photo])
    engine = make_engine(cache)
    drain(engine)
    (platform.store.attachments_dir / photo).unlink()  # the platform lost it
    second = cache.enqueue("application", application(2), [photo])
    drain(engine)
    assert_exactly_once(cache, platform, [first, second])
    assert platform.store.has_attachment(photo)


def test_rejected_records_become_dead_letters_with_reason(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    good = cache.enqueue("rating", {"level": "非常满意"})
    bad = cache.enqueue("selfie", {"x": 1})
    engine = make_engine(cache)
    report = engine.sync_once()
    assert report.acked == 1 and report.dead_letters == 1
    assert cache.get(bad).dead_reason["code"] == "unknown_kind"
    assert cache.get(good).state == "acked"
    assert engine.health().dead_letters == 1


def test_locally_corrupted_payload_is_dead_lettered_not_sent(platform, make_cache, make_engine) -> None:
    cache = make_cache()
    rid = cache.enqueue("rating", {"level": "满意"})
    cache._conn.execute("UPDATE records SET payload_public=? WHERE id=?", ('{"level":"不满意"}', rid))
    report = make_engine(cache).sync_once()
    assert report.dead_letters == 1 and cache.get(rid).dead_reason["code"] == "local_corruption"
    assert platform.store.get_record(rid) is None


def test_background_sync_resumes_when_the_platform_comes_back(platform, make_cache, tmp_path) -> None:
    cache = make_cache()
    port = int(platform.base_url.rsplit(":", 1)[1])
    platform.stop()
    events = []
    engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-test", **FAST)
    engine.add_listener(events.append)
    engine.start()
    ids, payloads = fill(cache, 30)
    deadline = time.monotonic() + 10
    while not engine.health().last_error and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.health().last_error and cache.pending_count() == 30
    back = start_reference_platform(tmp_path / "platform", port=port)
    try:
        deadline = time.monotonic() + 15
        while cache.pending_count() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.pending_count() == 0
        late = cache.enqueue("rating", {"level": "满意"})  # a new record triggers a send
        deadline = time.monotonic() + 10
        while cache.get(late).state != "acked" and time.monotonic() < deadline:
            time.sleep(0.02)
        engine.stop()
        assert_exactly_once(cache, back, [*ids, late], payloads | {late: {"level": "满意"}})
        assert any(e.kind == "success" for e in events) and any(e.kind == "error" for e in events)
    finally:
        engine.close()
        back.stop()


def test_no_personal_data_in_files_or_logs_after_a_faulty_sync(platform, make_cache, make_engine,
                                                               tmp_path, caplog) -> None:
    import logging

    from cache_testlib import ADDRESS, ID_NUMBER, NAME

    caplog.set_level(logging.DEBUG)
    cache = make_cache()
    ids, payloads = fill(cache, 120, attachments_every=10)
    cache.enqueue("selfie", application(999))  # rejected: its reason is logged and stored
    platform.faults.replace([FaultRule("truncate", times=1), FaultRule("error", times=1),
                             FaultRule("reset", path="/v1/attachments", times=1)])
    drain(make_engine(cache))
    assert_exactly_once(cache, platform, ids, payloads)
    files = [p for p in (tmp_path / "kiosk").rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for needle in (ID_NUMBER, NAME, ADDRESS, "13800138000"):
        for path in files:
            assert needle.encode() not in path.read_bytes(), (needle, path.name)
        assert needle not in caplog.text


def test_engine_purges_personal_data_after_the_retention_window(platform, make_cache, make_engine) -> None:
    cache = make_cache(retention_seconds=0)
    photo = cache.add_attachment(b"id card" * 40, "image/jpeg")
    rid = cache.enqueue("application", application(), [photo])
    engine = make_engine(cache, purge_interval=0)
    drain(engine)
    engine.sync_once()  # the next pass purges what is acked and past retention
    assert cache.get(rid).personal_purged and cache.payload(rid)["name"] is None
    assert not (cache.attachments_dir / photo).exists()
    assert platform.store.get_record(rid)["payload"]["name"] == application()["name"]


def test_a_failed_batch_hands_back_the_next_one_already_leased(platform, make_cache, make_engine) -> None:
    """While the platform answers a batch, the engine leases the next one and uploads its
    attachments (issue 16). When that answer is a 503 the pass stops: the failed batch is
    retried with backoff as always, the next one goes back to pending as if never claimed (no
    attempt counted), nothing is left in flight, and a later pass sends everything once."""
    cache = make_cache()
    ids = [cache.enqueue("application", application(i), [(f"scan {i}".encode() * 64, "image/png")] if i == 25 else [])
           for i in range(40)]
    platform.faults.replace([FaultRule("error", status=503, times=1, record_id=ids[10])])
    engine = make_engine(cache, batch_size=10)
    report = engine.sync_once()
    assert (report.acked, report.retried, report.batches) == (10, 10, 3)
    assert cache.counts()["inflight"] == 0
    assert [cache.get(i).attempts for i in ids[10:30:10]] == [1, 0]  # the failed batch, the one after
    assert platform.store.has_attachment(cache.get(ids[25]).attachments[0])  # sent ahead of its batch
    drain(engine)
    assert_exactly_once(cache, platform, ids)
    assert platform.store.stats()["ingest"].get("duplicate", 0) == 0
