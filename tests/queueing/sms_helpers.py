"""A hall data directory with ``[sms]`` switched on against a :class:`GatewaySimulator` on loopback,
as a technician sets it up: hall.toml's table, the shared secret in credentials.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from queueing.hallconfig import load_credentials, load_hall

SP_ID = "901234"
SECRET = "s3cret-of-the-sp"


def sms_hall(data_dir: Path, port: int, extra: str = "") -> Path:
    load_hall(data_dir)  # the sample hall, as on first start
    creds = load_credentials(data_dir)
    creds["sms_secret"] = SECRET
    (data_dir / "credentials.json").write_text(json.dumps(creds, indent=2), encoding="utf-8")
    with (data_dir / "hall.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[sms]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\nsp_id = "{SP_ID}"\n'
                 f'service_id = "HALLQ"\nsrc_id = "1065012345"\nturn_near = 2\nreport_wait_seconds = 3\n'
                 f'timeout_seconds = 1.5\n{extra}')
    return data_dir


def wait_until(what: Callable[[], object], timeout: float = 20.0, why: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {why or what}")
