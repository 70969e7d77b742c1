"""HTTP client of the central platform sync protocol v1 (requests): the record batch, attachment
uploads and the three pulls, each answer turned into an outcome the sync engine can act on.

Every request carries the bearer token and ``X-Device-Id``, a (connect, read) timeout, TLS
verification against a configurable CA bundle and an optional client certificate. Anything that
leaves the outcome of a request unknown (5xx, timeout, reset, truncated or unparsable body)
raises :class:`PlatformUnavailable`; 401/403 raise :class:`PlatformAuthError`. A TLS file named in
the configuration that cannot be read (requests raises a bare ``OSError`` for it, before any
byte is sent) raises :class:`PlatformTLSConfigError`, a kind of PlatformUnavailable: the kiosk
keeps working offline and the staff are told what to fix.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

BATCH_STATUSES = ("accepted", "duplicate", "rejected", "conflict")


class PlatformError(RuntimeError):
    """Base of the platform client's errors."""


class PlatformUnavailable(PlatformError):
    """The outcome is unknown or the platform is out of reach: retry later.
    ``retry_after`` (seconds) is set when the platform asked for a pause (429/503)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


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


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _error_of(resp: requests.Response) -> tuple[str, str]:
    try:
        err = resp.json().get("error", {})
        return str(err.get("code", f"http_{resp.status_code}")), str(err.get("message", ""))[:300]
    except (ValueError, AttributeError):
        return f"http_{resp.status_code}", resp.reason or ""


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
        self.session = requests.Session()
        self.session.trust_env = False  # a proxy from the environment must not reroute the extranet
        self.session.verify = ca_bundle if ca_bundle else verify
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

    def _request(self, method: str, path: str, **kw: Any) -> requests.Response:
        try:
            resp = self.session.request(method, self.base_url + path, timeout=self.timeout, **kw)
            _ = resp.content  # read the whole body now: a truncated one raises here
        except requests.RequestException as exc:  # incl. TLS failures: retried, shown as last error
            raise PlatformUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        except OSError as exc:  # requests' own check of the TLS files (not a RequestException)
            raise PlatformTLSConfigError(f"TLS configuration: {str(exc)[:200]}") from exc
        if resp.status_code in (401, 403):
            code, msg = _error_of(resp)
            raise PlatformAuthError(f"{resp.status_code} {code}: {msg}", resp.status_code)
        if resp.status_code in (429, 503) or resp.status_code >= 500:
            code, msg = _error_of(resp)
            raise PlatformUnavailable(f"{resp.status_code} {code}: {msg}", status=resp.status_code,
                                      retry_after=parse_retry_after(resp.headers.get("Retry-After")))
        return resp

    def _json_or_unknown(self, resp: requests.Response) -> Any:
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
            if isinstance(item, dict) and isinstance(item.get("id"), str) \
                    and item.get("status") in BATCH_STATUSES:
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

    # --- pulls -----------------------------------------------------------------------------

    def get_catalogue(self, etag: str | None = None) -> CatalogueAnswer:
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", "/v1/catalogue", headers=headers)
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
        if resp.status_code != 200:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        body = self._json_or_unknown(resp)
        if not isinstance(body, dict) or not isinstance(body.get("appointments"), list):
            raise PlatformUnavailable("appointments answer has no appointments list")
        return body

    def get_application(self, receipt_no: str) -> dict[str, Any]:
        resp = self._request("GET", f"/v1/applications/{quote(receipt_no, safe='')}")
        if resp.status_code != 200:
            code, msg = _error_of(resp)
            raise PlatformRefused(resp.status_code, code, msg)
        body = self._json_or_unknown(resp)
        if not isinstance(body, dict) or "status" not in body:
            raise PlatformUnavailable("application answer has no status")
        return body
