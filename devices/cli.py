"""Technician diagnostics: ``python main.py diag ports|idcard|printer|scan|simulate``.

``diag idcard`` prints the full record for the technician holding the card (the only place it is
shown unmasked). Exit codes: 0 ok, 1 nothing found / job refused, 2 no card, 3 timeout,
4 protocol or SAM error, 5 port cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diag = subparsers.add_parser("diag", help="device diagnostics for technicians "
                                 "(ports, ID card, printer, scanner)")
    sub = diag.add_subparsers(dest="diag_command", metavar="DEVICE", required=True)

    p = sub.add_parser("ports", help="list serial ports with USB ids")
    p.set_defaults(func=cmd_ports)

    p = sub.add_parser("idcard", help="read one ID card and print it as JSON")
    p.add_argument("--port", required=True,
                   help="pyserial URL: /dev/ttyUSB0, COM3, socket://host:port, or sim")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for a card and each reply")
    p.add_argument("--identity", default="zhang_san", help="with --port sim: which fictional card lies on it")
    p.set_defaults(func=cmd_idcard)

    p = sub.add_parser("printer", help="print a sample slip and report printer status")
    p.add_argument("--port", required=True,
                   help="usb:VID:PID, serial:URL[?baudrate=N], tcp:HOST:PORT, file:PATH, sim")
    p.add_argument("--sample", choices=("ticket", "receipt", "test"), default="test")
    p.add_argument("--preview", help="also write the slip as a PNG (rendered by the printer simulator)")
    p.add_argument("--paper", type=int, choices=(58, 80), default=80)
    p.add_argument("--mode", choices=("native", "raster"), default="native", help="Chinese text mode")
    p.add_argument("--charset", choices=("gb2312", "gbk", "gb18030"), default="gbk")
    p.add_argument("--native-qr", action="store_true", help="use the printer's own QR command (GS ( k)")
    p.set_defaults(func=cmd_printer)

    p = sub.add_parser("scan", help="decode QR codes from an image or print scans from a serial scanner")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", help="image file: print every decoded payload, one per line")
    src.add_argument("--port", help="pyserial URL of a serial/CDC scanner: print scans as they come")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--backend", choices=("zxing", "pyzbar"), default="zxing")
    p.add_argument("--base-url", help="the hall's public base URL, to recognise our ticket/receipt codes")
    p.add_argument("--count", type=int, default=0, help="with --port: stop after N scans (0 = until Ctrl-C)")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("simulate", help="run a device simulator on a pty or socket until Ctrl-C")
    p.add_argument("device", choices=("idcard", "printer", "scanner"))
    p.add_argument("--tcp", type=int, metavar="PORT", help="listen on 127.0.0.1:PORT instead of a pty")
    p.add_argument("--link", help="with a pty: also make this symlink to it (a stable path)")
    p.add_argument("--identity", default="zhang_san", help="idcard: the card placed at start ('' for none)")
    p.add_argument("--paper", type=int, choices=(58, 80), default=80)
    p.add_argument("--out-dir", default=".", help="printer: where each printed page is saved as PNG")
    p.add_argument("--fault", default=None,
                   help="start with this fault on (the simulator's own list; 'list' prints it)")
    p.set_defaults(func=cmd_simulate)


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def cmd_ports(args: argparse.Namespace) -> int:
    from serial.tools import list_ports

    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    if not ports:
        print("no serial ports found (USB-serial readers appear as /dev/ttyUSB* or /dev/ttyACM*)")
        return 0
    for p in ports:
        usb = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else "-"
        print(f"{p.device}\tusb={usb}\tserial={p.serial_number or '-'}\t{p.description or ''}"
              f"\t{p.manufacturer or ''}".rstrip())
    return 0


def cmd_idcard(args: argparse.Namespace) -> int:
    from devices.idcard.reader import (
        IdCardReader,
        NoCardError,
        ProtocolError,
        ReaderDisconnected,
        ReaderTimeout,
        SamError,
    )

    sim = None
    port = args.port
    if port == "sim":
        from devices.idcard.simulator import IdCardSimulator

        sim = IdCardSimulator(baud=args.baud)
        port = sim.listen_pty()
        if args.identity:
            sim.insert(args.identity)
    reader = IdCardReader(port, args.baud, timeout=args.timeout)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            try:
                card = reader.read_card(appended_address=True)
                break
            except NoCardError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
        print(json.dumps(card.to_dict(masked=False), ensure_ascii=False, indent=2))
        return 0
    except NoCardError as exc:
        _err(f"{exc} (waited {args.timeout:.0f} s on {args.port})")
        return 2
    except ReaderTimeout as exc:
        _err(f"{exc}; check the port, the baud rate ({args.baud}) and that the reader is powered")
        return 3
    except (ProtocolError, SamError) as exc:
        _err(str(exc))
        return 4
    except ReaderDisconnected as exc:
        _err(str(exc))
        return 5
    finally:
        reader.close()
        if sim is not None:
            sim.close()


def sample_elements(kind: str, profile):  # type: ignore[no-untyped-def]
    """The sample slip: always in Chinese (catalogue ``diag.sample.*``), because what it tests is
    the printer's Chinese text mode and charset, whatever language the hall's screens are in."""
    import datetime as dt

    from common.i18n import SOURCE_LANGUAGE, translate
    from devices.printer import templates as t

    def zh(key: str) -> str:
        return translate(SOURCE_LANGUAGE, "diag.sample." + key)

    now = dt.datetime.now().replace(second=0, microsecond=0)
    if kind == "ticket":
        return t.ticket_layout(t.TicketSlip(
            zh("hall"), "A023", zh("ticket_service"), zh("ticket_counter"), 7, 15, now,
            "https://hall.example.gov.cn/t/Xy7Kq2Lm"))
    if kind == "receipt":
        return t.receipt_layout(t.ApplicationReceipt(
            zh("hall"), zh("receipt_service"), zh("applicant"), "110105194912310021", now,
            local_number="K03-0007",
            owed_materials=[zh("owed_material")], promised_date=(now + dt.timedelta(days=7)).date(),
            qr_url="https://hall.example.gov.cn/a/Qm8Zt3Ry"))
    return t.test_page_layout(profile, now, "diag")


def cmd_printer(args: argparse.Namespace) -> int:
    from devices.fonts import FontNotFoundError
    from devices.printer.driver import Printer
    from devices.printer.encoder import encode
    from devices.printer.printer_profile import PrinterProfile
    from devices.printer.simulator import EscposPaper, png_bytes

    profile = PrinterProfile(paper_mm=args.paper, text_mode=args.mode, font_charset=args.charset,
                             native_qr=args.native_qr)
    try:
        printer = Printer(args.port, profile)
    except ValueError as exc:
        _err(str(exc))
        return 5
    try:
        elements = sample_elements(args.sample, profile)
        status = printer.status()
        print(json.dumps({"before": status.as_dict()}, ensure_ascii=False))
        result = printer.print_elements(elements, args.sample)
        print(json.dumps({"ok": result.ok, "reason": result.reason, "message": result.message,
                          "bytes": result.bytes_sent, "after": result.status.as_dict()}, ensure_ascii=False))
        if args.preview:
            paper = EscposPaper(args.paper)
            paper.feed(encode(elements, profile))
            page = paper.pages[-1] if paper.pages else paper.pending_page()
            if page is not None:
                with open(args.preview, "wb") as fh:
                    fh.write(png_bytes(page))
                print(f"preview written to {args.preview}")
        if not result.ok:
            _err(f"not printed: {result.message}")
        return 0 if result.ok else 1
    except FontNotFoundError as exc:
        _err(str(exc))
        return 1
    finally:
        printer.close()


def cmd_scan(args: argparse.Namespace) -> int:

    if args.image:
        from devices.scanner.decode import decode_image_file

        try:
            payloads = decode_image_file(args.image, args.backend)
        except ValueError as exc:
            _err(str(exc))
            return 1
        for raw in payloads:
            print(raw.decode("utf-8", errors="replace"))
        if not payloads:
            _err(f"no QR code found in {args.image}")
            return 1
        return 0

    import threading

    from devices.scanner.serial_scanner import SerialScanner

    done = threading.Event()
    seen = 0

    def on_scan(scan) -> None:  # type: ignore[no-untyped-def]
        nonlocal seen
        seen += 1
        text = scan.value if scan.accepted else f"REJECTED ({scan.reason})"
        print(f"{scan.kind}\t{text}", flush=True)
        if args.count and seen >= args.count:
            done.set()

    def on_state(state, reason) -> None:  # type: ignore[no-untyped-def]
        print(f"# scanner {state.value}{': ' + reason if reason else ''}", file=sys.stderr, flush=True)

    scanner = SerialScanner(args.port, args.baud, on_scan=on_scan, on_state=on_state, base_url=args.base_url)
    scanner.start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scanner.stop()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    import os

    from PIL import Image

    from devices.idcard.simulator import IdCardSimulator
    from devices.printer.simulator import PrinterSimulator
    from devices.scanner.simulator import ScannerSimulator

    sim: IdCardSimulator | PrinterSimulator | ScannerSimulator
    if args.device == "idcard":
        sim = IdCardSimulator()
        if args.identity:
            sim.insert(args.identity)
        extra = f"card on the reader: {args.identity or 'none'}; identities: {', '.join(sim.identities())}"
    elif args.device == "printer":
        counter = [0]

        def save(page: Image.Image) -> None:
            counter[0] += 1
            path = os.path.join(args.out_dir, f"printer-page-{counter[0]:03d}.png")
            page.save(path)
            print(f"page printed: {path}", flush=True)

        sim = PrinterSimulator(args.paper, on_page=save)
        extra = f"{args.paper} mm paper; pages are saved in {os.path.abspath(args.out_dir)}"
    else:
        sim = ScannerSimulator()
        extra = "type a payload and press Enter to scan it"
    if args.fault == "list":
        print("\n".join(sim.FAULTS))
        sim.close()
        return 0
    if args.fault:
        try:
            sim.set_fault(args.fault)
        except ValueError as exc:
            _err(str(exc))
            sim.close()
            return 2
        extra += f"; fault on: {args.fault}"
    url = sim.listen_tcp(port=args.tcp) if args.tcp is not None else sim.listen_pty(args.link)
    print(f"{args.device} simulator listening on {url}", flush=True)
    print(extra, flush=True)
    try:
        if isinstance(sim, ScannerSimulator) and sys.stdin.isatty():
            for line in sys.stdin:
                sim.feed(line.rstrip("\n"))
        else:
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0
