"""Whatever a platform answers to a batch, the engine neither crashes, nor acks what the answer
did not confirm, nor leaves leases behind (hypothesis generates the answers; the reference
platform serves them verbatim through its ``raw`` fault)."""

from __future__ import annotations

import itertools
import json

from cache_testlib import FAST
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offline_cache.platform_faults import FaultRule
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine

_counter = itertools.count()
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
result_item = st.fixed_dictionaries(
    {"id": st.sampled_from(["R0", "R1", "R2", "other", ""]) | st.integers(),
     "status": st.sampled_from(["accepted", "duplicate", "rejected", "conflict", "ok", None])},
    optional={"receipt_no": json_scalars, "reason": st.none() | st.fixed_dictionaries(
        {"code": st.sampled_from(["missing_attachment", "invalid", "x"])}) | json_scalars})
answers = st.one_of(
    st.fixed_dictionaries({"results": st.lists(result_item, max_size=6)}),
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
    st.lists(json_scalars, max_size=3),
    json_scalars,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers, status=st.sampled_from([200, 201, 202]), mangle=st.booleans())
def test_any_answer_is_handled_safely(platform, tmp_path, answer, status, mangle) -> None:
    cache = OfflineCache(tmp_path / f"c{next(_counter)}.db")
    ids = [cache.enqueue("rating", {"level": "满意", "i": i}) for i in range(3)]
    alias = {f"R{i}": rid for i, rid in enumerate(ids)}
    if isinstance(answer, dict) and isinstance(answer.get("results"), list):
        for item in answer["results"]:
            item["id"] = alias.get(item["id"], item["id"])
    body = json.dumps(answer, ensure_ascii=False)
    if mangle:
        body = body[: len(body) // 2]
    platform.faults.replace([FaultRule("raw", status=status, body=body, times=1)])
    engine = SyncEngine(cache, platform.base_url, platform.token, "kiosk-x",
                        **{**FAST, "backoff_base": 100.0, "backoff_cap": 100.0})
    try:
        engine.sync_once()
        confirmed = set()
        if not mangle and isinstance(answer, dict) and isinstance(answer.get("results"), list):
            confirmed = {r["id"] for r in answer["results"]
                         if isinstance(r, dict) and r.get("status") in ("accepted", "duplicate")}
        counts = cache.counts()
        assert counts["inflight"] == 0
        for rid in ids:
            if cache.get(rid).state == "acked":
                assert rid in confirmed
            listed = isinstance(answer, dict) and not mangle and any(
                isinstance(r, dict) and r.get("id") == rid and r.get("status") in
                ("accepted", "duplicate", "rejected", "conflict") for r in answer.get("results") or [])
            if not listed:
                assert cache.get(rid).state == "pending"
    finally:
        engine.close()
        cache.close()
        platform.faults.clear()
