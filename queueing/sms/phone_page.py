"""The phone page's 短信提醒 form, ``/t/<token>/sms``: the same opt-in as the kiosk's
(queueing/api_sms.py ``opt_in``), for a citizen who scanned the ticket's QR. A plain form (no
script): the number, a consent box, one button; the answer shows the number masked."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from queueing.api_sms import opt_in
from queueing.codes import HallCode
from queueing.model import CALLED, SERVING, WAITING, QueueError
from queueing.public_pages import PublicPages, esc, t


def mount_sms_page(app: FastAPI, pages: PublicPages) -> None:
    app.state.public_pages = pages

    def lang_of(request: Request) -> str:
        return "en" if request.query_params.get("lang") == "en" else "zh"

    def form(token: str, lang: str, problem: str = "", status: int = 200) -> HTMLResponse:
        path = f"/t/{token}/sms"
        verdict, cur, _, _, _ = pages.resolve(token)
        if verdict != "ok" or cur is None:
            return pages.ticket_problem(verdict, lang, path)
        if getattr(app.state, "sms_outbox", None) is None:
            return pages.problem(lang, 409, "sms.title", "sms.unavailable", path)
        err = f'<p class="state missed" role="alert">{esc(problem)}</p>' if problem else ""
        body = (
            f'<h1>{t(lang, "sms.title")}</h1>{err}<form method="post" action="{esc(pages.href(path, lang))}">'
            f'<p>{t(lang, "sms.intro", number=esc(cur.number))}</p>'
            f'<p><label for="phone">{t(lang, "sms.phone")}</label><br><input id="phone" name="phone" type="tel" '
            'inputmode="numeric" autocomplete="tel" maxlength="11" pattern="1[3-9][0-9]{9}" required></p>'
            f'<p><label><input type="checkbox" name="consent" value="1" required> {t(lang, "sms.consent")}'
            f'</label></p><button class="btn" type="submit">{t(lang, "sms.submit")}</button></form>'
            f'<a class="btn plain" href="{esc(pages.href(f"/t/{token}", lang))}">{t(lang, "rate.back")}</a>')
        return pages.page(lang, t(lang, "sms.title"), body, path, status)

    def submit(token: str, lang: str, fields: dict[str, str]) -> HTMLResponse:
        path = f"/t/{token}/sms"
        verdict, cur, _, _, _ = pages.resolve(token)
        outbox = getattr(app.state, "sms_outbox", None)
        if verdict != "ok" or cur is None or outbox is None or cur.status not in (WAITING, CALLED, SERVING):
            return form(token, lang)
        try:
            masked = opt_in(outbox, pages.engine, cur.id, fields.get("phone", ""), fields.get("consent") == "1",
                            "en" if lang == "en" else "zh_CN")
        except QueueError as exc:
            key = "sms.invalid" if exc.code is HallCode.INVALID_PHONE else "sms.consent_needed"
            return form(token, lang, t(lang, key), 422)
        body = (f'<div class="state done" role="status"><h1>{t(lang, "sms.done", phone=esc(masked))}</h1></div>'
                f'<a class="btn plain" href="{esc(pages.href(f"/t/{token}", lang))}">{t(lang, "rate.back")}</a>')
        return pages.page(lang, t(lang, "sms.title"), body, path)

    @app.get("/t/{token}/sms", response_class=HTMLResponse, include_in_schema=False)
    async def sms_form(token: str, request: Request) -> Response:
        return await asyncio.to_thread(form, token, lang_of(request))

    @app.post("/t/{token}/sms", response_class=HTMLResponse, include_in_schema=False)
    async def sms_submit(token: str, request: Request) -> Response:
        raw = (await request.body())[:4096].decode("utf-8", "replace")
        fields = {k: v[0] for k, v in parse_qs(raw).items()}
        return await asyncio.to_thread(submit, token, lang_of(request), fields)
