"""HTTP client of the central platform sync protocol v1 (requests): the record batch, attachment
uploads and the three pulls, each answer turned into an outcome the sync engine can act on.

Every request carries the bearer token and ``X-Device-Id``, a (connect, read) timeout and an
overall deadline for the answer, TLS verification against a configurable CA bundle and an
optional client certificate. Anything that leaves the outcome of a request unknown (5xx,
timeout, reset, truncated or unparsable body) raises :class:`PlatformUnavailable`; 401/403 raise
:class:`PlatformAuthError`.

An answer cannot stop or bloat the kiosk (issue 14): redirects are never followed (a 3xx is
:class:`PlatformRedirected`: following one re-sends the batch, with decrypted names and ID
numbers, to whatever host the ``Location`` names), an answer is read streaming and abandoned
past a size cap (:class:`PlatformAnswerTooLarge`), and ``Retry-After`` is clamped to an hour.

A TLS file named in the configuration that cannot be read (requests raises a bare ``OSError``
for it, before any byte is sent) raises :class:`PlatformTLSConfigError`, a kind of
PlatformUnavailable: the kiosk keeps working offline and the staff are told what to fix.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

BATCH_STATUSES = ("accepted", "duplicate", "rejected", "conflict")
MAX_RETRY_AFTER = 3600.0  # a platform may pause a kiosk for an hour at most, whatever it asks
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a batch answer is ~100 short results: 8 MiB is generous
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024
_DELTA_SECONDS = re.compile(r"[0-9]{1,20}")  # RFC 9110: 1*DIGIT; no sign, no fraction, no "inf"


class PlatformError(RuntimeError):
    """Base of the platform client's errors."""


class PlatformUnavailable(PlatformError):
    """The outcome is unknown or the platform is out of reach: retry later.
    ``retry_after`` (seconds) is set when the platform asked for a pause (429/503)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 retry_after_clamped: bool = False):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.retry_after_clamped = retry_after_clamped  # the platform asked for more than an hour


class PlatformRedirected(PlatformUnavailable):
    """A 3xx where the contract has none: not followed (records stay), the technician is told."""

    def __init__(self, status: int, location: str):
        super().__init__(f"{status} redirect to {location[:200]!r} not followed", status=status)
        self.location = location


class PlatformAnswerTooLarge(PlatformUnavailable):
    """The answer passed the size cap: abandoned unread; the outcome is unknown."""


class PlatformTLSConfigError(PlatformUnavailable):
    """A configured CA bundle or client certificate cannot be read: nothing was sent. Retried
    like any outage (the file may be put in place later), but staff must act."""


class PlatformAuthError(PlatformError):
    """401/403: the device token is wrong, expired or revoked. Stop and alert."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class PlatformRefused(PlatformError):
    """A definite refusal of the whole request: 400/404/409/413/422 with the platform's code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CatalogueAnswer:
    changed: bool  # False on 304
    body: dict[str, Any] | None
    etag: str | None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), unclamped; None for
    a missing, negative or garbage value (ignored: ordinary backoff applies)."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, OSError, IndexError):
        return None  # the stdlib raises any of these on hostile dates
    return max(0.0, seconds)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, at most :data:`MAX_RETRY_AFTER`."""
    seconds = retry_after_seconds(value, now)
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Answer:
    """A platform answer read within the cap (what the rest of the client looks at)."""

    status_code: int
    headers: CaseInsensitiveDict[str]
    content: bytes
    reason: str

    def json(self) -> Any:
        return json.loads(self.content.decode("utf-8"))


def _error_of(resp: Answer) -> tuple[str, str]:
    try:
        err = resp.json().get("error", {})
        return str(err.get("code", f"http_{resp.status_code}")), str(err.get("message", ""))[:300]
    except (ValueError, AttributeError, UnicodeDecodeError):
        return f"http_{resp.status_code}", resp.reason or ""


