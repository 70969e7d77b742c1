"""One entry point, several roles.

    python main.py                      embedded default: hall service in-process, reference
                                        platform in-process, kiosk with simulated devices
    python main.py hall-server ...      the hall queue service (HTTP API + events)
    python main.py platform ...         the reference central platform (tests, demos, integrators)
    python main.py kiosk|display|counter|technician ...   the Qt roles
    python main.py diag ...             device diagnostics for technicians
    python main.py cache ...            offline cache status and sync for technicians
    python main.py set-pin ...          write a technician PIN (hashed) into a configuration file

Each package registers its own subcommands through a ``register(subparsers)`` function in its
``cli`` module; those modules import their heavy dependencies only when a command runs, so
``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__version__ = "0.1.0"

# Packages whose cli module adds subcommands; a missing one is skipped so the tree can grow.
CLI_MODULES = ("queueing.cli", "offline_cache.cli", "devices.cli", "kiosk.cli", "ui.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Hall kiosk & queuing terminal (政务服务中心自助终端与排队叫号).",
    )
    parser.add_argument("--version", action="version", version=f"hall-kiosk {__version__}")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="log line format on stderr (json for the journal / log collectors)")
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
    if args.command == "hall-server":
        # Under systemd the hall service is alive when its own health endpoint answers.
        from kiosk.watchdog import start_http_heartbeat

        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        start_http_heartbeat(f"http://{host}:{args.port}/api/v1/health")
    func = getattr(args, "func", None)
    if func is None:
        from ui.cli import run_embedded_default

        return run_embedded_default(args)
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
