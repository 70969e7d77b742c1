"""Issue 15, cases and the rectification loop with clocks, against a real ``main.py hall-server``
process over raw HTTP, on both stores: a counter finishes a case with its 办件编号 (or the window
business system sets it later), ratings tie to the case, the counter and the signed-in staff,
one 追评 per rating; the 差评 loop's deadlines count working days over National Day 2026
(chinese-calendar: 1–7 October off, Saturday 10 October a 调休 working day), the hall service's
wall clock moved by libfaketime (monotonic clocks move with it, so the service sees days pass);
a supervisor's session records callback and verification; the three lists download as XLSX/CSV."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from queue_helpers import ServerProcess, add_staff, enrol, small_hall

from queueing.workdays import Workdays
from tests.faketime import LIBFAKETIME

pytestmark = pytest.mark.usefixtures("store")

needs_faketime = pytest.mark.skipif(
    not LIBFAKETIME or shutil.which("faketime") is None, reason="libfaketime (Debian package faketime) missing"
)
API = "/api/v1"


class Http:
    """A raw client with one bearer token (and, once signed in, a staff session)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(method, self.base + API + path, json=body, params=params or None,
                                headers=self.headers, timeout=20)

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        r = self(method, path, body, **params)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    def sign_in(self, staff_id: str, password: str) -> None:
        r = self("POST", "/sessions", {"staff_id": staff_id, "password": password})
        assert r.status_code == 201, r.text
        self.headers["X-Hall-Session"] = r.json()["session"]


def code(r: requests.Response) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def hall_toml(rating: str = "") -> str:
    return small_hall() + "\n[rating]\n" + rating


def events(hall: ServerProcess) -> list[tuple[str, dict[str, Any]]]:
    from queueing.client import HallClient

    last = requests.get(hall.base_url + API + "/health", timeout=5).json()["last_event_id"]
    out: list[tuple[str, dict[str, Any]]] = []
    for event in HallClient(hall.base_url, hall.token("admin"), timeout=20).events(last_event_id=0):
        out.append((event.kind, event.data))
        if event.id is not None and event.id >= last:
            break
    return out


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(hall_toml('stages = ["accept", "finish"]\n'), encoding="utf-8")
    s = ServerProcess(data, heartbeat=1.0).start()
    yield s
    s.stop()