class NoRedirectSession(requests.Session):
    """A Session that never follows a redirect, whatever a caller passes: every call here also
    says ``allow_redirects=False``; this covers one that forgets."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


class PlatformClient:
    """One device's connection to the platform. Not shared between threads: each sender
    makes its own (a ``requests.Session`` keeps the connection alive)."""

    def __init__(self, base_url: str, token: str, device_id: str, *,
                 connect_timeout: float = 5.0, read_timeout: float = 30.0,
                 ca_bundle: str | None = None, client_cert: str | tuple[str, str] | None = None,
                 verify: bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.timeout = (connect_timeout, read_timeout)
        self.session = NoRedirectSession()
        # Nothing from the environment: a proxy must not reroute the extranet, and requests would
        # let $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE replace the configured CA (its environment
        # merge wins over session.verify). verify also goes with every request (``_request``), so
        # the pin holds even if trust_env is ever switched back on for a proxy.
        self.session.trust_env = False
        self.session.verify = self.verify = ca_bundle if ca_bundle else verify
        if client_cert:
            self.session.cert = client_cert
        self.ca_bundle, self.client_cert = ca_bundle or None, client_cert or None
        self.set_token(token)

    def tls_problem(self) -> str | None:
        """What is wrong with the configured TLS files (missing or unreadable), or None."""
        certs = [self.client_cert] if isinstance(self.client_cert, str) else list(self.client_cert or ())
        for what, path in [("ca_bundle", self.ca_bundle), *(("client_cert", c) for c in certs)]:
            if path and not os.access(path, os.R_OK):
                return f"{what} {path} cannot be read (missing or no permission)"
        return None

    def set_token(self, token: str) -> None:
        self.token = token
        self.session.headers.update({"Authorization": f"Bearer {token}", "X-Device-Id": self.device_id})

    def close(self) -> None:
        self.session.close()

    # --- plumbing --------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, max_bytes: int = MAX_ANSWER_BYTES,
                 headers: dict[str, str] | None = None, **kw: Any) -> Answer:
        # identity: a compressed answer could inflate far past the cap before we count it
        headers = {"Accept-Encoding": "identity", **(headers or {})}
        try:
            resp = self.session.request(method, self.base_url + path, timeout=self.timeout, verify=self.verify,
                                        allow_redirects=False, stream=True, headers=headers, **kw)
        except requests.RequestException as exc:  # incl. TLS handshake failures: retried
            raise PlatformUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        except OSError as exc:  # requests' own check of the TLS files, before any byte is sent
            raise PlatformTLSConfigError(f"TLS configuration: {str(exc)[:200]}") from exc
        try:
            with resp:  # closes the connection if the body is abandoned
                answer = self._read(resp, max_bytes)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # a body cut short (urllib3's own errors while streaming): retried, shown as last error
            raise PlatformUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if 300 <= answer.status_code < 400 and answer.status_code != 304:
            raise PlatformRedirected(answer.status_code, answer.headers.get("Location", ""))
        if answer.status_code in (401, 403):
            code, msg = _error_of(answer)
            raise PlatformAuthError(f"{answer.status_code} {code}: {msg}", answer.status_code)
        if answer.status_code in (429, 503) or answer.status_code >= 500:
            code, msg = _error_of(answer)
            asked = retry_after_seconds(answer.headers.get("Retry-After"))
            raise PlatformUnavailable(
                f"{answer.status_code} {code}: {msg}", status=answer.status_code,
                retry_after=None if asked is None else min(asked, MAX_RETRY_AFTER),
                retry_after_clamped=asked is not None and asked > MAX_RETRY_AFTER)
        return answer

    def _read(self, resp: requests.Response, max_bytes: int) -> Answer:
        """The body, streamed: refused past ``max_bytes`` (declared or counted) or when it takes
        longer than the overall deadline (a server dripping a byte per read timeout)."""
        status = resp.status_code
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise PlatformAnswerTooLarge(f"{status} answer of {declared} bytes is over the "
                                         f"{max_bytes}-byte cap", status=status)
        deadline = time.monotonic() + sum(self.timeout) * 2
        chunks: list[bytes] = []
        size = 0
        # read1: whatever has arrived, so the deadline is checked between small reads
        while chunk := resp.raw.read1(64 * 1024, decode_content=False):
            size += len(chunk)
            if size > max_bytes:
                raise PlatformAnswerTooLarge(f"{status} answer over the {max_bytes}-byte cap",
                                             status=status)
            if time.monotonic() > deadline:
                raise PlatformUnavailable(f"{status} answer still arriving after "
                                          f"{sum(self.timeout) * 2:.0f} s", status=status)
            chunks.append(chunk)
        return Answer(status, resp.headers, b"".join(chunks), resp.reason or "")

    def _json_or_unknown(self, resp: Answer) -> Any:
        if "json" not in resp.headers.get("Content-Type", ""):
            raise PlatformUnavailable(f"{resp.status_code} answer is not JSON "
                                      f"({resp.headers.get('Content-Type')})", status=resp.status_code)
        try:
            return json.loads(resp.content.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise PlatformUnavailable(f"{resp.status_code} answer is not valid JSON",
                                      status=resp.status_code) from exc

    # --- records ---------------------------------------------------------------------------

    def post_batch(self, records: list[dict[str, Any]] | bytes) -> dict[str, dict[str, Any]]:
        """Send a batch; return ``{id: result}`` for the ids the platform answered about.

        A result's ``status`` is one of accepted/duplicate/rejected/conflict. Ids missing from
        the answer have an unknown outcome. ``records`` may be a pre-encoded request body."""
        body = records if isinstance(records, bytes) else self.encode_batch(records)
        resp = self._request("POST", "/v1/records:batch", data=body,
                             headers={"Content-Type": "application/json"})
        if resp.status_code >= 400:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        if not 200 <= resp.status_code < 300:
            raise PlatformUnavailable(f"unexpected status {resp.status_code}", status=resp.status_code)
        data = self._json_or_unknown(resp)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise PlatformUnavailable("2xx answer without a results list", status=resp.status_code)
        out: dict[str, dict[str, Any]] = {}
        for item in results:
            # a result off the schema (a receipt_no that is not text broke every pass once) is
            # as if unlisted: its outcome is unknown, the record is retried
            if isinstance(item, dict) and isinstance(item.get("id"), str) \
                    and item.get("status") in BATCH_STATUSES \
                    and isinstance(item.get("receipt_no", ""), (str, type(None))):
                out[item["id"]] = item
        return out

    def encode_batch(self, records: list[dict[str, Any]]) -> bytes:
        return json.dumps({"device_id": self.device_id, "records": records},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    # --- attachments -----------------------------------------------------------------------

    def put_attachment(self, sha256: str, data: bytes, content_type: str) -> int:
        """Upload one attachment; return 201 (stored) or 200 (already there)."""
        resp = self._request("PUT", f"/v1/attachments/{sha256}", data=data,
                             headers={"Content-Type": content_type or "application/octet-stream"})
        if resp.status_code in (200, 201):
            return resp.status_code
        if resp.status_code >= 400:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        raise PlatformUnavailable(f"unexpected status {resp.status_code}", status=resp.status_code)

    def _object(self, resp: Answer, ok: tuple[int, ...], has: str, kind: type, what: str) -> dict[str, Any]:
        """The JSON object of an answer with one of the ``ok`` statuses whose member ``has`` is a
        ``kind``; any other status is the platform's refusal (its error code), a malformed body is
        the platform unavailable (``what`` names the answer in the log)."""
        if resp.status_code not in ok:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        body = self._json_or_unknown(resp)
        if not isinstance(body, dict) or not isinstance(body.get(has), kind):
            raise PlatformUnavailable(f"{what} answer has no {has}")
        return body

    # --- pulls -----------------------------------------------------------------------------

    def get_catalogue(self, etag: str | None = None) -> CatalogueAnswer:
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", "/v1/catalogue", headers=headers, max_bytes=MAX_CATALOGUE_BYTES)
        if resp.status_code == 304:
            return CatalogueAnswer(False, None, etag)
        if resp.status_code != 200:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        body = self._json_or_unknown(resp)
        if not isinstance(body, dict) or not isinstance(body.get("services"), list):
            raise PlatformUnavailable("catalogue answer has no services list")
        return CatalogueAnswer(True, body, resp.headers.get("ETag"))

    def get_appointments(self, hall_id: str, date: str) -> dict[str, Any]:
        resp = self._request("GET", "/v1/appointments", params={"hall_id": hall_id, "date": date})
        return self._object(resp, (200,), "appointments", list, "appointments")

    def get_application(self, receipt_no: str) -> dict[str, Any]:
        resp = self._request("GET", f"/v1/applications/{quote(receipt_no, safe='')}")
        if resp.status_code != 200:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        body = self._json_or_unknown(resp)
        if not isinstance(body, dict) or "status" not in body:
            raise PlatformUnavailable("application answer has no status")
        return body

    # --- 预约号源 (docs/platform-contract.md): 404 from an older platform is PlatformRefused(404)

    def get_booking_slots(self, hall_id: str, service_id: str, days: int = 7) -> dict[str, Any]:
        resp = self._request("GET", "/v1/booking/slots",
                             params={"hall_id": hall_id, "service_id": service_id, "days": str(days)})
        return self._object(resp, (200,), "days", list, "booking slots")

    def post_booking(self, booking: dict[str, Any]) -> dict[str, Any]:
        """Book (``booking_id`` makes a retry answer the same booking); 201 new, 200 the stored one."""
        resp = self._request("POST", "/v1/bookings", json=booking)
        return self._object(resp, (200, 201), "code", str, "booking")
