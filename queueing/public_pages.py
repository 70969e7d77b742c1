"""The citizen's phone pages, served by the hall service from the QR codes it prints:

- ``/t/<token>``: one ticket, live: number, service, people ahead, minutes, "it's your turn: go
  to window 3" (sound and vibration where the browser allows), recalled / no-show / done, and a
  rating form ``/t/<token>/rate`` once served (five levels, a reason for a bad one, the optional
  sub-scores 服务态度 / 办事效率 / 服务水平); once rated, the same address offers the rating's one 追评,
  posted to ``/t/<token>/followup`` (a second is refused in words). ``/t/<token>/events`` is its token-scoped SSE
  stream: snapshots of this ticket's state only, never the hall's event log.
- ``/a/<token>``: an application's status from the platform (masked personal data only); for a
  kiosk's local number, the platform's case once the kiosk reported it, or that the platform did
  not accept the application and the receipt goes to a counter (queueing/receipt_links.py). It
  lists the case's ratings (tickets finished with the receipt's number as 办件编号) and takes the
  latest one's 追评 at ``/a/<token>/followup``: the receipt's link does not expire.
- ``/g/<service_id>``: the printable guide of one service item from the catalogue.
- ``/api/v1/public/tickets/<token>``: the JSON behind a ticket QR (the kiosk's rating flow).

Server-rendered HTML, Chinese first with a ``?lang=en`` switch; the static parts work without
JavaScript (the ticket page refreshes itself every 30 s under ``<noscript>``), the live part is
one small inline script. No third-party scripts or fonts. A forged, expired or unknown token
gets a plain page with HTTP 404/410 saying what to do, never a trace. Tokens: public_tokens."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from common.i18n import catalogue, translate
from common.identity import mask_name
from queueing.codes import HallCode
from queueing.engine import QueueEngine
from queueing.events import EventHub
from queueing.model import CALLED, CANCELLED, DONE, NO_SHOW, SERVING, TRANSFERRED, WAITING, QueueError, Ticket
from queueing.public_sources import PublicSources, Status
from queueing.public_tokens import receipt_from_token, ticket_id_from_token, ticket_token
from queueing.receipt_links import LOCAL_NUMBER, receipt_link

log = logging.getLogger(__name__)
LANGS = ("zh", "en")
SUB_SCORES = ("attitude", "efficiency", "competence")  # queueing/cases.py
_WINDOW_NO = re.compile(r"^(\d+)\s*号窗口$")


@dataclass
class PublicPagesConfig:
    """What the pages need beyond the queue: their public base URL and the platform sources."""

    base_url: str = ""  # e.g. https://hall.example.gov.cn/q ; "" = links relative to this host
    sources: PublicSources = field(default_factory=PublicSources)


@cache
def _asset(name: str) -> str:
    return resources.files("queueing").joinpath(f"public/{name}").read_text("utf-8")


def t(lang: str, key: str, **fmt: Any) -> str:
    """A phone-page string in ``lang`` (``zh``/``en``): catalogue key ``phone.<key>`` (common.i18n)."""
    return translate(lang, "phone." + key, **fmt)


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def public_links(hall_key: str, ticket_id: str, base_url: str = "") -> dict[str, str]:
    """The keys added to the answer of ``POST /api/v1/tickets``: the ticket page's path (and URL)."""
    path = f"/t/{ticket_token(hall_key, ticket_id)}"
    links = {"public_path": path}
    if base_url:
        links["public_url"] = base_url.rstrip("/") + path
    return links


