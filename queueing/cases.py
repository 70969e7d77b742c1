"""Cases (办件) and the 好差评 rules around them: the 办件编号, ratings per stage (一事多评) with
sub-scores, one 追评 per rating, the default rating of a case left unrated, and the
rectification loop of every 差评 with its clocks in working days (queueing/workdays.py).

Every operation runs inside the engine's transactions (``QueueEngine.transaction``) and writes
its event with the engine's shape (``QueueEngine.record``); the day's pass (default ratings,
overdue escalations) runs once per service day through ``QueueEngine.on_new_day``.

The loop of a 差评 (level 1–2 at any stage, or a bad 追评): a callback deadline
(``[rating] callback_working_days``, default 1) and a rectification deadline
(``rectify_working_days``, default 15), each the n-th working day after the rating's day and met
by anything done on or before it. Supervisors record the callback (``rating_callback``), the
rectification (the existing ``rectification`` event, which keeps meaning "rectified") and the
verification (``rating_verified``). A deadline passed unmet raises one ``rating_overdue`` alert."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queueing.codes import HallCode
from queueing.model import DONE, SERVING, TRANSFERRED, QueueError, bad_input, conflict, not_found
from queueing.workdays import Workdays

if TYPE_CHECKING:
    from queueing.engine import QueueEngine
    from queueing.store import StoreTx

RATING_LEVELS = {"very_satisfied": 5, "satisfied": 4, "basic": 3, "dissatisfied": 2, "very_dissatisfied": 1}
RATING_NAMES = {v: k for k, v in RATING_LEVELS.items()}
SUB_SCORES = ("attitude", "efficiency", "competence")  # 服务态度, 办事效率, 服务水平
CASE_NO = re.compile(r"[0-9A-Za-z][0-9A-Za-z_./-]{0,63}")
DEFAULT_LOOKBACK_DAYS = 120  # calendar days the default pass looks back for unrated cases
LISTS = ("problems", "needs", "rectification")  # 问题清单 / 需求清单 / 整改清单

_books: weakref.WeakKeyDictionary[QueueEngine, CaseBook] = weakref.WeakKeyDictionary()


def clean_case_no(value: str) -> str:
    text = value.strip()
    if not CASE_NO.fullmatch(text):
        raise bad_input(HallCode.INVALID_CASE_NO,
                        "case_no: 1 to 64 letters, digits and - _ / . , starting with a letter or digit")
    return text


def install(engine: QueueEngine, data_dir: Path | str | None) -> CaseBook:
    """The case book of ``engine`` with the hall's working days (``<data_dir>/workdays.toml``)."""
    book = CaseBook(engine, Workdays.load(data_dir) if data_dir is not None else Workdays())
    _books[engine] = book
    engine.on_new_day(book.new_day)
    return book


def book_of(engine: QueueEngine) -> CaseBook:
    book = _books.get(engine)
    return book if book is not None else install(engine, None)


def _level(level: int | str) -> int:
    if isinstance(level, str):
        if level not in RATING_LEVELS:
            raise bad_input(HallCode.INVALID_LEVEL, f"level must be 1..5 or one of {', '.join(RATING_LEVELS)}")
        return RATING_LEVELS[level]
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        raise bad_input(HallCode.INVALID_LEVEL, "level must be 1..5")
    return level


