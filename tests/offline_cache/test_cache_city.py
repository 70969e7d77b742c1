"""The reference platform's city view (offline_cache/city.py) fed as halls feed it: records in a
hall's outbox (the offline cache), sent by its sync engine over loopback, read back through the
admin endpoint the city window uses. A late retry of an older fleet state changes nothing, an
alert's acknowledgement clears it, a hall unheard for 5 minutes is silent, districts filter; and a
platform.db from before the city tables is upgraded."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from cache_testlib import FAST, drain

from offline_cache.migrations import Schema, migrate
from offline_cache.platform_server import RunningPlatform
from offline_cache.platform_store import SCHEMA, PlatformStore
from offline_cache.pulls import load_sample_catalogue
from offline_cache.sync import SyncEngine


def fleet(hall: str, district: str, at: str, *, paper_out: bool = False) -> dict:
    printer = {"state": "error", "reason": "paper_out"} if paper_out else {"state": "ready"}
    return {"hall_id": hall, "hall": {"id": hall, "name": f"{hall} 大厅", "district": district, "at": at,
                                      "waiting": 4, "counters": 3, "counters_open": 2, "ratings": 10,
                                      "satisfied": 9, "bad": 1, "rectified": 1},
            "machines": [{"device": f"{hall}-k1", "kind": "kiosk", "version": "0.1.0", "silent": False,
                          "devices": {"printer": printer}, "problems": ["printer:paper_out"] if paper_out else []},
                         {"device": f"{hall}-tv", "kind": "display", "version": "0.1.1", "silent": False,
                          "devices": {}, "problems": []}]}


def test_the_city_keeps_each_halls_newest_state_and_its_open_alerts(platform: RunningPlatform, make_cache) -> None:
    cache = make_cache()
    sync = SyncEngine(cache, platform.base_url, platform.token, "hall-sg-1", **FAST)
    cache.enqueue("fleet_health", fleet("sg-1", "浈江区", "2026-12-02T10:01:00+08:00", paper_out=True))
    cache.enqueue("fleet_health", fleet("sg-2", "武江区", "2026-12-02T10:01:00+08:00"))
    cache.enqueue("alert", {"hall_id": "sg-1", "event_seq": 7, "event": "alert", "at": "2026-12-02T10:01:00+08:00",
                            "alert_id": 3, "alert_kind": "printer", "source": "sg-1-k1", "message": "paper out"})
    drain(sync)
    admin = platform.admin()
    city = admin.city()
    # by district, then name
    assert [h["id"] for h in city["halls"]] == ["sg-2", "sg-1"] and city["districts"] == ["武江区", "浈江区"]
    assert [(m["device"], m["problems"]) for m in city["machines"]] == [("sg-1-k1", ["printer:paper_out"])]
    assert city["halls"][1]["versions"] == {"0.1.0": 1, "0.1.1": 1} and city["halls"][1]["waiting"] == 4
    assert [a["alert_id"] for a in city["alerts"]] == [3]
    assert [h["id"] for h in admin.city("武江区")["halls"]] == ["sg-2"] and not admin.city("武江区")["alerts"]

    # the paper is refilled (newer state), then a retry of the older state arrives late
    cache.enqueue("fleet_health", fleet("sg-1", "浈江区", "2026-12-02T10:02:00+08:00"))
    drain(sync)
    cache.enqueue("fleet_health", fleet("sg-1", "浈江区", "2026-12-02T10:01:30+08:00", paper_out=True))
    cache.enqueue("alert", {"hall_id": "sg-1", "event_seq": 9, "event": "alert_ack", "at": "2026-12-02T10:02:00+08:00",
                            "alert_id": 3, "alert_kind": "printer", "source": "sg-1-k1"})
    drain(sync)
    city = admin.city()
    assert city["machines"] == [] and city["alerts"] == []
    detail = admin.city_hall("sg-1")
    assert detail["at"] == "2026-12-02T10:02:00+08:00" and len(detail["machines"]) == 2

    # nothing heard from the halls for five minutes (the platform's own clock)
    later = platform.store.city.overview(now=time.time() + 301)
    assert all(h["silent"] for h in later["halls"])
    assert {m["device"] for m in later["machines"]} == {"sg-1-k1", "sg-1-tv", "sg-2-k1", "sg-2-tv"}


def test_a_platform_db_from_before_the_city_is_upgraded(tmp_path: Path) -> None:
    data = tmp_path / "platform"
    data.mkdir()
    with sqlite3.connect(data / "platform.db", isolation_level=None) as conn:
        migrate(conn, Schema("platform store", SCHEMA.migrations[:1]))
        conn.execute("INSERT INTO records VALUES('r-00000001', 'k', 'rating', '', '{}', 'x', '[]', 'SG1', '', 0)")
    store = PlatformStore(data, load_sample_catalogue(), hall_key="k" * 64)
    try:
        assert store.get_record("r-00000001") is not None
        assert store.city.overview()["halls"] == []
    finally:
        store.close()
