"""Issue 14, finding 2: one credential per device and per person, against a real
``main.py hall-server`` process with raw HTTP (requests) and the ``hall-server`` admin commands
run as their own processes, the way an installer or a hall administrator runs them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from queue_helpers import TZ, ServerProcess, add_staff, enrol, hall_cli, small_hall

from offline_cache.sealing import id_number_hash
from queueing.hallconfig import load_credentials

API = "/api/v1"
CITIZEN = "110101199003071234"


class Http:
    """A raw client with one bearer token (and, once signed in, a staff session)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(method, self.base + API + path, json=body, params=params or None,
                                headers=self.headers, timeout=10)

    def sign_in(self, staff_id: str, password: str, counter_id: str | None = None) -> requests.Response:
        r = self("POST", "/sessions", {"staff_id": staff_id, "password": password,
                                        **({"counter_id": counter_id} if counter_id else {})})
        if r.status_code == 201:
            self.headers["X-Hall-Session"] = r.json()["session"]
        return r


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    toml = small_hall().replace('"C1"', '"W01"').replace('"C2"', '"W02"').replace('"C3"', '"W03"')
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    s = ServerProcess(data, heartbeat=1.0).start()
    yield s
    s.stop()


def shared(hall: ServerProcess, role: str) -> Http:
    return Http(hall.base_url, hall.token(role))


