"""短信提醒 as the issue's must-show has it: a real ``hall-server`` process with ``[sms]`` on, the
CMPP 2.0 gateway simulator on loopback, and a citizen at the kiosk window (pointed at that hall
service by its kiosk.toml) who takes a ticket with the ID card, taps 短信提醒, types the number on
the on-screen keypad under the consent line and agrees. Counters then call through the real API
until the ticket is near ("turn near" at the simulator), finish it (rating invitation), and the
citizen's 差评 brings the callback notice; each message reaches the phone once. The 差评's
loop then runs to its end: callback due the next working day, called back, rectified, verified."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queueing"))

from hall_process import HallProcess
from month_sim import working_day
from queue_helpers import add_staff
from sms_helpers import SECRET, SP_ID, sms_hall, wait_until

from queueing.client import HallClient
from queueing.sms.simulator import GatewaySimulator
from tests.acceptance.person import Person

PHONE = "13812345678"


def test_opt_in_at_the_kiosk_then_turn_near_invitation_and_callback(tmp_path: Path, qapp: object) -> None:
    with GatewaySimulator(SP_ID, SECRET) as gw, HallProcess(sms_hall(tmp_path / "hall", gw.port)) as hall:
        kiosk_api = HallClient(hall.base_url, hall.token("kiosk"))
        for _ in range(3):  # three citizens took tickets before
            kiosk_api.issue_ticket("S0101")
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[hall_service]\nurl = "{hall.base_url}"\ntoken = "{hall.token("kiosk")}"\n',
                          encoding="utf-8")
        person = Person(tmp_path / "kiosk", config=config)
        try:
            person.tap("取号")
            person.tap("人社医保服务区")
            person.tap("社会保障卡申领")
            person.wait_for("请将身份证放在读卡区")
            person.place_card(next(iter(person.sims["idcard"].identities())))
            person.wait_for("取号成功")
            assert person.sees("A004")
            person.remove_card()
            person.tap("短信提醒")
            person.wait_for("输入手机号，快到您时短信通知")
            assert any("办结后删除" in line for line in person.texts())  # the consent line
            for key in "1381234567":  # one digit short
                person.tap(f"key_{key}", settle=0.1)
            person.tap("同意并订阅")
            person.wait_for("请输入11位手机号码（以13至19开头）")
            person.tap("key_8", settle=0.1)
            person.tap("同意并订阅")
            person.wait_for("已订阅短信提醒：138****5678")
            assert not any(PHONE in line for line in person.texts())
            person.tap("完成")
            person.wait_for("您好，欢迎来办事")
        finally:
            person.leave()

        counter = HallClient(hall.base_url, hall.token("counter"))
        assert gw.messages_to(PHONE) == []  # three ahead: not yet (turn_near = 2)
        counter.call_next("W01", staff_id="s1")
        near = wait_until(lambda: gw.messages_to(PHONE), why="turn near")
        assert "A004号前面还有2位" in near[0]  # type: ignore[index]
        for _ in range(3):
            counter.finish("W01", staff_id="s1")
            counter.call_next("W01", staff_id="s1")
        counter.finish("W01", staff_id="s1")
        invite = wait_until(lambda: gw.messages_to(PHONE)[1:], why="rating invitation")
        assert "A004号已办结" in invite[0]  # type: ignore[index]
        mine = kiosk_api.ticket_by_number("A004")["ticket"]
        kiosk_api.rate(mine["id"], 2, reason="材料要求没有一次说清")
        callback = wait_until(lambda: gw.messages_to(PHONE)[2:], why="callback notice")
        assert "1个工作日内回访" in callback[0]  # type: ignore[index]
        assert len(gw.messages_to(PHONE)) == 3

        # the 差评's loop on the supervisor's 整改 list: its callback due on the next working day
        # (counted here from the State Council's calendar), then called back, rectified and
        # verified by a supervisor signed in under their own name; no further text goes out
        office = HallClient(hall.base_url, hall.token("admin"))
        [loop] = [r for r in office.rectifications() if r["ticket_id"] == mine["id"]]
        assert loop["callback_due"] == next_working_day(loop["day"]) and not loop["overdue"]
        add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
        office.sign_in("9001", "supervisor pw 1")
        called = office.callback_done(mine["id"], "电话回访，已致歉并说明材料要求")["rectification"]
        assert called["callback"]["by"] == "9001" and not called["callback_overdue"]
        office.rectify(mine["id"], "窗口补印一次性告知单")
        done = office.verify_rectification(mine["id"], "群众满意")["rectification"]
        assert done["closed"] and done["verified"]["by"] == "9001"
        assert [r["ticket_id"] for r in office.rectifications()] == []  # none open
        assert len(gw.messages_to(PHONE)) == 3
        assert PHONE not in hall.output()


def next_working_day(day: str) -> str:
    d = date.fromisoformat(day) + timedelta(days=1)
    while not working_day(d):
        d += timedelta(days=1)
    return d.isoformat()
