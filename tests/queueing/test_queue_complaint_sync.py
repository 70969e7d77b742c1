"""A complaint handled in the hall reaches the platform: a hall-server process with its outbox,
the real reference platform on loopback. A kiosk files it; a signed-in supervisor assigns,
replies and closes it through the hall API (as the dashboard does); the platform stores each
step as one ``complaint_update`` record, exactly once, though its first answers were lost after
it committed them (its fault injection); never the citizen's words. A platform of the first
release refuses the kind: the hall drops those records and its other records go on. The hall's
queue in SQLite and in PostgreSQL (the ``store`` fixture's server)."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from queue_helpers import ServerProcess, add_staff, small_hall

from queueing.client import HallClient


def wait_for(what, timeout: float = 40.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not seen in time")


def outbox_states(hall_dir: Path) -> dict[tuple[str, str], int]:
    with sqlite3.connect(f"file:{hall_dir / 'offline-cache.db'}?mode=ro", uri=True) as conn:
        return {(k, s): n for k, s, n in conn.execute("SELECT kind, state, count(*) FROM records GROUP BY kind, state")}


@pytest.mark.usefixtures("store")
@pytest.mark.parametrize("platform_kinds", ["current", "v1"])
def test_a_complaints_handling_reaches_the_platform_once(tmp_path: Path, platform_kinds: str) -> None:
    from offline_cache.platform_server import start_reference_platform
    from offline_cache.platform_store import KINDS, V1_KINDS

    platform = start_reference_platform(tmp_path / "platform", kinds=KINDS if platform_kinds == "current" else V1_KINDS)
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    srv = ServerProcess(data, args=("--platform-url", platform.base_url),
                        env={"HALL_PLATFORM_TOKEN": platform.token}).start()
    try:
        # the platform commits the first two batches but its answers are lost: the hall retries
        platform.admin().set_faults([{"fault": "lose_after_commit", "times": 2}])
        kiosk = HallClient(srv.base_url, srv.token("kiosk"))
        filed = kiosk.file_complaint(str(uuid.uuid4()), "attitude", "窗口人员态度差 secret-words")
        number = filed["complaint"]["number"]
        add_staff(data, "9001", "supervisor pw 1", "--supervisor")
        admin = HallClient(srv.base_url, srv.token("admin"))
        admin.sign_in("9001", "supervisor pw 1")
        admin.complaint_action(number, "assign", to="C1")
        admin.complaint_action(number, "reply", text="已约谈窗口人员并致歉")
        admin.complaint_action(number, "close")
        kiosk.issue_ticket("S1")  # a queue event after them

        if platform_kinds == "v1":  # dropped, nothing dead, the queue's events go on
            wait_for(lambda: outbox_states(data).get(("complaint_update", "discarded"), 0) >= 4)
            wait_for(lambda: outbox_states(data).get(("ticket_event", "acked")))
            assert not [k for k in outbox_states(data) if k[1] == "dead"], outbox_states(data)
            return
        wait_for(lambda: "ticket_event" in {r["kind"] for r in platform.store.list_records()})
        updates = wait_for(lambda: [u for u in platform.store.complaint_updates() if u["number"] == number]
                           if len(platform.store.complaint_updates()) >= 4 else None)
        assert [u["event"] for u in updates] == ["complaint", "complaint_assigned", "complaint_replied",
                                                  "complaint_closed"], updates
        assert updates[2]["reply"] == "已约谈窗口人员并致歉" and updates[2]["staff_id"] == "9001"
        assert updates[1]["to"].startswith("C1")
        assert "secret-words" not in json.dumps(updates, ensure_ascii=False)
        assert platform.faults.describe()["fired"].get("lose_after_commit") == 2  # the fault did happen
        wait_for(lambda: outbox_states(data).get(("complaint_update", "acked")) == 4)
        stats = platform.store.stats()
        assert stats["accepted_twice"] == 0 and stats["ingest"].get("duplicate"), stats  # retried, stored once
        assert len([r for r in platform.store.list_records() if r["kind"] == "complaint_update"]) == 4
    finally:
        srv.stop()
        platform.stop()
