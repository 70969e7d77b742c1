"""``hall-server enrol|revoke|devices|roles|staff``: the administrator's commands for device
credentials and staff accounts (rules in ``queueing/credentials.py``).

They work on ``<data-dir>/queue.db`` whether the hall service runs or not; a running service
sees each change at its next request. A token or password never goes on a command line (``ps``
shows it to every user): ``enrol`` prints the new token once on stdout, ``staff add|reset`` read
the password or PIN from the terminal, or from stdin with ``--password-stdin``."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from pathlib import Path

from queueing.credentials import DEVICE_ROLES, FOREVER, Credentials


def register(hall_server: argparse.ArgumentParser) -> None:
    """Add the commands under ``hall-server`` (its own arguments still run the service)."""
    existing = [a for a in hall_server._actions if isinstance(a, argparse._SubParsersAction)]
    sub = existing[0] if existing else hall_server.add_subparsers(dest="hall_command", metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
        # SUPPRESS: "hall-server --data-dir X enrol" and "hall-server enrol --data-dir X" both work
        p.add_argument("--data-dir", default=argparse.SUPPRESS, help="the hall's data directory (default data/hall)")
        return p

    p = command("enrol", "enrol a device: prints its own bearer token once")
    p.add_argument("--role", required=True, choices=DEVICE_ROLES)
    p.add_argument("--name", required=True, help="the device's name, e.g. counter-w01 (on every event it causes)")
    p.add_argument("--counter", help="the counter id a counter device works (required for --role counter)")
    p.add_argument("--replace", action="store_true", help="give an enrolled name a new token (the old one stops)")
    p.set_defaults(func=_enrol)

    p = command("revoke", "revoke a device's token (refused at its next request)")
    p.add_argument("name")
    p.set_defaults(func=_revoke)

    p = command("devices", "list the enrolled devices")
    p.set_defaults(func=_devices)

    p = command("roles", "switch the shared role tokens of credentials.json on or off (admin stays)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--disable", action="store_true")
    group.add_argument("--enable", action="store_true")
    p.set_defaults(func=_roles)

    staff = command("staff", "staff accounts (staff number + password or PIN)")
    ssub = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    for name, help_ in (("add", "add a member of staff"), ("reset", "new password or PIN; unlocks and re-enables"),
                        ("disable", "stop an account signing in (ends its sessions)"), ("list", "list accounts")):
        s = ssub.add_parser(name, help=help_, description=help_)
        s.add_argument("--data-dir", default=argparse.SUPPRESS, help="the hall's data directory")
        if name != "list":
            s.add_argument("staff_id", metavar="STAFF_ID")
        if name == "add":
            s.add_argument("--name", required=True, help="the person's name as reports show it")
            s.add_argument("--supervisor", action="store_true", help="may sign off rectifications")
        if name in ("add", "reset"):
            s.add_argument("--pin", action="store_true", help="a PIN of at least 6 digits instead of a password")
            s.add_argument("--password-stdin", action="store_true", help="read the password or PIN from stdin")
        s.set_defaults(func=_staff)


def _open(args: argparse.Namespace) -> Credentials:
    data = Path(getattr(args, "data_dir", "data/hall"))
    data.mkdir(parents=True, exist_ok=True)
    return Credentials(data / "queue.db")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _enrol(args: argparse.Namespace) -> int:
    creds = _open(args)
    try:
        token = creds.enrol(args.role, args.name, args.counter, replace=args.replace)
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        creds.close()
    print(f"enrolled {args.name} ({args.role}{' ' + args.counter if args.counter else ''}); "
          "its token follows, shown only now: put it in the device's hall_service.token", file=sys.stderr)
    print(token)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    creds = _open(args)
    try:
        if not creds.revoke(args.name):
            return _fail(f"no enrolled device {args.name!r}")
    finally:
        creds.close()
    print(f"revoked {args.name}")
    return 0


def _when(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).isoformat(timespec="seconds")


def _devices(args: argparse.Namespace) -> int:
    creds = _open(args)
    try:
        print(f"{'name':24} {'role':10} {'counter':8} {'enrolled':20} revoked")
        for d in creds.devices():
            print(f"{d['name']:24} {d['role']:10} {d['counter_id'] or '':8} {_when(d['created_at']):20} "
                  f"{_when(d['revoked_at'])}")
        print(f"shared role tokens: {'enabled' if creds.shared_roles_enabled() else 'disabled'}")
    finally:
        creds.close()
    return 0


def _roles(args: argparse.Namespace) -> int:
    creds = _open(args)
    try:
        creds.set_shared_roles(bool(args.enable))
    finally:
        creds.close()
    print(f"shared role tokens {'enabled' if args.enable else 'disabled'} (the admin token always works)")
    return 0


def _secret(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("PIN: " if args.pin else "password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two entries differ")
    return first


def _staff(args: argparse.Namespace) -> int:
    creds = _open(args)
    try:
        action = args.staff_command
        if action == "list":
            for s in creds.staff_list():
                state = "disabled" if s["disabled"] else "locked" if s["locked_until"] == FOREVER else ""
                print(f"{s['id']:12} {s['name']:16} {'supervisor' if s['supervisor'] else 'staff':10} "
                      f"{'PIN' if s['pin'] else 'password':8} {state}")
            return 0
        if action == "add":
            creds.add_staff(args.staff_id, args.name, _secret(args), pin=args.pin, supervisor=args.supervisor)
        elif action == "reset":
            if not creds.reset_staff(args.staff_id, _secret(args), pin=args.pin):
                return _fail(f"no staff {args.staff_id!r}")
        elif not creds.disable_staff(args.staff_id):
            return _fail(f"no staff {args.staff_id!r}")
        print(f"staff {args.staff_id}: {action} done")
        return 0
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        creds.close()
