"""Device trouble at the kiosk, for the citizen and for the staff.

Every state change a device reports (``DeviceManager`` ``on_state``: the ID-card reader, the
printer, the scanner, the camera) comes here on the kiosk worker thread. The citizen who waits
for that device gets plain words within the reader's poll (well under 3 s) and the way forward
(a staffed counter; the 电子身份证 QR where the hall allows it); the staff get an alert on every
change into a bad state (paper out, then cover open, is two alerts), not only when a job fails.
The same bad state is not paged again within :data:`REPEAT_SECONDS` (a reader that recovers and
fails again on every poll would flood the hall's alert list).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from common.i18n import for_staff
from kiosk.device_words import kind_text, reason_text, state_text

if TYPE_CHECKING:
    from kiosk.app import KioskCore

log = logging.getLogger(__name__)

BAD = frozenset({"disconnected", "error"})
NOT_YET = frozenset({"not configured", "not started"})  # a device starting up is no trouble yet
REPEAT_SECONDS = 300.0
# Reasons of the reader (devices/idcard/reader.py) that mean "this card", not "this reader".
_CARD_REASONS = ("read card", "card data unreadable", "corrupt reply", "select")


class DeviceTrouble:
    def __init__(self, core: KioskCore) -> None:
        self.core = core
        self.states: dict[str, tuple[str, str | None]] = {}
        self._paged: dict[tuple[str, str, str], float] = {}

    def changed(self, kind: str, state: str, reason: str | None) -> None:
        """A device reported a new state."""
        before = self.states.get(kind)
        self.states[kind] = (state, reason)
        if kind == "printer":
            self.core.printer_problem = reason if state == "error" else None
        if state not in BAD or reason in NOT_YET or before == (state, reason):
            return
        stamp = (kind, state, reason or "")
        now = self.core.clock()
        if now - self._paged.get(stamp, -1e9) < REPEAT_SECONDS:
            return
        self._paged[stamp] = now
        tr = for_staff
        self.core.alert_staff(kind, tr("device.alert", kiosk=self.core.kiosk_id, device=kind_text(tr, kind),
                                       state=state_text(tr, state), reason=reason_text(tr, kind, reason) or "-"))
        log.warning("device trouble", extra={"ctx": {"device": kind, "state": state, "reason": reason or ""}})

    def bad(self, kind: str) -> bool:
        state, reason = self.states.get(kind, ("ready", None))
        return state in BAD and reason not in NOT_YET

    def card_words(self) -> list[str]:
        """What a citizen waiting at 请刷身份证 is told while the reader is in trouble ([] if it works)."""
        if not self.bad("idcard"):
            return []
        tr = self.core.translator.tr
        state, reason = self.states["idcard"]
        text = (reason or "").lower()
        if state == "error" and any(r in text for r in _CARD_REASONS):
            first = tr("device.card.unreadable")
        elif state == "disconnected":
            first = tr("device.card.disconnected")
        else:
            first = tr("device.card.broken")
        lines = [first, tr("device.card.counter")]
        if self.core.ecard_qr:
            lines.append(tr("device.card.ecard"))
        return lines

    def decorate(self, screen: dict[str, Any]) -> dict[str, Any]:
        """Add the device words to a screen that waits for that device."""
        if screen.get("template") == "card" and "card" in (screen.get("accepts") or []):
            trouble = self.card_words()
            if trouble:
                screen = {**screen, "trouble": trouble}
        return screen
