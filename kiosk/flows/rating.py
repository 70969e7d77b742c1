"""评价与建议: rate a finished ticket on five levels (a reason is required for 不满意 and
非常不满意), sent to the hall service and through it to the platform; or leave a complaint or a
suggestion (吐槽找茬) as a short form: the hall numbers it (shown and printed, kiosk/complaints.py)
and the offline cache keeps it until it reaches the platform.

After the level (and a bad level's reasons) come the optional sub-scores 服务态度 / 办事效率 /
服务水平 on the same five levels: all three on one screen, or in elder mode one question per
screen; 跳过 sends what was given. A ticket already rated offers its one 追评 (a comment typed on
the on-screen keyboard); the hall refuses a second one and the citizen is told so. Where the hall
rates more than one stage (一事多评), the stage the ticket is at is rated and named on the screen."""

from __future__ import annotations

from typing import Any

from kiosk.flows.base import Flow, Screen, choice

LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
# The face drawn on each level's button (the same in every language): faces the kiosk's shipped
# fonts draw (DejaVu Sans has 😄😊😐😟😠; 🙂 and 🙁 came out as empty boxes).
FACES = {"very_satisfied": "😄", "satisfied": "😊", "basic": "😐", "dissatisfied": "😟", "very_dissatisfied": "😠"}
BAD_LEVELS = ("dissatisfied", "very_dissatisfied")
REASONS = ("attitude", "slow", "runaround", "unclear", "facility", "other")
COMPLAINT_TOPICS = ("attitude", "efficiency", "facility", "suggestion")
SUB_SCORES = ("attitude", "efficiency", "competence")  # 服务态度, 办事效率, 服务水平 (queueing/cases.py)
SCORE_OF = {level: 5 - i for i, level in enumerate(LEVELS)}


