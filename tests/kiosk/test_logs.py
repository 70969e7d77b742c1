"""Logs never carry ID or phone numbers, whatever a caller passes."""

import json
import logging

from kiosk.logs import JsonFormatter, RedactingFilter, scrub


def test_scrub_masks_id_and_phone_numbers() -> None:
    text = scrub("card 11010519491231002X phone 13800138000 ticket A001 order 2026112300017")
    assert "11010519491231002X" not in text and "110105********002X" in text
    assert "13800138000" not in text and "138****8000" in text
    assert "A001" in text and "2026112300017" in text


def test_json_lines_are_scrubbed_including_context() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "read %s", ("11010519491231002X",), None)
    record.ctx = {"phone": "13912345678", "service": "S0101"}
    RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["msg"] == "read 110105********002X"
    assert entry["phone"] == "139****5678" and entry["service"] == "S0101"
