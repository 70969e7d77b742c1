"""Today's appointments, from the central platform into the hall's queue engine.

Appointments are booked on the platform; the hall service pulls the list of its own service day
(``GET /v1/appointments?hall_id&date``, the day in the hall's time zone) at start, every
:data:`REFRESH_SECONDS`, and at once — at most every :data:`MISS_PULL_SECONDS` — when a check-in
names a code the engine does not know (a booking made a minute ago). Kiosks no longer write
appointments (a kiosk token on a public machine could move or forge one); the administrator still
can (``POST /api/v1/appointments``).

Runs on its own daemon thread; a platform that is down or hung only delays the list (each pull
has the platform client's timeouts), the queue never waits on it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queueing.engine import QueueEngine
    from queueing.public_sources import PlatformSettings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 600.0  # a booking made during the day reaches the hall within ten minutes
MISS_PULL_SECONDS = 30.0  # an unknown code asks the platform at most this often


class AppointmentFeed:
    def __init__(self, engine: QueueEngine, platform: PlatformSettings, hall_id: str,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.engine, self.platform, self.hall_id = engine, platform, hall_id
        self.refresh_seconds = refresh_seconds
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one pull at a time
        self._last_pull = -1e9  # time.monotonic() of the last pull
        self._thread: threading.Thread | None = None
        self._client: object | None = None

    def start(self) -> AppointmentFeed:
        self._thread = threading.Thread(target=self._run, name="appointment-feed", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.pull()
            self._stop.wait(self.refresh_seconds)

    def pull_after_miss(self) -> bool:
        """A check-in named an unknown code: pull now unless a pull was made very recently.
        True when a pull ran (the caller may try the check-in once more)."""
        if time.monotonic() - self._last_pull < MISS_PULL_SECONDS:
            return False
        return self.pull()

    def pull(self) -> bool:
        """Pull the hall day's list into the engine; False when the platform could not be asked."""
        from offline_cache.client import PlatformClient, PlatformError

        with self._lock:
            self._last_pull = time.monotonic()
            p = self.platform
            if self._client is None:
                self._client = PlatformClient(p.url, p.token, p.device_id, connect_timeout=min(3.0, p.timeout_s),
                                              read_timeout=p.timeout_s, ca_bundle=p.ca_bundle)
            assert isinstance(self._client, PlatformClient)
            day = self.engine.hall.day(self.engine.clock())
            try:
                answer = self._client.get_appointments(self.hall_id, day)
                stored = self.engine.push_appointments(answer["appointments"])
            except PlatformError as exc:
                log.warning("appointments not pulled from the platform",
                            extra={"ctx": {"day": day, "error": str(exc)[:200]}})
                return False
            except Exception:  # a malformed list or a store fault: logged, the next pull retries
                log.exception("appointments from the platform could not be stored", extra={"ctx": {"day": day}})
                return False
            log.info("appointments pulled from the platform", extra={"ctx": {"day": day, "stored": stored}})
            return True
