"""Alerts that reach a person, against a real hall service over HTTP: a kiosk's help call goes to
the 帮办代办 counter's console first, escalates to every counter and the dashboard when nobody
acknowledges it within the configured minutes (the service's own clock is moved, never slept
through), and the kiosk follows it with its token until someone is on the way; acknowledging and
resolving are two steps, each with the signed-in 工号, the counter and the time. Notices for the
display are posted, listed and withdrawn by signed-in staff. Both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from queue_helpers import FakeClock, ServerProcess, add_staff, at

from queueing.client import HallClient, HallServiceError
from queueing.embedded import RunningHall, start_hall_service

pytestmark = pytest.mark.usefixtures("store")


@pytest.fixture
def fake() -> FakeClock:
    return FakeClock(at(10))


@pytest.fixture
def hall(tmp_path: Path, fake: FakeClock, store: str) -> Iterator[RunningHall]:
    """The sample hall (H02 is 帮办代办) in this process on the test's clock; SQLite only (the
    in-process service opens queue.db), the PostgreSQL run uses the hall-server process below."""
    if store != "sqlite":
        pytest.skip("the in-process service with a settable clock runs on queue.db")
    data = tmp_path / "hall"
    data.mkdir()
    add_staff(data, "2001", "help desk pw 1")
    add_staff(data, "3001", "window pw 1")
    add_staff(data, "9001", "supervisor pw 1", "--supervisor")
    running = start_hall_service(data, clock=fake)
    yield running
    running.stop()


def _kinds(client: HallClient, prefix: str, n: int) -> list[tuple[str, dict]]:
    """The first ``n`` events of the stream whose kind starts with ``prefix`` (from the start)."""
    found = []
    for event in client.events(0, read_timeout=15):
        if event.kind.startswith(prefix):
            found.append((event.kind, event.data))
            if len(found) == n:
                break
    return found


def _code(fn, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(HallServiceError) as refused:
        fn(*args, **kwargs)
    return refused.value.status, refused.value.code


def test_a_help_call_goes_to_the_help_counter_and_escalates_when_nobody_takes_it(
        hall: RunningHall, fake: FakeClock) -> None:
    url = hall.base_url
    kiosk = HallClient(url, hall.token("kiosk"))
    helpdesk, window = HallClient(url, hall.token("counter")), HallClient(url, hall.token("counter"))
    helpdesk.sign_in("2001", "help desk pw 1", "H02")
    window.sign_in("3001", "window pw 1", "W01")
    dashboard = HallClient(url, hall.token("admin"))

    called = kiosk.raise_alert("help", "kiosk-01", "kiosk-01 有群众需要帮助")
    assert called["counter_id"] == "H02" and called["follow_token"]
    assert [a["id"] for a in helpdesk.open_alerts("H02")] == [called["id"]]
    assert window.open_alerts("W01") == []  # not W01's yet
    assert [a["state"] for a in dashboard.open_alerts()] == ["raised"]
    assert kiosk.alert(called["id"], follow=called["follow_token"])["state"] == "raised"
    assert _code(kiosk.alert, called["id"], follow="0" * 24) == (403, "invalid_token")
    assert _code(window.ack_alert, called["id"]) == (403, "forbidden")  # not sent to W01

    fake.advance(minutes=1, seconds=50)
    assert window.open_alerts("W01") == []
    fake.advance(seconds=15)  # past the 2 minutes: every counter and the dashboard
    seen = window.open_alerts("W01")
    assert [(a["id"], a["state"]) for a in seen] == [(called["id"], "escalated")]
    assert dashboard.open_alerts()[0]["escalated_at"] is not None
    (kind, data), = _kinds(HallClient(url, hall.token("display")), "alert_", 1)
    assert kind == "alert_escalated" and data["alert_id"] == called["id"] and data["counter_id"] == "H02"

    window.ack_alert(called["id"])  # anyone may take it now
    followed = kiosk.alert(called["id"], follow=called["follow_token"])
    assert followed["state"] == "acknowledged"
    assert (followed["acked_by"], followed["acked_counter"], followed["acked_counter_name"]) == \
        ("3001", "W01", "1号窗口")
    assert "message" not in followed and "source" not in followed  # the kiosk reads who comes, no more
    assert _code(helpdesk.ack_alert, called["id"]) == (404, "alert_not_found")  # taken already


def test_acknowledge_then_resolve_each_say_who_where_and_when(hall: RunningHall, fake: FakeClock) -> None:
    url = hall.base_url
    kiosk, helpdesk = HallClient(url, hall.token("kiosk")), HallClient(url, hall.token("counter"))
    dashboard = HallClient(url, hall.token("admin"))
    called = kiosk.raise_alert("help", "kiosk-02", "help")
    assert called["state"] == "escalated"  # nobody signed in at H02: everyone's at once, no 2 minutes lost
    printer = kiosk.raise_alert("printer", "kiosk-02", "paper near end")
    assert printer["counter_id"] is None  # the dashboard's, no counter's
    assert _code(helpdesk.ack_alert, called["id"]) == (401, "session_required")
    helpdesk.sign_in("2001", "help desk pw 1", "H02")
    assert [a["id"] for a in helpdesk.open_alerts("H02")] == [called["id"]]  # not the printer's

    helpdesk.ack_alert(called["id"])
    fake.advance(minutes=5)
    assert [a["state"] for a in helpdesk.open_alerts("H02")] == ["acknowledged"]  # taken: never escalates
    done = helpdesk.resolve_alert(called["id"], note="帮群众完成了社保卡申领")
    assert done["state"] == "resolved" and done["resolved_by"] == "2001" and done["resolved_counter"] == "H02"
    assert done["acked_at"] == at(10).isoformat() and done["resolved_at"] == at(10, 5).isoformat()
    assert helpdesk.open_alerts("H02") == []
    assert _code(helpdesk.resolve_alert, called["id"]) == (404, "alert_not_found")

    assert _code(dashboard.resolve_alert, printer["id"]) == (401, "session_required")
    dashboard.sign_in("9001", "supervisor pw 1")
    fixed = dashboard.resolve_alert(printer["id"])  # resolved at once: acknowledged with it
    assert (fixed["acked_by"], fixed["resolved_by"], fixed["acked_counter"]) == ("9001", "9001", None)
    assert dashboard.open_alerts() == []
    kinds = [k for k, _ in _kinds(HallClient(url, hall.token("display")), "alert", 5)]
    assert kinds == ["alert", "alert_escalated", "alert", "alert_ack", "alert_resolved"]


def test_the_escalation_minutes_and_help_counters_come_from_hall_toml(tmp_path: Path, store: str) -> None:
    if store != "sqlite":
        pytest.skip("settable clock: in-process on queue.db")
    from queue_helpers import small_hall

    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(help_counters=["C2", "C3"], help_escalate_minutes=5), encoding="utf-8")
    add_staff(data, "2001", "help desk pw 1")
    fake = FakeClock(at(9))
    running = start_hall_service(data, clock=fake)
    try:
        kiosk, admin = HallClient(running.base_url, running.token("kiosk")), HallClient(running.base_url,
                                                                                        running.token("admin"))
        HallClient(running.base_url, running.token("counter")).sign_in("2001", "help desk pw 1", "C3")
        called = kiosk.raise_alert("help", "k", "help")
        assert called["counter_id"] == "C3"  # C2 comes first, but nobody is signed in there
        fake.advance(minutes=4)
        assert admin.open_alerts()[0]["state"] == "raised"
        fake.advance(minutes=1, seconds=1)
        assert admin.open_alerts()[0]["state"] == "escalated"
    finally:
        running.stop()


def test_notices_are_posted_listed_and_withdrawn_by_signed_in_staff(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    srv = ServerProcess(data).start()
    try:
        add_staff(data, "9001", "supervisor pw 1", "--supervisor")
        admin, display = HallClient(srv.base_url, srv.token("admin")), HallClient(srv.base_url, srv.token("display"))
        now = datetime.fromisoformat(display.notices()["now"])

        def naive(hours: float) -> str:  # a time as a supervisor types it: the hall's wall clock
            return (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")

        with pytest.raises(HallServiceError) as refused:
            admin.post_notice("午间轮岗", "Lunch rota", ends_at=naive(6))
        assert refused.value.code == "session_required"
        admin.sign_in("9001", "supervisor pw 1")
        assert display.notices()["timezone"] == "Asia/Shanghai" and now.utcoffset() == timedelta(hours=8)
        shown = admin.post_notice("今日 12:00–13:30 部分窗口午间轮岗", "Some windows rotate at lunch",
                                  ends_at=naive(6))
        later = admin.post_notice("明日系统升级", "System upgrade tomorrow", starts_at=naive(24), ends_at=naive(32))
        assert shown["posted_by"] == "9001" and shown["active"] and not later["active"]
        assert later["starts_at"] == naive(24) + "+08:00"  # no offset given: the hall's zone
        listed = display.notices()["notices"]
        assert [n["id"] for n in listed] == [shown["id"], later["id"]]
        with pytest.raises(HallServiceError) as bad:
            admin.post_notice("过去的", "Past", starts_at=naive(-3), ends_at=naive(-2))
        assert bad.value.status == 422
        admin.withdraw_notice(later["id"])
        assert [n["id"] for n in display.notices()["notices"]] == [shown["id"]]
        kinds = [k for k, _ in _kinds(display, "notice", 3)]
        assert kinds == ["notice_posted", "notice_posted", "notice_withdrawn"]
    finally:
        srv.stop()


def test_both_stores_keep_the_two_steps_the_escalation_and_the_notices(tmp_path: Path) -> None:
    """The store methods under the routes above, on SQLite and on a real PostgreSQL server."""
    from queue_helpers import make_engine

    from queueing import alerts, notices

    fake = FakeClock(at(10))
    engine = make_engine(tmp_path / "hall", fake)  # the sample hall: H02 is 帮办代办
    try:
        called = engine.raise_alert("help", "kiosk-01", "help")
        assert called["counter_id"] == "H02"
        assert [a["id"] for a in alerts.open_for(engine, "H02")] == [called["id"]]
        assert alerts.open_for(engine, "W01") == []
        fake.advance(minutes=2, seconds=1)
        assert [a["state"] for a in alerts.open_for(engine, "W01")] == ["escalated"]
        assert alerts.escalate_due(engine) == []  # once only
        taken = alerts.acknowledge(engine, called["id"], "3001", "W01", only_own=True)
        assert (taken["state"], taken["acked_by"], taken["acked_counter"]) == ("acknowledged", "3001", "W01")
        fake.advance(minutes=3)
        done = alerts.resolve(engine, called["id"], "3001", "W01", "done")
        assert (done["state"], done["resolution"]) == ("resolved", "done")
        assert done["resolved_at"] == (at(10, 5) + timedelta(seconds=1)).isoformat()
        assert alerts.open_for(engine, None) == []

        first, second = engine.raise_alert("help", "k1", "help"), engine.raise_alert("help", "k2", "help")
        assert alerts.escalate_now(engine, second["id"], "nobody at H02")["state"] == "escalated"
        assert [a["state"] for a in alerts.open_for(engine, None)] == ["escalated", "raised"]  # the other waits
        assert [a["id"] for a in alerts.open_for(engine, "W01")] == [second["id"]]
        alerts.resolve(engine, first["id"], "2001", "H02")
        alerts.resolve(engine, second["id"], "2001", "H02")

        posted = notices.post(engine, "午间轮岗", "Lunch rota", None, fake() + 3600, "9001")
        assert [n["id"] for n in notices.current(engine)["notices"]] == [posted["id"]]
        fake.advance(minutes=61)
        assert notices.current(engine)["notices"] == []  # ended
        with pytest.raises(Exception, match="no notice"):
            notices.withdraw(engine, posted["id"] + 99, "9001")
    finally:
        engine.store.close()


def test_the_service_escalates_by_itself_with_nobody_reading_alerts(hall: RunningHall, fake: FakeClock) -> None:
    """Only a display follows the stream: the running service's own check escalates the call."""
    url = hall.base_url
    HallClient(url, hall.token("counter")).sign_in("2001", "help desk pw 1", "H02")
    called = HallClient(url, hall.token("kiosk")).raise_alert("help", "kiosk-01", "help")
    fake.advance(minutes=3)
    (kind, data), = _kinds(HallClient(url, hall.token("display")), "alert_", 1)  # waits for the check
    assert kind == "alert_escalated" and data["alert_id"] == called["id"]
