"""One entry point, several roles.

    python main.py                      embedded default: hall service in-process, reference
                                        platform in-process, kiosk with simulated devices
    python main.py hall-server ...      the hall queue service (HTTP API + events)
    python main.py platform ...         the reference central platform (tests, demos, integrators)
    python main.py kiosk|display|counter|dashboard|technician ...   the Qt roles
    python main.py demo-hall            a whole demo hall as separate processes (hall service,
                                        platform, kiosk, display, counter, dashboard)
    python main.py diag ...             device diagnostics for technicians
    python main.py cache ...            offline cache status and sync for technicians
    python main.py set-pin ...          write a technician PIN (hashed) into a configuration file
    python main.py pin-unlock ...       a supervisor clears an escalated technician PIN lockout

Each package registers its own subcommands through a ``register(subparsers)`` function in its
``cli`` module; those modules import their heavy dependencies only when a command runs, so
``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__version__ = "0.1.0"

# Packages whose cli module adds subcommands; a missing one is skipped so the tree can grow.
CLI_MODULES = ("queueing.cli", "offline_cache.cli", "devices.cli", "kiosk.cli", "ui.cli")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EPILOG = """\
With no COMMAND: the embedded demo. One process runs the reference central platform, the hall
queue service and the kiosk with simulated ID-card reader, printer, scanner and camera; data goes
to --data-dir (default $HALL_KIOSK_DATA or ./data). "%(prog)s demo-hall" runs the same hall as
separate processes (hall service, platform, kiosk, display, counter console, dashboard), each
window with its own credential. "%(prog)s COMMAND --help" tells more.
"""


def _prog() -> str:
    """How we were invoked: ``main.py`` run by Python, or the installed ``hall-kiosk`` script."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name if name and name not in ("-c", "-m", "__main__.py") else "main.py"


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return level


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description="Hall kiosk & queuing terminal (政务服务中心自助终端与排队叫号).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hall-kiosk {__version__}")
    parser.add_argument("--log-level", type=_log_level, default="INFO", metavar="LEVEL",
                        help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="log line format on stderr (json for the journal / log collectors)")
    demo = parser.add_argument_group("the embedded demo (no COMMAND)")
    demo.add_argument("--data-dir", default=None,
                      help="where the demo keeps its data (default $HALL_KIOSK_DATA or ./data)")
    demo.add_argument("--screenshot", metavar="PNG", help="save a PNG of the kiosk window after --quit-after seconds")
    demo.add_argument("--quit-after", type=float, default=0.0, metavar="SECONDS", help="quit after this many seconds")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in CLI_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from kiosk.logs import setup_logging

    setup_logging(args.log_level, args.log_format)
    if args.command == "hall-server" and getattr(args, "hall_command", None) is None:
        # Under systemd the hall service is alive when its own health endpoint answers.
        from kiosk.watchdog import start_http_heartbeat

        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        scheme = "https" if args.tls_cert else "http"
        start_http_heartbeat(f"{scheme}://{host}:{args.port}/api/v1/health", tls_unverified=bool(args.tls_cert))
    func = getattr(args, "func", None)
    if func is None:
        from ui.cli import run_embedded_default

        return run_embedded_default(args)
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        # Ctrl-C: the service has already shut down cleanly (uvicorn re-raises it afterwards);
        # a traceback would read like a crash.
        return 0


if __name__ == "__main__":
    sys.exit(main())
