"""Hostile but small inputs to a real ``main.py hall-server`` over a raw HTTP connection: each
must be a clean 4xx with a HallCode, never a 500.

- a lone surrogate in ``id_number`` (issue and appointment check-in bodies),
- a non-ASCII ``?track=`` token (``hmac.compare_digest`` raises on non-ASCII ``str``),
- a 40-digit alert id (past SQLite's 64-bit integers),
- 300 anonymous tickets must not exhaust a service's daily cap: anonymous tickets may take only
  ``policy.anonymous_share`` of it (docs/security.md), identified citizens still get theirs."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.identity import check_digit
from tests.queueing.queue_helpers import ServerProcess


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data: Path = tmp_path_factory.mktemp("hostile") / "hall"
    data.mkdir()
    server = ServerProcess(data).start()
    yield server
    server.stop()


def raw(hall: ServerProcess, method: str, path: str, body: bytes | None = None,
        role: str | None = "kiosk") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", hall.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if role:
        headers["Authorization"] = f"Bearer {hall.token(role)}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = {"raw": data.decode("latin-1")}
    return resp.status, parsed


def _id_number(seq: int) -> str:
    first17 = f"11010519900101{seq:03d}"
    return first17 + check_digit(first17)


@pytest.mark.parametrize("body", [
    b'{"service_id": "S0101", "id_number": "11010519\\ud800900101001X"}',
    b'{"appointment_code": "APPT-1", "id_number": "\\udfff\\udfff\\udfff\\udfff\\udfff\\udfff"}',
    b'{"priority": "appointment", "id_number": "1101051990\\ud83d0101001X"}',
])
def test_lone_surrogate_in_id_number_is_a_422(hall: ServerProcess, body: bytes) -> None:
    status, answer = raw(hall, "POST", "/api/v1/tickets", body)
    assert status == 422, answer
    assert answer["error"]["code"] == "invalid_id_number"


def test_non_ascii_track_token_is_a_401(hall: ServerProcess) -> None:
    status, answer = raw(hall, "POST", "/api/v1/tickets", b'{"service_id": "S0102"}')
    assert status == 201, answer
    ticket_id = answer["ticket"]["id"]
    for token in ("%E4%B8%AD%E6%96%87", "%C3%A9" * 12, "%F0%9F%98%80"):
        status, answer = raw(hall, "GET", f"/api/v1/tickets/{ticket_id}?track={token}", role=None)
        assert status == 401, answer
        assert answer["error"]["code"] == "unauthorized"


def test_forty_digit_alert_id_is_a_404(hall: ServerProcess) -> None:
    for alert_id in ("1" * 40, "9223372036854775808", "-9223372036854775809"):
        status, answer = raw(hall, "POST", f"/api/v1/alerts/{alert_id}/ack", b"{}", role="admin")
        assert status in (404, 422), answer
        assert answer["error"]["code"] in ("alert_not_found", "invalid_request")


def test_anonymous_tickets_cannot_exhaust_the_daily_cap(hall: ServerProcess) -> None:
    codes = []
    for _ in range(300):
        status, answer = raw(hall, "POST", "/api/v1/tickets", b'{"service_id": "S0103"}')
        codes.append(status)
        if status != 201:
            assert status == 409 and answer["error"]["code"] == "anonymous_cap_reached", answer
    assert 0 < codes.count(201) < 300
    for seq in range(1, 6):  # citizens with their card still get tickets
        body = json.dumps({"service_id": "S0103", "id_number": _id_number(seq)}).encode()
        status, answer = raw(hall, "POST", "/api/v1/tickets", body)
        assert status == 201, answer
