"""Engine rules on a small hall, with the clock injected (no sleeping)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from queue_helpers import FakeClock, at, make_engine, small_hall

from queueing.model import QueueError

pytestmark = pytest.mark.usefixtures("store")  # every rule on both stores (conftest.py)


@pytest.fixture
def eng(tmp_path: Path, clock: FakeClock):
    e = make_engine(tmp_path / "h", clock, small_hall())
    yield e
    e.store.close()


def code_of(fn, *args, **kw) -> tuple[int, str]:
    with pytest.raises(QueueError) as info:
        fn(*args, **kw)
    return info.value.status, info.value.code


def events(e, kind: str | None = None) -> list[dict]:
    with e.store.read() as tx:
        rows = tx.event_rows("0000", "9999")
    return [{**r, "data": json.loads(r["data"])} for r in rows if kind is None or r["kind"] == kind]


def test_numbers_per_prefix_padded_and_shared_prefix(eng) -> None:
    nums = [eng.issue(s)[0].number for s in ("S1", "S3", "S2", "S1")]
    assert nums == ["A001", "A002", "B001", "A003"]


def test_numbers_continue_after_restart(tmp_path: Path, clock: FakeClock) -> None:
    e = make_engine(tmp_path / "h", clock, small_hall())
    assert e.issue("S1")[0].number == "A001"
    e.store.close()
    e2 = make_engine(tmp_path / "h", clock)  # keeps hall.toml
    assert e2.issue("S1")[0].number == "A002"
    e2.store.close()


def test_day_rolls_over_at_local_midnight(eng, clock: FakeClock) -> None:
    clock.set(at(23, 50))
    waiting = eng.issue("S1")[0]
    eng.issue("S1")
    called = eng.call_next("C2")
    assert called is not None and called.number == "A001"
    clock.set(at(0, 5, day=24))
    fresh = eng.issue("S1")[0]
    assert fresh.number == "A001" and fresh.day == "2026-11-24"
    assert eng.ticket(waiting.id)[0].status == "cancelled"
    assert eng.ticket(called.id)[0].status == "cancelled"
    assert eng.call_next("C2").id == fresh.id  # the counter was freed by the rollover
    assert {e["data"]["reason"] for e in events(eng, "cancel")} == {"day_closed"}


def test_a_refused_first_operation_of_the_day_does_not_skip_the_rollover(eng, clock: FakeClock) -> None:
    waiting = eng.issue("S1")[0]
    clock.set(at(8, 0, day=24))
    with pytest.raises(QueueError):
        eng.resume("C1")  # the counter is not paused: refused, and its transaction rolled back
    assert eng.ticket(waiting.id)[0].status == "cancelled"  # yesterday's ticket was closed all the same


def test_person_rules_use_the_platform_hmac(eng) -> None:
    idn = "11010519491231002X"
    t = eng.issue("S1", id_number=idn)[0]
    key = json.loads((Path(eng.store.path).parent / "credentials.json").read_text())["hall_key"]
    assert t.person_hash == hmac.new(key.encode(), idn.encode(), hashlib.sha256).hexdigest()
    assert code_of(eng.issue, "S1", id_number=idn) == (409, "active_ticket_exists")
    eng.issue("S2", id_number=idn)  # another service is fine
    eng.call_next("C2")
    eng.finish("C2")
    eng.issue("S1", id_number=idn)  # the first one is done: a new one is allowed (3rd today)
    assert code_of(eng.issue, "S3", id_number=idn) == (409, "person_daily_cap")


def test_service_cap_and_opening_hours(tmp_path: Path, clock: FakeClock) -> None:
    # every ticket of the cap open to anonymous ones here; their share is tested in test_queue_hostile_input
    toml = small_hall(hours="08:30-12:00,13:30-17:30", anonymous_share=1).replace("daily_cap = 0", "daily_cap = 2", 1)
    e = make_engine(tmp_path / "h", clock, toml)
    e.issue("S1")
    e.issue("S1")
    assert code_of(e.issue, "S1") == (409, "service_cap_reached")
    clock.set(at(12, 30))
    assert code_of(e.issue, "S2") == (409, "service_closed")
    assert code_of(e.issue, "S9") == (422, "unknown_service")
    assert code_of(e.issue, "S2", priority="vip") == (422, "invalid_priority")
    e.store.close()


def test_call_next_pulls_and_never_preassigns(eng, clock: FakeClock) -> None:
    a = eng.issue("S1")[0]
    clock.advance(1)
    b = eng.issue("S1")[0]
    assert a.counter_id is None and eng.ticket(b.id)[0].counter_id is None
    assert eng.call_next("C2").id == a.id
    assert eng.call_next("C1").id == b.id  # the other counter sharing S1 gets the next one
    assert eng.call_next("C3") is None  # nobody waits for S2
    assert code_of(eng.call_next, "C1") == (409, "counter_busy")
    assert code_of(eng.call_next, "C9") == (404, "counter_not_found")


def test_call_chosen_ticket_is_audited(eng, clock: FakeClock) -> None:
    eng.issue("S1")
    late = eng.issue("S1")[0]
    other = eng.issue("S2")[0]
    assert code_of(eng.call_ticket, "C2", late.id, "") == (422, "reason_required")
    assert code_of(eng.call_ticket, "C2", other.id, "x") == (409, "service_not_at_counter")
    t = eng.call_ticket("C2", late.id, "按预约顺序", staff_id="st-7")
    assert t.id == late.id and t.status == "called" and t.staff_id == "st-7"
    call = events(eng, "call")[-1]
    assert call["data"]["reason"] == "按预约顺序" and call["data"]["out_of_order"] is True
    assert call["staff_id"] == "st-7"


def test_recall_start_finish_and_outcomes(eng) -> None:
    eng.issue("S1")
    eng.call_next("C2")
    eng.recall("C2")
    assert eng.recall("C2").recalls == 2
    assert code_of(eng.recall, "C2") == (409, "recall_limit")
    assert eng.start("C2").status == "serving"
    assert code_of(eng.recall, "C2") == (409, "no_current_ticket")
    assert code_of(eng.finish, "C2", outcome="whatever") == (422, "invalid_outcome")
    t = eng.finish("C2", outcome="materials_missing")
    assert (t.status, t.outcome) == ("done", "materials_missing")
    assert code_of(eng.finish, "C2") == (409, "no_current_ticket")


def test_no_show_and_put_back_keep_arrival(eng, clock: FakeClock) -> None:
    first = eng.issue("S1")[0]
    clock.advance(2)
    second = eng.issue("S1")[0]
    eng.call_next("C2")
    assert eng.no_show("C2").status == "no_show"
    back = eng.put_back("C2")
    assert back.id == first.id and back.status == "waiting" and back.key_time == first.key_time
    assert eng.call_next("C2").id == first.id  # earlier arrival: called before the second ticket
    assert code_of(eng.put_back, "C2", second.id) == (409, "ticket_not_no_show")


def test_transfer_keeps_number_and_arrival(eng, clock: FakeClock) -> None:
    t = eng.issue("S1")[0]
    clock.advance(5)
    later = eng.issue("S2")[0]
    eng.call_next("C2")
    eng.start("C2")
    new = eng.transfer("C2", "S2")
    old = eng.ticket(t.id)[0]
    assert old.status == "transferred" and old.transferred_to == new.id
    assert (new.number, new.service_id, new.status, new.key_time) == (t.number, "S2", "waiting", t.key_time)
    assert eng.call_next("C3").id == new.id  # it arrived before `later`
    assert later.status == "waiting"
    assert code_of(eng.transfer, "C3", "S2") == (409, "same_service")


def test_pause_and_resume(eng) -> None:
    eng.issue("S2")
    assert code_of(eng.pause, "C3", " ") == (422, "reason_required")
    assert eng.pause("C3", "午休").paused
    assert code_of(eng.call_next, "C3") == (409, "counter_paused")
    assert eng.resume("C3").paused is False
    assert code_of(eng.resume, "C3") == (409, "counter_not_paused")
    assert eng.call_next("C3") is not None
    assert [e["data"]["reason"] for e in events(eng, "pause")] == ["午休"]


def _queue(e, clock: FakeClock, spec: str) -> dict[str, str]:
    """Issue S1 tickets one minute apart: n = normal, g = green. Returns id -> label."""
    labels = {}
    for i, ch in enumerate(spec):
        t = e.issue("S1", priority="green" if ch == "g" else None)[0]
        labels[t.id] = f"{ch}{i}"
        clock.advance(1)
    return labels


def _drain(e, counter: str) -> list[str]:
    out = []
    while (t := e.call_next(counter)) is not None:
        out.append(t.id)
        e.finish(counter)
    return out


@pytest.mark.parametrize(
    ("kind", "extra", "spec", "expected"),
    [
        ("strict", {}, "nnngn", ["g3", "n0", "n1", "n2", "n4"]),
        ("interleave", {"interleave_normal": 2}, "nnnnggn", ["n0", "n1", "g4", "n2", "n3", "g5", "n6"]),
        ("aging", {"aging_boost_minutes": 3}, "nnnnng", ["n0", "n1", "g5", "n2", "n3", "n4"]),
        ("strict", {"max_wait_minutes": 4}, "nnnnng", ["n0", "n1", "n2", "g5", "n3", "n4"]),
    ],
)
def test_ordering_policies(tmp_path: Path, clock: FakeClock, kind, extra, spec, expected) -> None:
    e = make_engine(tmp_path / "h", clock, small_hall(kind=kind, **extra))
    labels = _queue(e, clock, spec)
    assert [labels[i] for i in _drain(e, "C2")] == expected
    e.store.close()


def test_preview_matches_the_calls(tmp_path: Path, clock: FakeClock) -> None:
    e = make_engine(tmp_path / "h", clock, small_hall(kind="interleave", interleave_normal=2))
    _queue(e, clock, "nngnngnnng")
    e.issue("S2")
    preview = [t.id for t in e.preview("C1", 10)]
    assert len(preview) == 10
    calls = []
    for _ in range(10):
        calls.append(e.call_next("C1").id)
        e.finish("C1")
    assert calls == preview


def _appointments(e, clock: FakeClock) -> None:
    e.push_appointments(
        [
            {
                "code": "YY001",
                "service_id": "S2",
                "id_number_hash": e.person_hash("110105194912310021"),
                "slot_start": "2026-11-23T10:30:00+08:00",
                "slot_end": "2026-11-23T11:00:00+08:00",
                "name_masked": "张*",
            },
            {
                "code": "YY002",
                "service_id": "S2",
                "id_number_hash": None,
                "slot_start": "2026-11-23T11:30:00",
                "slot_end": "2026-11-23T12:00:00",
                "name_masked": "李*",
            },
        ]
    )


def test_appointment_check_in(eng, clock: FakeClock) -> None:
    _appointments(eng, clock)
    assert code_of(eng.issue, None, appointment_code="NOPE") == (409, "appointment_not_found")
    assert code_of(eng.issue, None, appointment_code="YY002") == (409, "appointment_too_early")
    clock.set(at(10, 10))
    t = eng.issue(None, appointment_code="YY001")[0]
    assert (t.priority, t.service_id, t.number) == ("appointment", "S2", "B001")
    assert code_of(eng.issue, None, appointment_code="YY001") == (409, "appointment_used")
    clock.set(at(11, 50))
    assert code_of(eng.issue, "S2", priority="appointment", id_number="110105194912310099") == (
        409,
        "appointment_not_found",
    )
    assert code_of(eng.issue, None, appointment_code="YY002") == (409, "appointment_too_late")


def test_appointment_by_id_number_and_slot_ordering(eng, clock: FakeClock) -> None:
    _appointments(eng, clock)
    clock.set(at(10, 5))
    appt = eng.issue("S2", priority="appointment", id_number="110105194912310021")[0]
    assert appt.priority == "appointment" and appt.appointment_code == "YY001"
    clock.set(at(10, 10))
    normal = eng.issue("S2")[0]
    assert eng.call_next("C3").id == normal.id  # the slot (10:30) has not started: normal first
    eng.finish("C3")
    clock.set(at(10, 20))
    normal2 = eng.issue("S2")[0]
    clock.set(at(10, 31))
    assert eng.call_next("C3").id == appt.id  # from its slot time it is a priority ticket
    eng.finish("C3")
    assert eng.call_next("C3").id == normal2.id


def test_ratings(eng) -> None:
    t = eng.issue("S1")[0]
    assert code_of(eng.rate, t.id, 5) == (409, "ticket_not_finished")
    eng.call_next("C2")
    eng.finish("C2")
    assert code_of(eng.rate, t.id, "dissatisfied") == (422, "reason_required")
    assert code_of(eng.rate, t.id, 7) == (422, "invalid_level")
    r = eng.rate(t.id, "very_dissatisfied", reason="等待太久")
    assert (r["level"], r["level_name"]) == (1, "very_dissatisfied")
    assert code_of(eng.rate, t.id, 5) == (409, "already_rated")
    assert events(eng, "rating")[0]["data"]["reason"] == "等待太久"


def test_alerts(eng) -> None:
    a = eng.raise_alert("help", "kiosk-03", "老人需要帮助")
    assert [x["id"] for x in eng.alerts()] == [a["id"]]
    eng.ack_alert(a["id"], by="sup-1")
    assert eng.alerts() == [] and eng.alerts(include_acked=True)[0]["acked_by"] == "sup-1"
    assert code_of(eng.ack_alert, a["id"]) == (404, "alert_not_found")


def test_statistics_from_the_event_log(eng, clock: FakeClock) -> None:
    a = eng.issue("S1", id_number="110105194912310021")[0]
    eng.issue("S1")
    clock.advance(10)
    eng.call_next("C2", staff_id="st-1")  # a waited 10 min
    eng.start("C2")
    clock.advance(6)
    eng.finish("C2")  # served 6 min
    clock.advance(20)
    eng.call_next("C2", staff_id="st-1")  # waited 36 min: over the 20-minute target
    eng.no_show("C2")
    eng.rate(a.id, 4)
    s = eng.stats()
    svc = s["by_service"]["S1"]
    assert (svc["issued"], svc["called"], svc["served"], svc["no_shows"]) == (2, 2, 1, 1)
    assert svc["waiting_minutes"]["p50"] == pytest.approx(23.0)
    assert svc["waiting_minutes"]["mean"] == pytest.approx(23.0)
    assert svc["service_minutes"]["mean"] == pytest.approx(6.0)
    assert svc["over_target_share"] == 0.5
    assert svc["ratings"] == {"n": 1, "mean": 4.0, "bad": 0, "satisfied": 1}  # 满意 (4) is satisfied
    assert s["by_staff"]["st-1"]["called"] == 2 and s["by_counter"]["C2"]["served"] == 1
    assert s["by_hour"]["10"]["issued"] == 2
    # 跑动次数: the same person comes back for the same service on later days
    for day in (24, 26):
        clock.set(at(9, 0, day=day))
        eng.issue("S1", id_number="110105194912310021")
    rv = eng.stats()["repeat_visits"]
    assert rv["by_service"] == {"S1": {"repeat_visits": 2, "persons": 1}}
    assert eng.stats("2026-11-23", "2026-11-23")["totals"]["issued"] == 2
    assert code_of(eng.stats, "yesterday") == (422, "invalid_date")
