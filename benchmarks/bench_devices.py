"""Device-layer benchmarks: camera QR decode (throughput and success over a condition set),
ticket build time and bytes, ID-card read time against the simulator at 115200 baud.

    .venv/bin/python benchmarks/bench_devices.py [--frames N] [--reads N]

Prints Markdown tables for docs/benchmarks.md. Single-threaded OpenCV so "one core" holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import string
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cv2
import numpy as np
import qrcode

from devices.scanner.decode import make_decoder

W, H = 1280, 720


def payload(rng: random.Random) -> str:
    return "APPT1:" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def frame_with_code(rng: random.Random, text: str, size: int, angle: float, cond: str) -> np.ndarray:
    code = np.asarray(qrcode.make(text, border=4).get_image().convert("L"))
    code = cv2.resize(code, (size, size), interpolation=cv2.INTER_AREA)
    frame = np.full((H, W), 170, np.uint8)
    cv2.randn(noise := np.zeros((H, W), np.float32), 0, 12)   # a textured desk, not a flat wall
    frame = np.clip(frame + noise, 0, 255).astype(np.uint8)
    if angle:
        pad = int(size * 0.5)
        big = np.pad(code, pad, constant_values=255)
        m = cv2.getRotationMatrix2D((big.shape[1] / 2, big.shape[0] / 2), angle, 1.0)
        code = cv2.warpAffine(big, m, big.shape[::-1], borderValue=255)
    h, w = code.shape
    y, x = rng.randint(0, H - h), rng.randint(0, W - w)
    frame[y:y + h, x:x + w] = code
    if cond == "blur":
        frame = cv2.GaussianBlur(frame, (5, 5), 1.5)
    elif cond.startswith("noise"):
        sigma = float(cond[5:])
        frame = np.clip(frame + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, sigma, frame.shape),
                        0, 255).astype(np.uint8)
    elif cond == "lowcontrast":
        frame = (100 + (frame.astype(np.uint16) * 20 // 255)).astype(np.uint8)   # 20 grey levels
    return frame


CONDITIONS = [  # (name, size px, rotation, degradation)
    ("320px 0°", 320, 0, ""), ("160px 0°", 160, 0, ""), ("120px 15°", 120, 15, ""), ("80px 0°", 80, 0, ""),
    ("160px 45°", 160, 45, ""), ("120px blur", 120, 0, "blur"), ("160px noise σ25", 160, 0, "noise25"),
    ("160px low contrast", 160, 0, "lowcontrast"), ("80px 45° (hardest)", 80, 45, ""),
    ("120px noise σ50 (hardest)", 120, 0, "noise50"),
]


def bench_decode(frames: int) -> list[str]:
    cv2.setNumThreads(1)
    rng = random.Random(7)
    sets = {}
    for name, size, angle, cond in CONDITIONS:
        items = []
        for _ in range(frames):
            text = payload(rng)
            items.append((text, frame_with_code(rng, text, size, angle, cond)))
        sets[name] = items
    empty = [np.clip(np.random.default_rng(i).normal(150, 30, (H, W)), 0, 255).astype(np.uint8)
             for i in range(frames)]
    rows = ["| condition | zxing-cpp ok | zxing-cpp ms/frame | pyzbar ok | pyzbar ms/frame |",
            "|---|---|---|---|---|"]
    results = {}
    for backend in ("zxing", "pyzbar"):
        decode = make_decoder(backend)
        decode(sets["320px 0°"][0][1])   # warm-up
        for name, items in [*sets.items(), ("empty frames (false positives)", [(None, f) for f in empty])]:
            ok = wrong = 0
            t0 = time.perf_counter()
            for text, frame in items:
                got = decode(frame)
                if text is None:
                    wrong += bool(got)
                elif [g.decode() for g in got] == [text]:
                    ok += 1
                elif got:
                    wrong += 1
            ms = (time.perf_counter() - t0) * 1000 / len(items)
            results.setdefault(name, {})[backend] = (ok, wrong, len(items), ms)
    for name, r in results.items():
        cells = []
        for backend in ("zxing", "pyzbar"):
            ok, wrong, n, ms = r[backend]
            if name.startswith("empty"):
                score = f"{wrong} false of {n}"
            else:
                score = f"{100 * ok / n:.0f}% ({wrong} wrong)"
            cells += [score, f"{ms:.1f} ({1000 / ms:.0f} fps)"]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def bench_ticket() -> list[str]:
    from devices.printer.encoder import encode
    from devices.printer.printer_profile import PrinterProfile
    from devices.printer.templates import TicketSlip, ticket_layout

    slip = TicketSlip("示例市政务服务中心", "A023", "社保卡业务", "3-5号综合窗口 · A区", 7, 15,
                      dt.datetime(2024, 5, 6, 9, 41), "https://hall.example.gov.cn/t/Xy7Kq2Lm")
    rows = ["| profile | build ms (median of 30) | bytes |", "|---|---|---|"]
    for label, profile in (("80 mm, printer font (GBK), QR as image", PrinterProfile()),
                           ("80 mm, printer font, native QR (GS ( k)", PrinterProfile(native_qr=True)),
                           ("58 mm, printer font, QR as image", PrinterProfile(paper_mm=58)),
                           ("80 mm, raster text (no printer font)", PrinterProfile(text_mode="raster"))):
        encode(ticket_layout(slip), profile)
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            data = encode(ticket_layout(slip), profile)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append(f"| {label} | {statistics.median(times):.1f} | {len(data)} |")
    return rows


def bench_idcard(reads: int) -> list[str]:
    from devices.idcard.reader import IdCardReader
    from devices.idcard.simulator import IdCardSimulator

    sim = IdCardSimulator(baud=115200, pace=True)
    url = sim.listen_pty()
    reader = IdCardReader(url, 115200)
    full, base = [], []
    try:
        for _ in range(reads):
            sim.insert("zhang_san")
            t0 = time.perf_counter()
            reader.find_card()
            reader.select_card()
            t1 = time.perf_counter()
            reader.read_base()
            t2 = time.perf_counter()
            full.append((t2 - t0) * 1000)
            base.append((t2 - t1) * 1000)
    finally:
        reader.close()
        sim.close()
    wire = 1295 * 10 / 115200 * 1000
    return ["| measure | median ms | min ms |", "|---|---|---|",
            f"| wire time of the 1295-byte reply at 115200 baud 8N1 | {wire:.1f} | {wire:.1f} |",
            f"| read base message (30 01) | {statistics.median(base):.1f} | {min(base):.1f} |",
            f"| find + select + read (a whole card read) | {statistics.median(full):.1f} | {min(full):.1f} |"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100, help="frames per condition")
    ap.add_argument("--reads", type=int, default=20)
    args = ap.parse_args()
    print("### Camera QR decode, 1280x720 grey frames, QR-only filter, one thread\n")
    print("\n".join(bench_decode(args.frames)))
    print("\n### Ticket build (layout → ESC/POS bytes)\n")
    print("\n".join(bench_ticket()))
    print("\n### ID-card read against the simulator over a pty, paced at 115200 baud\n")
    print("\n".join(bench_idcard(args.reads)))


if __name__ == "__main__":
    main()
