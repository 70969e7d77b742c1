"""Recovery of a quarantined cache file: every record SQLite can still read is re-enqueued in
the live cache under its original id, with its attachments, its personal fields re-sealed under
the live key. Records the platform already holds come back as ``duplicate`` — its permanent
de-duplication makes salvage safe to run more than once.

The damaged file is not read through its own b-trees (one bad interior page hides every row
below it): ``offline_cache.integrity.recover`` first copies every whole row into a scratch file
(page by page with the sqlite3 shell's ``.recover``, else row by row), and the records are read
from that copy. A record is only re-enqueued when its payload hash still matches, so a damaged
row is counted as failed, never sent."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from .integrity import recover
from .sealing import Sealer, canonical_json, join_personal

if TYPE_CHECKING:
    from .store import OfflineCache

log = logging.getLogger(__name__)


def _table(con: sqlite3.Connection, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.Error:  # the table itself was lost
        return []


def salvage(cache: OfflineCache, quarantined: Path, key: bytes | None = None) -> dict[str, int]:
    """Re-enqueue, under their original ids, the records still readable in a quarantined
    file (same key unless ``key`` given); returns found / imported / failed counts."""
    scratch = quarantined.with_name(quarantined.name + ".recovered")
    recover(quarantined, scratch)
    other = sqlite3.connect(scratch)
    sealer = Sealer(key) if key else cache._sealer
    found = imported = failed = 0
    try:
        types = {str(sha): str(ctype) for sha, ctype in
                 _table(other, "SELECT sha256, content_type FROM attachments")}
        rows = _table(other, "SELECT id, kind, payload_public, payload_sealed, payload_sha256, created_at "
                             "FROM records ORDER BY seq")
        for rid, kind, public, sealed, sha, created in rows:
            found += 1
            try:
                assert isinstance(rid, str) and isinstance(kind, str) and isinstance(public, str)
                if cache.get(rid) is not None:
                    continue  # salvaged before
                body = json.loads(public)
                if sealed:
                    assert isinstance(sealed, bytes)
                    body = join_personal(body, json.loads(sealer.open(sealed, "payload:" + rid)))
                if hashlib.sha256(canonical_json(body).encode()).hexdigest() != sha:
                    failed += 1
                    continue
                shas = [str(r[0]) for r in _table(
                    other, "SELECT sha256 FROM record_attachments WHERE record_id=? ORDER BY position", (rid,))]
                # The files survive beside the database (content-addressed, sealed): each is read
                # back against its hash and registered in the fresh file. A record is never sent
                # without a scan it had (AttachmentCorruptError: counted failed, file kept).
                atts = [(cache.read_attachment(s), types.get(s, "application/octet-stream")) for s in shas]
                cache.enqueue(kind, body, atts, record_id=rid,
                              created_at=created if isinstance(created, str) else None)
                imported += 1
            except Exception:
                log.warning("a record could not be salvaged", extra={"ctx": {"record_id": str(rid)}},
                            exc_info=True)
                failed += 1
    finally:
        other.close()
    log.warning("salvaged records from a quarantined cache",
                extra={"ctx": {"found": found, "imported": imported, "failed": failed}})
    return {"found": found, "imported": imported, "failed": failed}
