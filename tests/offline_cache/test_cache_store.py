"""The offline cache on its own: durability, attachments, encryption at rest (scanned on disk),
free-space reserve, quarantine of a corrupt file, retention purge."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from cache_testlib import ADDRESS, ID_NUMBER, NAME, application
from hypothesis import given, settings
from hypothesis import strategies as st

from offline_cache.sealing import (
    DEFAULT_PERSONAL_FIELDS,
    canonical_json,
    id_number_hash,
    join_personal,
    payload_sha256,
    split_personal,
)
from offline_cache.store import (
    AttachmentCorruptError,
    AttachmentTooLargeError,
    CacheFullError,
    OfflineCache,
    UnknownAttachmentError,
)


def test_enqueue_is_durable_and_keeps_its_id(make_cache, tmp_path: Path) -> None:
    cache = make_cache()
    payload = application(1)
    rid = cache.enqueue("application", payload)
    assert cache.pending_count() == 1
    info = cache.get(rid)
    assert info.state == "pending" and info.receipt_no is None
    assert info.payload_sha256 == payload_sha256(payload)
    cache.close()
    again = OfflineCache(tmp_path / "kiosk" / "cache.db")
    assert again.get(rid).payload_sha256 == payload_sha256(payload)
    assert again.payload(rid) == payload
    with sqlite3.connect(tmp_path / "kiosk" / "cache.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_canonical_json_matches_the_contract() -> None:
    obj = {"b": 1, "a": ["是", {"d": None, "c": 1.5}]}
    assert canonical_json(obj) == '{"a":["是",{"c":1.5,"d":null}],"b":1}'
    assert payload_sha256(obj) == __import__("hashlib").sha256(canonical_json(obj).encode()).hexdigest()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "id_number", "x", "form", "address", "n"]), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "id_number", "a", "form", "phone"]), json_values, max_size=5))
def test_split_and_join_personal_roundtrip(payload) -> None:
    public, sealed = split_personal(json.loads(json.dumps(payload)), DEFAULT_PERSONAL_FIELDS)
    assert "id_number" not in json.dumps([p for p, _ in sealed]) or sealed  # paths only, values sealed
    for path, _value in sealed:
        node = public
        for step in path[:-1]:
            node = node[step]
        assert node[path[-1]] is None
    assert join_personal(public, json.loads(json.dumps(sealed))) == payload


def test_personal_data_is_not_in_the_clear_anywhere(make_cache, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    cache = make_cache()
    photo = cache.add_attachment(("证件照 " + NAME).encode() * 50, "image/jpeg")
    ids = [cache.enqueue("application", application(i), [photo]) for i in range(20)]
    nested = cache.enqueue("complaint", {"text": "排队太久", "contact": {"name": NAME, "address": ADDRESS}})
    assert cache.payload(nested)["contact"]["address"] == ADDRESS
    assert cache.payload(ids[0])["id_number"] == ID_NUMBER
    assert cache.find_by_id_number(ID_NUMBER.lower())[0].id == ids[0]
    needles = [ID_NUMBER.encode(), NAME.encode(), ADDRESS.encode(), b"13800138000"]
    files = [p for p in (tmp_path / "kiosk").rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{needle!r} in clear in {path.name}"
    for needle in needles:
        assert needle.decode() not in caplog.text
    key = cache.key_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_id_hash_is_keyed_and_normalised(make_cache) -> None:
    cache = make_cache()
    assert cache.id_hash(ID_NUMBER) == cache.id_hash(" 11010519491231002x ")
    assert cache.id_hash(ID_NUMBER) != id_number_hash("other-key", ID_NUMBER)
    import hashlib
    import hmac
    assert id_number_hash("k", ID_NUMBER) == hmac.new(b"k", ID_NUMBER.encode(), hashlib.sha256).hexdigest()


def test_attachments_are_sealed_verified_and_limited(make_cache, tmp_path: Path) -> None:
    cache = make_cache(max_attachment_bytes=1000)
    sha = cache.add_attachment(b"x" * 900, "image/png")
    assert cache.read_attachment(sha) == b"x" * 900
    assert b"x" * 100 not in (cache.attachments_dir / sha).read_bytes()
    with pytest.raises(AttachmentTooLargeError, match="limit"):
        cache.add_attachment(b"y" * 1001)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"z" * 2000)
    with pytest.raises(AttachmentTooLargeError):
        cache.enqueue("application", {"a": 1}, [big])
    assert cache.pending_count() == 0
    with pytest.raises(UnknownAttachmentError):
        cache.enqueue("application", {"a": 1}, ["0" * 64])
    small = tmp_path / "scan.pdf"
    small.write_bytes(b"%PDF-1.4 scan")
    rid = cache.enqueue("application", {"a": 1}, [(small, "application/pdf"), b"raw bytes"])
    assert len(cache.get(rid).attachments) == 2
    path = cache.attachments_dir / sha
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(AttachmentCorruptError):
        cache.read_attachment(sha)


def test_disk_nearly_full_refuses_before_anything_is_stored(make_cache) -> None:
    free = {"bytes": 10**9}
    alerts = []
    cache = make_cache(free_space=lambda: free["bytes"], reserve_bytes=50 * 1024 * 1024,
                       on_alert=alerts.append)
    cache.enqueue("rating", {"level": "满意"})
    free["bytes"] = 50 * 1024 * 1024 + 100
    with pytest.raises(CacheFullError, match="NOT saved"):
        cache.enqueue("application", application())
    with pytest.raises(CacheFullError):
        cache.add_attachment(b"photo" * 100)
    assert cache.pending_count() == 1
    assert not any(cache.attachments_dir.iterdir())
    assert alerts and alerts[-1].code == "disk_nearly_full"
    free["bytes"] = 10**9
    cache.enqueue("application", application())
    assert cache.pending_count() == 2


def test_corrupt_file_is_quarantined_not_deleted_and_salvaged(make_cache, tmp_path: Path) -> None:
    cache = make_cache()
    ids = [cache.enqueue("application", application(i)) for i in range(30)]
    cache.close()
    db = tmp_path / "kiosk" / "cache.db"
    with sqlite3.connect(db) as conn:  # fold the WAL in so the main file holds the records
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    original = db.read_bytes()
    broken = bytearray(original)
    broken[:16] = b"garbage garbage!"  # the header: SQLite no longer recognises the file
    db.write_bytes(bytes(broken))
    alerts = []
    fresh = OfflineCache(db, on_alert=alerts.append)
    assert fresh.pending_count() == 0
    assert alerts[0].code == "cache_corrupt"
    assert len(fresh.quarantined) >= 1
    kept = fresh.quarantined[0]
    assert kept.exists() and kept.read_bytes() == bytes(broken)
    # the technician repairs the header from a backup copy and salvages: ids are preserved
    repaired = tmp_path / "repaired.db"
    repaired.write_bytes(original)
    result = fresh.salvage(repaired)
    assert result["imported"] == 30
    assert {r.id for r in fresh.records()} == set(ids)
    fresh.close()


def test_page_corruption_is_detected(make_cache, tmp_path: Path) -> None:
    cache = make_cache()
    for i in range(300):
        cache.enqueue("application", application(i, filler="填" * 200))
    cache.close()
    db = tmp_path / "kiosk" / "cache.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    for off in range(page * 3, min(len(data), page * 12), page):  # scribble over b-tree pages
        data[off:off + 64] = os.urandom(64)
    db.write_bytes(bytes(data))
    fresh = OfflineCache(db)
    assert [a.code for a in fresh.alerts] == ["cache_corrupt", "cache_salvaged"]
    salvaged = fresh.alerts[1].details["imported"]
    assert fresh.pending_count() == salvaged  # every whole record came back into the fresh file
    fresh.enqueue("rating", {"level": "满意"})
    assert fresh.pending_count() == salvaged + 1


def test_retention_purges_personal_data_and_logs_it(make_cache, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="offline_cache")
    cache = make_cache(retention_seconds=3600)
    photo = cache.add_attachment(b"photo-of-id-card" * 10, "image/jpeg")
    rid = cache.enqueue("application", application(), [photo])
    other = cache.enqueue("application", application(2))
    cache.mark_acked([(rid, "SG2026112300001")])
    assert cache.purge_expired()["records"] == 0
    result = cache.purge_expired(now=time.time() + 3601)
    assert result == {"records": 1, "attachments": 1}
    assert "personal data deleted" in caplog.text
    payload = cache.payload(rid)
    assert payload["id_number"] is None and payload["service_id"] == "S0101"
    assert cache.get(rid).personal_purged and cache.get(rid).receipt_no == "SG2026112300001"
    assert not (cache.attachments_dir / photo).exists()
    assert cache.payload(other)["id_number"] == ID_NUMBER  # not acked: kept


def test_dead_letter_retry_and_discard(make_cache) -> None:
    cache = make_cache()
    rid = cache.enqueue("application", application())
    cache.mark_dead([(rid, {"code": "unknown_kind", "message": "nope"})])
    assert [r.id for r in cache.dead_letters()] == [rid]
    assert cache.pending_count() == 0
    assert cache.retry(rid) and cache.get(rid).state == "pending"
    cache.mark_dead([(rid, {"code": "unknown_kind", "message": "nope"})])
    assert cache.discard(rid, "duplicate paper application") and cache.get(rid).state == "discarded"
    assert not cache.retry(rid)
    assert cache.get(rid).dead_reason["discarded"]["reason"] == "duplicate paper application"


def test_leases_keep_two_claimers_apart(make_cache, tmp_path: Path) -> None:
    a = make_cache()
    b = OfflineCache(tmp_path / "kiosk" / "cache.db")
    for i in range(10):
        a.enqueue("rating", {"i": i})
    now = time.monotonic()
    first = a.claim("A", now=now, lease_seconds=60, limit=6)
    second = b.claim("B", now=now, lease_seconds=60, limit=6)
    assert len(first) == 6 and len(second) == 4
    assert not {r.id for r in first} & {r.id for r in second}
    assert b.claim("B", now=now, lease_seconds=60) == []
    # an expired lease is taken over
    assert len(b.claim("B", now=now + 61, lease_seconds=60)) == 10
    b.close()


def test_a_busy_file_is_not_mistaken_for_a_corrupt_one(make_cache, tmp_path: Path) -> None:
    cache = make_cache()
    cache.enqueue("rating", {"level": "满意"})
    cache.close()
    db = tmp_path / "kiosk" / "cache.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # a rollback journal: readers are locked out
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError):
            OfflineCache(db, busy_timeout_ms=200)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = OfflineCache(db)
    assert not again.alerts and again.pending_count() == 1
    assert not list(db.parent.glob("cache.db.corrupt-*"))
    again.close()
