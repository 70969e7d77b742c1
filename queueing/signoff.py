"""窗口无否决权: a counter cannot turn a citizen away on its own. Finishing a ticket as
``rejected`` (不予受理) needs a reason and a supervisor's sign-off, and both go into the finish
event, where the statistics read them.

The sign-off is a real staff sign-in of a supervisor: either the staff signed in at the console
is a supervisor, or the finish request carries a supervisor's 工号 and PIN, checked as a sign-in
(the same lockout after wrong answers, the refusal in the event log) whose session ends at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from queueing.codes import HallCode
from queueing.credentials import Caller, Credentials, SignInError, current_caller
from queueing.model import QueueError, bad_input


def rejection(reason: str | None, approved_by: str | None) -> dict[str, object]:
    """The finish event's fields of a 不予受理, or the engine's refusal."""
    if not reason or not reason.strip():
        raise bad_input(HallCode.REASON_REQUIRED, "rejected needs a reason")
    if not approved_by:
        raise QueueError(403, HallCode.SIGN_OFF_REQUIRED,
                         "rejected is signed off by a supervisor: sign in as one or give their staff number and PIN")
    return {"reason": reason.strip()[:200], "approved_by": approved_by}


async def sign_off(keys: Credentials, supervisor_id: str | None, supervisor_pin: str | None,
                   refused: Callable[[SignInError, str, str, str | None], Awaitable[None]]) -> str | None:
    """The 工号 of the supervisor who signs off this request's 不予受理, or None when nobody did.

    ``refused`` logs a wrong answer as the sign-in route does (``staff_refused`` in api.py)."""
    caller: Caller | None = current_caller.get()
    if caller is None:
        return None
    if not supervisor_id:
        return caller.staff.id if caller.staff is not None and caller.staff.supervisor else None
    if not supervisor_pin:
        return None
    try:  # scrypt: off the event loop
        token, who = await asyncio.to_thread(keys.sign_in, caller, supervisor_id, supervisor_pin, None)
    except SignInError as exc:
        await refused(exc, supervisor_id, caller.device, caller.session_counter or caller.counter_id)
        if exc.locked_until and not exc.locked_now:
            raise QueueError(403, HallCode.ACCOUNT_LOCKED, "too many wrong answers: ask another supervisor") from None
        raise QueueError(401, HallCode.BAD_CREDENTIALS, "wrong supervisor staff number or PIN") from None
    keys.sign_out(token)  # only the check was wanted, not a session on this device
    if not who.supervisor:
        raise QueueError(403, HallCode.SUPERVISOR_REQUIRED, f"{who.id} is not a supervisor")
    return who.id


def finish_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """reason, supervisor 工号 and PIN of a finish body (absent fields: None)."""
    return (getattr(body, "reason", None), getattr(body, "supervisor_id", None), getattr(body, "supervisor_pin", None))