def test_a_case_carries_its_number_and_its_ratings_name_case_counter_and_staff(hall: ServerProcess) -> None:
    kiosk, admin = Http(hall.base_url, hall.token("kiosk")), Http(hall.base_url, hall.token("admin"))
    add_staff(hall.data_dir, "1001", "correct horse 1")
    c1 = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-c1", "C1"))
    c1.sign_in("1001", "correct horse 1")
    first = kiosk.ok("POST", "/tickets", {"service_id": "S1"})["ticket"]["id"]
    second = kiosk.ok("POST", "/tickets", {"service_id": "S1"})["ticket"]["id"]

    assert c1.ok("POST", "/counters/C1/call-next")["ticket"]["id"] == first
    early = kiosk("POST", f"/tickets/{first}/rating", {"level": 5, "stage": "accept"})
    assert code(early) == (409, "stage_not_reached")
    stage = f"/tickets/{first}/rating-stage"  # what the kiosk asks: the stage rated now
    assert kiosk.ok("GET", stage) == {"stage": None, "stage_rated": False, "stages": ["accept", "finish"]}
    c1.ok("POST", "/counters/C1/start")
    assert (kiosk.ok("GET", stage)["stage"], kiosk.ok("GET", stage)["stage_rated"]) == ("accept", False)
    # 一事多评: the citizen rates the acceptance, with sub-scores, while the case is served
    accept = kiosk.ok("POST", f"/tickets/{first}/rating",
                      {"level": 5, "stage": "accept", "attitude": 5, "efficiency": 4, "competence": 5,
                       "comment": "clear guidance"})["rating"]
    assert (accept["stage"], accept["attitude"], accept["efficiency"], accept["staff_id"]) == ("accept", 5, 4, "1001")
    assert code(kiosk("POST", f"/tickets/{first}/rating", {"level": 4})) == (409, "ticket_not_finished")
    assert kiosk.ok("GET", stage)["stage_rated"] is True
    assert code(c1("POST", "/counters/C1/finish", {"case_no": "no spaces allowed"})) == (422, "invalid_case_no")
    done = c1.ok("POST", "/counters/C1/finish", {"outcome": "done", "case_no": "330100202609300001"})["ticket"]
    assert done["case_no"] == "330100202609300001"
    assert (kiosk.ok("GET", stage)["stage"], kiosk.ok("GET", stage)["stage_rated"]) == ("finish", False)
    assert code(kiosk("POST", f"/tickets/{first}/rating", {"level": 2})) == (422, "reason_required")
    assert kiosk("POST", f"/tickets/{first}/rating", {"level": 4, "attitude": 6}).status_code == 422
    rating = kiosk.ok("POST", f"/tickets/{first}/rating",
                      {"level": 2, "reason": "slow", "attitude": 2, "efficiency": 1})["rating"]
    assert (rating["case_no"], rating["counter_id"], rating["staff_id"], rating["stage"]) == (
        "330100202609300001", "C1", "1001", "finish")
    assert code(kiosk("POST", f"/tickets/{first}/rating", {"level": 5})) == (409, "already_rated")

    # one 追评 per rating, refused the second time
    follow = kiosk.ok("POST", f"/tickets/{first}/rating/followup", {"comment": "please open a second window"})
    assert follow["followup"]["followup_comment"] == "please open a second window"
    assert code(kiosk("POST", f"/tickets/{first}/rating/followup", {"comment": "again"})) == (409, "followup_exists")
    assert code(kiosk("POST", f"/tickets/{second}/rating/followup", {"comment": "x"})) == (404, "rating_not_found")
    # the case's ratings by its number (办件查询 and the receipt's page offer the 追评 from them)
    of_case = kiosk.ok("GET", "/cases/330100202609300001/ratings")["ratings"]
    assert [(r["stage"], r["level"], r["followed_up"], r["ticket_id"]) for r in of_case] == [
        ("accept", 5, False, first), ("finish", 2, True, first)]
    assert kiosk.ok("GET", "/cases/SG0000000000000/ratings")["ratings"] == []

    # the window business system gives the other case its number after the finish
    c1.ok("POST", "/counters/C1/call-next")
    c1.ok("POST", "/counters/C1/finish", {"outcome": "done"})
    assert code(admin("PUT", f"/tickets/{second}/case", {"case_no": "bad number"})) == (422, "invalid_case_no")
    assert admin.ok("PUT", f"/tickets/{second}/case", {"case_no": "WB-2026/0002"})["ticket"]["case_no"] == \
        "WB-2026/0002"
    assert admin.ok("GET", f"/tickets/{second}")["ticket"]["case_no"] == "WB-2026/0002"
    kiosk.ok("POST", f"/tickets/{second}/rating", {"level": 5})
    # a bad 追评 of a good rating opens the loop too, and the rectification closes it
    kiosk.ok("POST", f"/tickets/{second}/rating/followup", {"comment": "the form was lost", "level": 1})
    other = Http(hall.base_url, enrol(hall.data_dir, "counter", "counter-c2", "C2"))
    assert code(other("PUT", f"/tickets/{second}/case", {"case_no": "X1"})) == (403, "wrong_counter")

    log = events(hall)
    finish = [d for k, d in log if k == "finish"]
    assert [d["case_no"] for d in finish] == ["330100202609300001", None]
    rated = [d for k, d in log if k == "rating"]
    assert [(d["stage"], d["case_no"], d["counter_id"], d["staff_id"]) for d in rated] == [
        ("accept", None, "C1", "1001"), ("finish", "330100202609300001", "C1", "1001"),
        ("finish", "WB-2026/0002", "C1", "1001")]
    assert rated[1]["scores"] == {"attitude": 2, "efficiency": 1, "competence": None}
    assert [d["case_no"] for k, d in log if k == "case_no"] == ["WB-2026/0002"]
    assert [(d["comment"], d["loop_opened"]) for k, d in log if k == "rating_followup"] == [
        ("please open a second window", False), ("the form was lost", True)]
    # the 差评 opened its loop; GET /ratings names the case
    loops = admin.ok("GET", "/rectifications")["rectifications"]
    assert [(r["number"], r["case_no"], r["stage"]) for r in loops] == [
        ("A001", "330100202609300001", "finish"), ("A002", "WB-2026/0002", "finish")]
    listed = admin.ok("GET", "/ratings")["ratings"]
    assert [(r["case_no"], r["attitude"], r["is_default"], r["followup_level"]) for r in listed] == [
        ("330100202609300001", 2, 0, None), ("WB-2026/0002", None, 0, 1)]
    needs = admin("GET", "/rectifications/lists/needs", format="csv", lang="en").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(needs)))
    assert [(r["Stage"], r["Case no."], r["Comment"], r["Follow-up"]) for r in table] == [
        ("accept", "330100202609300001", "clear guidance", ""),
        ("finish", "330100202609300001", "", "please open a second window"),
        ("finish", "WB-2026/0002", "", "the form was lost")]
    add_staff(hall.data_dir, "9001", "supervisor pw 1", "--supervisor")
    admin.sign_in("9001", "supervisor pw 1")
    assert admin("POST", f"/ratings/{second}/rectification", {"response": "form found"}).status_code == 201
    assert [r["rectification"] is not None for r in admin.ok("GET", "/rectifications")["rectifications"]] == [
        False, True]


