"""A real CUPS for tests: Debian's ``cupsd -f`` with its own ServerRoot in a temporary directory,
listening on a random loopback port, and one raw queue whose backend (``pdfdir``, written here)
keeps every job's PDF as ``job-NNNN.pdf``. A fault file makes the backend report the IPP
printer-state-reasons keyword in it (``STATE: +media-empty-error``) and stop the queue, as a real
printer's backend does for an empty tray; :meth:`CupsServer.clear_fault` resumes it.

cupsd refuses ``User root``; as root it runs its jobs as ``nobody``, so the backend and its
directories are root-owned and not writable by others, the output directory writable by all.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_BACKEND = """#!/usr/bin/python3
import os, shutil, sys
if len(sys.argv) == 1:
    print('direct pdfdir "Unknown" "PDF directory"')
    sys.exit(0)
out = os.environ["DEVICE_URI"].split(":", 1)[1]
fault = os.path.join(out, "FAULT")
if os.path.exists(fault):
    print("STATE: +" + open(fault).read().strip(), file=sys.stderr, flush=True)
    sys.exit(4)  # CUPS_BACKEND_STOP: the queue stops, the job waits
print("STATE: none", file=sys.stderr, flush=True)
src = open(sys.argv[6], "rb") if len(sys.argv) > 6 else sys.stdin.buffer
path = os.path.join(out, "job-%04d.pdf" % int(sys.argv[1]))
with open(path + ".part", "wb") as f:
    shutil.copyfileobj(src, f)
os.rename(path + ".part", path)
"""

_CUPSD_CONF = """Listen 127.0.0.1:{port}
LogLevel info
WebInterface No
DefaultAuthType None
Browsing No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
"""

_FILES_CONF = """ServerRoot {root}/conf
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
User nobody
Group nogroup
SystemGroup root
ServerBin {root}/bin
DataDir /usr/share/cups
"""

BINARIES = ("cupsd", "lpadmin", "ipptool", "cupsenable", "cupsdisable")


def missing_binaries() -> list[str]:
    found = [shutil.which(b) or (Path("/usr/sbin", b).exists() and b) for b in BINARIES]
    missing = [b for b, f in zip(BINARIES, found, strict=True) if not f]
    if not Path("/usr/lib/cups/daemon/cups-exec").exists():
        missing.append("cups-exec")
    return missing


def cups_or_skip() -> Iterator[CupsServer]:
    """A started :class:`CupsServer` for a fixture to yield from; skips, naming the Debian
    packages, where CUPS is not installed."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"CUPS not installed ({', '.join(missing)} missing): "
                    "apt-get install cups-daemon cups-client cups-ipp-utils")
    server = CupsServer().start()
    try:
        yield server
    finally:
        server.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


class CupsServer:
    QUEUE = "kiosk-a4"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
        self.port = _free_port()
        self.out = self.root / "out"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def uri(self) -> str:
        return f"ipp://{self.host}/printers/{self.QUEUE}"

    def start(self) -> CupsServer:
        r = self.root
        os.chmod(r, 0o755)
        for d in ("conf/ppd", "conf/ssl", "spool", "cache", "state", "tmp", "log", "bin/backend", "bin/filter"):
            (r / d).mkdir(parents=True, exist_ok=True)
        for d in ("spool", "tmp", "cache", "state", "log"):
            os.chmod(r / d, 0o777)
        self.out.mkdir()
        os.chmod(self.out, 0o777)
        for d in ("bin", "bin/backend", "bin/filter"):
            os.chmod(r / d, 0o755)
        (r / "bin/daemon").symlink_to("/usr/lib/cups/daemon")
        backend = r / "bin/backend/pdfdir"
        backend.write_text(_BACKEND)
        os.chmod(backend, 0o755)
        (r / "conf/cupsd.conf").write_text(_CUPSD_CONF.format(port=self.port))
        (r / "conf/cups-files.conf").write_text(_FILES_CONF.format(root=r))
        self.proc = subprocess.Popen([_tool("cupsd"), "-f", "-c", str(r / "conf/cupsd.conf"),
                                      "-s", str(r / "conf/cups-files.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"cupsd exited: {self.log()}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("cupsd did not listen within 15 s")
        subprocess.run([_tool("lpadmin"), "-h", self.host, "-p", self.QUEUE, "-E", "-v", f"pdfdir:{self.out}",
                        "-m", "raw"], check=True, capture_output=True, timeout=20)
        return self

    def log(self) -> str:
        path = self.root / "log/error_log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def jobs(self) -> list[Path]:
        return sorted(self.out.glob("job-*.pdf"))

    def wait_for_jobs(self, count: int, timeout: float = 20.0) -> list[Path]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.jobs()
            if len(jobs) >= count:
                return jobs
            time.sleep(0.1)
        raise AssertionError(f"{len(self.jobs())} job(s) printed, expected {count}; cupsd log:\n{self.log()}")

    def set_fault(self, reason: str) -> None:
        """The next job makes the backend report ``reason`` and stop the queue."""
        path = self.out / "FAULT"
        path.write_text(reason)
        os.chmod(path, 0o644)

    def clear_fault(self) -> None:
        (self.out / "FAULT").unlink(missing_ok=True)
        self.enable()

    def disable(self) -> None:
        subprocess.run([_tool("cupsdisable"), "-h", self.host, self.QUEUE], check=True, timeout=20)

    def enable(self) -> None:
        subprocess.run([_tool("cupsenable"), "-h", self.host, self.QUEUE], check=True, timeout=20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=30).stdout


def pdf_fonts(path: Path) -> str:
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=30).stdout


def render_png(path: Path, out_prefix: Path) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(path), str(out_prefix)],
                   check=True, timeout=60, capture_output=True)
    return out_prefix.with_suffix(".png")
