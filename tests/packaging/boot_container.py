"""Booting a throwaway copy of this machine under systemd-nspawn for test_pkg_boot.py: an overlay
of / (upper layer on a tmpfs, prepared by the caller), PID 1 = this machine's systemd, two
pseudo-terminals as /dev/tty1 and /dev/tty0, and a cgroup of its own; all of it removed again."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class Booted:
    """The running container: commands run inside through nsenter into its PID 1's namespaces."""

    def __init__(self, leader: int, tty1: int) -> None:
        self.leader = leader
        self.tty1_text = bytearray()  # what was written to the container's /dev/tty1
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_tty, args=(tty1,), daemon=True)
        self._reader.start()

    def _read_tty(self, fd: int) -> None:
        while not self._stop.is_set():
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    self.tty1_text += os.read(fd, 4096)
                except OSError:
                    time.sleep(0.2)

    def sh(self, script: str, check: bool = True, timeout: float = 60) -> str:
        result = subprocess.run(["nsenter", "-t", str(self.leader), "-a", "/bin/sh", "-c", script],
                                env={"PATH": PATH, "LANG": "C.UTF-8", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""},
                                capture_output=True, text=True, timeout=timeout, check=False,
                                start_new_session=True)  # a stray `kill 0` inside must not stop pytest
        assert not check or result.returncode == 0, f"{script}: {result.stdout}{result.stderr}"
        return result.stdout.strip()

    def show(self, unit: str) -> dict[str, str]:
        out = self.sh(f"systemctl show {unit} -p ActiveState,SubState,MainPID,NRestarts,StatusText,Result,"
                      "WatchdogUSec,WatchdogTimestampMonotonic,User")
        return dict(line.split("=", 1) for line in out.splitlines())

    def diag(self, unit: str) -> str:
        return self.sh(f"systemctl status {unit} --no-pager -l -n 0; journalctl -b --no-pager -n 40 "
                       f"_SYSTEMD_UNIT={unit} + SYSLOG_IDENTIFIER={unit.removesuffix('.service')} "
                       f"+ UNIT={unit} | cut -c1-300", check=False)

    def wait(self, what: str, unit: str, ok: Callable[[dict[str, str]], bool], timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not ok(state := self.show(unit)):
            assert time.monotonic() < deadline, f"{unit}: {what} not reached in {timeout} s: {state}\n{self.diag(unit)}"
            time.sleep(0.3)
        return state

    def pings(self, unit: str, count: int, timeout: float) -> None:
        """WatchdogTimestamp moves when WATCHDOG=1 reaches the unit (and at READY=1, hence the same
        process throughout): see it move `count` times."""
        first = self.show(unit)
        seen = {first["WatchdogTimestampMonotonic"]}
        deadline = time.monotonic() + timeout
        while len(seen) <= count:
            assert time.monotonic() < deadline, f"{unit}: {len(seen) - 1} pings in {timeout} s\n{self.diag(unit)}"
            time.sleep(0.3)
            state = self.show(unit)
            assert (state["MainPID"], state["NRestarts"]) == (first["MainPID"], first["NRestarts"]), \
                f"{unit} restarted while waiting for {count} watchdog pings\n{self.diag(unit)}"
            seen.add(state["WatchdogTimestampMonotonic"])

    def freeze(self, pid: int) -> None:
        assert pid > 0, "no process to freeze"
        self.sh(f"kill -STOP {pid}")

    def close(self) -> None:
        self._stop.set()
        self._reader.join(timeout=5)


def _cgroup_dirs(name: str) -> list[Path]:
    """Our own cgroup in each hierarchy systemd uses: nspawn's payload/ and supervisor/ go under it."""
    dirs = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, rel = line.split(":", 2)
        if controllers == "name=systemd":
            mount = Path("/sys/fs/cgroup/systemd")
        elif controllers == "":
            unified = Path("/sys/fs/cgroup/unified")
            mount = unified if (unified / "cgroup.procs").exists() else Path("/sys/fs/cgroup")
        else:
            continue
        dirs.append(mount / rel.lstrip("/") / name)
    return dirs


def _remove_cgroup(top: Path) -> None:
    for _ in range(50):  # the container's last processes may take a moment to leave
        subprocess.run(["find", str(top), "-depth", "-type", "d", "-delete"], capture_output=True, check=False)
        if not top.exists():
            return
        time.sleep(0.1)


@contextmanager
def boot(nspawn: str, prepare: Callable[[Path], None], binds_ro: list[str]) -> Iterator[Booted]:
    """Boot until `systemctl is-system-running --wait` says running (or degraded); `prepare` fills
    the overlay's upper directory before it is mounted."""
    name = f"hall-kiosk-boot-{os.getpid()}"
    base = Path(tempfile.mkdtemp(prefix=f"{name}-", dir="/tmp"))
    merged, upper, work = base / "merged", base / "upper", base / "work"
    cgroups = _cgroup_dirs(name)
    ptys = [os.openpty(), os.openpty()]  # tty1, tty0: (master, slave)
    proc: subprocess.Popen | None = None
    box: Booted | None = None
    mounted: list[Path] = []
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(base)], check=True)
        mounted.append(base)
        for d in (merged, upper, work):
            d.mkdir()
        prepare(upper)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir=/,upperdir={upper},workdir={work}",
                        str(merged)], check=True)
        mounted.append(merged)
        for cgroup in cgroups:
            cgroup.mkdir()
        tty1, tty0 = (os.ttyname(slave) for _, slave in ptys)

        def into_cgroups() -> None:
            for cgroup in cgroups:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        with (base / "console.log").open("w") as console:
            proc = subprocess.Popen(
                [nspawn, "--boot", "--register=no", "--keep-unit", "--private-network", "--console=read-only",
                 f"--machine={name}", f"--directory={merged}", f"--bind={tty1}:/dev/tty1", f"--bind={tty0}:/dev/tty0",
                 *(f"--bind-ro={b}" for b in binds_ro)],
                stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=into_cgroups)
        deadline = time.monotonic() + 60
        while box is None or box.sh("systemctl is-system-running --wait", check=False) not in ("running", "degraded"):
            assert proc.poll() is None and time.monotonic() < deadline, (base / "console.log").read_text()[-3000:]
            time.sleep(0.2)
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if box is None and children and Path(f"/proc/{children[0]}/comm").read_text().strip() == "systemd":
                box = Booted(int(children[0]), ptys[0][0])
        yield box
    finally:
        if box is not None:
            box.close()
        if proc is not None and proc.poll() is None:
            proc.terminate()  # nspawn asks the container's systemd to power off
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                if box is not None:
                    subprocess.run(["kill", "-KILL", str(box.leader)], check=False)
                proc.kill()
                proc.wait(timeout=30)
        for master, slave in ptys:
            os.close(master)
            os.close(slave)
        for path in reversed(mounted):
            if subprocess.run(["umount", str(path)], check=False).returncode != 0:
                subprocess.run(["umount", "-l", str(path)], check=False)
        if not (os.path.ismount(base) or os.path.ismount(merged)):
            shutil.rmtree(base, ignore_errors=True)
        for cgroup in cgroups:
            _remove_cgroup(cgroup)
        shutil.rmtree(f"/run/systemd/nspawn/propagate/{name}", ignore_errors=True)
