"""Complaints (吐槽找茬) and 不予受理 (窗口无否决权) through a real hall-server process, on both
stores: a kiosk files a complaint and gets the hall's number of the day (a retry the same
number), a locally numbered one keeps its number; staff assign, reply and close it only when
signed in, each an event with who; 投诉办结率 counts closed / received; the citizen's phone page
shows the state and the reply, a forged link nothing; the text is sealed at rest. A counter's
不予受理 is refused without a reason or a supervisor's sign-off and recorded with both."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from queue_helpers import ServerProcess, add_staff

from queueing.client import HallClient, HallServiceError
from queueing.codes import HallCode
from queueing.hallconfig import load_credentials
from queueing.public_tokens import complaint_token

pytestmark = pytest.mark.usefixtures("store")


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    server = ServerProcess(data, heartbeat=1.0).start()
    yield server
    server.stop()


def test_a_complaint_is_numbered_handled_and_followed(hall: ServerProcess) -> None:
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    first_id = str(uuid.uuid4())
    first = kiosk.file_complaint(first_id, "attitude", "窗口人员态度差，张三")
    number = first["complaint"]["number"]
    day = first["complaint"]["day"].replace("-", "")
    assert number == f"TS-{day}-0001" and first["complaint"]["state"] == "received"
    assert "text" not in first["complaint"]  # a kiosk never reads a citizen's text back
    again = kiosk.file_complaint(first_id, "attitude", "窗口人员态度差，张三")  # a retry after a lost answer
    assert again["complaint"]["number"] == number and not again["complaint"]["new"]
    second = kiosk.file_complaint(str(uuid.uuid4()), "facility", "饮水机没水")["complaint"]["number"]
    assert second == f"TS-{day}-0002"
    local = kiosk.file_complaint(str(uuid.uuid4()), "suggestion", "多开一个窗口",
                                 local_number=f"TS-KIOSK01-{day}-00007")["complaint"]
    assert local["number"] == f"TS-KIOSK01-{day}-00007" and local["offline"]
    # the hall numbered it but its answer was lost: the kiosk printed its own number, reported later
    lost = kiosk.file_complaint(str(uuid.uuid4()), "facility", "灯不亮")["complaint"]
    reported = kiosk.file_complaint(lost["id"], "facility", "灯不亮", local_number=f"TS-KIOSK01-{day}-00008")
    assert reported["complaint"]["number"] == lost["number"] == f"TS-{day}-0003"
    assert kiosk.complaint(f"TS-KIOSK01-{day}-00008")["number"] == lost["number"]  # the slip's number finds it
    slip_qr = f"/c/{complaint_token(load_credentials(hall.data_dir)['hall_key'], f'TS-KIOSK01-{day}-00008')}"
    slip_page = requests.get(hall.base_url + slip_qr, timeout=5)  # the QR the kiosk printed offline
    assert slip_page.status_code == 200 and lost["number"] in slip_page.text and "已受理，待处理" in slip_page.text

    admin = HallClient(hall.base_url, hall.token("admin"))
    with pytest.raises(HallServiceError) as refused:  # the admin token alone is nobody
        admin.complaint_action(number, "assign", to="W01")
    assert refused.value.code == HallCode.SESSION_REQUIRED
    with pytest.raises(HallServiceError) as refused:
        kiosk.complaint_action(number, "close")
    assert refused.value.code == HallCode.FORBIDDEN
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    admin.sign_in("9001", "supervisor pw 1")
    assert admin.complaint_action(number, "assign", to="W01")["assigned_to"] == "W01 1号窗口"
    replied = admin.complaint_action(number, "reply", text="已约谈窗口人员并致歉")
    assert (replied["state"], replied["replied_by"]) == ("replied", "9001")
    closed = admin.complaint_action(number, "close")
    assert (closed["state"], closed["closed_by"]) == ("closed", "9001") and closed["closed_at"]
    with pytest.raises(HallServiceError) as refused:
        admin.complaint_action(number, "reply", text="again")
    assert refused.value.code == HallCode.COMPLAINT_CLOSED
    with pytest.raises(HallServiceError) as refused:
        admin.complaint_action("TS-20000101-0001", "close")
    assert refused.value.code == HallCode.COMPLAINT_NOT_FOUND

    listed = admin.complaints()
    assert listed["closure"] == {"received": 4, "closed": 1, "rate": 0.25}  # 投诉办结率
    assert {c["number"]: c["text"] for c in listed["complaints"]}[number] == "窗口人员态度差，张三"
    assert [c["number"] for c in admin.complaints(state="closed")["complaints"]] == [number]
    followed = kiosk.complaint(number)  # the kiosk's 进度查询 by number
    assert followed["state"] == "closed" and followed["reply"] == "已约谈窗口人员并致歉" and "text" not in followed

    page = requests.get(hall.base_url + first["public_path"], timeout=5)
    assert page.status_code == 200 and "已办结" in page.text and "已约谈窗口人员并致歉" in page.text
    assert "张三" not in page.text  # the citizen's own words are not on the phone page
    english = requests.get(hall.base_url + first["public_path"] + "?lang=en", timeout=5)
    assert "Closed" in english.text
    forged = requests.get(hall.base_url + first["public_path"][:-4] + "0000", timeout=5)
    assert forged.status_code == 404 and "已约谈" not in forged.text


def test_the_text_is_sealed_and_every_step_is_an_event(hall: ServerProcess) -> None:
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    number = kiosk.file_complaint(str(uuid.uuid4()), "efficiency", "排队太久了 secret-words")["complaint"]["number"]
    admin = HallClient(hall.base_url, hall.token("admin"))
    add_staff(hall.data_dir, "9002", "supervisor pw 2", "--supervisor")
    admin.sign_in("9002", "supervisor pw 2")
    admin.complaint_action(number, "assign", to="1001")
    admin.complaint_action(number, "reply", text="已增派人手")
    admin.complaint_action(number, "close")
    events = {kind: data for kind, data in _stream(hall) if kind.startswith("complaint")}
    assert set(events) == {"complaint", "complaint_assigned", "complaint_replied", "complaint_closed"}
    assert events["complaint"]["number"] == number and "secret-words" not in json.dumps(events)
    assert events["complaint_assigned"]["staff_id"] == "9002" and events["complaint_assigned"]["to"] == "1001"
    assert events["complaint_closed"]["staff_id"] == "9002" and events["complaint_closed"]["at"]
    db = hall.data_dir / "queue.db"
    if db.exists():  # the SQLite store: the words are not in the file
        raw = db.read_bytes() + (db.with_name("queue.db-wal").read_bytes() if db.with_name("queue.db-wal").exists()
                                 else b"")
        assert b"secret-words" not in raw
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT count(*) FROM complaints").fetchone()[0] in (0, 1)


def _called(hall: ServerProcess, counter: HallClient) -> str:
    kiosk = HallClient(hall.base_url, hall.token("kiosk"))
    issued = kiosk.issue_ticket("S0101")["ticket"]
    assert counter.call_next("W01") is not None
    return issued["id"]


def test_rejected_needs_a_reason_and_a_supervisors_sign_off(hall: ServerProcess) -> None:
    add_staff(hall.data_dir, "1001", "counter pw 1")
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    counter = HallClient(hall.base_url, hall.token("counter"))
    counter.sign_in("1001", "counter pw 1", "W01")
    ticket_id = _called(hall, counter)
    for kwargs, code in (({}, HallCode.REASON_REQUIRED),
                         ({"reason": "材料不符合法定形式"}, HallCode.SIGN_OFF_REQUIRED),
                         ({"reason": "材料不符合法定形式", "supervisor_id": "9001", "supervisor_pin": "wrong pw"},
                          HallCode.BAD_CREDENTIALS),
                         ({"reason": "材料不符合法定形式", "supervisor_id": "1001", "supervisor_pin": "counter pw 1"},
                          HallCode.SUPERVISOR_REQUIRED)):
        with pytest.raises(HallServiceError) as refused:
            counter.finish("W01", outcome="rejected", **kwargs)
        assert refused.value.code == code, kwargs
    done = counter.finish("W01", outcome="rejected", reason="材料不符合法定形式", supervisor_id="9001",
                          supervisor_pin="supervisor pw 1")
    assert done["ticket"]["id"] == ticket_id and done["ticket"]["outcome"] == "rejected"
    # a supervisor signed in at the counter signs it off by being there
    counter.sign_out()
    counter.sign_in("9001", "supervisor pw 1", "W01")
    _called(hall, counter)
    assert counter.finish("W01", outcome="rejected", reason="不属于本中心事项")["ticket"]["outcome"] == "rejected"
    admin = HallClient(hall.base_url, hall.token("admin"))
    finishes = [e for e in _stream(hall) if e[0] == "finish"]
    assert [(d["outcome"], d.get("reason"), d.get("approved_by"), d["staff_id"]) for _, d in finishes] == [
        ("rejected", "材料不符合法定形式", "9001", "1001"), ("rejected", "不属于本中心事项", "9001", "9001")]
    assert admin.services()["catch_all_service"] == "S0501"  # 兜底 of the sample hall: 咨询服务


def _stream(hall: ServerProcess) -> list[tuple[str, dict]]:
    """Every event so far, from the hall's SSE stream (what the stats and the outbox read)."""
    out: list[tuple[str, dict]] = []
    last = requests.get(hall.base_url + "/api/v1/health", timeout=5).json()["last_event_id"]
    kind, seen = "", 0
    with requests.get(hall.base_url + "/api/v1/events", params={"token": hall.token("admin")},
                      headers={"Last-Event-ID": "0"}, stream=True, timeout=5) as r:
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("id: "):
                seen = int(line[4:])
            elif line.startswith("data: "):
                out.append((kind, json.loads(line[6:])))
                if seen >= last:
                    break
    return out