class CaseBook:
    def __init__(self, engine: QueueEngine, workdays: Workdays) -> None:
        self.engine, self.workdays = engine, workdays
        self.hall = engine.hall
        self.rules = engine.hall.rating

    # ------------------------------------------------------------------ cases

    def set_case(self, ticket_id: str, case_no: str, by: str | None = None) -> dict[str, Any]:
        """The window business system's 办件编号 for a ticket (any day's), later than its finish."""
        case = clean_case_no(case_no)

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            t = tx.get_ticket(ticket_id)
            if t is None:
                raise not_found("ticket", ticket_id)
            before = t.case_no
            t.case_no = case
            tx.update_ticket(t)
            tx.set_rating_case(t.id, case)  # a rating given before the number was known names it too
            self.engine.record(tx, now, day, "case_no", t, t.counter_id, by or t.staff_id, case_no=case,
                               previous=before)
            return t.public(self.hall)

        return self.engine.transaction(op)

    # ------------------------------------------------------------------ ratings

    def rate(self, ticket_id: str, level: int | str, reason: str | None = None, comment: str | None = None,
             stage: str | None = None, scores: dict[str, int | None] | None = None) -> dict[str, Any]:
        level = _level(level)
        stage = stage or self.rules.stages[-1]
        if stage not in self.rules.stages:
            raise bad_input(HallCode.INVALID_STAGE, f"stage must be one of {', '.join(self.rules.stages)}")
        subs = {k: v for k, v in (scores or {}).items() if v is not None}
        for name, value in subs.items():
            if name not in SUB_SCORES or isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise bad_input(HallCode.INVALID_SCORE, f"{name}: sub-scores ({', '.join(SUB_SCORES)}) are 1..5")
        if level <= 2 and not (reason and reason.strip()):
            raise bad_input(HallCode.REASON_REQUIRED, "a dissatisfied rating (level 1 or 2) needs a reason")

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            t = tx.get_ticket(ticket_id)
            if t is None:
                raise not_found("ticket", ticket_id)
            if stage == "finish" and t.status not in (DONE, TRANSFERRED):
                raise conflict(
                    HallCode.TICKET_NOT_FINISHED, f"{t.number} is {t.status}; only a finished ticket is rated"
                )
            if stage != "finish" and t.status not in (SERVING, DONE, TRANSFERRED):
                raise conflict(HallCode.STAGE_NOT_REACHED, f"{t.number} is {t.status}: not yet at {stage}")
            existing = tx.get_rating(ticket_id) if stage == "finish" else tx.get_stage_rating(ticket_id, stage)
            if existing is not None:
                raise conflict(HallCode.ALREADY_RATED, f"{t.number} has been rated ({stage})")
            row: dict[str, Any] = {
                "ticket_id": t.id, "level": level, "reason": reason, "comment": comment, "at": now,
                "service_id": t.service_id, "counter_id": t.counter_id, "staff_id": t.staff_id,
                "case_no": t.case_no, **{k: subs.get(k) for k in SUB_SCORES},
            }
            if stage == "finish":
                tx.put_rating(row)
            else:
                tx.put_stage_rating({**row, "stage": stage})
            loop = self._open_loop(tx, now, day, t.id, stage) if level <= 2 else None
            self.engine.record(tx, now, day, "rating", t, t.counter_id, t.staff_id, level=level,
                               level_name=RATING_NAMES[level], reason=reason, comment=comment, stage=stage,
                               case_no=t.case_no, scores={k: subs.get(k) for k in SUB_SCORES}, default=False,
                               **({"callback_due": loop["callback_due"], "rectify_due": loop["rectify_due"]}
                                  if loop else {}))
            out = {**row, "stage": stage, "level_name": RATING_NAMES[level], "at": self.hall.iso(now),
                   "is_default": False}
            if loop:
                out["loop"] = {"callback_due": loop["callback_due"], "rectify_due": loop["rectify_due"]}
            return out

        return self.engine.transaction(op)

    def followup(self, ticket_id: str, comment: str, level: int | str | None = None,
                 stage: str | None = None) -> dict[str, Any]:
        """The one 追评 of a rating: what the citizen adds later (a bad one opens the loop)."""
        if not comment or not comment.strip():
            raise bad_input(HallCode.COMMENT_REQUIRED, "a follow-up rating needs a comment")
        lvl = _level(level) if level is not None else None
        stage = stage or self.rules.stages[-1]
        if stage not in self.rules.stages:
            raise bad_input(HallCode.INVALID_STAGE, f"stage must be one of {', '.join(self.rules.stages)}")

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            rating = tx.get_rating(ticket_id) if stage == "finish" else tx.get_stage_rating(ticket_id, stage)
            t = tx.get_ticket(ticket_id)
            if rating is None or t is None:
                raise not_found("rating", ticket_id)
            if not tx.set_followup(ticket_id, stage, lvl, comment.strip(), now):
                raise conflict(HallCode.FOLLOWUP_EXISTS, f"{t.number}: this rating has its follow-up already")
            loop = self._open_loop(tx, now, day, t.id, stage) if lvl is not None and lvl <= 2 else None
            self.engine.record(tx, now, day, "rating_followup", t, rating["counter_id"], rating["staff_id"],
                               stage=stage, level=lvl, comment=comment.strip(), case_no=t.case_no,
                               loop_opened=loop is not None)
            return {"ticket_id": t.id, "stage": stage, "followup_level": lvl, "followup_comment": comment.strip(),
                    "followup_at": self.hall.iso(now)}

        return self.engine.transaction(op)

    def case_ratings(self, case_no: str) -> list[dict[str, Any]]:
        """The ratings of a case: of its tickets (any day's) finished with that 办件编号, every
        stage, oldest first, each saying whether its one 追评 is given. What the receipt's page and
        the kiosk's 办件查询 show, so a 追评 is possible after the ticket's day (its QR expired)."""
        try:
            case = clean_case_no(case_no)
        except QueueError:
            return []

        def op(tx: StoreTx, now: float, day: str) -> list[dict[str, Any]]:
            return [{"ticket_id": r["ticket_id"], "number": r["number"], "day": r["day"], "stage": r["stage"],
                     "level": r["level"], "level_name": RATING_NAMES[r["level"]], "is_default": bool(r["is_default"]),
                     "followed_up": r["followup_at"] is not None} for r in tx.case_ratings(case)]

        return self.engine.reading(op)

    def stage_now(self, ticket_id: str) -> tuple[str | None, bool]:
        """The stage a ticket's case is rated at now (一事多评): the last stage once finished, an
        earlier one (受理) while it is served; None when no stage is reached. And whether that
        stage has its rating already."""

        def op(tx: StoreTx, now: float, day: str) -> tuple[str | None, bool]:
            t = tx.get_ticket(ticket_id)
            if t is None:
                return None, False
            if t.status in (DONE, TRANSFERRED):
                return "finish", tx.get_rating(ticket_id) is not None
            earlier = [s for s in self.rules.stages if s != "finish"]
            if t.status == SERVING and earlier:
                return earlier[-1], tx.get_stage_rating(ticket_id, earlier[-1]) is not None
            return None, False

        return self.engine.reading(op)

    # ------------------------------------------------------------------ the loop

    def _open_loop(self, tx: StoreTx, now: float, day: str, ticket_id: str, stage: str) -> dict[str, Any] | None:
        if tx.get_loop(ticket_id) is not None:
            return None  # one loop per case: a second 差评 of it joins the open one
        row = {"ticket_id": ticket_id, "stage": stage, "opened_at": now, "opened_day": day,
               "callback_due": self.workdays.add(day, self.rules.callback_working_days).isoformat(),
               "rectify_due": self.workdays.add(day, self.rules.rectify_working_days).isoformat()}
        tx.put_loop(row)
        return row

    def _supervised(self, ticket_id: str, note: str, by: str | None, kind: str) -> dict[str, Any]:
        if not note or not note.strip():
            raise bad_input(HallCode.RESPONSE_REQUIRED, "say what was done (a note)")

        def op(tx: StoreTx, now: float, day: str) -> dict[str, Any]:
            loop = tx.get_loop(ticket_id)
            if loop is None:
                raise QueueError(404, HallCode.NO_RECTIFICATION, f"no bad-rating loop for ticket {ticket_id!r}")
            if kind == "rating_callback":
                if loop["callback_at"] is not None:
                    raise conflict(HallCode.ALREADY_CALLED_BACK, f"{loop['number']} was called back already")
                changes = {"callback_at": now, "callback_by": by, "callback_note": note.strip()}
                late = day > loop["callback_due"]
            else:
                if loop["response"] is None:
                    raise conflict(HallCode.NOT_RECTIFIED, f"{loop['number']} is not rectified yet")
                if loop["verified_at"] is not None:
                    raise conflict(HallCode.ALREADY_VERIFIED, f"{loop['number']} was verified already")
                changes = {"verified_at": now, "verified_by": by, "verified_note": note.strip()}
                late = False
            tx.update_loop(ticket_id, changes)
            t = tx.get_ticket(ticket_id)
            self.engine.record(tx, now, day, kind, t, loop["counter_id"], by, note=note.strip(),
                               case_no=loop["case_no"], overdue=late)
            return self._loop_out(tx.get_loop(ticket_id) or loop, day)

        return self.engine.transaction(op)

    def callback(self, ticket_id: str, note: str, by: str | None) -> dict[str, Any]:
        """回访: a supervisor spoke to the citizen about the 差评."""
        return self._supervised(ticket_id, note, by, "rating_callback")

    def verify(self, ticket_id: str, note: str, by: str | None) -> dict[str, Any]:
        """The rectification was checked (复核): the loop is closed."""
        return self._supervised(ticket_id, note, by, "rating_verified")

    def _loop_out(self, row: dict[str, Any], today: str) -> dict[str, Any]:
        iso = self.hall.iso

        def done_day(at: float | None) -> str:
            return self.hall.day(at) if at is not None else today

        callback_late = done_day(row["callback_at"]) > row["callback_due"]
        rectify_late = done_day(row["rectified_at"]) > row["rectify_due"]
        return {
            "ticket_id": row["ticket_id"], "number": row["number"], "day": row["day"], "case_no": row["case_no"],
            "service_id": row["service_id"], "counter_id": row["counter_id"], "staff_id": row["staff_id"],
            "stage": row["stage"], "opened_at": iso(row["opened_at"]),
            "callback_due": row["callback_due"], "rectify_due": row["rectify_due"],
            "callback": None if row["callback_at"] is None else {
                "at": iso(row["callback_at"]), "by": row["callback_by"], "note": row["callback_note"]},
            "rectification": None if row["response"] is None else {
                "at": iso(row["rectified_at"]), "by": row["rectified_by"], "response": row["response"]},
            "verified": None if row["verified_at"] is None else {
                "at": iso(row["verified_at"]), "by": row["verified_by"], "note": row["verified_note"]},
            "callback_overdue": callback_late, "rectify_overdue": rectify_late,
            "overdue": (row["callback_at"] is None and callback_late) or (row["response"] is None and rectify_late),
            "closed": row["verified_at"] is not None,
        }

    def loops(self, day_from: str | None = None, day_to: str | None = None,
              open_only: bool = False) -> list[dict[str, Any]]:
        """The 差评 loops opened on the days (default: every one still open), with overdue flags."""

        def op(tx: StoreTx, now: float, day: str) -> list[dict[str, Any]]:
            start = day_from or day
            rows = tx.loop_rows(start, day_to or max(start, day), open_only or day_from is None)
            return [self._loop_out(r, day) for r in rows]

        return self.engine.reading(op)

    # ------------------------------------------------------------------ the day's pass

    def new_day(self, tx: StoreTx, now: float, day: str) -> None:
        """Unrated cases become the default level; deadlines passed unmet are escalated."""
        n = self.rules.default_after_working_days
        if n > 0:
            since = (date.fromisoformat(day) - timedelta(days=DEFAULT_LOOKBACK_DAYS)).isoformat()
            until = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
            for t in tx.unrated_finished(since, until):
                due = self.workdays.add(t.day, n).isoformat()
                if day <= due:
                    continue
                level = self.rules.default_level
                tx.put_rating({"ticket_id": t.id, "level": level, "reason": None, "comment": None, "at": now,
                               "service_id": t.service_id, "counter_id": t.counter_id, "staff_id": t.staff_id,
                               "case_no": t.case_no, "is_default": 1})
                self.engine.record(tx, now, day, "rating_default", t, t.counter_id, t.staff_id, level=level,
                                   level_name=RATING_NAMES[level], stage="finish", case_no=t.case_no, due=due,
                                   default=True)
        for row in tx.loop_rows(day, day, True):
            for which, done, due, flag in (("callback", row["callback_at"], row["callback_due"], "callback_escalated"),
                                           ("rectify", row["response"], row["rectify_due"], "rectify_escalated")):
                if done is not None or row[flag] or day <= due:
                    continue
                message = (f"{row['number']} ({row['day']}, case {row['case_no'] or '-'}): the bad rating's {which} "
                           f"deadline {due} has passed")
                aid = tx.add_alert({"at": now, "kind": "rating_overdue", "source": "hall-service", "message": message})
                tx.update_loop(row["ticket_id"], {flag: 1})
                self.engine.record(tx, now, day, "alert", None, row["counter_id"], None, alert_id=aid,
                                   alert_kind="rating_overdue", source="hall-service", message=message,
                                   ticket_id=row["ticket_id"], deadline=which, due=due)

    # ------------------------------------------------------------------ the three lists

    def list_rows(self, which: str, day_from: str, day_to: str) -> tuple[list[str], list[list[Any]]]:
        """问题清单 / 需求清单 / 整改清单 as column keys and rows (the export's table)."""
        if which not in LISTS:
            raise bad_input(HallCode.INVALID_LIST, f"list must be one of {', '.join(LISTS)}")

        def op(tx: StoreTx, now: float, day: str) -> tuple[list[str], list[list[Any]]]:
            iso = self.hall.iso
            if which == "rectification":
                cols = ["number", "day", "case_no", "service_id", "counter_id", "staff_id", "callback_due",
                        "callback_at", "callback_by", "callback_note", "rectify_due", "rectified_at",
                        "rectified_by", "response", "verified_at", "verified_by", "overdue"]
                rows = []
                for r in tx.loop_rows(day_from, day_to, False):
                    out = self._loop_out(r, day)
                    rows.append([r["number"], r["day"], r["case_no"], r["service_id"], r["counter_id"], r["staff_id"],
                                 r["callback_due"], iso(r["callback_at"]), r["callback_by"], r["callback_note"],
                                 r["rectify_due"], iso(r["rectified_at"]), r["rectified_by"], r["response"],
                                 iso(r["verified_at"]), r["verified_by"],
                                 out["callback_overdue"] or out["rectify_overdue"]])
                return cols, rows
            cols = ["number", "day", "case_no", "stage", "service_id", "counter_id", "staff_id", "level",
                    *SUB_SCORES, "reason", "comment", "followup_level", "followup_comment", "at", "is_default"]
            rows = []
            for r in tx.rating_rows(day_from, day_to):
                bad = r["level"] <= 2 or (r["followup_level"] is not None and r["followup_level"] <= 2)
                said = bool((r["comment"] or "").strip() or (r["followup_comment"] or "").strip())
                if (which == "problems" and not bad) or (which == "needs" and not said):
                    continue
                rows.append([r["number"], r["day"], r["case_no"] or r["ticket_case_no"], r["stage"], r["service_id"],
                             r["counter_id"], r["staff_id"], r["level"], *(r[k] for k in SUB_SCORES), r["reason"],
                             r["comment"], r["followup_level"], r["followup_comment"], iso(r["at"]),
                             bool(r["is_default"])])
            return cols, rows

        return self.engine.reading(op)


def export(columns: Sequence[str], rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str,
           title: str) -> bytes:
    """The table as CSV (UTF-8 with BOM, so a spreadsheet reads the Chinese) or XLSX."""
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise bad_input(HallCode.INVALID_LIST, "format must be csv or xlsx")
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(list(r))
    ws.freeze_panes = "A2"
    for i, _ in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
