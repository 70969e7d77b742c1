"""Test helpers for the device tests (importable because pytest puts this folder on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(cond: Callable[[], object], timeout: float = 5.0) -> object:
    """Poll a condition until it holds; fail the test instead of hanging."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")