def test_the_default_stage_is_finish_only(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    with _Running(data) as srv:
        kiosk, counter = Http(srv.base_url, srv.token("kiosk")), Http(srv.base_url, srv.token("counter"))
        tid = kiosk.ok("POST", "/tickets", {"service_id": "S1"})["ticket"]["id"]
        counter.ok("POST", "/counters/C1/call-next", {"staff_id": "1001"})
        counter.ok("POST", "/counters/C1/start", {"staff_id": "1001"})
        assert code(kiosk("POST", f"/tickets/{tid}/rating", {"level": 5, "stage": "accept"})) == (422, "invalid_stage")


class _Running:
    """A hall-server for one ``with`` block."""

    def __init__(self, data: Path, env: dict[str, str] | None = None) -> None:
        self.srv = ServerProcess(data, heartbeat=1.0, env=env)

    def __enter__(self) -> ServerProcess:
        return self.srv.start()

    def __exit__(self, *exc: object) -> None:
        self.srv.stop()


class WallClock:
    """The hall-server's clock through libfaketime: an absolute local time in a file it re-reads;
    the monotonic clocks follow, so a step here is time passing, not a clock fault."""

    def __init__(self, path: Path, start: str) -> None:
        self.path = path
        self.set(start)

    def set(self, when: str) -> None:
        self.path.write_text(f"@{when}\n")

    def env(self) -> dict[str, str]:
        return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_NO_CACHE": "1",
                "TZ": "Asia/Shanghai"}


