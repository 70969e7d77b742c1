"""Command-line tools of the kiosk core: ``set-pin`` writes a technician PIN's hash into a
kiosk, display or counter configuration file (asked twice, never echoed, never logged);
``pin-unlock`` is the supervisor's reset of an escalated PIN lockout."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("set-pin", help="set the technician PIN in a configuration file")
    parser.add_argument("--config", default="/etc/hall-kiosk/kiosk.toml",
                        help="the file to write technician.pin_hash into (default /etc/hall-kiosk/kiosk.toml)")
    parser.add_argument("--stdin", action="store_true",
                        help="read the PIN from the first line of standard input (scripts, installers)")
    parser.set_defaults(func=run_set_pin)
    register_unlock(subparsers)
    from kiosk.updates import register as register_updates

    register_updates(subparsers)  # `update check|boot|home`: fleet updates of a one-folder build


def run_set_pin(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError
    from kiosk.pin import set_pin_in_config, weak_pin_reason

    if args.stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("new technician PIN (6-12 digits): ")
        reason = weak_pin_reason(pin)
        if reason is None and getpass.getpass("the same PIN again: ") != pin:
            reason = "the two PINs differ"
        if reason:
            print(f"set-pin: {reason}; nothing changed", file=sys.stderr)
            return 2
    try:
        set_pin_in_config(args.config, pin)
    except (ValueError, ConfigError, OSError) as exc:
        print(f"set-pin: {exc}; nothing changed", file=sys.stderr)
        return 2
    print(f"set-pin: technician PIN set in {args.config}; restart the role to use it")
    return 0


def register_unlock(subparsers: Any) -> None:
    parser = subparsers.add_parser("pin-unlock", help="a supervisor clears the technician PIN lockout of this machine")
    parser.add_argument("--config", default="/etc/hall-kiosk/kiosk.toml",
                        help="the kiosk's configuration (its data_dir holds the lockout state)")
    parser.add_argument("--data-dir", default=None, help="override the configuration's data_dir")
    parser.add_argument("--by", required=True, help="who resets it (the supervisor's staff number), for the audit log")
    parser.set_defaults(func=run_pin_unlock)


def run_pin_unlock(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk.audit import AuditLog
    from kiosk.config import ConfigError, load_config
    from kiosk.pin import PinGuard

    try:
        config = load_config(args.config, data_dir=args.data_dir)
    except ConfigError as exc:
        print(f"pin-unlock: {exc}", file=sys.stderr)
        return 2
    kiosk_dir = Path(config.data_dir) / "kiosk"
    guard = PinGuard(config.technician.pin_hash, kiosk_dir / "pin-state.json", AuditLog(kiosk_dir / "audit.jsonl"))
    guard.supervisor_reset(f"supervisor:{args.by}")
    print(f"pin-unlock: the technician PIN lockout in {kiosk_dir} is cleared (audited as {args.by})")
    return 0
