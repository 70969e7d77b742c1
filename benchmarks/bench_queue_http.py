"""HTTP ticket life cycles per second against a ``hall-server`` process, and its CPU per cycle.

    .venv/bin/python benchmarks/bench_queue_http.py [--clients 50] [--seconds 20] [--mode life|probe]
        [--workers N] [--subscribers K] [--root DIR] [--client raw|socket|hallclient] [--store sqlite|postgresql|URL]

Starts ``python main.py hall-server`` (from ``--root``, default this checkout: point it at a
checkout of an older commit to measure "before" with the same load client) on a fresh data
directory whose hall is the sample hall plus one 一窗受理 counter per client (K01…, serving every
service of window W01, no daily caps), so each client owns a counter. Each client loops:

- ``--mode life`` (default): issue (kiosk token), call-next at its counter (a 204 — another
  counter took the ticket first — is retried and counted), start, finish;
- ``--mode probe``: the peer's (FQM's) probe shape, issue then call-next, both timed; our
  call-next refuses a counter that still has a ticket (FQM's pull does not), so the counter is
  freed by an untimed no-show: a probe cycle is three requests, its CPU counts all three.

Clients are threads spread over load-generator processes (the server and the load share this
machine's cores), each with one keep-alive ``http.client`` connection per role (``--client
socket``: a bare socket with each request's bytes built once, about a third of that CPU;
``--client hallclient``: the product's requests-based client, ~3.6× the load generator's CPU).
``--subscribers K`` holds K ``GET /api/v1/events`` streams open meanwhile (bare sockets on one
thread of one more process, the frames parsed after the run) and reports call → event latency
and whether every call reached every subscriber.
Every pulled ticket id and every issued number is checked for duplicates.

Prints Markdown: life cycles/s, requests/s, p50/p99 per request kind, and the server's CPU
seconds per cycle (user + system of the server and its worker processes, from /proc), and the
load generator's beside it: on a 2-core machine the two together bound the cycles/s any server
could reach here (cycles/s ≤ cores / (server + load generator CPU per cycle)).

``--store postgresql`` serves from a throw-away PostgreSQL started as the tests start it
(tests/pg_server.py, fsync on: the store's own durability), ``--store postgresql://…`` from that
database; with ``--workers 2`` that is two hall-server processes on one database."""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")
# the called ticket's id in a "call" frame (the ticket object's first key is its id)
CALLED = re.compile(rb'^event: call\ndata: .*?"ticket":\{"id":"([^"]+)"', re.M)


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live child processes."""
    return sum(cpu_by_process(pid).values())


def cpu_by_process(pid: int) -> dict[int, float]:
    """User + system CPU seconds of ``pid`` and of each of its live child processes."""
    out: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(entry) == pid or int(fields[1]) == pid:
            out[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def prepare(data: Path, clients: int, root: Path) -> list[str]:
    """The sample hall as ``root``'s own release writes it (an older checkout knows fewer keys),
    no daily caps, plus one 一窗受理 counter per client serving W01's services."""
    import tomllib

    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from queueing.hallconfig import "
                    "load_hall; load_hall(Path(sys.argv[1]))", str(data)], cwd=root, check=True)
    toml = (data / "hall.toml").read_text(encoding="utf-8").replace("daily_cap = 300", "daily_cap = 0")
    w01 = next(c for c in tomllib.loads(toml)["counters"] if c["id"] == "W01")
    services = ", ".join(f'"{s}"' for s in w01["services"])
    ids = [f"K{i:02d}" for i in range(1, clients + 1)]
    for cid in ids:
        toml += f'\n[[counters]]\nid = "{cid}"\nname = "{cid}"\nzone = "general"\nservices = [{services}]\n'
    (data / "hall.toml").write_text(toml, encoding="utf-8")
    return [s.strip('"') for s in services.split(", ")]


