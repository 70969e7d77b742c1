"""Display benchmarks (issue 6): from "call next" at a counter to the call drawn on the hall
display and its announcement started, against a real hall-server process on loopback; and the
display's memory over a simulated day of calls.

    .venv/bin/python benchmarks/bench_display.py [--calls 200] [--day 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "queueing"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StartRecorder:
    """A speech engine that notes when each phrase starts and finishes at once (no sound here)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def say(self, text: str, language: str, volume: float, done) -> None:  # type: ignore[no-untyped-def]
        self.started.setdefault(text, time.perf_counter())
        done()


def main() -> None:
    from bench_hall import write_bench_hall
    from PySide6.QtCore import QTimer
    from queue_helpers import ServerProcess

    from kiosk.announcer import Announcer
    from queueing.client import HallClient
    from ui.display_app import DisplayBridge
    from ui.qt_app import application, cjk_family, load_qml

    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--day", type=int, default=2000)
    args = parser.parse_args()
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "hall"
        data.mkdir()
        write_bench_hall(data)
        server = ServerProcess(data, heartbeat=5.0).start()
        kiosk = HallClient(server.base_url, server.token("kiosk"))
        counter = HallClient(server.base_url, server.token("counter"))
        engine = StartRecorder()
        announcer = Announcer(engine, repeat=1)
        bridge = DisplayBridge(HallClient(server.base_url, server.token("display")), announcer,
                               hall_name="示范区政务服务中心", font_family=cjk_family())
        _qml_engine, window = load_qml("display/Main.qml", {"bridge": bridge})
        drawn: dict[str, float] = {}
        seen = threading.Condition()

        def on_view() -> None:  # GUI thread: the new view is in QML; draw it now
            current = bridge.view.get("current") or []
            if current:
                window.grabWindow()
                with seen:
                    drawn.setdefault(current[0]["number"], time.perf_counter())
                    seen.notify_all()

        bridge.viewChanged.connect(on_view)
        bridge.start()
        results: dict[str, object] = {}

        def drive() -> None:
            time.sleep(1.0)
            lat_draw, lat_voice = [], []
            total = args.calls + args.day
            memory = []
            for i in range(total):
                number = kiosk.issue_ticket("S0501")["ticket"]["number"]
                start = time.perf_counter()
                counter.call_next("H03")
                with seen:
                    seen.wait_for(lambda n=number: n in drawn, timeout=5)
                voice = next((t for text, t in engine.started.items() if " ".join(number) in text), None)
                if i < args.calls:
                    lat_draw.append(drawn.get(number, start + 5) - start)
                    lat_voice.append((voice or start + 5) - start)
                counter.finish("H03")
                if i % 250 == 0:
                    memory.append(rss_mib())
                drawn.pop(number, None)
                engine.started.clear()
            memory.append(rss_mib())
            results.update(draw=lat_draw, voice=lat_voice, memory=memory)
            finished.set()

        # Quit from the GUI thread: QCoreApplication.quit() from the driving thread can deadlock
        # with a redraw in progress (seen with PySide6 6.11).
        finished = threading.Event()
        poll = QTimer()
        poll.timeout.connect(lambda: app.quit() if finished.is_set() else None)
        poll.start(50)
        threading.Thread(target=drive, daemon=True).start()
        QTimer.singleShot(600_000, app.quit)
        app.exec()
        bridge.stop()
        window.close()
        server.stop()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    draw, voice, memory = results["draw"], results["voice"], results["memory"]
    print(f"call next → call drawn on the display: p50 {pct(draw, .5):.0f} ms, p95 {pct(draw, .95):.0f} ms "
          f"({len(draw)} calls; target p95 < 300 ms)")
    print(f"call next → announcement started: p50 {pct(voice, .5):.0f} ms, p95 {pct(voice, .95):.0f} ms")
    print(f"display RSS over {args.calls + args.day} calls (every 250): "
          + ", ".join(f"{m:.0f}" for m in memory) + " MiB")


if __name__ == "__main__":
    main()
