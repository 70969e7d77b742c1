"""The A4 printer driver: IPP to a CUPS queue (``ipp://host:port/printers/NAME``) through CUPS's own
IPP client ``ipptool`` (Debian ``cups-ipp-utils``): Get-Printer-Attributes for the status,
Print-Job with ``application/pdf`` for a document. Nothing is linked against libcups and no IPP
encoding lives here; CUPS does the spooling, retries and the driver of the physical printer.

A job's name is the kind of document (``materials-checklist``), never a citizen's data: job names
are visible in CUPS's queue and logs. The PDF is written to a private temporary file for ipptool
and removed when the job is handed over.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.a4.status import A4Condition, A4Status

log = logging.getLogger(__name__)

IPPTOOL_PACKAGE = "cups-ipp-utils"
_URI = re.compile(r"^ipps?://[^/\s]+/(printers|classes)/[^/\s]+$")
_JOB_NAME = re.compile(r"^[a-z0-9-]{1,40}$")

_STATUS_TEST = """{
  NAME "a4 status"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name kiosk
  ATTR keyword requested-attributes printer-state,printer-state-reasons,printer-is-accepting-jobs,printer-state-message
  STATUS successful-ok
}
"""
_PRINT_TEST = """{
  NAME "a4 print"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name kiosk
  ATTR name job-name $job_name
  ATTR mimeMediaType document-format application/pdf
  GROUP job-attributes-tag
  ATTR keyword media iso_a4_210x297mm
  FILE $filename
  STATUS successful-ok
  EXPECT job-id
}
"""


def valid_uri(uri: str) -> bool:
    return bool(_URI.match(uri))


@dataclass(frozen=True)
class A4PrintResult:
    ok: bool
    reason: str          # "" or the A4Condition / failure that stopped the job
    status: A4Status
    job_id: int | None = None
    message: str = ""


class A4Printer:
    """Base of the CUPS driver and the simulator's printer: the status and job logic over two
    transport hooks, :meth:`_attributes` and :meth:`_submit`."""

    simulator: Any = None

    def __init__(self, on_alert: Callable[[str], None] | None = None) -> None:
        self.on_alert = on_alert
        self.last_status = A4Status.unreachable("not asked yet")

    # -- transport --------------------------------------------------------------------------
    def _attributes(self) -> dict[str, Any]:
        raise NotImplementedError

    def _submit(self, pdf: bytes, job_name: str) -> int:
        raise NotImplementedError

    # -- what the kiosk uses ----------------------------------------------------------------
    def status(self) -> A4Status:
        try:
            attrs = self._attributes()
        except A4TransportError as exc:
            self.last_status = A4Status.unreachable(str(exc))
            return self.last_status
        reasons = attrs.get("printer-state-reasons", "none")
        self.last_status = A4Status.from_ipp(
            int(attrs.get("printer-state", 3)), [reasons] if isinstance(reasons, str) else list(reasons),
            bool(attrs.get("printer-is-accepting-jobs", True)), str(attrs.get("printer-state-message", "")))
        return self.last_status

    def print_pdf(self, pdf: bytes, job_name: str) -> A4PrintResult:
        """Hand one PDF to the printer; refused (nothing sent) when the printer cannot print."""
        if not _JOB_NAME.match(job_name):
            raise ValueError(f"job name {job_name!r}: lower-case words and '-' only (no personal data)")
        before = self.status()
        if not before.can_print:
            return A4PrintResult(False, before.condition.value, before, None, before.message)
        try:
            job_id = self._submit(pdf, job_name)
        except A4TransportError as exc:
            log.warning("a4 job not accepted", extra={"ctx": {"job": job_name, "error": str(exc)}})
            return A4PrintResult(False, "not_accepted", self.status(), None, str(exc))
        log.info("a4 job sent", extra={"ctx": {"job": job_name, "job_id": job_id, "bytes": len(pdf)}})
        return A4PrintResult(True, "", self.status(), job_id)

    def print_test_page(self) -> A4PrintResult:
        from devices.a4.test_page import test_page_pdf

        return self.print_pdf(test_page_pdf(), "test-page")

    def close(self) -> None:
        pass


class A4TransportError(RuntimeError):
    """CUPS did not answer, or refused the request."""


class CupsA4Printer(A4Printer):
    def __init__(self, uri: str, *, timeout: float = 10.0, on_alert: Callable[[str], None] | None = None) -> None:
        super().__init__(on_alert)
        if not valid_uri(uri):
            raise ValueError(f"{uri!r} is no CUPS queue URI (ipp://HOST:PORT/printers/NAME)")
        self.uri, self.timeout = uri, timeout
        self._dir = tempfile.mkdtemp(prefix="kiosk-a4-")
        for name, text in (("status.test", _STATUS_TEST), ("print.test", _PRINT_TEST)):
            with open(os.path.join(self._dir, name), "w", encoding="utf-8") as f:
                f.write(text)

    def _ipptool(self, test: str, *args: str) -> list[dict[str, Any]]:
        tool = shutil.which("ipptool")
        if tool is None:
            raise A4TransportError(f"ipptool not found; install the Debian package {IPPTOOL_PACKAGE}")
        cmd = [tool, "-T", str(max(1, int(self.timeout))), "-j", *args, self.uri, os.path.join(self._dir, test)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout + 5, check=False)
        except subprocess.TimeoutExpired:
            raise A4TransportError(f"CUPS did not answer within {self.timeout:.0f} s") from None
        try:
            groups = json.loads(proc.stdout) if proc.stdout.strip() else []
        except json.JSONDecodeError:
            groups = []
        if proc.returncode != 0 or not groups:
            detail = (proc.stderr.strip().splitlines() or ["no answer"])[-1]
            raise A4TransportError(f"CUPS request failed: {detail}")
        return [g for g in groups if isinstance(g, dict)]

    def _attributes(self) -> dict[str, Any]:
        for group in self._ipptool("status.test"):
            if group.get("group-tag") == "printer-attributes-tag":
                return group
        raise A4TransportError("CUPS sent no printer attributes")

    def _submit(self, pdf: bytes, job_name: str) -> int:
        fd, path = tempfile.mkstemp(suffix=".pdf", dir=self._dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pdf)
            groups = self._ipptool("print.test", "-d", f"job_name={job_name}", "-f", path)
        finally:
            os.unlink(path)
        for group in groups:
            if "job-id" in group:
                return int(group["job-id"])
        raise A4TransportError("CUPS sent no job id")

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


__all__ = ["A4Condition", "A4PrintResult", "A4Printer", "A4TransportError", "CupsA4Printer", "valid_uri"]