class RawClient:
    """The hall's API over one keep-alive ``http.client`` connection: the same requests as
    :class:`queueing.client.HallClient` at a fraction of its CPU (``requests`` cost the load
    generator ~5 ms per life cycle, on the same 2 cores as the server it measures)."""

    def __init__(self, base: str, token: str) -> None:
        import http.client
        from urllib.parse import urlsplit

        url = urlsplit(base)
        self._con = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def _post(self, path: str, body: dict | None = None) -> dict | None:
        self._con.request("POST", path, json.dumps(body or {}), self._headers)
        r = self._con.getresponse()
        data = r.read()
        if r.status == 204:
            return None
        if r.status >= 300:
            raise RuntimeError(f"{path}: {r.status} {data[:200]!r}")
        return json.loads(data)

    def issue_ticket(self, service_id: str) -> dict:
        return self._post("/api/v1/tickets", {"service_id": service_id}) or {}

    def call_next(self, cid: str) -> dict | None:
        return self._post(f"/api/v1/counters/{cid}/call-next")

    def start(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/start")

    def finish(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/finish", {"outcome": "done"})

    def no_show(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/no-show")


class SocketClient:
    """The same requests as :class:`RawClient` on a bare keep-alive socket: each request's bytes
    built once, the answer read by its ``Content-Length`` and decoded only where the load needs
    a field (the number, the called ticket). About a third of ``http.client``'s CPU, which leaves
    more of the two cores to the server being measured."""

    def __init__(self, base: str, token: str) -> None:
        from urllib.parse import urlsplit

        url = urlsplit(base)
        self._sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = (f"Host: {url.hostname}:{url.port}\r\nAuthorization: Bearer {token}\r\n"
                      "Content-Type: application/json\r\n").encode()
        self._cache: dict[tuple[str, bytes], bytes] = {}
        self._buf = b""

    def _post(self, path: str, body: bytes = b"{}", decode: bool = True) -> dict | None:
        request = self._cache.get((path, body))
        if request is None:
            request = self._cache[(path, body)] = (
                f"POST {path} HTTP/1.1\r\n".encode() + self._head
                + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self._sock.sendall(request)
        buf = self._buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        head, buf = buf[:end], buf[end + 4:]
        status = int(head[9:12])
        at = head.lower().find(b"content-length:")
        length = int(head[at + 15:head.find(b"\r\n", at)]) if at >= 0 else 0
        while len(buf) < length:
            buf += self._recv()
        data, self._buf = buf[:length], buf[length:]
        if status == 204:
            return None
        if status >= 300:
            raise RuntimeError(f"{path}: {status} {data[:200]!r}")
        return json.loads(data) if decode else {}

    def _recv(self) -> bytes:
        block = self._sock.recv(65536)
        if not block:
            raise ConnectionError("the server closed the connection")
        return block

    def issue_ticket(self, service_id: str) -> dict:
        return self._post("/api/v1/tickets", json.dumps({"service_id": service_id}).encode()) or {}

    def call_next(self, cid: str) -> dict | None:
        return self._post(f"/api/v1/counters/{cid}/call-next")

    def start(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/start", decode=False)

    def finish(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/finish", b'{"outcome": "done"}', decode=False)

    def no_show(self, cid: str) -> None:
        self._post(f"/api/v1/counters/{cid}/no-show", decode=False)


def worker(
    base: str, tokens: dict, counters: list[str], services: list[str], mode: str,
    start_at: float, stop_at: float, out: mp.Queue, client: str = "raw",
) -> None:
    from queueing.client import HallClient

    make: Any = {"raw": RawClient, "socket": SocketClient}.get(client, HallClient)
    kinds = ("issue", "call-next") if mode == "probe" else ("issue", "call-next", "start", "finish")
    lat: dict[str, list[float]] = {k: [] for k in kinds}
    pulled: list[str] = []
    numbers: list[str] = []
    sent: list[tuple[str, float]] = []
    done = [0]
    lock = threading.Lock()

    def run(cid: str, n: int) -> None:
        kiosk, counter = make(base, tokens["kiosk"]), make(base, tokens["counter"])
        mine: dict[str, list[float]] = {k: [] for k in lat}
        got: list[str] = []
        nums: list[str] = []
        calls: list[tuple[str, float]] = []
        cycles = 0
        while time.time() < start_at:
            time.sleep(0.001)
        while time.time() < stop_at:
            t0 = time.perf_counter()
            nums.append(kiosk.issue_ticket(services[n % len(services)])["ticket"]["number"])
            t1 = time.perf_counter()
            mine["issue"].append(t1 - t0)
            while True:
                wall = time.time()
                t1 = time.perf_counter()
                r = counter.call_next(cid)
                mine["call-next"].append(time.perf_counter() - t1)
                if r is not None:
                    got.append(r["ticket"]["id"])
                    calls.append((r["ticket"]["id"], wall))
                    break
            if mode == "probe":
                counter.no_show(cid)  # frees the counter; not timed (FQM's pull frees it by itself)
            else:
                t2 = time.perf_counter()
                counter.start(cid)
                t3 = time.perf_counter()
                counter.finish(cid)
                t4 = time.perf_counter()
                mine["start"].append(t3 - t2)
                mine["finish"].append(t4 - t3)
            cycles += 1
        with lock:
            for k, v in mine.items():
                lat[k] += v
            pulled.extend(got)
            numbers.extend(nums)
            sent.extend(calls)
            done[0] += cycles

    threads = [threading.Thread(target=run, args=(cid, i)) for i, cid in enumerate(counters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put({"lat": lat, "cycles": done[0], "pulled": pulled, "numbers": numbers, "sent": sent})


def subscribers(base: str, token: str, n: int, stop_at: float, ready: mp.Queue, out: mp.Queue) -> None:
    """K event streams on one thread (a selector over bare sockets): while the clock runs each
    read is only kept with its arrival time; frames are decoded after ``stop_at``, so the
    measuring costs the machine a ``recv`` per wake and not the stream's parsing (real
    subscribers, the displays and rating pads, are other machines)."""
    import selectors
    from urllib.parse import urlsplit

    url = urlsplit(base)
    sel = selectors.DefaultSelector()
    got: list[list[tuple[bytes, float]]] = [[] for _ in range(n)]
    for i in range(n):
        s = socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=30)
        s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        ready.put(1)
    while time.time() <= stop_at and sel.get_map():
        for key, _ in sel.select(0.5):
            block = key.fileobj.recv(1 << 20)  # type: ignore[union-attr]
            if block:
                got[key.data].append((block, time.time()))
            else:
                sel.unregister(key.fileobj)
    for key in list(sel.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    out.put([called_at(blocks) for blocks in got])


def called_at(blocks: list[tuple[bytes, float]]) -> list[tuple[str, float]]:
    """(ticket id, arrival time) of each ``call`` frame in one subscriber's raw reads: the
    response head dropped, the chunked body decoded, each frame timed by the read its end came in."""
    raw = b"".join(b for b, _ in blocks)
    ends, total = [], 0
    for b, _ in blocks:
        total += len(b)
        ends.append(total)
    pos = raw.index(b"\r\n\r\n") + 4
    calls: list[tuple[str, float]] = []
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            break
        size = int(raw[pos:eol].split(b";")[0], 16)
        start = eol + 2
        if size == 0 or start + size > len(raw):
            break
        data = raw[start:start + size]
        for m in CALLED.finditer(data):
            frame_end = data.find(b"\n\n", m.end())
            at = start + (frame_end if frame_end >= 0 else size)
            calls.append((m.group(1).decode(), blocks[bisect.bisect_left(ends, at + 1)][1]))
        pos = start + size + 2
    return calls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--processes", type=int, default=2, help="load-generator processes")
    ap.add_argument("--mode", choices=("life", "probe"), default="life")
    ap.add_argument("--client", choices=("raw", "socket", "hallclient"), default="raw",
                    help="raw: http.client keep-alive (light); socket: a bare keep-alive socket (lighter); "
                         "hallclient: the product's requests-based client")
    ap.add_argument("--workers", type=int, default=0, help="hall-server --workers (0: do not pass the option)")
    ap.add_argument("--subscribers", type=int, default=0, help="SSE streams held open during the run")
    ap.add_argument("--root", default=str(ROOT), help="checkout whose main.py serves (default: this one)")
    ap.add_argument("--store", default="sqlite",
                    help="sqlite (the hall's queue.db), postgresql (a throw-away server) or a postgresql:// URL")
    args = ap.parse_args()
    pg = None
    store_url = args.store if args.store.startswith("postgresql://") else ""
    if args.store == "postgresql":
        sys.path.insert(0, str(ROOT))
        from tests.pg_server import PgServer

        pg = PgServer().start(durable=True)
        store_url = pg.new_database()
    elif not store_url and args.store != "sqlite":
        ap.error("--store: sqlite, postgresql or a postgresql:// URL")
    root = Path(args.root).resolve()
    data = Path(tempfile.mkdtemp(prefix="bench-http-")).resolve()
    services = prepare(data, args.clients, root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, str(root / "main.py"), "--log-level", "WARNING", "hall-server", "--port", str(port),
           "--data-dir", str(data), "--heartbeat", "2"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if store_url:
        cmd += ["--store", store_url]
    server = subprocess.Popen(cmd, cwd=root)
    base = f"http://127.0.0.1:{port}"
    ctx = mp.get_context("spawn")
    sub_out = sub_proc = None
    try:
        import requests

        for _ in range(600):
            try:
                requests.get(base + "/api/v1/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        tokens = json.loads((data / "credentials.json").read_text())
        counters = [f"K{i:02d}" for i in range(1, args.clients + 1)]
        out = ctx.Queue()
        start_at = time.time() + 4
        stop_at = start_at + args.seconds
        if args.subscribers:
            ready, sub_out = ctx.Queue(), ctx.Queue()
            sub_proc = ctx.Process(target=subscribers,
                                   args=(base, tokens["display"], args.subscribers, stop_at + 3, ready, sub_out))
            sub_proc.start()
            for _ in range(args.subscribers):
                ready.get(timeout=60)
            start_at = max(start_at, time.time() + 1)
            stop_at = start_at + args.seconds
        nproc = max(1, min(args.processes, args.clients))
        procs = [ctx.Process(target=worker, args=(base, tokens, counters[i::nproc], services, args.mode,
                                                  start_at, stop_at, out, args.client)) for i in range(nproc)]
        for p in procs:
            p.start()
        time.sleep(max(0.0, start_at - time.time()))
        def subs_cpu() -> float:
            return tree_cpu(sub_proc.pid) if sub_proc is not None and sub_proc.pid is not None else 0.0

        by0, subs0 = cpu_by_process(server.pid), subs_cpu()
        cpu0 = sum(by0.values())
        load0 = sum(tree_cpu(p.pid) for p in procs if p.pid is not None)
        time.sleep(max(0.0, stop_at - time.time()))
        by1, subs1 = cpu_by_process(server.pid), subs_cpu()
        cpu1 = sum(by1.values())
        load1 = sum(tree_cpu(p.pid) for p in procs if p.pid is not None)
        results = [out.get(timeout=args.seconds + 120) for _ in procs]
        for p in procs:
            p.join(30)
        seen = sub_out.get(timeout=120) if sub_out is not None else []
        if sub_proc is not None:
            sub_proc.join(30)
    finally:
        server.terminate()
        server.wait(15)
        if pg is not None:
            pg.stop()
    lat: dict[str, list[float]] = {}
    pulled: list[str] = []
    numbers: list[str] = []
    sent: dict[str, float] = {}
    for r in results:
        for k, v in r["lat"].items():
            lat.setdefault(k, []).extend(v)
        pulled += r["pulled"]
        numbers += r["numbers"]
        sent.update(r["sent"])
    cycles = sum(r["cycles"] for r in results)
    requests_n = sum(len(v) for v in lat.values())
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"{args.mode}, {args.clients} clients ({args.client}), {args.seconds:.0f} s, workers {args.workers or '-'}, "
          f"store {'postgresql' if store_url else 'sqlite'}, "
          f"{args.subscribers} subscribers, load {' '.join(load)}, root {root}")
    print(f"{cycles} cycles = {cycles / args.seconds:.1f}/s, {requests_n / args.seconds:.0f} requests/s; "
          f"server CPU {(cpu1 - cpu0) / max(1, cycles) * 1000:.2f} ms per cycle "
          f"(load generator {(load1 - load0) / max(1, cycles) * 1000:.2f}); duplicates: "
          f"{len(pulled) - len(set(pulled))} pulls, {len(numbers) - len(set(numbers))} numbers")
    if args.workers > 1:  # which workers took the load: the first to accept may take every connection
        spent = sorted((by1[p] - by0.get(p, 0.0) for p in by1 if p != server.pid), reverse=True)
        print("workers' shares of the server CPU: " + " / ".join(
            f"{100 * x / max(1e-9, sum(spent)):.0f} %" for x in spent))
    print("| request | count | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for k, v in lat.items():
        print(f"| {k} | {len(v)} | {percentile(v, 50) * 1000:.1f} | {percentile(v, 99) * 1000:.1f} |")
    if args.subscribers:
        per_pair = [(recv - sent[tid]) * 1000 for stream in seen for tid, recv in stream if tid in sent]
        got = [{t for t, _ in stream} for stream in seen]
        reached = sum(1 for tid in sent if all(tid in g for g in got)) if got else 0
        print(f"call → event at {len(seen)} subscribers: {len(per_pair)} deliveries of {len(sent) * len(seen)}, "
              f"{reached} of {len(sent)} calls reached every subscriber; p50 {percentile(per_pair, 50):.1f} ms, "
              f"p99 {percentile(per_pair, 99):.1f} ms; "
              f"subscribers' CPU {(subs1 - subs0) / max(1, cycles) * 1000:.2f} ms per cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
