"""The kiosk's help call (呼叫工作人员) followed until someone comes.

After the call the kiosk says what is true: "staff have been told, please wait" — and only when
a member of staff acknowledged the alert (at the 帮办代办 counter, or anyone after it escalated)
"staff {工号} ({counter}) is on the way", shown and spoken. The kiosk polls its own alert by id
with the ``follow_token`` the raise answered (``GET /api/v1/alerts/{id}?follow=``) from its
once-a-second tick, every :data:`POLL_S` seconds, for at most :data:`FOLLOW_S`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore

log = logging.getLogger(__name__)
POLL_S = 2.0
FOLLOW_S = 15 * 60.0


class HelpWatch:
    def __init__(self, core: KioskCore) -> None:
        self.core = core
        self.alert_id: int | None = None
        self.token = ""
        self.since = 0.0
        self.polled = 0.0
        self.coming: str | None = None  # the words once someone acknowledged

    def call(self) -> str:
        """Raise the help alert; the notice to show now (waiting, or the call failed)."""
        tr = self.core.translator.tr
        try:
            if self.core.hall is None:
                raise RuntimeError("no hall service")
            alert = self.core.hall.raise_alert("help", self.core.kiosk_id, tr("alert.help", kiosk=self.core.kiosk_id))
        except Exception:
            log.warning("help request could not reach the hall service")
            return tr("notice.help_failed")
        self.alert_id, self.token = int(alert["id"]), str(alert.get("follow_token") or "")
        self.since = self.polled = self.core.clock()
        self.coming = None
        return tr("notice.help_waiting")

    def poll(self) -> str | None:
        """From the kiosk's tick: the notice to show when the alert was just acknowledged."""
        if self.alert_id is None or self.core.hall is None:
            return None
        now = self.core.clock()
        if now - self.since > FOLLOW_S:
            self.alert_id = None
            return None
        if now - self.polled < POLL_S:
            return None
        self.polled = now
        try:
            alert: dict[str, Any] = self.core.hall.alert(self.alert_id, follow=self.token)
        except Exception as exc:
            log.info("help call not followed this time", extra={"ctx": {"error": type(exc).__name__}})
            return None
        if alert.get("state") not in ("acknowledged", "resolved") or not alert.get("acked_by"):
            return None
        self.alert_id = None  # told once
        tr = self.core.translator.tr
        where = alert.get("acked_counter_name") or alert.get("acked_counter")
        self.coming = tr("notice.help_on_the_way_at", staff=alert["acked_by"], counter=where) if where \
            else tr("notice.help_on_the_way", staff=alert["acked_by"])
        log.info("help call acknowledged",
                 extra={"ctx": {"alert": alert.get("id"), "counter": alert.get("acked_counter")}})
        return self.coming
