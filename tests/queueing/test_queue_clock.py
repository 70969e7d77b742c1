"""A clock step against a real ``main.py hall-server``: libfaketime (Debian's ``faketime``
package) moves the process's wall clock by rewriting ``FAKETIME_TIMESTAMP_FILE``, which it
re-reads, while its monotonic clock runs on (``FAKETIME_DONT_FAKE_MONOTONIC``). A jump of a day
(bad NTP, a flat RTC battery) must not close the service day: waiting tickets stay waiting, the
numbers go on, and an alert tells the hall's staff."""

from __future__ import annotations

import shutil
import time

import pytest
from queue_helpers import ServerProcess, small_hall

from queueing.client import HallClient, HallServiceError
from queueing.clock import GuardedClock
from tests.faketime import LIBFAKETIME

pytestmark = pytest.mark.skipif(
    not LIBFAKETIME or shutil.which("faketime") is None, reason="libfaketime (Debian package faketime) missing"
)


def test_a_wall_clock_jump_of_a_day_neither_cancels_nor_repeats(tmp_path) -> None:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    srv = ServerProcess(
        data,
        env={
            "LD_PRELOAD": LIBFAKETIME,
            "FAKETIME_TIMESTAMP_FILE": str(stamp),
            "FAKETIME_NO_CACHE": "1",  # read the file on every call: the step lands at once
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # the kernel's monotonic clock does not jump
        },
    ).start()
    try:
        kiosk = HallClient(srv.base_url, srv.token("kiosk"))
        admin = HallClient(srv.base_url, srv.token("admin"))
        before = [kiosk.issue_ticket("S1")["ticket"] for _ in range(3)]
        assert [t["number"] for t in before] == ["A001", "A002", "A003"]
        day_before = kiosk.health()["day"]

        stamp.write_text("+1d\n")  # the wall clock steps a day ahead
        time.sleep(0.3)
        after = kiosk.issue_ticket("S1")["ticket"]

        assert after["number"] == "A004"  # never A001 twice on one physical day
        for t in before:
            assert kiosk.ticket(t["id"])["ticket"]["status"] == "waiting"
        assert kiosk.health()["day"] == day_before
        kinds = [a["kind"] for a in admin.alerts()]
        assert "clock" in kinds
    finally:
        srv.stop()


def test_the_guard_follows_real_time_and_refuses_steps() -> None:
    wall, mono = [1_000_000.0], [50.0]
    clock = GuardedClock(lambda: wall[0], lambda: mono[0])
    assert clock() == 1_000_000.0
    wall[0] += 3600
    mono[0] += 3600  # an hour passes: both agree, midnight can come
    assert clock() == 1_003_600.0
    wall[0] += 86_400 + 10
    mono[0] += 10  # a step of a day: ignored, reported once
    assert clock() == 1_003_610.0
    assert clock() == 1_003_610.0
    assert [round(j.seconds) for j in clock.take_jumps()] == [86_400]
    wall[0] -= 86_400 - 60  # set right again (+60 s of NTP slew accepted)
    mono[0] += 60
    assert clock() == wall[0] and not clock.take_jumps()


def test_a_clock_step_first_seen_by_a_refused_operation_still_alerts(tmp_path) -> None:
    """The first request after the step is one the hall refuses (start at a counter with no
    ticket called): its transaction rolls back, and the clock alert it would have written must
    not go with it; the next request writes it."""
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    srv = ServerProcess(data, env={"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(stamp),
                                   "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}).start()
    try:
        counter = HallClient(srv.base_url, srv.token("counter"))
        admin = HallClient(srv.base_url, srv.token("admin"))
        assert "clock" not in [a["kind"] for a in admin.alerts()]
        stamp.write_text("+1d\n")
        time.sleep(0.3)
        with pytest.raises(HallServiceError) as refused:
            counter.start("C1", staff_id="s-C1")
        assert refused.value.status == 409
        assert [a["kind"] for a in admin.alerts()].count("clock") == 1
    finally:
        srv.stop()
