"""Supervisor dashboard against a real hall service process: figures, bad ratings and their
rectification, alerts, and the CSV/XLSX report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from queueing.client import HallClient
from tests.queueing.queue_helpers import ServerProcess
from ui.dashboard_app import DashboardWindow
from ui.qt_app import application


def test_dashboard_figures_rectification_and_export(qtbot, hall_server: ServerProcess, tmp_path: Path) -> None:
    application()
    kiosk = HallClient(hall_server.base_url, hall_server.token("kiosk"))
    counter = HallClient(hall_server.base_url, hall_server.token("counter"))
    admin = HallClient(hall_server.base_url, hall_server.token("admin"))
    for _ in range(3):
        kiosk.issue_ticket("S0501")
    served = counter.call_next("H03", staff_id="s-01")["ticket"]
    counter.start("H03", staff_id="s-01")
    counter.finish("H03", staff_id="s-01")
    kiosk.rate(served["id"], "very_dissatisfied", reason="attitude")
    kiosk.raise_alert("printer", "kiosk-02", "paper near end")

    window = DashboardWindow(admin, refresh_ms=60_000)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=10_000)
    assert window.kpi["waiting"].text() == "2"
    assert window.kpi["served"].text() == "1"
    assert window.kpi["satisfaction"].text() == "0%"
    assert window.kpi["rectified"].text() == "0%"
    assert window.alerts_table.rowCount() == 1 and window.bad_table.rowCount() == 1

    admin.rectify(served["id"], "已整改：窗口人员培训", staff_id="supervisor")
    window.refresh()
    qtbot.waitUntil(lambda: window.kpi["rectified"].text() == "100%", timeout=10_000)

    rows = list(csv.DictReader(io.StringIO(window.export(tmp_path / "r.csv").read_text("utf-8-sig"))))
    total = next(r for r in rows if r["分组"] == "合计")  # group, total
    assert total["取号"] == "3" and total["办结"] == "1" and total["差评数"] == "1"  # issued, served, bad
    book = load_workbook(window.export(tmp_path / "r.xlsx"))
    bad = list(book["差评整改"].iter_rows(values_only=True))
    assert bad[1][0] == served["number"] and bad[1][8] == "已整改：窗口人员培训"
