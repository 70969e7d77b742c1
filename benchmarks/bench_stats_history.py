"""Statistics with history over a month: how long ``queueing.stats_history.compute`` (what
``GET /api/v1/stats/history`` and the monthly report run) takes for 30 days of a busy hall.

    .venv/bin/python benchmarks/bench_stats_history.py [--per-day 1000] [--days 30]

One day is played through the engine on the sample hall (issue, with an ID number for 60% of
the tickets out of a pool of regulars; call, start, finish at W01–W08 with outcomes; 70% rated,
差评 rectified), on a SQLite file on disk; that day's tickets and events are then copied to the
days before it (new ids, the same people) so the file holds ``--days`` such days. Timed: the
month's figures, then the XLSX and the PDF of them."""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OUTCOMES = ["done"] * 14 + ["accepted_with_commitment", "accepted_with_gaps", "consulted", "materials_missing",
                            "rejected"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-day", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    from queueing import api_stats, report, stats_history
    from queueing.engine import QueueEngine
    from queueing.hallconfig import load_credentials, load_hall
    from queueing.store import SQLiteStore

    rng = random.Random(1)
    data = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    load_hall(data)
    toml = data / "hall.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("daily_cap = 300", "daily_cap = 0")
                    .replace("person_daily_cap = 5 ", "person_daily_cap = 50 "), "utf-8")
    hall = load_hall(data)
    now = [time.time() - 12 * 3600]
    eng = QueueEngine(hall, SQLiteStore(data / "queue.db"), load_credentials(data)["hall_key"],
                      clock=lambda: now[0])
    services = list(hall.counters["W01"].services)
    counters = [f"W{n:02d}" for n in range(1, 9)]
    regulars = [f"1101051980{n:04d}0000" for n in range(300)]
    t0 = time.perf_counter()
    for i in range(args.per_day):
        sid = services[i % len(services)]
        person = rng.choice(regulars) if rng.random() < 0.6 else None
        try:
            eng.issue(sid, id_number=person)
        except Exception:  # one active ticket per person and service
            eng.issue(sid)
        now[0] += 20
        cid = counters[i % len(counters)]
        called = eng.call_next(cid, staff_id=f"s-{cid}")
        if called is None:
            continue
        eng.start(cid)
        now[0] += 10
        eng.finish(cid, rng.choice(OUTCOMES))
        if rng.random() < 0.7:
            level = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
            eng.rate(called.id, level, reason="attitude" if level <= 2 else None)
            if level <= 2 and rng.random() < 0.8:
                eng.rectify(called.id, "done", staff_id="9001")
    played = time.perf_counter() - t0
    day = hall.day(now[0])
    con = sqlite3.connect(data / "queue.db")
    cols = ("day, number, service_id, priority, status, issued_at, key_time, seq, person_hash, channel, counter_id, "
            "staff_id, called_at, started_at, finished_at, recalls, outcome")
    with con:
        top = con.execute("SELECT max(seq) FROM tickets").fetchone()[0]
        for k in range(1, args.days):
            shift = k * 86400
            con.execute(
                f"INSERT INTO tickets(id, {cols}) SELECT id || '-{k}', date(day, '-{k} day'), number, service_id, "
                f"priority, status, issued_at - {shift}, key_time - {shift}, seq + {top * k}, person_hash, channel, "
                f"counter_id, staff_id, called_at - {shift}, started_at - {shift}, finished_at - {shift}, recalls, "
                f"outcome FROM tickets WHERE day = ?", (day,))
            con.execute(
                f"INSERT INTO events(at, day, kind, ticket_id, service_id, counter_id, staff_id, data) "
                f"SELECT at - {shift}, date(day, '-{k} day'), kind, ticket_id || '-{k}', service_id, counter_id, "
                f"staff_id, data FROM events WHERE day = ? ORDER BY seq", (day,))
    n_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    first = hall.day_before(day, args.days - 1)
    kinds = api_stats.item_kinds()
    t0, c0 = time.perf_counter(), time.process_time()
    with eng.store.read() as tx:
        figures = stats_history.compute(tx, hall, first, day, day, kinds)
    computed, cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    xlsx = report.xlsx(figures, "zh_CN", hall.name)
    t_xlsx = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = report.pdf(figures, "zh_CN", hall.name)
    t_pdf = time.perf_counter() - t0
    eng.store.close()
    print(f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; one day played in {played:.1f} s")
    print("| days | tickets | events | figures s (CPU s) | XLSX s (bytes) | PDF s (bytes) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.days} | {figures['totals']['issued']} | {n_events} | {computed:.2f} ({cpu:.2f}) "
          f"| {t_xlsx:.2f} ({len(xlsx)}) "
          f"| {t_pdf:.2f} ({len(pdf)}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
