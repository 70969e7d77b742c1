"""The HTTP API against a real ``python main.py hall-server`` process: contract shapes, roles,
error shapes, rules as 409s, bad input as 4xx (never 5xx), and SSE with ``?token=``."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from queueing.client import HallClient, HallServiceError, HallUnavailable

TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.usefixtures("store")  # a hall-server on each store (conftest.py)


@pytest.fixture
def clients(server):
    return {r: HallClient(server.base_url, server.token(r)) for r in ("kiosk", "counter", "display", "admin")}


def err(fn, *a, **kw) -> tuple[int, str]:
    with pytest.raises(HallServiceError) as info:
        fn(*a, **kw)
    return info.value.status, info.value.code


def test_first_start_files_and_openapi(server) -> None:
    creds = server.data_dir / "credentials.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert set(json.loads(creds.read_text())) >= {"kiosk", "counter", "display", "admin", "hall_key"}
    assert (server.data_dir / "hall.toml").read_text().startswith("#")
    doc = requests.get(server.base_url + "/openapi.json", timeout=5).json()
    for path in (
        "/api/v1/health",
        "/api/v1/services",
        "/api/v1/counters",
        "/api/v1/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/counters/{counter_id}/call-next",
        "/api/v1/counters/{counter_id}/recall",
        "/api/v1/counters/{counter_id}/start",
        "/api/v1/counters/{counter_id}/finish",
        "/api/v1/counters/{counter_id}/no-show",
        "/api/v1/counters/{counter_id}/transfer",
        "/api/v1/counters/{counter_id}/pause",
        "/api/v1/counters/{counter_id}/resume",
        "/api/v1/display",
        "/api/v1/events",
        "/api/v1/stats",
    ):
        assert path in doc["paths"], path


def test_roles_and_tokens(server, clients) -> None:
    assert requests.get(server.base_url + "/api/v1/health", timeout=5).status_code == 200
    r = requests.get(server.base_url + "/api/v1/services", timeout=5)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert err(HallClient(server.base_url, "wrong").services) == (401, "unauthorized")
    assert err(clients["display"].issue_ticket, "S0101") == (403, "forbidden")
    assert err(clients["kiosk"].call_next, "W01") == (403, "forbidden")
    assert err(clients["display"].stats) == (403, "forbidden")  # counters may read their own counts
    assert err(clients["counter"].preview, "W01") == (403, "forbidden")
    clients["admin"].issue_ticket("S0101")  # admin may do everything


def test_ticket_life_cycle_contract(clients) -> None:
    kiosk, counter = clients["kiosk"], clients["counter"]
    services = kiosk.services()
    assert {z["name"] for z in services["zones"]} >= {
        "人社医保服务区",
        "不动产登记交易区",
        "公安业务板块",
        "综合受理板块",
    }
    names = {c["name"] for c in kiosk.counters()["counters"]}
    assert {"总服务台", "帮办代办", "咨询服务", "投诉受理"} <= names
    shared = [s for s in services["services"] if len(s["counters"]) > 1]
    assert shared, "several counters share services"

    r = kiosk.issue_ticket("S0101", channel="kiosk-01")
    assert set(r) >= {"ticket", "waiting_ahead", "eta_minutes"}
    t = r["ticket"]
    assert {"id", "number", "service_id", "status", "priority", "issued_at"} <= set(t)
    assert (t["number"], t["status"], t["priority"], t["service_id"]) == (
        "A001",
        "waiting",
        "normal",
        "S0101",
    )
    assert datetime.fromisoformat(t["issued_at"]).tzinfo is not None
    assert kiosk.ticket(t["id"])["ticket"]["number"] == "A001"
    assert [w["id"] for w in counter.waiting(service_id="S0101")] == [t["id"]]
    assert clients["admin"].preview("W01")[0]["id"] == t["id"]

    called = counter.call_next("W01", staff_id="st-1")
    assert called["ticket"]["id"] == t["id"] and called["ticket"]["status"] == "called"
    assert counter.call_next("W02") is None  # 204: nobody waits
    assert err(counter.call_next, "W01") == (409, "counter_busy")
    assert counter.recall("W01")["ticket"]["recalls"] == 1
    assert counter.start("W01")["ticket"]["status"] == "serving"
    moved = counter.transfer("W01", "S0401")["ticket"]
    assert moved["number"] == "A001" and moved["status"] == "waiting" and moved["service_id"] == "S0401"
    assert counter.call_next("W07")["ticket"]["id"] == moved["id"]
    assert counter.finish("W07", outcome="done")["ticket"]["status"] == "done"
    assert kiosk.rate(moved["id"], "satisfied")["level"] == 4
    assert err(kiosk.rate, moved["id"], 5) == (409, "already_rated")

    kiosk.issue_ticket("S0101")
    counter.call_next("W01")
    assert counter.no_show("W01")["ticket"]["status"] == "no_show"
    assert counter.put_back("W01")["ticket"]["status"] == "waiting"
    assert counter.pause("W03", "午休")["counter"]["paused"] is True
    assert err(counter.call_next, "W03") == (409, "counter_paused")
    assert counter.resume("W03")["counter"]["paused"] is False
    chosen = kiosk.issue_ticket("S0102")["ticket"]
    assert counter.call_ticket("W03", chosen["id"], "老人优先")["ticket"]["id"] == chosen["id"]

    d = clients["display"].display()
    assert {c["counter_id"] for c in d["current"]} == {"W03"}
    assert d["recent"][0]["number"] == chosen["number"]
    assert d["waiting"]["S0101"]["count"] == 1
    s = clients["admin"].stats()
    assert s["totals"]["issued"] == 3 and s["by_service"]["S0101"]["no_shows"] == 1


def test_rules_are_409_with_a_code(clients) -> None:
    kiosk = clients["kiosk"]
    kiosk.issue_ticket("S0201", id_number="110105194912310021")
    assert err(kiosk.issue_ticket, "S0201", id_number="110105194912310021") == (409, "active_ticket_exists")
    now = datetime.now(TZ).replace(microsecond=0)

    def appt(code: str, start: datetime) -> dict:
        return {
            "code": code,
            "service_id": "S0301",
            "id_number_hash": None,
            "slot_start": start.isoformat(),
            "slot_end": (start + timedelta(minutes=30)).isoformat(),
            "name_masked": "王*",
        }

    assert (  # appointments come from the platform or the administrator, never a kiosk
        clients["admin"].push_appointments(
            [
                appt("OK1", now - timedelta(minutes=5)),
                appt("EARLY", now + timedelta(hours=2)),
                appt("LATE", now - timedelta(hours=1)),
            ]
        )
        == 3
    )
    r = kiosk.issue_ticket(None, appointment_code="OK1")
    assert (r["ticket"]["priority"], r["ticket"]["service_id"]) == ("appointment", "S0301")
    assert err(kiosk.issue_ticket, None, appointment_code="EARLY") == (409, "appointment_too_early")
    assert err(kiosk.issue_ticket, None, appointment_code="LATE") == (409, "appointment_too_late")
    assert err(kiosk.issue_ticket, "S0301", appointment_code="NONE") == (409, "appointment_not_found")


BAD_BODIES = [
    "{",
    "[]",
    "null",
    '{"service_id": 5}',
    '{"service_id": "S0101", "priority": "vip"}',
    '{"level": 9}',
    '{"reason": ""}',
    '{"outcome": "exploded"}',
    '{"service_id": "NOPE"}',
    '{"appointments": [{"code": "x"}]}',
    '{"ticket_id": "nope", "reason": "x"}',
    '"text"',
]
POSTS = [
    "/api/v1/tickets",
    "/api/v1/tickets/nope/rating",
    "/api/v1/counters/W01/call",
    "/api/v1/counters/W01/finish",
    "/api/v1/counters/W01/transfer",
    "/api/v1/counters/W01/pause",
    "/api/v1/counters/NOPE/call-next",
    "/api/v1/alerts",
    "/api/v1/appointments",
    "/api/v1/counters/W01/put-back",
]


def test_bad_input_is_4xx_with_the_error_shape(server) -> None:
    headers = {"Authorization": "Bearer " + server.token("admin"), "Content-Type": "application/json"}
    for path in POSTS:
        for body in BAD_BODIES:
            r = requests.post(server.base_url + path, data=body, headers=headers, timeout=5)
            assert 400 <= r.status_code < 500 or r.status_code in (200, 201), (path, body, r.status_code)
            if r.status_code >= 400:
                e = r.json()["error"]
                assert e["code"] and e["message"], (path, body)
    for path in (
        "/api/v1/tickets/nope",
        "/api/v1/stats?from=x",
        "/api/v1/counters/W01/preview?n=0",
        "/api/v1/tickets?status=done",
        "/api/v1/nothing",
    ):
        r = requests.get(server.base_url + path, headers=headers, timeout=5)
        assert 400 <= r.status_code < 500 and "error" in r.json(), path


def test_events_with_token_query_and_replay(server, clients) -> None:
    url = f"{server.base_url}/api/v1/events?token={server.token('display')}"
    got: list[tuple[str, str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        with requests.get(url, stream=True, timeout=(5, 10)) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            ready.set()
            eid = kind = None
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("id: "):
                    eid = line[4:]
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    got.append((eid, kind, json.loads(line[6:])))
                    if len(got) == 2:
                        return

    th = threading.Thread(target=listen)
    th.start()
    assert ready.wait(10)
    t = clients["kiosk"].issue_ticket("S0101")["ticket"]
    clients["counter"].call_next("W01")
    th.join(15)
    assert [(k, d["ticket"]["id"]) for _i, k, d in got] == [("issue", t["id"]), ("call", t["id"])]
    first_id = int(got[0][0])
    assert int(got[1][0]) == first_id + 1
    # a client that missed events reconnects with Last-Event-ID and gets them from the log
    replay = clients["display"].events(last_event_id=first_id - 1)
    assert [next(replay).kind, next(replay).kind] == ["issue", "call"]
    replay.close()
    assert requests.get(server.base_url + "/api/v1/events", timeout=5).status_code == 401


def test_ticket_track_token_for_phone_pages(server, clients) -> None:
    r = clients["kiosk"].issue_ticket("S0101")
    tid = r["ticket"]["id"]
    ok = requests.get(f"{server.base_url}/api/v1/tickets/{tid}?track={r['track_token']}", timeout=5)
    assert ok.status_code == 200 and ok.json()["ticket"]["number"] == r["ticket"]["number"]
    bad = requests.get(f"{server.base_url}/api/v1/tickets/{tid}?track=0000", timeout=5)
    assert bad.status_code == 401


def test_unreachable_service_raises_unavailable(server) -> None:
    c = HallClient(server.base_url, server.token("kiosk"), timeout=2)
    server.stop()
    with pytest.raises(HallUnavailable):
        c.health()
