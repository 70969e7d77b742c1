"""The hall the benchmarks run on: the sample hall with the whole daily cap open to tickets without
an ID card. The benchmarks issue hundreds of such tickets from one kiosk token, which a real hall's
per-kiosk anonymous share (``policy.anonymous_share``, issue 14) refuses after half the cap.

Not a benchmark itself: ``write_bench_hall(dir)`` writes ``dir/hall.toml`` and returns ``dir``, for
``ServerProcess`` / ``start_hall_service`` to read."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from queueing.hallconfig import sample_hall_toml


def write_bench_hall(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(sample_hall_toml())
    doc["policy"]["anonymous_share"] = 1.0  # type: ignore[index]
    (data_dir / "hall.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")
    return data_dir
