"""Offline receipts of several kiosks in one hall, and applications the platform did not accept,
as the real callers meet them: a reference platform process (``main.py platform``), each kiosk's
own offline cache synced to it by its sync engine, a real hall-server process with one enrolled
credential per kiosk, each kiosk's :class:`ReceiptReporter`, and the phone page of each paper
receipt's QR fetched over HTTP.

- ``east-kiosk-01`` and ``west-kiosk-01`` print different local numbers, and each QR shows its
  own applicant's case; a kiosk cannot link a number another kiosk reported.
- A paper printed before local numbers carried the whole kiosk id (``SK01-…``) still resolves;
  when two kiosks printed the same old number, its page shows neither case.
- A record the platform refused (dead-lettered) is reported too: the phone page says it was not
  accepted and to bring the receipt to a counter, and the hall's staff get an alert.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from kiosk.applications import legacy_local_numbers, record_local_number
from kiosk.receipts import ReceiptReporter
from offline_cache.platform_server import PlatformAdmin
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine
from queueing.client import HallClient, HallServiceError
from queueing.codes import HallCode
from queueing.hallconfig import load_credentials
from queueing.public_tokens import application_token
from tests.queueing.queue_helpers import ServerProcess, enrol

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Platform:
    base_url: str
    device_token: str
    admin: PlatformAdmin


@dataclass
class Kiosk:
    """One kiosk's cache, sync engine and reporter, with its own enrolled hall credential."""

    core: SimpleNamespace
    cache: OfflineCache
    sync: SyncEngine
    hall: HallClient
    reporter: ReceiptReporter

    def apply(self) -> str:
        return self.cache.enqueue("application", {"service_id": "S0403", "id_number": "110101199003070012",
                                                  "name": "张三", "kiosk_id": self.core.kiosk_id},
                                  personal_fields={"id_number", "name"})

    def local_no(self, record_id: str) -> str:
        info = self.cache.get(record_id)
        assert info is not None
        return record_local_number(self.core, info)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    data = tmp_path / "platform"
    proc = subprocess.Popen([sys.executable, "main.py", "platform", "--port", "0", "--data-dir", str(data)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        base = json.loads((data / "platform-endpoint.json").read_text())["base_url"]
        creds = json.loads((data / "platform-credentials.json").read_text())
        yield Platform(base, creds["device_token"], PlatformAdmin(base, creds["admin_token"]))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "hall"
    data.mkdir()
    server = ServerProcess(data, heartbeat=1.0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kiosks(tmp_path: Path, platform: Platform, hall: ServerProcess) -> Iterator[dict[str, Kiosk]]:
    made: dict[str, Kiosk] = {}
    for name in ("east-kiosk-01", "west-kiosk-01"):
        core = SimpleNamespace(kiosk_id=name, today=date.today, legacy_local_through=0)
        cache = OfflineCache(tmp_path / name / "offline-cache.db")
        sync = SyncEngine(cache, platform.base_url, platform.device_token, name, read_timeout=5.0)
        client = HallClient(hall.base_url, enrol(hall.data_dir, "kiosk", name))
        reporter = ReceiptReporter(cache, client, lambda r, core=core: record_local_number(core, r),
                                   tmp_path / name / "receipts-reported.json")
        made[name] = Kiosk(core, cache, sync, client, reporter)
    try:
        yield made
    finally:
        for kiosk in made.values():
            kiosk.hall.close()
            kiosk.cache.close()


def _page(hall: ServerProcess, local_no: str, lang: str = "zh") -> str:
    hall_key = load_credentials(hall.data_dir)["hall_key"]
    url = f"{hall.base_url}/a/{application_token(hall_key, local_no)}" + ("?lang=en" if lang == "en" else "")
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.status_code
    return answer.text


def test_two_kiosks_of_one_hall_print_numbers_that_name_their_own_cases(
        hall: ServerProcess, kiosks: dict[str, Kiosk]) -> None:
    east, west = kiosks["east-kiosk-01"], kiosks["west-kiosk-01"]
    east_id, west_id = east.apply(), west.apply()  # both kiosks' first application of the day
    for kiosk in (east, west):
        assert kiosk.sync.sync_once().synced == 1
        kiosk.reporter.report_once()
    east_no, west_no = east.cache.get(east_id), west.cache.get(west_id)
    assert east_no is not None and west_no is not None and east_no.receipt_no != west_no.receipt_no
    east_local, west_local = east.local_no(east_id), west.local_no(west_id)
    assert east_local != west_local
    east_page, west_page = _page(hall, east_local), _page(hall, west_local)
    assert str(east_no.receipt_no) in east_page and str(west_no.receipt_no) not in east_page
    assert str(west_no.receipt_no) in west_page and str(east_no.receipt_no) not in west_page


def test_a_kiosk_cannot_link_a_local_number_another_kiosk_reported(
        hall: ServerProcess, kiosks: dict[str, Kiosk]) -> None:
    east, west = kiosks["east-kiosk-01"], kiosks["west-kiosk-01"]
    record = east.apply()
    east.sync.sync_once()
    assert east.reporter.report_once() == 1
    info = east.cache.get(record)
    assert info is not None and info.receipt_no
    with pytest.raises(HallServiceError) as refused:  # the same pair, from the other kiosk's credential
        west.hall.link_receipt(east.local_no(record), str(info.receipt_no))
    assert refused.value.status == 409 and refused.value.rule is HallCode.RECEIPT_CONFLICT


def test_an_application_the_platform_refused_is_told_on_the_phone_page(
        hall: ServerProcess, platform: Platform, kiosks: dict[str, Kiosk]) -> None:
    east = kiosks["east-kiosk-01"]
    record = east.apply()
    platform.admin.set_faults([{"fault": "conflict", "times": 1}])  # the platform refuses the record for good
    east.sync.sync_once()
    info = east.cache.get(record)
    assert info is not None and info.state == "dead"
    local = east.local_no(record)
    assert "正在等待上传" in _page(hall, local)  # before the kiosk told the hall
    assert east.reporter.report_once() == 1
    page, english = _page(hall, local), _page(hall, local, "en")
    assert "正在等待上传" not in page
    assert "未被平台受理" in page and "窗口" in page and local in page
    assert "not accepted" in english and "counter" in english
    admin = HallClient(hall.base_url, hall.token("admin"))
    alerts = [a for a in admin.alerts() if local in a["message"]]
    assert len(alerts) == 1 and alerts[0]["source"] == "east-kiosk-01", admin.alerts()
    assert east.reporter.report_once() == 0  # reported once: no second alert
    assert len([a for a in admin.alerts() if local in a["message"]]) == 1


def _upgraded(kiosk: Kiosk, tmp_path: Path) -> None:
    """The kiosk starts on the version that numbers with the whole id (kiosk/assembly.py does this)."""
    kiosk.core.legacy_local_through = legacy_local_numbers(kiosk.cache, tmp_path / kiosk.core.kiosk_id /
                                                           "local-numbers.json")


def test_a_number_printed_before_the_upgrade_still_resolves(
        tmp_path: Path, hall: ServerProcess, kiosks: dict[str, Kiosk]) -> None:
    east = kiosks["east-kiosk-01"]
    old = east.apply()  # taken and printed by the old version: its paper says SK01-…
    _upgraded(east, tmp_path)
    new = east.apply()
    assert east.sync.sync_once().synced == 2
    assert east.reporter.report_once() == 2
    old_info, new_info = east.cache.get(old), east.cache.get(new)
    assert old_info is not None and new_info is not None
    paper = f"SK01-{date.today():%Y%m%d}-{old_info.seq:05d}"
    assert east.local_no(old) == paper
    assert east.local_no(new) == f"EASTKIOSK01-{date.today():%Y%m%d}-{new_info.seq:05d}"
    assert str(old_info.receipt_no) in _page(hall, paper)
    assert str(new_info.receipt_no) in _page(hall, east.local_no(new))
    _upgraded(east, tmp_path)  # a restart keeps the first start's line
    assert east.local_no(old) == paper and east.local_no(new).startswith("EASTKIOSK01-")


def test_an_old_number_two_kiosks_printed_shows_neither_case(
        tmp_path: Path, hall: ServerProcess, kiosks: dict[str, Kiosk]) -> None:
    east, west = kiosks["east-kiosk-01"], kiosks["west-kiosk-01"]
    records = {name: kiosk.apply() for name, kiosk in kiosks.items()}  # both printed SK01-…-00001
    for kiosk in (east, west):
        _upgraded(kiosk, tmp_path)
        kiosk.sync.sync_once()
    paper = east.local_no(records["east-kiosk-01"])
    assert paper == west.local_no(records["west-kiosk-01"]) and paper.startswith("SK01-")
    assert east.reporter.report_once() == 1
    west.reporter.report_once()  # refused: east holds it, and now nobody's case is shown for it
    receipts = [str(k.cache.get(records[n]).receipt_no) for n, k in kiosks.items()]  # type: ignore[union-attr]
    page, english = _page(hall, paper), _page(hall, paper, "en")
    assert not any(r in page for r in receipts)
    assert "两台自助终端" in page and "服务窗口" in page and "Two kiosks" in english
    admin = HallClient(hall.base_url, hall.token("admin"))
    disputes = [a for a in admin.alerts() if paper in a["message"] and "two kiosks" in a["message"]]
    assert len(disputes) == 1 and disputes[0]["source"] == "west-kiosk-01", admin.alerts()
    west.reporter.report_once()
    assert len([a for a in admin.alerts() if paper in a["message"]]) == 1


def test_a_refusal_an_older_kiosk_passed_is_reported_after_the_upgrade(
        tmp_path: Path, hall: ServerProcess, platform: Platform, kiosks: dict[str, Kiosk]) -> None:
    """The previous version moved its watermark past dead letters without a word to the hall; the
    upgraded kiosk's first pass reports them (and a restart's first pass again, harmlessly)."""
    east = kiosks["east-kiosk-01"]
    record = east.apply()
    platform.admin.set_faults([{"fault": "conflict", "times": 1}])
    east.sync.sync_once()
    info = east.cache.get(record)
    assert info is not None and info.state == "dead"
    mark = tmp_path / "east-kiosk-01" / "receipts-reported.json"
    mark.write_text(json.dumps({"reported_through_seq": info.seq}), "utf-8")  # as the old version left it
    _upgraded(east, tmp_path)
    local = east.local_no(record)
    assert "正在等待上传" in _page(hall, local)
    assert east.reporter.report_once() == 1
    assert "未被平台受理" in _page(hall, local)
    restarted = ReceiptReporter(east.cache, east.hall, lambda r: record_local_number(east.core, r), mark)
    assert restarted.report_once() == 1  # put again; the hall keeps it once
    admin = HallClient(hall.base_url, hall.token("admin"))
    assert len([a for a in admin.alerts() if local in a["message"]]) == 1