@needs_faketime
def test_the_clocks_of_a_bad_rating_count_working_days_over_national_day(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(hall_toml(), encoding="utf-8")  # the defaults: 1 / 15 / 5 working days
    clock = WallClock(tmp_path / "faketime", "2026-09-30 10:00:00")
    add_staff(data, "9001", "supervisor pw 1", "--supervisor")
    with _Running(data, clock.env()) as hall:
        kiosk, counter = Http(hall.base_url, hall.token("kiosk")), Http(hall.base_url, hall.token("counter"))
        office_token = enrol(data, "dashboard", "office")
        office = Http(hall.base_url, office_token)  # the dashboard's reads need no session

        def supervisor() -> Http:  # a session ends after days: the supervisor signs in when acting
            at_desk = Http(hall.base_url, office_token)
            at_desk.sign_in("9001", "supervisor pw 1")
            return at_desk
        bad = kiosk.ok("POST", "/tickets", {"service_id": "S1"})["ticket"]["id"]
        unrated = kiosk.ok("POST", "/tickets", {"service_id": "S1"})["ticket"]["id"]
        case_of = {bad: "CASE-0930-1", unrated: "CASE-0930-2"}
        for _ in case_of:  # whichever the counter is given first (both issued in the same frozen second)
            called = counter.ok("POST", "/counters/C1/call-next", {"staff_id": "1001"})["ticket"]["id"]
            counter.ok("POST", "/counters/C1/finish", {"staff_id": "1001", "case_no": case_of[called]})
        kiosk.ok("POST", f"/tickets/{bad}/rating", {"level": 1, "reason": "rude", "comment": "nobody explained"})
        [loop] = office.ok("GET", "/rectifications")["rectifications"]
        # Wednesday 30 September: the next working day is Thursday 8 October (1–7 off); the 15th
        # counts Saturday 10 October (调休) and lands on Tuesday 27 October
        assert (loop["callback_due"], loop["rectify_due"], loop["overdue"]) == ("2026-10-08", "2026-10-27", False)

        clock.set("2026-10-08 09:00:00")
        [loop] = office.ok("GET", "/rectifications")["rectifications"]
        assert not loop["callback_overdue"]
        assert "rating_overdue" not in [a["kind"] for a in office.ok("GET", "/alerts")["alerts"]]

        clock.set("2026-10-09 09:00:00")
        [loop] = office.ok("GET", "/rectifications")["rectifications"]
        assert loop["callback_overdue"] and loop["overdue"] and not loop["rectify_overdue"]
        overdue = [a for a in office.ok("GET", "/alerts")["alerts"] if a["kind"] == "rating_overdue"]
        assert len(overdue) == 1 and "2026-10-08" in overdue[0]["message"]
        # the supervisor's actions need the supervisor's own session
        assert code(office("POST", f"/rectifications/{bad}/callback", {"note": "called"})) == (
            403, "supervisor_required")
        boss = supervisor()
        back = boss.ok("POST", f"/rectifications/{bad}/callback", {"note": "called the citizen, apologised"})
        assert back["rectification"]["callback"]["by"] == "9001"
        assert back["rectification"]["callback_overdue"] and not back["rectification"]["overdue"]
        assert code(boss("POST", f"/rectifications/{bad}/callback", {"note": "again"})) == (
            409, "already_called_back")
        assert code(boss("POST", f"/rectifications/{bad}/verify", {"note": "checked"})) == (409, "not_rectified")

        # an unrated case counts as 满意 after 5 working days: 8, 9, 10 (调休), 12, 13 October
        clock.set("2026-10-13 09:00:00")
        assert [r["ticket_id"] for r in office.ok("GET", "/ratings", **{"from": "2026-09-30"})["ratings"]] == [bad]
        clock.set("2026-10-14 09:00:00")
        rows = office.ok("GET", "/ratings", **{"from": "2026-09-30"})["ratings"]
        assert [(r["ticket_id"], r["level"], r["is_default"], r["case_no"]) for r in rows] == [
            (bad, 1, 0, "CASE-0930-1"), (unrated, 4, 1, "CASE-0930-2")]

        clock.set("2026-10-28 09:00:00")
        [loop] = office.ok("GET", "/rectifications")["rectifications"]
        assert loop["rectify_overdue"]
        assert len([a for a in office.ok("GET", "/alerts")["alerts"] if a["kind"] == "rating_overdue"]) == 2
        boss = supervisor()
        boss.ok("POST", f"/ratings/{bad}/rectification", {"response": "window staff retrained"})
        done = boss.ok("POST", f"/rectifications/{bad}/verify", {"note": "citizen satisfied"})["rectification"]
        assert done["closed"] and done["verified"]["by"] == "9001"
        assert code(boss("POST", f"/rectifications/{bad}/verify", {"note": "x"})) == (409, "already_verified")
        assert office.ok("GET", "/rectifications")["rectifications"] == []  # none open
        closed = office.ok("GET", "/rectifications", **{"from": "2026-09-01", "to": "2026-10-31"})["rectifications"]
        assert [r["rectification"]["response"] for r in closed] == ["window staff retrained"]

        # the three lists as a supervisor hands them in
        got = office("GET", "/rectifications/lists/problems", **{"from": "2026-09-30", "to": "2026-10-31",
                                                                   "format": "xlsx"})
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxml")
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(got.content)).active
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        assert table[0][:3] == ["票号", "服务日", "办件编号"]
        assert [(r[0], r[2], r[7]) for r in table[1:]] == [("A001", "CASE-0930-1", 1)]
        needs = office("GET", "/rectifications/lists/needs", **{"from": "2026-09-30", "format": "csv", "lang": "en"})
        rows_csv = list(csv.reader(io.StringIO(needs.content.decode("utf-8-sig"))))
        said = rows_csv[0].index("Comment")
        assert rows_csv[0][0] == "Ticket" and [r[said] for r in rows_csv[1:]] == ["nobody explained"]
        fixes = office("GET", "/rectifications/lists/rectification", **{"from": "2026-09-30", "format": "csv"})
        rows_fix = list(csv.reader(io.StringIO(fixes.content.decode("utf-8-sig"))))
        assert [(r[0], r[6], r[10], r[13], r[16]) for r in rows_fix[1:]] == [
            ("A001", "2026-10-08", "2026-10-27", "window staff retrained", "True")]
        assert code(office("GET", "/rectifications/lists/complaints")) == (422, "invalid_request")

    kinds = [k for k, _ in _log_of(data, clock)]
    assert {"rating_callback", "rating_verified", "rating_default", "rectification"} <= set(kinds)


