"""国密 option: ``privacy.crypto_suite = "sm"`` seals personal fields and attachments with SM4-GCM
and keys the local ID-number HMAC with SM3. Every sealed blob says which suite sealed it, so a
cache written with AES keeps opening after the switch (and back).

Through the real files: a cache on disk, reopened by a new process-like ``OfflineCache`` with
the other suite; the kiosk's own cache through ``assemble_kiosk`` from a kiosk.toml."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.config import load_config
from offline_cache.store import OfflineCache

PERSON = {"name": "张三", "id_number": "11010519491231002X", "service_id": "S0101"}


def _blob_markers(db: Path) -> set[bytes]:
    with sqlite3.connect(db) as conn:
        return {row[0][:4] for row in conn.execute("SELECT payload_sealed FROM records") if row[0]}


def test_sealing_both_ways(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    with OfflineCache(db, crypto_suite="aes") as aes:
        old = aes.enqueue("application", PERSON, [(b"\xff\xd8 photo", "image/jpeg")])
    with OfflineCache(db, crypto_suite="sm") as sm:
        assert sm.payload(old) == PERSON  # AES records open under the SM suite
        assert [r.id for r in sm.find_by_id_number(PERSON["id_number"])] == [old]
        new = sm.enqueue("application", {**PERSON, "name": "李四"}, [(b"\xff\xd8 other", "image/jpeg")])
        sha_new = sm.get(new).attachments[0]
        assert sm.read_attachment(sha_new) == b"\xff\xd8 other"
    assert _blob_markers(db) == {b"OCS1", b"OCS2"}  # one AES-GCM, one SM4-GCM
    raw = (db.parent / "cache-attachments" / sha_new).read_bytes()
    assert raw[:4] == b"OCS2" and b"other" not in raw
    with OfflineCache(db, crypto_suite="aes") as back:  # and back again
        assert back.payload(new)["name"] == "李四"
        assert {r.id for r in back.find_by_id_number(PERSON["id_number"])} == {old, new}
        assert back.read_attachment(sha_new) == b"\xff\xd8 other"


def test_kiosk_cache_written_with_aes_opens_with_sm(tmp_path: Path) -> None:
    from kiosk.assembly import assemble_kiosk

    data = tmp_path / "data"
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'data_dir = "{data}"\n[platform]\nurl = "off"\n')
    first = assemble_kiosk(load_config(toml), start_devices=False)
    try:
        rid = first.cache.enqueue("application", PERSON)
    finally:
        first.stop()
    toml.write_text(f'data_dir = "{data}"\n[platform]\nurl = "off"\n[privacy]\ncrypto_suite = "sm"\n')
    config = load_config(toml)
    assert config.privacy.crypto_suite == "sm"
    second = assemble_kiosk(config, start_devices=False)
    try:
        assert second.cache.payload(rid) == PERSON
        rid2 = second.cache.enqueue("application", {**PERSON, "name": "王五"})
        assert second.cache.payload(rid2)["name"] == "王五"
    finally:
        second.stop()
    assert _blob_markers(data / "kiosk" / "offline-cache.db") == {b"OCS1", b"OCS2"}
