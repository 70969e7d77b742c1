"""Recovery of a quarantined cache file: every record SQLite can still read is re-enqueued in
the live cache under its original id, with its personal fields re-sealed under the live key.
Records the platform already holds come back as ``duplicate`` — its permanent de-duplication
makes salvage safe to run more than once."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from pathlib import Path

from .sealing import Sealer, canonical_json, join_personal
from .store import OfflineCache

log = logging.getLogger(__name__)


def salvage(cache: OfflineCache, quarantined: Path, key: bytes | None = None) -> dict[str, int]:
    """Re-enqueue, under their original ids, the records still readable in a quarantined
    file (same key unless ``key`` given). Records the platform already holds come back as
    ``duplicate`` — the platform's permanent de-duplication makes this safe."""
    other = sqlite3.connect(f"file:{quarantined}?mode=ro", uri=True)
    sealer = Sealer(key) if key else cache._sealer
    found = imported = failed = 0
    try:
        rows = other.execute("SELECT id, kind, payload_public, payload_sealed, payload_sha256, "
                             "created_at, state FROM records ORDER BY seq")
        while True:
            try:
                row = rows.fetchone()
            except sqlite3.DatabaseError:
                failed += 1
                break
            if row is None:
                break
            found += 1
            rid, kind, public, sealed, sha, created, _state = row
            try:
                body = json.loads(public)
                if sealed:
                    body = join_personal(body, json.loads(sealer.open(sealed, "payload:" + rid)))
                if cache.get(rid) is not None:
                    continue
                atts = [r[0] for r in other.execute(
                    "SELECT sha256 FROM record_attachments WHERE record_id=? ORDER BY position",
                    (rid,))]
                if hashlib.sha256(canonical_json(body).encode()).hexdigest() != sha:
                    failed += 1
                    continue
                cache.enqueue(kind, body, [a for a in atts if cache._attachment_file(a).exists()],
                             record_id=rid, created_at=created)
                imported += 1
            except Exception:
                failed += 1
    except sqlite3.DatabaseError:
        failed += 1
    finally:
        other.close()
    log.warning("salvaged records from a quarantined cache",
                extra={"ctx": {"found": found, "imported": imported, "failed": failed}})
    return {"found": found, "imported": imported, "failed": failed}
