"""Damage in a real kiosk cache file, synced to the real reference platform.

200 bytes flipped in the ``records_due`` index (the case of each entry's ``pending``) pass
``quick_check``; before this was fixed the kiosk went on confirming applications while every sync
pass failed "database disk image is malformed", nothing reached the platform and nobody was told.
Now the full ``integrity_check`` (at start, hourly, and after any SQLITE_CORRUPT) finds it, the file is set
aside (kept), an alert is raised and every whole record — with its attachments — is salvaged into a
fresh file and synced. A file cut short salvages every record before the cut."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from cache_testlib import application, drain

from offline_cache.store import OfflineCache

PAGE = 4096


def _checkpointed(db: Path) -> None:
    with sqlite3.connect(db) as conn:  # fold the WAL in: the main file holds every record
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _flip_due_index(db: Path, n: int = 200) -> int:
    with sqlite3.connect(db) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='records_due'").fetchone()[0]
    data = bytearray(db.read_bytes())
    base, flipped, i = (root - 1) * PAGE, 0, 0
    page = bytes(data[base:base + PAGE])
    while flipped < n:
        j = page.find(b"pending", i)
        assert j >= 0, "fewer index entries than expected"
        for k in range(1, 5):
            data[base + j + k] ^= 0x20  # pending -> pENDINg: still text, no longer the key
            flipped += 1
        i = j + 7
    db.write_bytes(bytes(data))
    return flipped


def _fill(cache: OfflineCache, n: int) -> tuple[list[str], dict[str, list[str]]]:
    ids, atts = [], {}
    for i in range(n):
        files = [cache.add_attachment(f"scan {i} ".encode() * 50, "image/jpeg")] if i % 10 == 0 else []
        rid = cache.enqueue("application", application(i), files)
        ids.append(rid)
        atts[rid] = files
    return ids, atts


def test_flipped_bytes_in_a_kiosk_cache_are_found_quarantined_salvaged_and_synced(
    make_cache, make_engine, platform, tmp_path: Path
) -> None:
    cache = make_cache()
    ids, atts = _fill(cache, 61)
    cache.close()
    db = tmp_path / "kiosk" / "cache.db"
    _checkpointed(db)
    assert _flip_due_index(db) == 200
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"  # the damage hides from it

    alerts: list = []
    kiosk = OfflineCache(db, on_alert=alerts.append)  # the kiosk starts on the damaged file
    try:
        assert "cache_corrupt" in [a.code for a in alerts]
        assert list(db.parent.glob("cache.db.corrupt-*"))  # set aside, kept
        new = kiosk.enqueue("application", application(99))  # a citizen confirms afterwards
        drain(make_engine(kiosk))
        stored = {r["id"]: r for r in platform.store.list_records()}
        for rid in [*ids, new]:
            assert rid in stored, rid
            assert kiosk.get(rid).state == "acked"
            assert list(kiosk.get(rid).attachments) == atts.get(rid, [])
        for shas in atts.values():
            for sha in shas:
                assert platform.store.has_attachment(sha)
    finally:
        kiosk.close()


def test_damage_under_a_running_kiosk_is_found_by_the_periodic_check(
    make_cache, make_engine, platform, tmp_path: Path
) -> None:
    alerts: list = []
    cache = make_cache(on_alert=alerts.append, integrity_check_seconds=1.0)
    ids, _ = _fill(cache, 61)
    db = tmp_path / "kiosk" / "cache.db"
    _checkpointed(db)  # another connection (a technician's `cache status`) checkpoints the WAL
    _flip_due_index(db)  # the disk damages the file while the kiosk runs
    engine = make_engine(cache)
    time.sleep(1.1)  # the damage hides from every query: the periodic full check finds it
    drain(engine, timeout=30)
    assert "cache_corrupt" in [a.code for a in alerts]
    stored = {r["id"] for r in platform.store.list_records()}
    assert set(ids) <= stored


def test_a_truncated_cache_salvages_every_record_before_the_cut(make_cache, tmp_path: Path) -> None:
    cache = make_cache()
    ids, _ = _fill(cache, 60)
    cache.close()
    db = tmp_path / "kiosk" / "cache.db"
    _checkpointed(db)
    original = db.read_bytes()
    end = len(original) * 2 // 3 // PAGE * PAGE  # cut on a page boundary, two thirds in
    cut = tmp_path / "cut.db"
    cut.write_bytes(original[:end])
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, payload_sha256 FROM records").fetchall()
    # A record lies before the cut when its row does: its payload hash (stored only in its row,
    # in the same page as the rest of it) is found in the bytes that were kept.
    before = {rid for rid, sha in rows if 0 <= original.find(sha.encode()) < end - 64}
    assert 0 < len(before) < len(ids)
    # the technician salvages on the same kiosk: its key, its attachment files
    fresh = make_cache("fresh.db", key_path=db.with_name("cache.db.key"),
                       attachments_dir=db.with_name("cache-attachments"))
    result = fresh.salvage(cut)
    kept = {r.id for r in fresh.records()}
    assert kept == before
    assert result["imported"] == len(before)
