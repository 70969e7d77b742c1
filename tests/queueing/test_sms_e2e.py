"""SMS end to end through the hall service's real API: a ``hall-server`` process with ``[sms]`` on,
the CMPP 2.0 gateway simulator on loopback, a kiosk that opts a ticket in, counters that call
through the API until the ticket is near, finish it, and a citizen's 差评 — and every gateway
fault retried with no message twice at the phone."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hall_process import HallProcess
from sms_helpers import SECRET, SP_ID, sms_hall, wait_until

from queueing.client import HallClient, HallServiceError
from queueing.sms.simulator import GatewaySimulator

PHONE = "13812345678"


def _alerts(counter: HallClient) -> list[dict[str, object]]:
    return [a for a in counter.alerts(include_acked=True) if a["kind"] == "sms"]


def test_opt_in_turn_near_rating_invitation_and_callback(tmp_path: Path) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        first = [kiosk.issue_ticket("S0101")["ticket"] for _ in range(4)]
        mine = kiosk.issue_ticket("S0101")["ticket"]
        with pytest.raises(HallServiceError) as bad:
            kiosk.sms_opt_in(mine["id"], "1381234567", consent=True)
        assert bad.value.code == "invalid_phone"
        with pytest.raises(HallServiceError) as no_consent:
            kiosk.sms_opt_in(mine["id"], PHONE, consent=False)
        assert no_consent.value.code == "consent_required"
        answer = kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
        assert answer["phone"] == "138****5678"

        # 4 ahead: nothing yet; the counters call two, and with 2 ahead the turn is near
        counter.call_next("W01", staff_id="s1")
        assert gw.messages_to(PHONE) == []
        counter.call_next("W02", staff_id="s2")
        near = wait_until(lambda: gw.messages_to(PHONE), why="turn near")
        assert len(near) == 1 and near[0].startswith(f"【{hall_name(hall)}】您的{mine['number']}号前面还有2位"), near
        assert "/t/" in near[0]
        for cid in ("W01", "W02"):
            counter.finish(cid, staff_id="s")
        served = None
        while served != mine["id"]:
            called = counter.call_next("W01", staff_id="s1")
            assert called is not None
            served = called["ticket"]["id"]
            counter.finish("W01", staff_id="s1")
        invite = wait_until(lambda: gw.messages_to(PHONE)[1:], why="rating invitation")
        assert "请为本次服务评价" in invite[0] and invite[0].endswith("/rate"), invite

        kiosk.rate(mine["id"], 1, reason="等候时间太长")
        callback = wait_until(lambda: gw.messages_to(PHONE)[2:], why="callback notice")
        assert "1个工作日内回访" in callback[0]
        assert len(gw.messages_to(PHONE)) == 3  # once each, nothing twice
        assert len(first) == 4

        # the number is gone once nothing more is owed; it never reached the log
        db = hall.data_dir / "sms.db"
        wait_until(lambda: _row(db, "SELECT phone_sealed IS NULL FROM subscriptions")[0] == 1,
                   why=f"purge: {_rows(db, 'SELECT kind, state, error FROM messages')} {hall.output()[-3000:]}")
        assert PHONE not in hall.output()
        assert PHONE.encode() not in db.read_bytes()


def hall_name(hall: HallProcess) -> str:
    from queueing.hallconfig import load_hall

    return load_hall(hall.data_dir).name


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _row(db: Path, sql: str) -> tuple[object, ...]:
    con = sqlite3.connect(db)
    try:
        return tuple(con.execute(sql).fetchone())
    finally:
        con.close()


@pytest.mark.parametrize("fault", GatewaySimulator.FAULTS)
def test_each_gateway_fault_is_retried_without_a_duplicate(tmp_path: Path, fault: str) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        gw.fault(fault, count=2 if fault in ("throttled", "submit_refused") else 1)
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        mine = kiosk.issue_ticket("S0101")["ticket"]
        kiosk.sms_opt_in(mine["id"], PHONE, consent=True)  # nobody ahead: the turn is near at once
        got = wait_until(lambda: gw.messages_to(PHONE), why=f"turn near after {fault}")
        assert len(got) == 1
        counter.call_next("W01", staff_id="s1")
        counter.finish("W01", staff_id="s1")
        wait_until(lambda: len(gw.messages_to(PHONE)) >= 2, why="rating invitation")
        kiosk.rate(mine["id"], 5)
        db = hall.data_dir / "sms.db"
        wait_until(lambda: _row(db, "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")[0] == 2,
                   why="both delivered")
        assert len(gw.messages_to(PHONE)) == 2, gw.messages_to(PHONE)  # the retried one reached the phone once
        parts = _row(db, "SELECT COUNT(*) FROM parts")[0]  # long texts go as concatenated parts
        retried = {"throttled": 2, "submit_refused": 2, "report_failed": 1, "no_answer": 0}[fault]
        assert gw.submits == parts + retried  # only what the gateway did not take went again
        assert not _alerts(counter)


def test_opt_in_on_the_phone_page(tmp_path: Path) -> None:
    import requests

    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        issued = kiosk.issue_ticket("S0101")
        page = hall.base_url + issued["public_path"]
        assert "短信提醒：快到我时通知我" in requests.get(page, timeout=5).text
        form = requests.get(page + "/sms", timeout=5)
        assert form.ok and "我同意手机号仅用于本次取号的短信提醒" in form.text
        wrong = requests.post(page + "/sms", data={"phone": "12812345678", "consent": "1"}, timeout=5)
        assert wrong.status_code == 422 and "请输入11位手机号码" in wrong.text
        unticked = requests.post(page + "/sms", data={"phone": PHONE}, timeout=5)
        assert unticked.status_code == 422 and "请勾选同意" in unticked.text
        done = requests.post(page + "/sms", data={"phone": PHONE, "consent": "1"}, timeout=5)
        assert done.ok and "138****5678" in done.text and PHONE not in done.text
        assert "前面还有0位" in wait_until(lambda: gw.messages_to(PHONE), why="turn near")[0]  # type: ignore[index]


def test_workers_send_once_and_a_restart_resumes_from_its_cursor(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    with GatewaySimulator(SP_ID, SECRET) as gw:
        with HallProcess(sms_hall(data, gw.port), "--workers", "2") as hall:
            kiosk = HallClient(hall.base_url, hall.token("kiosk"))
            counter = HallClient(hall.base_url, hall.token("counter"))
            mine = kiosk.issue_ticket("S0101")["ticket"]
            for _ in range(3):  # opt-ins land on either worker; only worker 0 sends
                kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
            wait_until(lambda: gw.messages_to(PHONE), why="turn near")
            counter.call_next("W01", staff_id="s1")
        with HallProcess(data) as hall:  # a restart: the finish comes to a fresh process
            counter = HallClient(hall.base_url, hall.token("counter"))
            counter.finish("W01", staff_id="s1")
            wait_until(lambda: len(gw.messages_to(PHONE)) >= 2, why="rating invitation after the restart")
            HallClient(hall.base_url, hall.token("kiosk")).rate(mine["id"], 4)
            wait_until(lambda: _row(hall.data_dir / "sms.db", "SELECT phone_sealed IS NULL FROM subscriptions")[0],
                       why="purged after a good rating")
        assert len(gw.messages_to(PHONE)) == 2  # turn near, invitation: once each across workers and restart


def test_a_transferred_ticket_keeps_its_opt_in(tmp_path: Path) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        mine = kiosk.issue_ticket("S0101")["ticket"]
        kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
        wait_until(lambda: gw.messages_to(PHONE), why="turn near")
        counter.call_next("W01", staff_id="s1")
        moved = counter.transfer("W01", "S0102", staff_id="s1", reason="需补办挂失")["ticket"]
        counter.call_next("W01", staff_id="s1")
        counter.finish("W01", staff_id="s1")
        invite = wait_until(lambda: gw.messages_to(PHONE)[1:], why="rating invitation of the new ticket")
        assert moved["number"] in invite[0]  # type: ignore[index]


def test_an_unanswered_submit_without_a_report_is_not_resent_and_the_staff_are_told(tmp_path: Path) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        gw.send_reports = False  # the answer and the report are both lost: the gateway's worst day
        gw.fault("no_answer", count=10)
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))
        mine = kiosk.issue_ticket("S0101")["ticket"]
        kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
        alerts = wait_until(lambda: _alerts(counter), why="an sms alert after report_wait_seconds")
        message = str(alerts[0]["message"])  # type: ignore[index]
        assert "138****5678" in message and PHONE not in message and mine["number"] in message
        assert len(gw.messages_to(PHONE)) == 1  # it did arrive, and it was never sent twice
        assert gw.submits == _row(hall.data_dir / "sms.db", "SELECT COUNT(*) FROM parts")[0]


def test_a_demo_hall_with_the_simulator_inside(tmp_path: Path) -> None:
    from queueing.hallconfig import load_hall

    data = tmp_path / "hall"
    load_hall(data)
    with (data / "hall.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sms]\nenabled = true\nhost = "simulator"\n')
    with HallProcess(data) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        assert kiosk.sms_enabled()
        mine = kiosk.issue_ticket("S0101")["ticket"]
        kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
        wait_until(lambda: "simulated SMS delivered" in hall.output(), why="the demo's text")
        assert "138****5678" in hall.output() and PHONE not in hall.output()


def test_sms_is_off_by_default(tmp_path: Path) -> None:
    with HallProcess(tmp_path / "hall") as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        assert not kiosk.sms_enabled()
        mine = kiosk.issue_ticket("S0101")["ticket"]
        with pytest.raises(HallServiceError) as off:
            kiosk.sms_opt_in(mine["id"], PHONE, consent=True)
        assert (off.value.status, off.value.code) == (409, "sms_disabled")
        display = HallClient(hall.base_url, hall.token("display"))
        with pytest.raises(HallServiceError) as role:
            display.sms_opt_in(mine["id"], PHONE, consent=True)
        assert role.value.status == 403


def test_messages_go_in_the_language_of_the_opt_in(tmp_path: Path) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        mine = kiosk.issue_ticket("S0101")["ticket"]
        kiosk.sms_opt_in(mine["id"], PHONE, consent=True, lang="en")
        text = wait_until(lambda: gw.messages_to(PHONE), why="turn near")[0]  # type: ignore[index]
        assert f"Ticket {mine['number']}: 0 ahead of you" in text