def _log_of(data: Path, clock: WallClock) -> list[tuple[str, dict[str, Any]]]:
    with _Running(data, clock.env()) as hall:
        return events(hall)


def test_the_hall_override_file_adds_holidays_and_working_days(tmp_path: Path) -> None:
    (tmp_path / "workdays.toml").write_text('holidays = ["2026-10-08"]\nworkdays = ["2026-10-04"]\n')
    days = Workdays.load(tmp_path)
    assert not days.is_workday(Workdays().add("2026-09-30", 1))  # 8 October is the hall's own day off
    assert days.add("2026-09-30", 1).isoformat() == "2026-10-04"  # a Sunday the hall opens
    assert days.add("2026-10-04", 1).isoformat() == "2026-10-09"
    assert Workdays().add("2026-10-09", 1).isoformat() == "2026-10-10"  # the 调休 Saturday
    assert Workdays().between("2026-09-30", "2026-10-27") == 15


def test_a_year_without_calendar_data_counts_weekdays_and_a_bad_override_is_refused(tmp_path: Path) -> None:
    from datetime import date

    from queueing.hallconfig import ConfigError

    assert Workdays().is_workday(date(2101, 1, 3))  # a Monday of a year the calendar does not know yet
    assert not Workdays().is_workday(date(2101, 1, 1))  # a Saturday
    (tmp_path / "workdays.toml").write_text('holidays = ["2026-13-01"]\n')
    with pytest.raises(ConfigError, match="holidays"):
        Workdays.load(tmp_path)
    (tmp_path / "workdays.toml").write_text('extra = ["2026-10-01"]\n')
    with pytest.raises(ConfigError, match="unknown keys extra"):
        Workdays.load(tmp_path)


def test_the_openapi_document_publishes_the_case_routes(hall: ServerProcess) -> None:
    doc = requests.get(hall.base_url + "/openapi.json", timeout=10).json()
    for path, method in (("/api/v1/tickets/{ticket_id}/case", "put"),
                         ("/api/v1/tickets/{ticket_id}/rating/followup", "post"),
                         ("/api/v1/rectifications", "get"),
                         ("/api/v1/rectifications/{ticket_id}/callback", "post"),
                         ("/api/v1/rectifications/{ticket_id}/verify", "post"),
                         ("/api/v1/rectifications/lists/{which}", "get")):
        assert method in doc["paths"][path], path
        assert "4XX" in doc["paths"][path][method]["responses"] or any(
            code.startswith("4") for code in doc["paths"][path][method]["responses"]), path
    schemas = doc["components"]["schemas"]
    assert "case_no" in schemas["FinishBody"]["properties"] and "case_no" in schemas["TicketOut"]["properties"]
    rating = schemas["RatingBody"]["properties"]
    assert {"stage", "attitude", "efficiency", "competence"} <= set(rating)
    codes = set(schemas["ErrorDetail"]["properties"]["code"].get("enum", [])) or set(
        schemas[schemas["ErrorDetail"]["properties"]["code"]["$ref"].split("/")[-1]]["enum"])
    assert {"invalid_case_no", "followup_exists", "already_called_back", "not_rectified"} <= codes


@pytest.mark.parametrize(("rating", "message"), [
    ('stages = ["finish", "accept"]', 'ending with "finish"'),
    ('stages = ["intake", "finish"]', "rating.stages"),
    ('default_level = "happy"', "rating.default_level"),
    ("rectify_working_days = 0", "rating.rectify_working_days"),
])
def test_a_wrong_rating_table_is_refused_naming_the_key(rating: str, message: str) -> None:
    from queueing.hallconfig import ConfigError, parse_hall

    with pytest.raises(ConfigError, match=message):
        parse_hall(hall_toml(rating + "\n"))
    assert parse_hall(hall_toml('stages = ["accept", "finish"]\n')).rating.stages == ("accept", "finish")
