"""Today's appointments at this kiosk: pulled from the platform for the hall's service day (the
day in the hall's time zone, as the hall service reports it, never the machine's local date),
refreshed through the day and at once when a citizen shows a code (or a card) the last list does
not know; and which appointment a swiped card means. The kiosk only reads the list: the hall
service pulls the same list itself (queueing.appointment_feed), since a kiosk may not write
appointments.

Owned by :class:`kiosk.app.KioskCore` (``core.appointments``); runs on the kiosk worker thread.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore

log = logging.getLogger(__name__)

REFRESH_SECONDS = 600.0  # bookings made after the kiosk started reach it within ten minutes


class AppointmentBook:
    def __init__(self, core: KioskCore) -> None:
        self.core = core
        self.day = ""
        self.items: list[dict[str, Any]] = []
        # core.clock() of the last refresh; the first one is the assembly's start-up pull (off the
        # worker thread), so the first tick does not ask a platform that may hang
        self._at = core.clock()

    def hall_day(self) -> str:
        """The hall's service day (its time zone, from hall.toml); the kiosk's date when the hall
        service cannot be asked."""
        try:
            if self.core.hall is not None:
                return str(self.core.hall.health()["day"])
        except Exception as exc:  # any failure of the hall client: fall back to the local date
            log.warning("hall service day unknown", extra={"ctx": {"error": type(exc).__name__}})
        return self.core.today().isoformat()

    def refresh_if_due(self) -> None:
        if self.core.clock() - self._at >= REFRESH_SECONDS:
            self.refresh()

    def refresh(self) -> bool:
        """Pull the hall day's list; False when it could not."""
        core = self.core
        self._at = core.clock()
        if core.pulls is None or core.hall is None:
            return False
        from offline_cache.pulls import NotCachedError

        day = self.hall_day()
        try:
            pulled = core.pulls.appointments(core.hall_id, day)
            items = list(pulled.data.get("appointments", []))
        except NotCachedError:
            log.warning("the day's appointments are not available yet", extra={"ctx": {"day": day}})
            return False
        except Exception as exc:
            log.warning("the day's appointments could not be pulled",
                        extra={"ctx": {"error": type(exc).__name__}})
            return False
        self.day, self.items = day, items
        log.info("the day's appointments pulled", extra={"ctx": {"count": len(items), "day": day}})
        return True

    def knows(self, code: str) -> bool:
        return any(a.get("code") == code for a in self.items)

    def ensure_known(self, code: str) -> None:
        """A code the last list does not have: it may have been booked since; ask again."""
        if not self.knows(code):
            self.refresh()

    def code_for(self, id_number: str) -> str | None:
        """The code of the card holder's appointment today nearest to now (a fresh list is asked
        for when the last one has none for this card, or is of a day the hall has left)."""
        if self.day and self.day != self.hall_day():  # past the hall's midnight: yesterday's list
            self.refresh()                            # would match yesterday's booking
        found = self._nearest(id_number)
        if found is None and self.refresh():
            found = self._nearest(id_number)
        return found

    def _nearest(self, id_number: str) -> str | None:
        if not self.core.hall_key or not id_number:
            return None
        from offline_cache.sealing import id_number_hash

        digest = id_number_hash(self.core.hall_key, id_number)
        now = time.time()
        best: tuple[float, str] | None = None
        for a in self.items:
            if a.get("id_number_hash") != digest:
                continue
            try:
                start = datetime.fromisoformat(str(a["slot_start"])).timestamp()
            except (KeyError, ValueError):
                continue
            distance = abs(start - now)
            if best is None or distance < best[0]:
                best = (distance, str(a["code"]))
        return best[1] if best else None
