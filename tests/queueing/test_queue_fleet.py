"""Fleet health against a real ``main.py hall-server`` (on both stores): machines beat through the
same :class:`queueing.heartbeat.Heartbeat` a kiosk, display or counter console runs; a machine
silent for 5 minutes is one alert, cleared when it comes back. The hall's clock is moved the way
tests/queueing/test_queue_clock.py does it, with libfaketime — here the monotonic clock moves
too, so the hall takes it as time really passing (no 5-minute sleeps)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import requests
from queue_helpers import ServerProcess, enrol, small_hall

from queueing.client import HallClient
from queueing.heartbeat import Heartbeat
from tests.faketime import LIBFAKETIME

pytestmark = pytest.mark.usefixtures("store")


def hall(tmp_path: Path, faketime: Path | None = None) -> ServerProcess:
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall().replace('name = "测试大厅"', 'name = "测试大厅"\ndistrict = "浈江区"'),
                                    encoding="utf-8")
    env = {}
    if faketime is not None:
        faketime.write_text("+0\n")
        env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(faketime), "FAKETIME_NO_CACHE": "1"}
    return ServerProcess(data, env=env).start()


def wait_for(what, timeout: float = 40.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not seen in time")


def test_every_role_beats_and_the_hall_keeps_each_machines_latest_state(tmp_path: Path) -> None:
    srv = hall(tmp_path)
    try:
        kiosk = HallClient(srv.base_url, enrol(srv.data_dir, "kiosk", "kiosk-07"))
        display = HallClient(srv.base_url, enrol(srv.data_dir, "display", "tv-1"))
        counter = HallClient(srv.base_url, enrol(srv.data_dir, "counter", "w01-pc", "C1"))
        states = {"printer": {"state": "ready", "reason": None}}
        beats = [Heartbeat(kiosk, "kiosk", "kiosk-07", tmp_path, probe=lambda: {"devices": states, "backlog": 3}),
                 Heartbeat(display, "display", "tv-1", tmp_path), Heartbeat(counter, "counter", "w01", tmp_path)]
        assert all(b.beat() for b in beats)
        states["printer"] = {"state": "error", "reason": "paper_out"}
        assert beats[0].beat()

        seen = HallClient(srv.base_url, srv.token("admin")).fleet()
        machines = {m["device"]: m for m in seen["machines"]}
        assert set(machines) == {"kiosk-07", "tv-1", "w01-pc"}
        assert machines["kiosk-07"]["problems"] == ["printer:paper_out"]
        assert machines["kiosk-07"]["backlog"] == 3 and machines["kiosk-07"]["version"]
        assert machines["w01-pc"]["counter_id"] == "C1" and machines["tv-1"]["kind"] == "display"
        assert not any(m["silent"] for m in machines.values())
        assert seen["hall"]["district"] == "浈江区" and seen["hall"]["counters"] == 3

        url = srv.base_url + "/api/v1/fleet/heartbeat"
        assert requests.post(url, json={"version": "1", "uptime_s": 1}, timeout=5).status_code == 401
        huge = {"version": "1", "uptime_s": 1, "name": "x" * 9000}
        answer = requests.post(url, json=huge, headers={"Authorization": f"Bearer {kiosk.token}"}, timeout=5)
        assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"
        too_many = {"version": "1", "uptime_s": 1, "devices": {f"d{i}": {"state": "ready"} for i in range(13)}}
        answer = requests.post(url, json=too_many, headers={"Authorization": f"Bearer {kiosk.token}"}, timeout=5)
        assert answer.status_code == 422
        # a kiosk newer than its hall names an update problem this hall does not know: the
        # heartbeat is taken (the machine is not "silent") and the problem still shows
        newer = {"version": "9", "uptime_s": 1, "name": "kiosk-07", "update_problem": "bad_weather"}
        answer = requests.post(url, json=newer, headers={"Authorization": f"Bearer {kiosk.token}"}, timeout=5)
        assert answer.status_code == 200, answer.text
        machines = {m["device"]: m for m in HallClient(srv.base_url, srv.token("admin")).fleet()["machines"]}
        assert "update:other" in machines["kiosk-07"]["problems"]
    finally:
        srv.stop()


def test_a_refused_or_rolled_back_update_is_one_alert_acknowledged_when_it_goes(tmp_path: Path) -> None:
    """The kiosk's heartbeat as the kiosk builds it (kiosk.updates.update_health from kiosk.toml's
    [updates], reading the releases' status.json the update check writes): a new update problem is
    one ``fleet_update`` alert however often it is repeated, acknowledged by the fleet once a release
    is staged, and a rollback later is a new one."""
    from kiosk.config import load_config
    from kiosk.updates import Releases, update_health

    srv = hall(tmp_path)
    try:
        releases = Releases(tmp_path / "releases")
        releases.root.mkdir()
        conf = tmp_path / "kiosk.toml"
        conf.write_text(f'version = 1\ndata_dir = "{tmp_path / "data"}"\n[updates]\n'
                        f'releases_dir = "{releases.root}"\n', "utf-8")
        config = load_config(conf)
        kiosk = HallClient(srv.base_url, enrol(srv.data_dir, "kiosk", "kiosk-07"))
        beat = Heartbeat(kiosk, "kiosk", "kiosk-07", tmp_path, probe=lambda: update_health(config))
        admin = HallClient(srv.base_url, srv.token("admin"))

        def update_alerts(include_acked: bool = False) -> list[dict[str, object]]:
            return [a for a in admin.alerts(include_acked) if a["kind"] == "fleet_update"]

        assert beat.beat() and update_alerts() == []
        releases.problem("bad_signature", "bad release signature", "1.1.0")  # as `check` records a refusal
        assert beat.beat() and beat.beat()
        alerts = update_alerts()
        assert [(a["source"], "bad_signature" in str(a["message"])) for a in alerts] == [("kiosk-07", True)]
        releases.clear_problem()  # a release staged
        assert beat.beat()
        assert update_alerts() == [] and [a["acked_by"] for a in update_alerts(True)] == ["fleet"]
        releases.problem("rolled_back", "rolled back from 1.2.0", "1.2.0")
        assert beat.beat()
        assert ["rolled_back" in str(a["message"]) for a in update_alerts()] == [True]
        machines = {m["device"]: m for m in admin.fleet()["machines"]}
        assert machines["kiosk-07"]["problems"] == ["update:rolled_back"]
    finally:
        srv.stop()


@pytest.mark.skipif(not LIBFAKETIME or shutil.which("faketime") is None,
                    reason="libfaketime (Debian package faketime) missing")
def test_a_machine_silent_for_five_minutes_is_one_alert_cleared_when_it_returns(tmp_path: Path) -> None:
    stamp = tmp_path / "faketime"
    srv = hall(tmp_path, stamp)
    try:
        admin = HallClient(srv.base_url, srv.token("admin"))
        kiosk = Heartbeat(HallClient(srv.base_url, enrol(srv.data_dir, "kiosk", "kiosk-07")), "kiosk", "k7", tmp_path)
        display = Heartbeat(HallClient(srv.base_url, enrol(srv.data_dir, "display", "tv-1")), "display", "tv", tmp_path)
        assert kiosk.beat() and display.beat()

        stamp.write_text("+4m\n")  # four minutes: not yet silent
        assert display.beat()
        time.sleep(1.0)
        assert not [a for a in admin.alerts() if a["kind"] == "fleet_silent"]

        stamp.write_text("+6m\n")  # the kiosk has said nothing for six minutes; the display beat at 4
        alerts = wait_for(lambda: [a for a in admin.alerts() if a["kind"] == "fleet_silent"])
        assert [a["source"] for a in alerts] == ["kiosk-07"]
        machines = {m["device"]: m for m in admin.fleet()["machines"]}
        assert machines["kiosk-07"]["silent"] and not machines["tv-1"]["silent"]

        stamp.write_text("+8m\n")  # still silent: no second alert of the same silence
        assert display.beat()
        time.sleep(1.0)
        wait_for(lambda: admin.fleet()["machines"])
        assert len([a for a in admin.alerts(include_acked=True) if a["kind"] == "fleet_silent"]) == 1

        assert kiosk.beat()  # it is back: its alert is cleared
        assert not [a for a in admin.alerts() if a["kind"] == "fleet_silent"]
        cleared = [a for a in admin.alerts(include_acked=True) if a["kind"] == "fleet_silent"]
        assert cleared[0]["acked_by"] == "fleet"
        assert not {m["device"]: m for m in admin.fleet()["machines"]}["kiosk-07"]["silent"]
    finally:
        srv.stop()


def outbox_states(hall_dir: Path) -> dict[tuple[str, str], int]:
    import sqlite3

    with sqlite3.connect(f"file:{hall_dir / 'offline-cache.db'}?mode=ro", uri=True) as conn:
        return {(k, s): n for k, s, n in conn.execute("SELECT kind, state, count(*) FROM records GROUP BY kind, state")}


@pytest.mark.parametrize("platform_kinds", ["current", "v1"])
def test_the_hall_forwards_fleet_state_and_alerts_and_an_older_platform_only_drops_them(
        tmp_path: Path, platform_kinds: str) -> None:
    from offline_cache.platform_server import start_reference_platform
    from offline_cache.platform_store import KINDS, V1_KINDS

    platform = start_reference_platform(tmp_path / "platform", kinds=KINDS if platform_kinds == "current" else V1_KINDS)
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall().replace('name = "测试大厅"', 'name = "测试大厅"\ndistrict = "浈江区"'),
                                    encoding="utf-8")
    srv = ServerProcess(data, args=("--platform-url", platform.base_url),
                        env={"HALL_PLATFORM_TOKEN": platform.token}).start()
    try:
        kiosk = HallClient(srv.base_url, enrol(data, "kiosk", "kiosk-07"))
        states = {"printer": {"state": "error", "reason": "paper_out"}}
        assert Heartbeat(kiosk, "kiosk", "kiosk-07", tmp_path, probe=lambda: {"devices": states}).beat()
        kiosk.raise_alert("printer", "kiosk-07", "paper out")
        ticket = kiosk.issue_ticket("S1")["ticket"]

        def synced() -> bool:
            kinds = {r["kind"] for r in platform.admin().records()}
            return "ticket_event" in kinds and (platform_kinds == "v1" or {"fleet_health", "alert"} <= kinds)

        wait_for(synced)
        if platform_kinds == "current":
            city = platform.admin().city()
            assert [h["district"] for h in city["halls"]] == ["浈江区"]
            assert [(m["device"], m["problems"]) for m in city["machines"]] == [("kiosk-07", ["printer:paper_out"])]
            assert [a["source"] for a in city["alerts"]] == ["kiosk-07"]
            assert platform.admin().city("另一区")["halls"] == []
        else:  # an older platform refuses the new kinds: dropped, nothing dead, the queue's events go on
            wait_for(lambda: outbox_states(data).get(("fleet_health", "discarded")))
            states_now = outbox_states(data)
            assert not [k for k in states_now if k[1] == "dead"], states_now
            assert ("ticket_event", "acked") in states_now
            kiosk.issue_ticket("S1")
            wait_for(lambda: outbox_states(data).get(("ticket_event", "acked"), 0) >= 2)
        assert ticket["number"] == "A001"
    finally:
        srv.stop()
        platform.stop()


@pytest.mark.skipif(not LIBFAKETIME or shutil.which("faketime") is None,
                    reason="libfaketime (Debian package faketime) missing")
def test_two_workers_raise_one_silence_alert(tmp_path: Path) -> None:
    """Every worker of ``hall-server --workers 2`` looks for silent machines; the one alert of a
    silence is raised in the transaction that marks the machine, so it is raised once."""
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    data = tmp_path / "hall"
    data.mkdir()
    (data / "hall.toml").write_text(small_hall(), encoding="utf-8")
    srv = ServerProcess(data, args=("--workers", "2"), env={
        "LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(stamp), "FAKETIME_NO_CACHE": "1"}).start()
    try:
        admin = HallClient(srv.base_url, srv.token("admin"))
        for name in ("kiosk-1", "kiosk-2", "kiosk-3"):
            assert Heartbeat(HallClient(srv.base_url, enrol(data, "kiosk", name)), "kiosk", name, tmp_path).beat()
        stamp.write_text("+6m\n")
        wait_for(lambda: len([a for a in admin.alerts() if a["kind"] == "fleet_silent"]) >= 3)
        time.sleep(20)  # both workers' next checks: neither raises again
        silent = [a["source"] for a in admin.alerts(include_acked=True) if a["kind"] == "fleet_silent"]
        assert sorted(silent) == ["kiosk-1", "kiosk-2", "kiosk-3"]
    finally:
        srv.stop()
