"""Where the phone pages get what the queue does not know: the service catalogue (for guides
and English names) and an application's status, both from the central platform when the hall
service is given one, else the catalogue bundled with offline_cache and no status.

Answers go through ``offline_cache.pulls.PullCache``, so a platform that is down still gives the
last stored answer with its age, and the pages never ask the platform more than once per
``catalogue_ttl`` / ``status_ttl`` seconds (a QR scanned by a crowd must not become a flood).
PlatformClient is not thread-safe, so each server thread gets its own."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class PlatformSettings:
    """The platform the hall service asks for the catalogue and application status."""

    url: str
    token: str
    device_id: str = "hall-public-pages"
    ca_bundle: str | None = None
    timeout_s: float = 5.0


@dataclass
class Status:
    """An application's status as the page shows it."""

    state: str  # found | not_found | unavailable | no_platform
    data: dict[str, Any] = field(default_factory=dict)
    age_seconds: float = 0.0  # > 0: the last stored answer, the platform is out of reach now


class PublicSources:
    def __init__(
        self,
        platform: PlatformSettings | None = None,
        cache_path: Path | None = None,
        cache: Any = None,
        catalogue_ttl: float = 300.0,
        status_ttl: float = 20.0,
    ) -> None:
        self.platform = platform
        self.catalogue_ttl, self.status_ttl = catalogue_ttl, status_ttl
        self._cache = cache
        self._own_cache = False
        if platform is not None and cache is None:
            from offline_cache.store import OfflineCache

            self._cache = OfflineCache(cache_path or Path("public-pages-cache.db"))
            self._own_cache = True
        self._local = threading.local()
        self._lock = threading.Lock()
        self._catalogue: tuple[float, dict[str, Any]] | None = None
        self._statuses: dict[str, tuple[float, Status]] = {}

    def close(self) -> None:
        if self._own_cache and self._cache is not None:
            self._cache.close()

    def _pulls(self) -> Any:
        pulls = getattr(self._local, "pulls", None)
        if pulls is None:
            from offline_cache.client import PlatformClient
            from offline_cache.pulls import PullCache

            p = self.platform
            assert p is not None
            client = PlatformClient(
                p.url, p.token, p.device_id, connect_timeout=min(3.0, p.timeout_s),
                read_timeout=p.timeout_s, ca_bundle=p.ca_bundle,
            )
            pulls = self._local.pulls = PullCache(self._cache, client)
        return pulls

    # ---------------------------------------------------------------- catalogue

    def catalogue(self) -> dict[str, Any]:
        """The platform's catalogue (refreshed at most every ``catalogue_ttl``), else the sample."""
        from offline_cache.pulls import NotCachedError, load_sample_catalogue

        now = time.monotonic()
        held = self._catalogue
        if held is not None and (self.platform is None or now - held[0] < self.catalogue_ttl):
            return held[1]
        data: dict[str, Any] | None = None
        if self.platform is not None:
            try:
                data = self._pulls().catalogue().data
            except NotCachedError:
                log.warning("no catalogue from the platform yet: guide pages use the bundled sample")
            except Exception:
                log.exception("catalogue pull failed: guide pages use the bundled sample")
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            data = held[1] if held is not None else load_sample_catalogue()
        self._catalogue = (now, data)
        return data

    def service(self, service_id: str) -> dict[str, Any] | None:
        return next((s for s in self.catalogue().get("services", []) if s.get("id") == service_id), None)

    def zone_name(self, zone_id: str, lang: str) -> str:
        for z in self.catalogue().get("zones", []):
            if z.get("id") == zone_id:
                return str(z.get("name_en") if lang == "en" and z.get("name_en") else z.get("name", ""))
        return ""

    # ---------------------------------------------------------------- applications

    def application(self, receipt_no: str) -> Status:
        """The platform's status of a case; asked at most once per ``status_ttl`` per receipt."""
        if self.platform is None:
            return Status("no_platform")
        now = time.monotonic()
        with self._lock:
            held = self._statuses.get(receipt_no)
        if held is not None and now - held[0] < self.status_ttl:
            return held[1]
        status = self._ask(receipt_no)
        with self._lock:
            if len(self._statuses) > 5000:  # receipts of a busy year: forget the stale ones
                self._statuses = {k: v for k, v in self._statuses.items() if now - v[0] < self.status_ttl}
            self._statuses[receipt_no] = (now, status)
        return status

    def _ask(self, receipt_no: str) -> Status:
        from offline_cache.client import PlatformRefused
        from offline_cache.pulls import NotCachedError

        try:
            pulled = self._pulls().application_status(receipt_no)
        except PlatformRefused as exc:
            return Status("not_found" if exc.status == 404 else "unavailable")
        except NotCachedError:
            return Status("unavailable")
        except Exception:
            log.exception("application status pull failed")
            return Status("unavailable")
        data = pulled.data if isinstance(pulled.data, dict) else {}
        return Status("found", data, 0.0 if pulled.fresh else pulled.age_seconds)