def code(r: requests.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def test_a_counter_token_operates_only_its_own_counter(hall: ServerProcess) -> None:
    w01 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w01", "W01"))
    add_staff(hall.data_dir, "1001", "correct horse 1")
    shared(hall, "kiosk")("POST", "/tickets", {"service_id": "S1"})
    assert w01.sign_in("1001", "correct horse 1").status_code == 201
    assert code(w01("POST", "/counters/W02/call-next")) == (403, "wrong_counter")
    assert code(w01("POST", "/counters/W02/pause", {"reason": "lunch"})) == (403, "wrong_counter")
    called = w01("POST", "/counters/W01/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["counter_id"] == "W01"
    # the session is bound to the device that signed in: another device cannot borrow it
    w02 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w02", "W02"))
    w02.headers["X-Hall-Session"] = w01.headers["X-Hall-Session"]
    assert w02("POST", "/counters/W02/call-next").status_code == 401


def _appointment(code_: str, start: datetime, person: str) -> dict[str, Any]:
    return {"code": code_, "service_id": "S2", "id_number_hash": person,
            "slot_start": start.isoformat(timespec="seconds"),
            "slot_end": (start + timedelta(minutes=30)).isoformat(timespec="seconds")}


def test_a_kiosk_token_cannot_write_appointments(hall: ServerProcess) -> None:
    """The attack of the issue: a kiosk token (kept on an unattended public machine) moved a
    citizen's appointment so their check-in was refused, and forged a priority check-in."""
    admin, kiosk = shared(hall, "admin"), shared(hall, "kiosk")
    person = id_number_hash(load_credentials(hall.data_dir)["hall_key"], CITIZEN)
    now = datetime.now(TZ)
    assert admin("POST", "/appointments", {"appointments": [_appointment("APPT-1", now, person)]}).status_code == 200

    moved = kiosk("POST", "/appointments", {"appointments": [_appointment("APPT-1", now + timedelta(days=1), person)]})
    forged = kiosk("POST", "/appointments", {"appointments": [_appointment("FORGED", now, "0" * 64)]})
    enrolled = Http(hall.base_url, enrol(hall.data_dir, "kiosk", "kiosk-03"))
    by_device = enrolled("POST", "/appointments", {"appointments": [_appointment("FORGED2", now, "0" * 64)]})
    assert code(moved) == (403, "forbidden")
    assert code(forged) == (403, "forbidden")
    assert code(by_device) == (403, "forbidden")

    checked_in = kiosk("POST", "/tickets", {"appointment_code": "APPT-1", "id_number": CITIZEN})
    assert checked_in.status_code == 201, checked_in.text
    assert checked_in.json()["ticket"]["priority"] == "appointment"
    assert code(kiosk("POST", "/tickets", {"appointment_code": "FORGED"})) == (409, "appointment_not_found")


def test_a_revoked_token_is_refused_at_once(hall: ServerProcess) -> None:
    display = Http(hall.base_url, enrol(hall.data_dir, "display", "display-hall"))
    assert display("GET", "/display").status_code == 200
    listed = hall_cli(hall.data_dir, "devices").stdout
    assert "display-hall" in listed and "display" in listed
    hall_cli(hall.data_dir, "revoke", "display-hall")
    assert code(display("GET", "/display")) == (401, "unauthorized")
    # the tokens are kept hashed: the printed token appears nowhere in the data directory
    token = display.headers["Authorization"][7:]
    for f in hall.data_dir.iterdir():
        if f.is_file():
            assert token.encode() not in f.read_bytes(), f


def test_the_typed_staff_id_is_gone(hall: ServerProcess) -> None:
    w01 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w01", "W01"))
    add_staff(hall.data_dir, "1001", "correct horse 1")
    kiosk = shared(hall, "kiosk")
    kiosk("POST", "/tickets", {"service_id": "S1"})
    # no session: an enrolled counter cannot operate on a typed staff id
    assert code(w01("POST", "/counters/W01/call-next", {"staff_id": "1001"})) == (401, "session_required")
    assert w01.sign_in("1001", "correct horse 1").status_code == 201
    assert code(w01("POST", "/counters/W01/call-next", {"staff_id": "9999"})) == (403, "staff_mismatch")
    ticket = w01("POST", "/counters/W01/call-next").json()["ticket"]
    assert w01("POST", "/counters/W01/finish", {"outcome": "done"}).status_code == 200
    assert kiosk("POST", f"/tickets/{ticket['id']}/rating", {"level": 5}).status_code == 201

    ratings = shared(hall, "admin")("GET", "/ratings").json()["ratings"]
    assert [r["staff_id"] for r in ratings] == ["1001"]
    stats = shared(hall, "admin")("GET", "/stats").json()
    assert list(stats["by_staff"]) == ["1001"]
    # every event names the device that caused it
    with sqlite3.connect(hall.data_dir / "queue.db") as db:
        rows = db.execute("SELECT kind, data FROM events WHERE kind IN ('call', 'finish')").fetchall()
    assert rows and all('"device":"counter-w01"' in data for _, data in rows)
    assert w01("POST", "/sessions/sign-out").status_code == 204
    assert w01("POST", "/counters/W01/call-next").status_code == 401


def test_lockout_after_repeated_bad_passwords(hall: ServerProcess) -> None:
    w01 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w01", "W01"))
    add_staff(hall.data_dir, "1001", "correct horse 1")
    for _ in range(5):
        assert code(w01.sign_in("1001", "wrong guess")) == (401, "bad_credentials")
    assert code(w01.sign_in("1001", "correct horse 1")) == (403, "account_locked")  # even the right one
    hall_cli(hall.data_dir, "staff", "reset", "1001", "--password-stdin", stdin="new horse 22\n")
    assert w01.sign_in("1001", "new horse 22").status_code == 201
    hall_cli(hall.data_dir, "staff", "disable", "1001")
    assert code(w01.sign_in("1001", "new horse 22")) == (401, "bad_credentials")


def test_rectification_needs_a_supervisor(hall: ServerProcess) -> None:
    admin, kiosk = shared(hall, "admin"), shared(hall, "kiosk")
    add_staff(hall.data_dir, "1001", "correct horse 1")
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    w01 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w01", "W01"))
    w01.sign_in("1001", "correct horse 1")
    kiosk("POST", "/tickets", {"service_id": "S1"})
    tid = w01("POST", "/counters/W01/call-next").json()["ticket"]["id"]
    w01("POST", "/counters/W01/finish", {"outcome": "done"})
    kiosk("POST", f"/tickets/{tid}/rating", {"level": 1, "reason": "slow"})

    dashboard = Http(hall.base_url, enrol(hall.data_dir, "dashboard", "dashboard-office"))
    fix = {"response": "spoke to the citizen"}
    assert code(dashboard("POST", f"/ratings/{tid}/rectification", fix)) == (403, "supervisor_required")
    assert dashboard.sign_in("1001", "correct horse 1").status_code == 201
    assert code(dashboard("POST", f"/ratings/{tid}/rectification", fix)) == (403, "supervisor_required")
    assert dashboard.sign_in("9001", "supervisor pw 1").status_code == 201
    done = dashboard("POST", f"/ratings/{tid}/rectification", fix)
    assert done.status_code == 201 and done.json()["rectification"]["by"] == "9001"
    assert admin("GET", "/ratings").json()["ratings"][0]["rectification"]["by"] == "9001"


def test_shared_role_tokens_can_be_switched_off(hall: ServerProcess) -> None:
    counter, admin = shared(hall, "counter"), shared(hall, "admin")
    assert counter("GET", "/counters").status_code == 200
    hall_cli(hall.data_dir, "roles", "--disable")
    assert code(counter("GET", "/counters")) == (401, "unauthorized")
    assert code(shared(hall, "kiosk")("POST", "/tickets", {"service_id": "S1"})) == (401, "unauthorized")
    assert admin("GET", "/counters").status_code == 200  # the administrator's token stays
    hall_cli(hall.data_dir, "roles", "--enable")
    assert counter("GET", "/counters").status_code == 200


def test_the_admin_token_alone_neither_rectifies_nor_acknowledges(hall: ServerProcess) -> None:
    """Whoever holds the admin token (the installer, a script) is nobody's name: a 差评's
    rectification is signed off by a signed-in supervisor, an alert is acknowledged by a signed-in
    member of staff, each under the session's 工号."""
    admin, kiosk, counter = shared(hall, "admin"), shared(hall, "kiosk"), shared(hall, "counter")
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    kiosk("POST", "/tickets", {"service_id": "S1"})
    tid = counter("POST", "/counters/W01/call-next", {"staff_id": "1001"}).json()["ticket"]["id"]
    counter("POST", "/counters/W01/finish", {"outcome": "done", "staff_id": "1001"})
    kiosk("POST", f"/tickets/{tid}/rating", {"level": 1, "reason": "slow"})
    alert = kiosk("POST", "/alerts", {"kind": "printer", "source": "kiosk-1"}).json()["alert"]["id"]

    fix = {"response": "spoke to the citizen", "staff_id": "9001"}
    assert code(admin("POST", f"/ratings/{tid}/rectification", fix)) == (403, "supervisor_required")
    assert code(admin("POST", f"/alerts/{alert}/ack", {"staff_id": "9001"})) == (401, "session_required")
    assert admin.sign_in("9001", "supervisor pw 1").status_code == 201
    assert admin("POST", f"/ratings/{tid}/rectification", {"response": "spoke"}).status_code == 201
    assert admin("POST", f"/alerts/{alert}/ack").status_code == 200
    assert admin("GET", "/ratings").json()["ratings"][0]["rectification"]["by"] == "9001"
    assert admin("GET", "/alerts", all="true").json()["alerts"][0]["acked_by"] == "9001"


def _event_log(hall: ServerProcess) -> list[tuple[str, dict[str, Any]]]:
    """The hall's event log as a subscriber reads it: the SSE stream replayed from the start, up
    to the last event the hall's health names."""
    from queueing.client import HallClient

    last = requests.get(hall.base_url + API + "/health", timeout=5).json()["last_event_id"]
    events: list[tuple[str, dict[str, Any]]] = []
    if not last:
        return events
    for event in HallClient(hall.base_url, hall.token("admin")).events(last_event_id=0):
        events.append((event.kind, event.data))
        if event.id is not None and event.id >= last:
            break
    return events


def test_sign_in_sign_out_and_lockout_are_in_the_event_log(hall: ServerProcess) -> None:
    w01 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-w01", "W01"))
    add_staff(hall.data_dir, "1001", "correct horse 1")
    assert w01.sign_in("1001", "correct horse 1").status_code == 201
    assert w01("POST", "/sessions/sign-out").status_code == 204
    assert code(w01.sign_in("110101199003071234", "a guess")) == (401, "bad_credentials")  # not a 工号
    for _ in range(5):
        w01.sign_in("1001", "wrong guess")
    assert code(w01.sign_in("1001", "correct horse 1")) == (403, "account_locked")

    log = [(kind, data) for kind, data in _event_log(hall) if kind.startswith("staff_") or kind == "alert"]
    kinds = [kind for kind, _ in log]
    assert kinds[:3] == ["staff_sign_in", "staff_sign_out", "staff_sign_in_refused"]
    assert all(data["device"] == "counter-w01" and data["counter_id"] == "W01" for _, data in log)
    assert log[0][1]["staff_id"] == log[1][1]["staff_id"] == "1001"
    assert log[2][1]["staff_id"] is None and "110101199003071234" not in str(log)  # typed, unknown: not kept
    assert kinds[3:7] == ["staff_sign_in_refused"] * 4
    assert kinds[7:9] == ["alert", "staff_locked"] and log[8][1]["failures"] == 5
    assert log[7][1]["alert_kind"] == "staff_lockout" and "1001" in log[7][1]["message"]
    assert kinds[9] == "staff_sign_in_refused" and log[9][1]["locked"] is True
    alerts = shared(hall, "admin")("GET", "/alerts").json()["alerts"]
    assert [a["kind"] for a in alerts] == ["staff_lockout"]


def test_each_kiosk_has_its_own_anonymous_share(tmp_path: Path) -> None:
    """Tickets without an ID card: each enrolled kiosk takes at most its own share of a service's
    daily cap (``policy.anonymous_share``, per device; ``anonymous_share_by_device`` per name), so
    one kiosk pressed 100 times does not leave the other kiosk with nothing to hand out."""
    data = tmp_path / "hall"
    data.mkdir()
    toml = small_hall(anonymous_share=0.3).replace("daily_cap = 0", "daily_cap = 10", 1)
    toml = toml.replace("[[zones]]", '[policy.anonymous_share_by_device]\n"kiosk-entrance" = 0.5\n[[zones]]', 1)
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    lobby, entrance = enrol(data, "kiosk", "kiosk-lobby"), enrol(data, "kiosk", "kiosk-entrance")
    server = ServerProcess(data, heartbeat=1.0).start()
    try:
        def issued(token: str, n: int = 12, **more: str) -> list[int]:
            kiosk = Http(server.base_url, token)
            answers = [kiosk("POST", "/tickets", {"service_id": "S1", **more}) for _ in range(n)]
            refused = {r.json()["error"]["code"] for r in answers if r.status_code != 201}
            assert refused <= {"anonymous_cap_reached"}, refused
            return [r.status_code for r in answers]

        assert issued(lobby).count(201) == 3  # 0.3 of 10
        assert issued(entrance).count(201) == 5  # its own 0.5
        assert issued(lobby, 1) == [409]
        hall_cli(data, "revoke", "kiosk-lobby")  # re-enrolled: a new token, the same device's share
        assert issued(enrol(data, "kiosk", "kiosk-lobby"), 1) == [409]
        assert Http(server.base_url, entrance)("POST", "/tickets",
                                               {"service_id": "S1", "id_number": CITIZEN}).status_code == 201
    finally:
        server.stop()