class PublicPages:
    def __init__(self, engine: QueueEngine, hub: EventHub, hall_key: str, config: PublicPagesConfig) -> None:
        self.engine, self.hub, self.hall_key = engine, hub, hall_key
        self.base = config.base_url.rstrip("/")
        self.sources = config.sources
        self.hall = engine.hall
        self.sms = False  # the hall sends texts: the ticket page links the 短信提醒 form (queueing/sms)

    # ---------------------------------------------------------------- helpers

    def href(self, path: str, lang: str = "zh", **query: str) -> str:
        q = {**query, **({"lang": "en"} if lang == "en" else {})}
        return self.base + path + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")

    def page(
        self, lang: str, title: str, body: str, path: str, status: int = 200, *, script: str = "",
        head: str = "", private: bool = True, attrs: str = "",
    ) -> HTMLResponse:
        nonce = secrets.token_urlsafe(12)
        other = "en" if lang == "zh" else "zh"
        doc = (
            f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{esc(title)}</title>{head}'
            f"<style>{_asset('style.css')}</style></head><body{attrs}>"
            f'<header><span class="hall">{esc(self.hall.name)}</span>'
            f'<a href="{esc(self.href(path, other))}" hreflang="{other}">{t(lang, "lang_switch")}</a></header>'
            f"<main>{body}</main>"
            + (f'<script nonce="{nonce}">{script}</script>' if script else "")
            + "</body></html>"
        )
        origin = "'self'" + (" " + re.sub(r"^(https?://[^/]+).*$", r"\1", self.base) if self.base else "")
        headers = {
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; connect-src {origin}; form-action {origin}; img-src 'self' data:; "
            "base-uri 'none'; frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store" if private else "public, max-age=300",
            "Content-Language": "zh-CN" if lang == "zh" else "en",
        }
        if private:
            headers["X-Robots-Tag"] = "noindex"
        return HTMLResponse(doc, status_code=status, headers=headers)

    def problem(self, lang: str, status: int, title_key: str, body_key: str, path: str) -> HTMLResponse:
        body = (
            f'<div class="state missed" role="alert"><h1>{t(lang, title_key)}</h1>'
            f"<p>{t(lang, body_key)}</p></div><p class=\"muted\">{t(lang, 'error.home_hint')}</p>"
        )
        return self.page(lang, t(lang, title_key), body, path, status)

    def window(self, counter_id: str | None, lang: str) -> str:
        c = self.hall.counters.get(counter_id or "")
        if c is None:
            return t(lang, "window.generic")
        m = _WINDOW_NO.match(c.name)
        return f"Window {m.group(1)}" if lang == "en" and m else c.name

    def service_name(self, service_id: str, lang: str) -> str:
        if lang == "en":
            item = self.sources.service(service_id)
            if item and item.get("name_en"):
                return str(item["name_en"])
        s = self.hall.services.get(service_id)
        if s is not None:
            return s.name
        item = self.sources.service(service_id)
        return str(item.get("name", service_id)) if item else service_id

    # ---------------------------------------------------------------- tickets

    def resolve(self, token: str) -> tuple[str, Ticket | None, int, int, Ticket | None]:
        """("ok" | "forged" | "unknown" | "expired", current ticket, ahead, minutes, original).

        A transferred ticket is followed to the row it became, so the QR keeps working."""
        ticket_id = ticket_id_from_token(self.hall_key, token)
        if ticket_id is None:
            return "forged", None, 0, 0, None
        try:
            first, ahead, minutes = self.engine.ticket(ticket_id)
        except QueueError:
            return "unknown", None, 0, 0, None
        if first.day != self.hall.day(self.engine.clock()):
            return "expired", None, 0, 0, first
        cur = first
        for _ in range(10):
            if cur.status != TRANSFERRED or not cur.transferred_to:
                break
            try:
                cur, ahead, minutes = self.engine.ticket(cur.transferred_to)
            except QueueError:
                break
        return "ok", cur, ahead, minutes, first

    def stage_now(self, ticket_id: str) -> tuple[str | None, bool]:
        from queueing.cases import book_of

        return book_of(self.engine).stage_now(ticket_id)

    def rating_of(self, ticket_id: str) -> dict[str, Any] | None:
        with self.engine.store.read() as tx:
            return tx.get_rating(ticket_id)

    def state(self, token: str, lang: str) -> dict[str, Any]:
        """What the ticket page shows, as the SSE endpoint sends it."""
        verdict, cur, ahead, minutes, first = self.resolve(token)
        if cur is None or first is None:
            key = {"expired": "error.expired", "unknown": "error.unknown_ticket"}.get(verdict, "error.forged")
            title = "error.expired.title" if verdict == "expired" else "error.title"
            return {"status": verdict, "headline": t(lang, title), "detail": t(lang, key), "tone": "missed",
                    "final": True, "number": first.number if first else "", "service": "", "recalls": 0}
        window = self.window(cur.counter_id, lang)
        st: dict[str, Any] = {
            "status": cur.status, "number": cur.number, "service": self.service_name(cur.service_id, lang),
            "recalls": cur.recalls, "ahead": None, "minutes": None, "window": None, "final": False,
            "note": t(lang, "ticket.transferred", service=self.service_name(cur.service_id, lang))
            if cur.id != first.id else "",
            "rate_url": None, "rated": False,
        }
        if cur.status == WAITING:
            st.update(ahead=ahead, minutes=minutes, tone="waiting", headline=t(lang, "ticket.waiting"),
                      detail=t(lang, "ticket.waiting.next") if ahead == 0
                      else t(lang, "ticket.waiting.detail", ahead=ahead, minutes=max(1, minutes)))
        elif cur.status == CALLED:
            st.update(window=window, tone="called", headline=t(lang, "ticket.called", window=window),
                      detail=t(lang, "ticket.recalled.detail", n=cur.recalls + 1) if cur.recalls
                      else t(lang, "ticket.called.detail"))
        elif cur.status == SERVING:
            st.update(window=window, tone="serving", headline=t(lang, "ticket.serving", window=window),
                      detail=t(lang, "ticket.serving.detail"))
            stage, stage_rated = self.stage_now(cur.id)  # 一事多评: 受理 is rated while served
            if stage is not None and not stage_rated:
                st.update(rate_url=self.href(f"/t/{token}/rate", lang))
        elif cur.status == DONE:
            rated = self.rating_of(cur.id) is not None
            st.update(tone="done", headline=t(lang, "ticket.done"), detail=t(lang, "ticket.done.detail"),
                      rated=rated, rate_url=None if rated else self.href(f"/t/{token}/rate", lang), final=rated)
        elif cur.status == NO_SHOW:
            st.update(tone="missed", headline=t(lang, "ticket.no_show"), detail=t(lang, "ticket.no_show.detail"))
        else:  # cancelled (or a transfer chain that could not be followed)
            closed = cur.status == CANCELLED and cur.outcome == "day_closed"
            st.update(tone="missed", headline=t(lang, "ticket.cancelled"), final=True,
                      detail=t(lang, "ticket.day_closed.detail" if closed else "ticket.cancelled.detail"))
        return st

    def ticket_page(self, token: str, lang: str) -> HTMLResponse:
        path = f"/t/{token}"
        s = self.state(token, lang)
        if s["status"] in ("forged", "unknown", "expired"):
            return self.ticket_problem(s["status"], lang, path)
        body = (
            f'<div class="card"><p class="label">{t(lang, "ticket.your_number")}</p>'
            f'<div class="number" id="number">{esc(s["number"])}</div>'
            f'<p class="service" id="service">{esc(s["service"])}</p>'
            f'<p class="muted" id="note">{esc(s["note"])}</p></div>'
            f'<section id="state" class="state {s["tone"]}" aria-live="assertive" role="status">'
            f'<h1 id="headline">{esc(s["headline"])}</h1><p id="detail">{esc(s["detail"])}</p></section>'
            f'<p class="muted" id="hint"{"" if s["status"] == WAITING else " hidden"}>'
            f'{t(lang, "ticket.waiting.hint")}</p>'
            f'<a class="btn" id="rate" href="{esc(s["rate_url"] or "#")}"{"" if s["rate_url"] else " hidden"}>'
            f'{t(lang, "ticket.rate")}</a>'
            f'<p class="muted" id="rated"{"" if s["rated"] else " hidden"}>{t(lang, "ticket.rated")}</p>'
            + (f'<a class="btn plain" id="followup" href="{esc(self.href(f"/t/{token}/rate", lang))}">'
               f'{t(lang, "rate.followup")}</a>' if s["rated"] else "")
            + (f'<a class="btn plain" id="sms" href="{esc(self.href(f"/t/{token}/sms", lang))}">'
               f'{t(lang, "sms.link")}</a>' if self.sms and s["status"] == WAITING else "") +
            f'<button class="btn plain noprint" id="sound" type="button" hidden '
            f'data-on="{esc(t(lang, "ticket.sound_on"))}">{t(lang, "ticket.sound")}</button>'
            f'<p class="muted"><span id="live" class="live" data-on="{esc(t(lang, "ticket.live"))}" '
            f'data-off="{esc(t(lang, "ticket.reconnecting"))}"></span></p>'
            f'<noscript><p class="muted">{t(lang, "ticket.noscript")}</p></noscript>'
        )
        events = self.href(f"/t/{token}/events", lang)
        attrs = (f' data-events="{esc(events)}" data-status="{esc(s["status"])}"'
                 f' data-recalls="{esc(s["recalls"])}"')
        head = '<noscript><meta http-equiv="refresh" content="30"></noscript>'
        return self.page(lang, f'{s["number"]} · {t(lang, "ticket.title")}', body, path, script=_asset("ticket.js"),
                         head=head, attrs=attrs)

    def ticket_problem(self, verdict: str, lang: str, path: str) -> HTMLResponse:
        if verdict == "expired":
            return self.problem(lang, 410, "error.expired.title", "error.expired", path)
        if verdict == "unknown":
            return self.problem(lang, 410, "error.expired.title", "error.unknown_ticket", path)
        return self.problem(lang, 404, "error.title", "error.forged", path)

    async def ticket_events(self, token: str, lang: str) -> AsyncIterator[bytes]:
        """This ticket's state, sent again whenever a committed hall event changes it."""
        last: dict[str, Any] | None = None
        yield b"retry: 3000\n\n"
        async for chunk in self.hub.stream(None):
            if chunk.startswith(b": heartbeat"):
                yield chunk
                continue
            try:
                st = await asyncio.to_thread(self.state, token, lang)
            except Exception:  # a read that fails now is retried at the next event
                log.exception("ticket state for the phone page failed")
                continue
            if st != last:
                last = st
                yield f"event: state\ndata: {json.dumps(st, ensure_ascii=False)}\n\n".encode()

    def rate_form(self, token: str, lang: str, error_key: str | None = None, values: dict[str, str] | None = None,
                  status: int = 200) -> HTMLResponse:
        path = f"/t/{token}/rate"
        verdict, cur, _a, _m, _f = self.resolve(token)
        if verdict != "ok" or cur is None:
            return self.ticket_problem(verdict, lang, path)
        back = f'<a class="btn plain" href="{esc(self.href(f"/t/{token}", lang))}">{t(lang, "rate.back")}</a>'
        stage, stage_rated = self.stage_now(cur.id)
        if stage is None:
            return self.page(lang, t(lang, "rate.title"), f'<div class="card"><p>{t(lang, "rate.not_finished")}'
                             f"</p></div>{back}", path, 409)
        if stage != "finish" and stage_rated:  # 受理 rated: the 办结 rating comes once finished
            return self.page(lang, t(lang, "rate.title"), f'<div class="card"><p>{t(lang, "rate.already")}</p>'
                             f"</div>{back}", path, status)
        rating = self.rating_of(cur.id) if stage == "finish" else None
        if rating is not None:
            return self.followup_form(token, lang, cur, rating, back, error_key, values, status)
        # 一事多评: which stage this rating is for, said when the hall rates more than one
        said = (f'<p id="stage"><strong>{t(lang, "rate.stage", stage=t(lang, f"rate.stage.{stage}"))}</strong></p>'
                if len(self.hall.rating.stages) > 1 else "")
        v = values or {}
        levels = "".join(
            f'<label><input type="radio" name="level" value="{n}"{" checked" if v.get("level") == str(n) else ""}'
            f' required>{t(lang, f"rate.level.{n}")}</label>' for n in (5, 4, 3, 2, 1)
        )
        err = f'<p class="err" role="alert">{t(lang, error_key)}</p>' if error_key else ""
        body = (
            f'<h1>{t(lang, "rate.title")}</h1>{said}{err}<form method="post" action="{esc(self.href(path, lang))}">'
            f'<input type="hidden" name="stage" value="{esc(stage)}">'
            f'<p>{t(lang, "rate.intro", number=esc(cur.number))}</p><fieldset class="levels">{levels}</fieldset>'
            f'<h2>{t(lang, "rate.scores")}</h2>{_scores(lang, v)}'
            f'<h2><label for="reason">{t(lang, "rate.reason")}</label></h2>'
            f'<textarea id="reason" name="reason" maxlength="200" placeholder="'
            f'{esc(t(lang, "rate.reason.placeholder"))}">{esc(v.get("reason", ""))}</textarea>'
            f'<h2><label for="comment">{t(lang, "rate.comment")}</label></h2>'
            f'<textarea id="comment" name="comment" maxlength="1000">{esc(v.get("comment", ""))}</textarea>'
            f'<button class="btn" type="submit">{t(lang, "rate.submit")}</button></form>{back}'
        )
        return self.page(lang, t(lang, "rate.title"), body, path, status)

    def rate_submit(self, token: str, lang: str, form: dict[str, str]) -> HTMLResponse:
        path = f"/t/{token}/rate"
        verdict, cur, _a, _m, _f = self.resolve(token)
        if verdict != "ok" or cur is None:
            return self.ticket_problem(verdict, lang, path)
        level_text, reason = form.get("level", ""), form.get("reason", "").strip()[:200]
        comment = form.get("comment", "").strip()[:1000]
        if level_text not in ("1", "2", "3", "4", "5"):
            return self.rate_form(token, lang, "rate.need_level", form, 422)
        level = int(level_text)
        if level <= 2 and not reason:
            return self.rate_form(token, lang, "rate.need_reason", form, 422)
        scores = {k: int(form[k]) for k in SUB_SCORES if form.get(k, "") in ("1", "2", "3", "4", "5")}
        stage, _rated = self.stage_now(cur.id)
        if stage is None or form.get("stage", stage) != stage:  # the case moved on since the form was shown
            return self.rate_form(token, lang)
        try:
            self.engine.rate(cur.id, level, reason or None, comment or None, stage, scores=dict(scores))
        except QueueError as exc:
            if exc.code in (HallCode.ALREADY_RATED, HallCode.TICKET_NOT_FINISHED):
                return self.rate_form(token, lang)
            return self.rate_form(token, lang, "rate.need_reason" if exc.code is HallCode.REASON_REQUIRED else None,
                                  form, 422)
        log.info("rating from a phone", extra={"ctx": {"number": cur.number, "level": level}})
        back = f'<a class="btn plain" href="{esc(self.href(f"/t/{token}", lang))}">{t(lang, "rate.back")}</a>'
        extra = f'<p>{t(lang, "rate.thanks.bad")}</p>' if level <= 2 else ""
        return self.page(lang, t(lang, "rate.thanks"), f'<div class="state done" role="status"><h1>'
                         f'{t(lang, "rate.thanks")}</h1>{extra}</div>{back}', path)

    def followup_form(self, token: str, lang: str, cur: Ticket, rating: dict[str, Any], back: str,
                      error_key: str | None, values: dict[str, str] | None, status: int) -> HTMLResponse:
        """A rated ticket's page: its one 追评 (a comment, a level if the citizen wants), or that
        it has been given."""
        path = f"/t/{token}/rate"
        if rating.get("followup_at") is not None:
            return self.page(lang, t(lang, "rate.title"), f'<div class="card"><p>{t(lang, "rate.already")}</p>'
                             f'<p id="followed">{t(lang, "rate.followup.done")}</p></div>{back}', path, status)
        v = values or {}
        levels = "".join(
            f'<label><input type="radio" name="level" value="{n}"{" checked" if v.get("level") == str(n) else ""}>'
            f'{t(lang, f"rate.level.{n}")}</label>' for n in (5, 4, 3, 2, 1))
        err = f'<p class="err" role="alert">{t(lang, error_key)}</p>' if error_key else ""
        action = self.href(f"/t/{token}/followup", lang)
        body = (
            f'<div class="card"><p>{t(lang, "rate.already")}</p></div>'
            f'<h1>{t(lang, "rate.followup")}</h1>{err}<form method="post" action="{esc(action)}">'
            f'<p>{t(lang, "rate.followup.intro", number=esc(cur.number))}</p>'
            f'<h2><label for="comment">{t(lang, "rate.followup.comment")}</label></h2>'
            f'<textarea id="comment" name="comment" maxlength="1000" required>{esc(v.get("comment", ""))}</textarea>'
            f'<h2>{t(lang, "rate.followup.level")}</h2><fieldset class="levels">{levels}</fieldset>'
            f'<button class="btn" type="submit">{t(lang, "rate.submit")}</button></form>{back}'
        )
        return self.page(lang, t(lang, "rate.followup"), body, path, status)

    def followup_submit(self, token: str, lang: str, form: dict[str, str]) -> HTMLResponse:
        path = f"/t/{token}/followup"
        verdict, cur, _a, _m, _f = self.resolve(token)
        if verdict != "ok" or cur is None:
            return self.ticket_problem(verdict, lang, path)
        back = f'<a class="btn plain" href="{esc(self.href(f"/t/{token}", lang))}">{t(lang, "rate.back")}</a>'
        if self.rating_of(cur.id) is None:
            return self.rate_form(token, lang)
        comment = form.get("comment", "").strip()[:1000]
        level_text = form.get("level", "")
        if not comment:
            return self.rate_form(token, lang, "rate.followup.need_comment", form, 422)
        try:
            self.engine_followup(cur.id, comment, int(level_text) if level_text in ("1", "2", "3", "4", "5") else None)
        except QueueError as exc:
            if exc.code is HallCode.FOLLOWUP_EXISTS:
                return self.page(lang, t(lang, "rate.followup"), f'<div class="card" role="alert"><p id="refused">'
                                 f'{t(lang, "rate.followup.exists")}</p></div>{back}', path, 409)
            return self.rate_form(token, lang, "rate.followup.need_comment", form, 422)
        log.info("follow-up rating from a phone", extra={"ctx": {"number": cur.number}})
        return self.page(lang, t(lang, "rate.followup.thanks"), f'<div class="state done" role="status"><h1>'
                         f'{t(lang, "rate.followup.thanks")}</h1></div>{back}', path)

    def engine_followup(self, ticket_id: str, comment: str, level: int | None, stage: str | None = None) -> None:
        from queueing.cases import book_of

        book_of(self.engine).followup(ticket_id, comment, level, stage)

    def ticket_json(self, token: str) -> JSONResponse:
        verdict, cur, ahead, minutes, _f = self.resolve(token)
        if verdict != "ok" or cur is None:
            code, status = {"expired": (HallCode.TOKEN_EXPIRED, 410),
                            "unknown": (HallCode.TICKET_NOT_FOUND, 404)}.get(verdict, (HallCode.INVALID_TOKEN, 404))
            return JSONResponse({"error": {"code": code, "message": f"ticket token {verdict}"}}, status)
        rating = self.rating_of(cur.id)
        return JSONResponse({
            "ticket": cur.public(self.hall), "waiting_ahead": ahead, "eta_minutes": minutes,
            "rating": {"level": rating["level"]} if rating else None,
            **self.stage_answer(cur.id),
        })

    def stage_answer(self, ticket_id: str) -> dict[str, Any]:
        """The stage a kiosk rates this ticket at now (一事多评), whether rated, and the hall's stages."""
        stage, rated = self.stage_now(ticket_id)
        return {"stage": stage, "stage_rated": rated, "stages": list(self.hall.rating.stages)}

    # ---------------------------------------------------------------- applications and guides

    def application_page(self, token: str, lang: str) -> HTMLResponse:
        path = f"/a/{token}"
        printed = receipt_from_token(self.hall_key, token)
        if printed is None:
            return self.problem(lang, 404, "error.title", "error.forged", path)
        # an offline receipt's local number follows the platform's number once the kiosk reported it
        local = bool(LOCAL_NUMBER.match(printed))
        link = receipt_link(self.engine.store, printed) if local else None
        if link is not None and (link.disputed or link.rejected):
            # refused by the platform, or printed by two kiosks (old numbers): no case, a counter helps
            refusal = "app.disputed" if link.disputed else "app.rejected"
            body = (f'<h1>{t(lang, "app.title")}</h1><div class="card"><dl><dt>{t(lang, "app.local_receipt")}'
                    f'</dt><dd>{esc(printed)}</dd></dl></div><div class="state missed" role="status"><p>'
                    f"{t(lang, refusal)}</p></div>")
            return self.page(lang, t(lang, "app.title"), body, path)
        linked = link.receipt_no if link is not None else None
        receipt = linked or printed
        # a local number nobody reported yet is not the platform's: it is not asked for it
        status = Status("not_found") if local and not linked else self.sources.application(receipt)
        head = (f'<h1>{t(lang, "app.title")}</h1><div class="card"><dl><dt>{t(lang, "app.receipt")}</dt>'
                f"<dd>{esc(receipt)}</dd>")
        if linked:
            head += f'<dt>{t(lang, "app.local_receipt")}</dt><dd>{esc(printed)}</dd>'
        if status.state != "found":
            key = {"no_platform": "app.no_platform", "unavailable": "app.unavailable"}.get(status.state)
            if key is None:
                key = "app.local" if local and not linked else "app.not_found"
            body = head + f'</dl></div><div class="state waiting" role="status"><p>{t(lang, key)}</p></div>'
            return self.page(lang, t(lang, "app.title"), body + self.case_ratings(token, receipt, lang), path)
        d = status.data
        sid = str(d.get("service_id") or "")
        rows = []
        if sid:
            rows.append(("app.item", esc(self.service_name(sid, lang))))
        code = str(d.get("status", ""))
        label = t(lang, f"app.status.{code}") if f"phone.app.status.{code}" in catalogue(lang) else d.get("status_text")
        rows.append(("app.status", f"<strong>{esc(label or code)}</strong>"))
        masked = mask_name(d.get("applicant_masked") or d.get("name_masked") or "")
        if masked:
            rows.append(("app.applicant", esc(masked)))
        if d.get("updated_at"):
            rows.append(("app.updated", esc(str(d["updated_at"]).replace("T", " ")[:16])))
        if d.get("deadline"):
            rows.append(("app.deadline", esc(d["deadline"])))
        owed = [str(m.get("name", m)) if isinstance(m, dict) else str(m) for m in d.get("missing_materials") or []]
        body = head + "".join(f"<dt>{t(lang, k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl></div>"
        tone = "missed" if owed else "done" if code in ("completed", "ready_for_pickup") else "waiting"
        body += f'<section class="state {tone}"><h1>{t(lang, "app.owed") if owed else t(lang, "app.owed.none")}</h1>'
        if owed:
            body += "<ul>" + "".join(f"<li>{esc(m)}</li>" for m in owed) + "</ul>"
            item = self.sources.service(sid) if sid else None
            if item and item.get("window_hint"):
                body += f'<p>{t(lang, "app.where", where=esc(item["window_hint"]))}</p>'
        if code == "ready_for_pickup":  # 统一窗口出件: the receipt takes a ticket for the 出件 window
            body += f'<p><strong>{t(lang, "app.pickup")}</strong></p>'
        body += "</section>"
        if status.age_seconds > 0:
            body += f'<p class="muted">{t(lang, "app.old", minutes=max(1, int(status.age_seconds // 60)))}</p>'
        body += self.case_ratings(token, receipt, lang)
        return self.page(lang, f'{t(lang, "app.title")} · {receipt}', body, path)

    def ratings_of_case(self, receipt: str) -> list[dict[str, Any]]:
        from queueing.cases import book_of

        return book_of(self.engine).case_ratings(receipt)

    def case_ratings(self, token: str, receipt: str, lang: str, error_key: str | None = None,
                     values: dict[str, str] | None = None) -> str:
        """The case's ratings (its tickets finished with the receipt's number as 办件编号) on the
        receipt's page, each with its one 追评 form while not given: the receipt's link does not
        expire, so the 追评 is reachable after the ticket's day."""
        rows = self.ratings_of_case(receipt)
        if not rows:
            return ""
        v = values or {}
        out = f'<section class="card" id="case-rating"><h2>{t(lang, "app.rating")}</h2><dl>'
        for r in rows:
            stage_key, level_key = f"rate.stage.{r['stage']}", f"rate.level.{r['level']}"
            out += (f"<dt>{t(lang, stage_key)}</dt><dd>{t(lang, level_key)}"
                    + (f' · {t(lang, "rate.followup.done")}' if r["followed_up"] else "") + "</dd>")
        out += "</dl>"
        open_ = [r for r in rows if not r["followed_up"]]
        if open_:
            r = open_[-1]  # the latest rating still without its 追评
            levels = "".join(
                f'<label><input type="radio" name="level" value="{n}"{" checked" if v.get("level") == str(n) else ""}>'
                f'{t(lang, f"rate.level.{n}")}</label>' for n in (5, 4, 3, 2, 1))
            err = f'<p class="err" role="alert">{t(lang, error_key)}</p>' if error_key else ""
            stage_key = f"rate.stage.{r['stage']}"
            out += (
                f'<h2>{t(lang, "rate.followup")} · {t(lang, stage_key)}</h2>{err}'
                f'<form method="post" action="{esc(self.href(f"/a/{token}/followup", lang))}">'
                f'<input type="hidden" name="stage" value="{esc(r["stage"])}">'
                f'<p>{t(lang, "rate.followup.intro", number=esc(r["number"]))}</p>'
                f'<h2><label for="comment">{t(lang, "rate.followup.comment")}</label></h2>'
                f'<textarea id="comment" name="comment" maxlength="1000" required>{esc(v.get("comment", ""))}'
                f'</textarea><h2>{t(lang, "rate.followup.level")}</h2><fieldset class="levels">{levels}</fieldset>'
                f'<button class="btn" type="submit">{t(lang, "rate.submit")}</button></form>')
        return out + "</section>"

    def case_followup_submit(self, token: str, lang: str, form: dict[str, str]) -> HTMLResponse:
        """``POST /a/<token>/followup``: the 追评 of the case's latest rating of the stage posted."""
        path = f"/a/{token}/followup"
        receipt = receipt_from_token(self.hall_key, token)
        if receipt is None:
            return self.problem(lang, 404, "error.title", "error.forged", path)
        link = receipt_link(self.engine.store, receipt) if LOCAL_NUMBER.match(receipt) else None
        case = link.receipt_no if link is not None and link.receipt_no and not link.disputed else receipt
        back = f'<a class="btn plain" href="{esc(self.href(f"/a/{token}", lang))}">{t(lang, "app.title")}</a>'
        stage = form.get("stage", "")
        rows = [r for r in self.ratings_of_case(case) if r["stage"] == stage]
        if not rows:
            return self.problem(lang, 404, "error.title", "error.unknown_ticket", path)
        comment = form.get("comment", "").strip()[:1000]
        level_text = form.get("level", "")
        if not comment:
            section = self.case_ratings(token, case, lang, "rate.followup.need_comment", form)
            return self.page(lang, t(lang, "rate.followup"), section + back, path, 422)
        try:
            self.engine_followup(rows[-1]["ticket_id"], comment,
                                 int(level_text) if level_text in ("1", "2", "3", "4", "5") else None, stage)
        except QueueError as exc:
            if exc.code is HallCode.FOLLOWUP_EXISTS:
                return self.page(lang, t(lang, "rate.followup"), f'<div class="card" role="alert"><p id="refused">'
                                 f'{t(lang, "rate.followup.exists")}</p></div>{back}', path, 409)
            section = self.case_ratings(token, case, lang, "rate.followup.need_comment", form)
            return self.page(lang, t(lang, "rate.followup"), section + back, path, 422)
        log.info("follow-up rating from a receipt's page", extra={"ctx": {"stage": stage}})
        return self.page(lang, t(lang, "rate.followup.thanks"), f'<div class="state done" role="status"><h1>'
                         f'{t(lang, "rate.followup.thanks")}</h1></div>{back}', path)

    def guide_page(self, service_id: str, lang: str) -> HTMLResponse:
        path = f"/g/{service_id}"
        item = self.sources.service(service_id)
        if item is None:
            return self.problem(lang, 404, "guide.title", "guide.not_found", path)
        en = lang == "en"
        name = item.get("name_en") if en and item.get("name_en") else item.get("name", service_id)
        promised, legal = int(item.get("promised_days") or 0), int(item.get("legal_days") or 0)
        limit = t(lang, "guide.same_day") if promised == 0 else t(lang, "guide.promised", days=promised, legal=legal)
        zone = self.sources.zone_name(str(item.get("zone", "")), lang)
        hint = str(item.get("window_hint") or "")
        where = hint if zone and hint.startswith(zone) else " · ".join(x for x in (zone, hint) if x)
        rows = [("guide.kind", item.get("kind", "")), ("guide.time_limit", limit), ("guide.fee", item.get("fee", "")),
                ("guide.where", where)]
        body = f'<h1>{esc(name)}</h1><p class="muted">{esc(item.get("name", "")) if en else ""}</p>'
        body += '<div class="card"><dl>' + "".join(
            f"<dt>{t(lang, k)}</dt><dd>{esc(v)}</dd>" for k, v in rows if v) + "</dl>"
        flags = [t(lang, k) for k, on in (("guide.online", item.get("online")),
                                           ("guide.self_service", item.get("self_service"))) if on]
        if flags:
            body += f'<p class="muted">{" · ".join(esc(f) for f in flags)}</p>'
        body += "</div>"
        if item.get("conditions"):
            body += f'<div class="card"><h2>{t(lang, "guide.conditions")}</h2><ul>' + "".join(
                f"<li>{esc(c)}</li>" for c in item["conditions"]) + "</ul></div>"
        mats = item.get("materials") or []
        if mats:
            body += f'<div class="card"><h2>{t(lang, "guide.materials")}</h2><ol>'
            for m in mats:
                m = m if isinstance(m, dict) else {"name": m}
                tag = ('<span class="tag tol">' + t(lang, "guide.tolerable") + "</span>") if m.get("tolerable") \
                    else ('<span class="tag core">' + t(lang, "guide.core") + "</span>") if m.get("core") else ""
                body += f"<li>{esc(m.get('name', ''))}{tag}</li>"
            body += "</ol></div>"
        if item.get("commitment"):
            body += f'<div class="card"><h2>{t(lang, "guide.commitment")}</h2><p>{esc(item["commitment"])}</p></div>'
        version = self.sources.catalogue().get("version")
        if version:
            body += f'<p class="muted">{t(lang, "guide.catalogue_version")}: {esc(version)}</p>'
        body += f'<button class="btn plain" id="print" type="button" hidden>{t(lang, "guide.print")}</button>'
        script = ('var b=document.getElementById("print");if(window.print){b.hidden=false;'
                  'b.addEventListener("click",function(){window.print();});}')
        return self.page(lang, f'{name} · {t(lang, "guide.title")}', body, path, private=False, script=script)


def _scores(lang: str, values: dict[str, str]) -> str:
    """The optional sub-scores: one row of five levels each, none required."""
    return "".join(
        f'<fieldset class="levels" id="score-{k}"><legend>{t(lang, f"rate.score.{k}")}</legend>' + "".join(
            f'<label><input type="radio" name="{k}" value="{n}"{" checked" if values.get(k) == str(n) else ""}'
            f' aria-label="{esc(t(lang, f"rate.score.{k}"))} · {esc(t(lang, f"rate.level.{n}"))}">'
            f'{t(lang, f"rate.level.{n}")}</label>' for n in (5, 4, 3, 2, 1)) + "</fieldset>"
        for k in SUB_SCORES)


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def mount_public_pages(
    app: FastAPI, engine: QueueEngine, hub: EventHub, hall_key: str, config: PublicPagesConfig | None = None
) -> PublicPages:
    """Add the phone pages' routes to the hall service's app (``create_app`` calls this)."""
    pages = PublicPages(engine, hub, hall_key, config or PublicPagesConfig())

    def guarded(fn: Callable[..., Response]) -> Callable[..., Response]:
        def run(request: Request, *args: Any) -> Response:
            lang = _lang(request)
            try:
                return fn(*args, lang)
            except Exception:  # a citizen sees a plain page, the log gets the trace
                log.exception("phone page failed", extra={"ctx": {"path": request.url.path}})
                return pages.problem(lang, 500, "error.title", "error.server", request.url.path)

        return run

    @app.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
    def ticket_page(token: str, request: Request) -> Response:
        return guarded(pages.ticket_page)(request, token)

    @app.get("/t/{token}/events", include_in_schema=False)
    async def ticket_events(token: str, request: Request) -> Response:
        verdict = await asyncio.to_thread(lambda: pages.resolve(token)[0])
        if verdict != "ok":  # a non-200 answer makes EventSource stop for good
            return Response(status_code=404 if verdict == "forged" else 410)
        return StreamingResponse(
            pages.ticket_events(token, _lang(request)), media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Referrer-Policy": "no-referrer"},
        )

    @app.get("/t/{token}/rate", response_class=HTMLResponse, include_in_schema=False)
    def rate_form(token: str, request: Request) -> Response:
        return guarded(pages.rate_form)(request, token)

    @app.post("/t/{token}/rate", response_class=HTMLResponse, include_in_schema=False)
    async def rate_submit(token: str, request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > 16384:  # the form is a few hundred bytes
            return pages.problem(_lang(request), 413, "error.title", "error.server", request.url.path)
        raw = (await request.body())[:16384].decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        return await asyncio.to_thread(guarded(lambda tok, lg: pages.rate_submit(tok, lg, form)), request, token)

    @app.post("/t/{token}/followup", response_class=HTMLResponse, include_in_schema=False)
    async def followup_submit(token: str, request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > 16384:
            return pages.problem(_lang(request), 413, "error.title", "error.server", request.url.path)
        raw = (await request.body())[:16384].decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        return await asyncio.to_thread(guarded(lambda tok, lg: pages.followup_submit(tok, lg, form)), request, token)

    @app.post("/a/{token}/followup", response_class=HTMLResponse, include_in_schema=False)
    async def case_followup_submit(token: str, request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > 16384:
            return pages.problem(_lang(request), 413, "error.title", "error.server", request.url.path)
        raw = (await request.body())[:16384].decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        return await asyncio.to_thread(guarded(lambda tok, lg: pages.case_followup_submit(tok, lg, form)),
                                       request, token)

    @app.get("/a/{token}", response_class=HTMLResponse, include_in_schema=False)
    def application_page(token: str, request: Request) -> Response:
        return guarded(pages.application_page)(request, token)

    @app.get("/g/{service_id}", response_class=HTMLResponse, include_in_schema=False)
    def guide_page(service_id: str, request: Request) -> Response:
        return guarded(pages.guide_page)(request, service_id)

    @app.get("/api/v1/public/tickets/{token}", tags=["public"])
    def public_ticket(token: str) -> JSONResponse:
        """A ticket by the token of its QR (no role token needed: the QR is the authority).
        Follows transfers; 404 ``invalid_token`` / ``ticket_not_found``, 410 ``token_expired``."""
        return pages.ticket_json(token)

    async def without_slash(request: Request) -> Response:
        # The configured public base or a path-only Location: never the request's Host header,
        # which anyone can set (a forged Host made the old redirect point to another site).
        query = request.url.query
        target = pages.base + request.url.path[:-1] + (f"?{query}" if query else "")
        return RedirectResponse(target, status_code=307)

    for path in ("/t/{token}/", "/t/{token}/rate/", "/a/{token}/", "/g/{service_id}/"):
        app.add_api_route(path, without_slash, methods=["GET"], include_in_schema=False)

    from queueing.sms.phone_page import mount_sms_page  # the 短信提醒 form (queueing/sms)

    mount_sms_page(app, pages)

    return pages