class RatingFlow(Flow):
    name = "rating"
    wants_scan = True

    def __init__(self, core: Any, *, ticket_id: str | None = None) -> None:
        super().__init__(core)
        self.state = "start"
        self.typed = ""
        self.problem = ""
        self.ticket: dict[str, Any] | None = None
        self.level = ""
        self.reasons: list[str] = []
        self.topic = ""
        self.text = ""
        self.error: tuple[str, list[str]] | None = None
        self.filed: Any = None  # the complaint taken (kiosk.complaints.ComplaintOutcome)
        self.scores: dict[str, str] = {}  # sub-score -> level id
        self.question = 0  # elder mode: the sub-score asked now
        if ticket_id:
            self._found(self.core.find_ticket(ticket_id=ticket_id))

    @property
    def in_form(self) -> bool:  # type: ignore[override]
        return self.state in ("complaint", "followup")

    def transient_states(self) -> set[str]:
        return {"thanks", "error", "filed", "followed"}

    def handle(self, action: str, args: dict[str, Any]) -> None:
        s = self.state
        if s == "start" and action == "choose":
            self.goto("identify" if args["id"] == "rate" else "topic")
        elif s == "identify" and action == "key":
            self.typed = self.core.keypad_edit(self.typed, str(args.get("key", "")), limit=5)
        elif s == "identify" and action == "ok":
            self._found(self.core.find_ticket(number=self.typed.strip().upper()))
        elif s == "levels" and action == "choose" and args["id"] in LEVELS:
            self.level = args["id"]
            self.goto("reasons" if self.level in BAD_LEVELS else "scores")
        elif s == "reasons" and action == "toggle" and args["id"] in REASONS:
            rid = args["id"]
            self.reasons = [r for r in self.reasons if r != rid] if rid in self.reasons else [*self.reasons, rid]
        elif s == "reasons" and action == "comment":
            self.text = str(args.get("text", ""))[:200]
        elif s == "reasons" and action == "send" and self.reasons:
            self.goto("scores")
        elif s == "scores" and action == "score" and args.get("id") in SUB_SCORES and args.get("level") in LEVELS:
            self.scores[args["id"]] = args["level"]
            if self.core.elder:  # one question per screen: the next, or send after the last
                self.question = SUB_SCORES.index(args["id"]) + 1
                if self.question >= len(SUB_SCORES):
                    self._send()
        elif s == "scores" and action in ("send", "skip"):
            self._send()
        elif s == "already" and action == "choose" and args.get("id") == "followup":
            self.text = ""
            self.goto("followup")
        elif s == "followup" and action == "text":
            self.text = str(args.get("text", ""))[:500]
        elif s == "followup" and action == "send" and self.text.strip():
            self.error = self.core.submit_followup(self.ticket or {}, self.text.strip())
            self.goto("error" if self.error else "followed")
        elif s == "topic" and action == "choose" and args["id"] in COMPLAINT_TOPICS:
            self.topic = args["id"]
            self.goto("complaint")
        elif s == "complaint" and action == "text":
            self.text = str(args.get("text", ""))[:500]
        elif s == "complaint" and action == "send" and self.text.strip():
            self.filed = self.core.submit_complaint(self.topic, self.text.strip())
            self.error = self.filed.error
            self.goto("error" if self.error else "filed")

    def on_scan(self, payload: Any) -> None:
        if self.state != "identify":
            return
        kind, text = self.core.classify(payload)
        if kind != "ticket":
            self.problem = self.tr("rating.not_ticket")
            return
        self._found(self.core.find_ticket(token=text.rstrip("/").rsplit("/", 1)[-1]))

    def _found(self, ticket: dict[str, Any] | None) -> None:
        if ticket is None:
            self.problem = self.tr("rating.not_found")
        elif ticket.get("stage", "finish" if ticket.get("status") == "done" else None) is None:
            self.problem = self.tr("rating.not_finished")  # no stage reached (一事多评: 受理 once served)
        elif ticket.get("rated"):  # its one 追评 may still be given
            self.ticket, self.problem = ticket, ""
            self.goto("already")
        else:
            self.ticket, self.problem = ticket, ""
            self.goto("levels")

    def _levels_title(self) -> str:
        """The question, and which stage is rated when the hall rates more than one (一事多评)."""
        t = self.ticket or {}
        title = self.tr("rating.levels", number=t.get("number", ""))
        if len(t.get("stages") or ()) > 1 and t.get("stage"):
            title += " " + self.tr("rating.stage", stage=self.tr(f"rating.stage.{t['stage']}"))
        return title

    def _send(self) -> None:
        scores = {k: SCORE_OF[v] for k, v in self.scores.items()}
        self.error = self.core.submit_rating(self.ticket or {}, self.level, self.reasons, self.text, scores)
        self.goto("error" if self.error else "thanks")

    def screen(self) -> Screen:
        tr = self.tr
        s = self.state
        if s == "start":
            return Screen("menu", tr("rating.title"), {"choices": [
                choice("rate", tr("rating.rate"), tr("rating.rate.sub")),
                choice("complain", tr("rating.complain"), tr("rating.complain.sub"))]})
        if s == "identify":
            return Screen("keypad", tr("rating.identify"), {
                "value": self.typed, "layout": "ticket", "letters": self.core.ticket_letters(),
                "ok_label": tr("common.next"), "problem": self.problem,
                "lines": [tr("rating.identify.how")]})
        if s == "levels":
            return Screen("rating", self._levels_title(), {
                "choices": [dict(choice(level, tr(f"rating.level.{level}"),
                                        accent="red" if level in BAD_LEVELS else "green"), icon=FACES[level])
                            for level in LEVELS]})
        if s == "reasons":
            return Screen("reasons", tr("rating.reasons"), {
                "choices": [dict(choice(r, tr(f"rating.reason.{r}")), selected=r in self.reasons) for r in REASONS],
                "comment": self.text, "comment_label": tr("rating.comment"), "can_send": bool(self.reasons),
                "send_label": tr("common.send")})
        if s == "scores":
            asked = SUB_SCORES[self.question:self.question + 1] if self.core.elder else SUB_SCORES
            return Screen("scores", tr("rating.scores"), {
                "questions": [{"id": q, "label": tr(f"rating.score.{q}"), "choices": [
                    dict(choice(level, tr(f"rating.level.{level}")), icon=FACES[level],
                         selected=self.scores.get(q) == level) for level in LEVELS]} for q in asked],
                "one": bool(self.core.elder), "lines": [tr("rating.scores.optional")],
                "send_label": tr("common.send"), "skip_label": tr("rating.scores.skip")},
                speech=tr(f"rating.score.{asked[0]}") if self.core.elder else tr("rating.scores"))
        if s == "already":
            return Screen("menu", tr("rating.already"), {"choices": [
                choice("followup", tr("rating.followup"), tr("rating.followup.sub"))]})
        if s == "followup":
            return Screen("text", tr("rating.followup.title", number=(self.ticket or {}).get("number", "")), {
                "value": self.text, "placeholder": tr("rating.followup.placeholder"),
                "can_send": bool(self.text.strip()), "send_label": tr("common.send")})
        if s == "followed":
            return self.message(tr("rating.followup.thanks"), [tr("rating.followup.once")], kind="ok")
        if s == "topic":
            return Screen("menu", tr("rating.complain"), {"choices": [
                choice(t, tr(f"complaint.topic.{t}")) for t in COMPLAINT_TOPICS]})
        if s == "complaint":
            return Screen("text", tr(f"complaint.topic.{self.topic}"), {
                "value": self.text, "placeholder": tr("complaint.placeholder"), "can_send": bool(self.text.strip()),
                "send_label": tr("common.send")})
        if s == "filed":  # the complaint's number, large, with the QR of its phone page
            lines = [tr("complaint.done.follow")]
            if self.filed.offline:
                lines.append(tr("complaint.done.offline"))
            lines.append(tr("complaint.done.printed") if self.filed.printed else tr("complaint.done.not_printed"))
            return Screen("ticket", tr("complaint.done.title"), {
                "number": self.filed.number, "service": tr(f"complaint.topic.{self.topic}"), "lines": lines,
                "qr": self.filed.qr_url, "printed": bool(self.filed.printed),
                "buttons": [choice("home", tr("common.finish"))]},
                speech=tr("complaint.done.title"))
        if s == "error":
            title, lines = self.error or (tr("rating.failed"), [])
            return self.message(title, lines, kind="warning")
        return self.message(tr("rating.thanks"), [tr("rating.thanks.body")], kind="ok")
