"""The documentation screenshot of the dashboard's 整改 page: an in-process hall whose clock is
set to 30 September 2026, a few bad ratings, then 9 October (after National Day): the older
loops are past their callback deadline and show highlighted.

``python -m ui.screenshots_cases [OUT_DIR]`` writes ``dashboard-rectification.png`` (default
``docs/screenshots``); the hall lives in a temporary directory."""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ui.screenshots import pump

TZ = ZoneInfo("Asia/Shanghai")


class _Clock:
    def __init__(self, when: datetime) -> None:
        self.t = when.timestamp()

    def __call__(self) -> float:
        return self.t


def rectification_shot(out: Path) -> Path:
    from queueing.client import HallClient
    from queueing.embedded import start_hall_service
    from ui.dashboard_app import DashboardWindow
    from ui.dashboard_rectification import RectificationTab
    from ui.qt_app import application, cjk_family

    app = application()
    family = cjk_family()
    clock = _Clock(datetime(2026, 9, 30, 10, 0, tzinfo=TZ))
    with tempfile.TemporaryDirectory() as tmp, start_hall_service(Path(tmp) / "hall", clock=clock) as hall:
        kiosk = HallClient(hall.base_url, hall.token("kiosk"))
        counter = HallClient(hall.base_url, hall.token("counter"))

        serving = {s["id"]: s["counters"] for s in kiosk.services()["services"]}

        def bad(service: str, case_no: str, level: int, reason: str) -> None:
            counter_id = serving[service][0]
            kiosk.issue_ticket(service)
            served = counter.call_next(counter_id, staff_id="s-" + counter_id)
            assert served is not None
            counter.finish(counter_id, staff_id="s-" + counter_id, case_no=case_no)
            kiosk.rate(served["ticket"]["id"], level, reason=reason)

        bad("S0101", "330100202609300001", 1, "attitude")
        bad("S0301", "330100202609300002", 2, "slow")
        clock.t = datetime(2026, 10, 9, 9, 30, tzinfo=TZ).timestamp()
        bad("S0501", "330100202610090001", 2, "slow")
        window = DashboardWindow(HallClient(hall.base_url, hall.token("admin")), font_family=family)
        tab = next(t for t in window.extra_tabs if isinstance(t, RectificationTab))
        window.tabs.setCurrentWidget(tab)
        window.show()
        pump(app, 2.5)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "dashboard-rectification.png"
        window.grab().save(str(path))
        window.close()
    return path


if __name__ == "__main__":
    print(rectification_shot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
