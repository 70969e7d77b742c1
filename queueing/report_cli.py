"""``hall-server report``: the monthly report (XLSX or PDF, by the file's suffix) written from the
hall's own store, as the dashboard's 统计 page exports it, for a supervisor who hands it in or a
cron job that files it::

    python main.py hall-server report --month 2026-11 --out 2026-11.xlsx [--lang en]
    python main.py hall-server report --from 2026-11-01 --to 2026-11-15 --out half.pdf

Reading only; it may run while the service runs (SQLite WAL, or ``--store postgresql://…``)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path


def register(hall_server: argparse.ArgumentParser) -> None:
    existing = [a for a in hall_server._actions if isinstance(a, argparse._SubParsersAction)]
    sub = existing[0] if existing else hall_server.add_subparsers(dest="hall_command", metavar="COMMAND")
    p = sub.add_parser("report", help="write the monthly statistics report (XLSX or PDF)",
                       description="Write the statistics report of a month or a range of service days: "
                       "XLSX (sheets summary, per service, counter, staff, day, visits) or a printable PDF, "
                       "by the suffix of --out.")
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help="the hall's data directory (default data/hall)")
    p.add_argument("--month", default="", metavar="YYYY-MM", help="the month (or --from/--to)")
    p.add_argument("--from", dest="day_from", default="", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="day_to", default="", metavar="YYYY-MM-DD")
    p.add_argument("--out", required=True, help="the file to write: .xlsx or .pdf")
    p.add_argument("--lang", default="zh_CN", choices=("zh_CN", "en"), help="the report's language")
    p.add_argument("--store", dest="report_store", default=argparse.SUPPRESS, metavar="URL",
                   help="postgresql://… when the hall keeps its queue in PostgreSQL")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from queueing import api_stats, report, stats_history
    from queueing.hallconfig import ConfigError, load_hall
    from queueing.model import QueueError
    from queueing.store import QueueStore

    data = Path(getattr(args, "data_dir", "data/hall"))
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "pdf"):
        print("report: --out must end in .xlsx or .pdf", file=sys.stderr)
        return 2
    try:
        day_from, day_to = report.month_range(args.month) if args.month else (args.day_from, args.day_to)
        for value in (day_from, day_to):
            if value:
                datetime.strptime(value, "%Y-%m-%d")
        hall = load_hall(data)
    except (ValueError, ConfigError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    if not day_from or not day_to:
        print("report: give --month YYYY-MM, or --from and --to", file=sys.stderr)
        return 2
    url = getattr(args, "report_store", "") or getattr(args, "store", "")
    store: QueueStore
    if url:
        from queueing.store_pg import PgStore

        store = PgStore(url, hall.id, data / "queue.db")
    else:
        from queueing.store import SQLiteStore

        if not (data / "queue.db").exists():
            print(f"report: no queue.db in {data}", file=sys.stderr)
            return 2
        store = SQLiteStore(data / "queue.db")
    now = time.time()
    try:
        with store.read() as tx:
            figures = stats_history.compute(tx, hall, day_from, day_to, hall.day(now), api_stats.item_kinds())
    except QueueError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    out.write_bytes(api_stats.render(figures, fmt, args.lang, hall.name, hall.iso(now) or ""))
    print(f"wrote {out} ({figures['from']} – {figures['to']})")
    return 0
