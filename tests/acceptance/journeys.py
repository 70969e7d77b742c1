"""The table of citizen tasks in docs/kiosk.md: for each task the taps from home and the seconds it
took in the acceptance suite, in Chinese, English and elder mode, written from the journeys the
suite's :class:`~tests.acceptance.person.Person` recorded (JSON lines).

    python -m tests.acceptance.journeys                  # run the task tests, then write the table
                                                         # and picture each task's last screen
    python -m tests.acceptance.journeys --from FILE      # write it from journeys already recorded

The table goes between the ``<!-- journeys -->`` and ``<!-- /journeys -->`` marks of the doc,
with the command, the date and the machine's load (``uptime``): the seconds are the suite's, on
that machine, with the simulators' own pace, not a citizen's."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "kiosk.md"
TESTS = "tests/acceptance/test_accept_tasks.py"
MODES = ("zh", "en", "elder")
BEGIN, END = "<!-- journeys -->", "<!-- /journeys -->"
#: the design's goals, by task (docs/kiosk.md, issue 13)
GOALS = {"ticket without a card": "≤ 3 taps", "ticket with the ID card": "≤ 4 (taps + card)",
         "即办件 typed on the keyboard": "≤ 3 min"}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _did(j: dict[str, Any]) -> str:
    parts = [_n(j["taps"], "tap")]
    if j["keys"]:
        parts.append(_n(j["keys"], "key"))
    if j["swipes"]:
        parts.append(_n(j["swipes"], "swipe"))
    if j["brought"]:
        parts.append(_n(j["brought"], "scan" if "QR" in j["task"] else "card"))
    return ", ".join(parts)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def table(journeys: list[dict[str, Any]], command: str, load_avg: str) -> str:
    """The markdown table (the last journey of each task and mode wins)."""
    by: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for j in journeys:
        by[j["task"]][j["mode"]] = j
    head = "| task | " + " | ".join(MODES) + " | goal |\n|---|" + "---|" * len(MODES) + "---|\n"
    rows = []
    for task, modes in by.items():
        cells = [f"{_did(modes[m])}; {modes[m]['seconds']:.1f} s" if m in modes else "—" for m in MODES]
        rows.append(f"| {task} | " + " | ".join(cells) + f" | {GOALS.get(task, '')} |")
    return (f"{head}" + "\n".join(rows) + "\n\n"
            f"Measured by `{command}` on {time.strftime('%Y-%m-%d')} (`uptime` before the run: {load_avg}); "
            "taps are presses on the screen from the home screen (the mode button before it not "
            "counted), keys are the on-screen keyboard's, a card or code is one brought to the "
            "reader or scanner. Seconds include the suite's own waits after each tap (0.15–0.5 s).\n")


def write(doc: Path, text: str) -> None:
    body = doc.read_text(encoding="utf-8")
    start, end = body.index(BEGIN) + len(BEGIN), body.index(END)
    doc.write_text(body[:start] + "\n" + text + body[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="journeys recorded before (JSON lines)")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--shots", type=Path, default=ROOT / "docs" / "screenshots",
                        help="where each task's last screen goes as suite-<mode>-<task>.png")
    args = parser.parse_args(argv)
    command = "python -m tests.acceptance.journeys"
    source, load_avg = args.source, uptime()
    if source is None:
        source = Path(tempfile.mkdtemp(prefix="journeys-")) / "journeys.jsonl"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TESTS],
                              cwd=ROOT, env={**os.environ, "HALL_JOURNEYS": str(source),
                                             "HALL_SUITE_SHOTS": str(args.shots)})
        if done.returncode != 0:
            print("the task tests failed: the table is not written", file=sys.stderr)
            return done.returncode
    else:
        load_avg = "not taken: written from an earlier run"
    write(args.doc, table(load(source), command, load_avg))
    print(f"{args.doc}: {len(load(source))} journeys from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
