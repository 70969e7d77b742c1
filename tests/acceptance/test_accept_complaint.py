"""吐槽找茬 as a citizen meets it: a complaint written on the on-screen keyboard gets the hall's
number on the screen and on a printed slip (the paper read back), reaches the platform once,
is answered and closed by the hall's staff, and is followed by its number at the kiosk's 办件查询
and on the phone page of the slip's QR; with the hall unreachable it is still taken, numbered
by the kiosk, the slip says so, and the hall gets it when it is back. The 兜底 choice at 取号
(不确定办哪项 / 其他事项) gives a ticket for the hall's catch-all window."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import requests

from common.i18n import translate
from queueing.client import HallClient
from queueing.credentials import DEMO_STAFF_PIN
from tests.acceptance.person import Person

HALL_NO = re.compile(r"^TS-\d{8}-\d{4}$")
LOCAL_NO = re.compile(r"^TS-[A-Z0-9]+-\d{8}-\d{5}$")


def zh(key: str, **kw: object) -> str:
    return str(translate("zh_CN", key, **kw))


def _complain(person: Person, words: str) -> str:
    person.wait_for(zh("home.title"))
    person.tap("评价与建议")
    person.tap(zh("rating.complain"))
    person.tap(zh("complaint.topic.attitude"))
    person.tap("text")
    person.type(words)                               # digits and spaces: no pinyin candidates
    person.tap("button_send")
    person.wait_for(zh("complaint.done.title"))
    return next(t for t in person.texts() if t.startswith("TS-"))


def _platform_kinds(person: Person, kind: str, at_least: int) -> list[dict]:
    platform = person.assembly.platform.running
    deadline, found = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        found = [r for r in platform.store.list_records() if r["kind"] == kind]
        if len(found) >= at_least:
            break
        person.wait(0.5)
    return found


def test_a_complaint_is_numbered_answered_and_followed(person: Person) -> None:
    number = _complain(person, "3 5")
    assert HALL_NO.match(number), person.texts()
    assert person.sees(zh("complaint.done.printed")), person.texts()
    paper = person.printed()
    assert any("投诉建议受理回执" in line for line in paper) and number in paper, paper
    assert not any("3 5" in line for line in paper)  # the slip carries the number, never the words
    qr = person.printed_qr()
    assert "/c/" in qr
    page = requests.get(qr, timeout=10)
    assert page.status_code == 200 and number in page.text and "已受理，待处理" in page.text

    hall = person.assembly.hall
    staff = HallClient(hall.url, hall.tokens["admin"])
    staff.sign_in("s-W01", DEMO_STAFF_PIN)           # the demo hall's supervisor
    listed = staff.complaints()["complaints"]
    assert [(c["number"], c["text"]) for c in listed] == [(number, "3 5")]
    staff.complaint_action(number, "reply", text="已核实，已对窗口人员进行批评教育")
    staff.complaint_action(number, "close")

    person.tap(zh("common.finish"))
    person.wait_for(zh("home.title"))
    person.tap("办件查询")
    person.tap("输入受理编号")
    for key in number:
        person.tap(f"key_{key}", settle=0.15)
    person.tap("查询")
    person.wait_for("已核实，已对窗口人员进行批评教育")
    assert person.sees("已办结") and person.sees(number), person.texts()

    person.tap(zh("common.finish"))
    person.wait_for(zh("home.title"))
    person.tap("办件查询")
    person.wait_for("请扫描回执上的二维码")
    person.scan_printed_qr()                         # the slip's QR under the kiosk's scanner
    person.wait_for("已核实，已对窗口人员进行批评教育")

    page = requests.get(qr, timeout=10)              # the phone: the state and the hall's answer
    assert "已办结" in page.text and "已核实，已对窗口人员进行批评教育" in page.text
    assert _platform_kinds(person, "complaint", 1)
    person.wait(2.0)                                  # a second copy would have come by now
    records = [r for r in person.assembly.platform.running.store.list_records() if r["kind"] == "complaint"]
    assert len(records) == 1, records                 # the platform gets it exactly once


def test_the_catch_all_choice_gives_a_ticket_for_the_help_window(person: Person) -> None:
    person.tap("取号")
    person.wait_for(zh("ticket.catch_all"))
    person.tap(zh("ticket.catch_all"))
    person.wait_for("取号成功")
    number = next(t for t in person.texts() if re.match(r"^[A-Z]\d{3}$", t))
    hall = person.assembly.hall
    waiting = HallClient(hall.url, hall.tokens["admin"]).waiting("S0501")  # 咨询服务, the catch-all
    assert [t["number"] for t in waiting] == [number]


def test_without_a_catch_all_service_the_choice_is_absent(people: Callable[..., Person], tmp_path: Path) -> None:
    from queueing.hallconfig import sample_hall_toml
    from tests.queueing.queue_helpers import ServerProcess

    data = tmp_path / "hall"
    data.mkdir()
    toml = "\n".join(line for line in sample_hall_toml().splitlines() if not line.startswith("catch_all_service"))
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    server = ServerProcess(data, heartbeat=1.0).start()
    try:
        kiosk_toml = tmp_path / "kiosk.toml"
        kiosk_toml.write_text(f'[hall_service]\nurl = "{server.base_url}"\ntoken = "{server.token("kiosk")}"\n',
                              encoding="utf-8")
        person = people(config=kiosk_toml)
        person.tap("取号")
        person.wait_for("辅助服务窗口")
        assert not person.sees(zh("ticket.catch_all")), person.texts()
        person.tap("辅助服务窗口")
        person.wait_for("咨询服务")
        assert not person.sees(zh("ticket.catch_all")), person.texts()
        person.tap("咨询服务")
        person.wait_for("取号成功")                   # the hall was there all along: it just names none
    finally:
        server.stop()


def test_with_the_hall_away_a_complaint_is_numbered_here_and_reported_later(
        people: Callable[..., Person], tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queueing"))  # hall_process's own imports
    from tests.queueing.hall_process import HallProcess  # a real hall-server that keeps its port

    server = HallProcess(tmp_path / "hall").start()
    token = server.token("kiosk")
    server.stop()                                     # the hall's machine is down
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[hall_service]\nurl = "{server.base_url}"\ntoken = "{token}"\ntimeout_s = 1.0\n',
                    encoding="utf-8")
    person = people(config=toml)
    try:
        number = _complain(person, "8 8")
        assert LOCAL_NO.match(number), person.texts()
        assert person.sees(zh("complaint.done.offline")), person.texts()
        paper = person.printed()
        assert number in paper and any("本编号为本机编号" in line for line in paper), paper

        server.start()                                # back
        person.tap(zh("common.finish"))
        person.wait_for(zh("home.title"))
        person.tap("取号")                             # the kiosk sees the hall again
        admin = HallClient(server.base_url, server.token("admin"))
        deadline, listed = time.monotonic() + 20, []
        while time.monotonic() < deadline and not listed:
            person.wait(0.5)
            listed = admin.complaints()["complaints"]
        assert [(c["number"], c["offline"], c["text"]) for c in listed] == [(number, True, "8 8")]
        assert len(_platform_kinds(person, "complaint", 1)) == 1
    finally:
        server.stop()
