"""Statistics with history through a real hall-server on both stores: a day of counters and
citizens, then ``GET /api/v1/stats/history`` and the monthly report routes. The month-long
must-show is tests/ui/test_ui_dashboard_month.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from queue_helpers import ServerProcess, StoreChoice, add_staff, hall_cli

from queueing.client import HallClient, HallServiceError
from queueing.stats_history import visits

pytestmark = pytest.mark.usefixtures("store")


def test_a_day_of_cases_ratings_and_a_rectification(tmp_path: Path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    srv = ServerProcess(data).start()  # the sample hall: services as the catalogue has them
    try:
        kiosk = HallClient(srv.base_url, srv.token("kiosk"))
        counter = HallClient(srv.base_url, srv.token("counter"))
        admin = HallClient(srv.base_url, srv.token("admin"))
        person = "110105198001010011"
        plan = [("S0101", person, "done", 5), ("S0101", person, "done", 4),  # 即办件, one person twice
                ("S0102", None, "accepted_with_commitment", 3), ("S0102", None, "consulted", 2),  # 承诺件
                ("S0401", None, "rejected", 1), ("S0401", None, "accepted_with_gaps", None)]  # 即办件
        add_staff(data, "9001", "supervisor pw 1", "--supervisor")
        tickets = []
        for sid, who, outcome, level in plan:  # one at a time: a person holds one ticket per service
            tickets.append(kiosk.issue_ticket(sid, id_number=who)["ticket"])
            called = counter.call_next("W01", staff_id="s-01")
            assert called is not None and called["ticket"]["id"] == tickets[-1]["id"]
            counter.start("W01", staff_id="s-01")
            signed = {"reason": "不属于本中心受理范围", "supervisor_id": "9001",
                      "supervisor_pin": "supervisor pw 1"} if outcome == "rejected" else {}  # 窗口无否决权
            counter.finish("W01", outcome, staff_id="s-01", **signed)
            if level is not None:
                kiosk.rate(called["ticket"]["id"], level, reason="attitude" if level <= 2 else None)
        admin.sign_in("9001", "supervisor pw 1")
        rated = {r["ticket_id"]: r for r in admin.ratings(bad=True)}
        assert len(rated) == 2
        admin.rectify(sorted(rated)[0], "已回访并整改")

        figures = admin.stats_history()
        rates = figures["rates"]
        # accepted: done, done, commitment, gaps (not consulted, not rejected); finished: the two done
        assert rates["completion"] == {"accepted": 4, "finished": 2, "rate": 0.5}
        assert rates["satisfaction"] == {"ratings": 5, "satisfied": 2, "rate": 0.4}  # levels 5 and 4 only
        assert rates["rectification"] == {"bad": 2, "rectified": 1, "rate": 0.5}
        assert rates["complaints"] == {"received": 0, "closed": 0, "rate": None}
        assert rates["same_day_items"] == {"cases": 4, "same_day": 3, "rate": 0.75}  # S0101 ×2, S0401
        assert rates["rejected"] == {"cases": 1}  # 不予受理, signed off: reported, not an accepted case
        assert figures["by_service"]["S0401"]["rates"]["rejected"] == {"cases": 1}
        v = figures["visits"]
        # one person came twice for S0101 on one day: one visit; four anonymous tickets: four
        assert (v["visits"], v["matters"], v["anonymous"]) == (5, 5, 4)
        assert figures["by_staff"]["s-01"]["rates"]["completion"]["accepted"] == 4
        assert figures["by_service"]["S0101"]["item_kind"] == "即办件"
        assert figures["definitions"]["satisfied_levels"] == [5, 4]
        assert figures["totals"]["issued"] == 6 and list(figures["by_day"]) == [figures["from"]]
        assert admin.stats()["by_day"][figures["from"]]["issued"] == 6  # /api/v1/stats grew, kept its keys

        month = figures["from"][:7]
        book = load_workbook(io.BytesIO(admin.stats_report("xlsx", month=month, language="en")))
        assert book.sheetnames == ["Summary", "By service", "By counter", "By staff", "By hour of issue",
                                   "By day", "Visits"]
        summary = list(book["Summary"].iter_rows(values_only=True))
        assert summary[0] == ("Measure", "Value", "Numerator", "Denominator", "Definition")
        assert summary[1][:4] == ("Completion rate", 0.5, 2, 4)
        assert {r[0]: r[1] for r in summary if r}["Not accepted (signed off by a supervisor)"] == 1
        by_service = list(book["By service"].iter_rows(values_only=True))
        column = by_service[0].index("Not accepted")
        assert {r[0]: r[column] for r in by_service[1:]} == {"S0101": 0, "S0102": 0, "S0401": 1}
        assert admin.stats_report("pdf", month=month).startswith(b"%PDF")
        with pytest.raises(HallServiceError) as bad_month:
            admin.stats_report("xlsx", month="2026-13")
        assert bad_month.value.code == "invalid_date"
        with pytest.raises(HallServiceError) as refused:
            counter.stats_history()  # a counter's token sees its day's counts, not the hall's history
        assert refused.value.status == 403

        # the same report from the command line, as a cron job files it
        out = tmp_path / "month.xlsx"
        store = ("--store", StoreChoice.url) if StoreChoice.url else ()
        done = hall_cli(data, "report", "--month", month, "--out", str(out), *store)
        assert "wrote" in done.stdout
        cli_summary = list(load_workbook(out)["汇总"].iter_rows(values_only=True))
        assert cli_summary[0] == ("指标", "数值", "分子", "分母", "口径")
        assert cli_summary[1][:4] == ("办结率", 0.5, 2, 4)
        assert hall_cli(data, "report", "--month", "2026-13", "--out", str(out), check=False).returncode == 2
    finally:
        srv.stop()


def test_visits_count_days_within_thirty_days_of_a_first_visit() -> None:
    rows = [("p", "S1", "2026-11-02"), ("p", "S1", "2026-11-02"), ("p", "S1", "2026-11-20"),
            ("p", "S1", "2026-12-02"),  # 30 days after the first: a new matter
            ("p", "S2", "2026-11-03"), (None, "S1", "2026-11-03")]
    v = visits(rows)
    assert v["by_service"]["S1"] == {"visits": 4, "matters": 3, "once": 2, "anonymous": 1,
                                     "per_matter": 1.3333, "once_share": 0.6667}
    assert (v["visits"], v["matters"], v["once"]) == (5, 4, 3)
