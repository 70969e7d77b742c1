"""A real ``main.py hall-server`` process for the attacker tests: any extra arguments, TLS, an
open-files limit set in the child (systemd's default is 1024), its RSS read from /proc."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import requests
from queue_helpers import ROOT, free_port

from queueing.hallconfig import load_credentials


def make_cert(data_dir: Path, *hosts: str) -> Path:
    """``main.py hall-server make-cert``, as the installer runs it; returns the tls directory."""
    args = [a for h in hosts for a in ("--host", h)]
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "hall-server", "make-cert", "--data-dir", str(data_dir), *args],
        cwd=ROOT, check=True, capture_output=True, timeout=60,
    )
    return data_dir / "tls"


class HallProcess:
    """``python main.py hall-server --host 127.0.0.1 --port P --data-dir D [extra…]``."""

    def __init__(self, data_dir: Path, *extra: str, nofile: int | None = None, tls: Path | None = None) -> None:
        self.data_dir, self.extra, self.nofile, self.tls = data_dir, list(extra), nofile, tls
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"hall-{self.port}.log"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> str | bool:
        return str(self.tls / "ca.pem") if self.tls else True

    def _limit(self) -> None:  # runs in the child before exec
        if self.nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def start(self, timeout: float = 30.0, host: str = "127.0.0.1") -> HallProcess:
        cmd = [sys.executable, str(ROOT / "main.py"), "--log-level", "INFO", "hall-server", "--host", host,
               "--port", str(self.port), "--data-dir", str(self.data_dir), *self.extra]
        if self.tls:
            cmd += ["--tls-cert", str(self.tls / "server.pem"), "--tls-key", str(self.tls / "server.key")]
        self.log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=self._limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hall-server exited with {self.proc.returncode}: {self.output()}")
            try:
                if requests.get(self.base_url + "/api/v1/health", timeout=1, verify=self.verify).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("hall-server did not answer in time: " + self.output())

    def output(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def token(self, role: str) -> str:
        return load_credentials(self.data_dir)[role]

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "log"):
            self.log.close()

    def __enter__(self) -> HallProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
