"""The kiosk tells the hall which platform number each offline receipt became
(kiosk/receipts.py ``ReceiptReporter``): the kiosk's real offline cache synced by its sync engine to
the reference platform, and a real hall-server process that is not running at first. Nothing is
lost while the hall is away, a record still on its way holds the watermark, and a restarted
kiosk does not report again what the hall already has."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from kiosk.applications import record_local_number
from kiosk.receipts import ReceiptReporter
from offline_cache.platform_server import start_reference_platform
from offline_cache.store import OfflineCache
from offline_cache.sync import SyncEngine
from queueing.client import HallClient
from queueing.hallconfig import load_credentials
from queueing.public_tokens import application_token
from tests.queueing.queue_helpers import ServerProcess, free_port

KIOSK = SimpleNamespace(kiosk_id="kiosk-01", today=date.today)


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[tuple[OfflineCache, SyncEngine]]:
    platform = start_reference_platform(tmp_path / "platform")
    cache = OfflineCache(tmp_path / "kiosk" / "offline-cache.db")
    sync = SyncEngine(cache, platform.base_url, platform.token, "kiosk-01", read_timeout=5.0)
    try:
        yield cache, sync
    finally:
        cache.close()
        platform.stop()


def _application(cache: OfflineCache) -> str:
    return cache.enqueue("application", {"service_id": "S0403", "id_number": "110101199003070012",
                                         "name": "张三"}, personal_fields={"id_number", "name"})


def test_reports_survive_an_absent_hall_and_a_restart(tmp_path: Path, synced: tuple[OfflineCache, SyncEngine]) -> None:
    cache, sync = synced
    first = _application(cache)
    cache.enqueue("complaint", {"topic": "环境", "text": "空调太冷"}, personal_fields={"text"})
    assert sync.sync_once().synced == 2
    waiting = _application(cache)  # taken after the sync: still on its way to the platform
    info = cache.get(first)
    assert info is not None and info.receipt_no
    local = record_local_number(KIOSK, info)
    mark = tmp_path / "kiosk" / "receipts-reported.json"

    hall_data = tmp_path / "hall"
    hall_data.mkdir()
    hall = ServerProcess(hall_data, heartbeat=1.0)
    hall.port = free_port()  # nobody listens there yet
    absent = ReceiptReporter(cache, HallClient(hall.base_url, "no-hall-yet", timeout=1.0),
                             lambda r: record_local_number(KIOSK, r), mark)
    assert absent.report_once() == 0 and absent.mark() == 0  # nothing is taken as reported

    hall.start()
    try:
        kiosk_client = HallClient(hall.base_url, hall.token("kiosk"))
        reporter = ReceiptReporter(cache, kiosk_client, lambda r: record_local_number(KIOSK, r), mark)
        assert reporter.report_once() == 1
        # the complaint after the application is settled; the waiting application holds the mark
        assert reporter.mark() == info.seq + 1
        hall_key = load_credentials(hall_data)["hall_key"]
        page = requests.get(f"{hall.base_url}/a/{application_token(hall_key, local)}", timeout=5).text
        assert str(info.receipt_no) in page

        restarted = ReceiptReporter(cache, kiosk_client, lambda r: record_local_number(KIOSK, r), mark)
        assert restarted.report_once() == 0  # the hall has it; nothing is put again
        assert sync.sync_once().synced == 1
        assert restarted.report_once() == 1
        later = cache.get(waiting)
        assert later is not None and restarted.mark() == later.seq
    finally:
        hall.stop()
