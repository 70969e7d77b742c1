"""The hall service's shared vocabularies, defined once: every error code an answer can carry,
the finish outcomes a counter records, and the ticket statuses and priorities.

They are ``StrEnum``s, so a member *is* its wire string: JSON, SQLite and the OpenAPI document
(where each is published as an enum) see the same text as before. The engine raises them, the
API publishes them, the client parses them, the kiosk explains them and the counter console
offers them; a contract test holds each of those to this module."""

from __future__ import annotations

from enum import StrEnum


class HallCode(StrEnum):
    """``error.code`` of every 4xx answer (``QueueError.code``)."""

    # access (401, 403)
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    WRONG_COUNTER = "wrong_counter"  # a counter's device or session used for another counter
    SESSION_REQUIRED = "session_required"  # an enrolled device operates only with a staff session
    SESSION_INVALID = "session_invalid"  # signed out, expired, or another device's session
    STAFF_MISMATCH = "staff_mismatch"  # a typed staff_id that is not the signed-in staff
    SUPERVISOR_REQUIRED = "supervisor_required"
    BAD_CREDENTIALS = "bad_credentials"  # unknown 工号, wrong password or PIN, disabled account
    ACCOUNT_LOCKED = "account_locked"
    # the HTTP layer: a malformed body, no such path or method
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413: a body over the path's cap (queueing.limits)
    RATE_LIMITED = "rate_limited"  # 429: a phone route asked too often by one address
    # the hall's own queue store cannot be read or written (503: damaged or full disk)
    STORAGE_FAILED = "storage_failed"
    # no such thing (404)
    COUNTER_NOT_FOUND = "counter_not_found"
    TICKET_NOT_FOUND = "ticket_not_found"
    SERVICE_NOT_FOUND = "service_not_found"
    RATING_NOT_FOUND = "rating_not_found"
    ALERT_NOT_FOUND = "alert_not_found"
    # a citizen's ticket token (phone pages): forged or from another day
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    # bad input (422)
    INVALID_PRIORITY = "invalid_priority"
    INVALID_ID_NUMBER = "invalid_id_number"
    MISSING_SERVICE_ID = "missing_service_id"
    UNKNOWN_SERVICE = "unknown_service"
    APPOINTMENT_NEEDS_CODE = "appointment_needs_code"
    INVALID_APPOINTMENT = "invalid_appointment"
    RESPONSE_REQUIRED = "response_required"
    INVALID_DATE = "invalid_date"
    REASON_REQUIRED = "reason_required"
    INVALID_OUTCOME = "invalid_outcome"
    INVALID_LEVEL = "invalid_level"
    INVALID_KIND = "invalid_kind"
    INVALID_RECEIPT = "invalid_receipt"  # a local → platform receipt link of the wrong shape
    INVALID_PHONE = "invalid_phone"  # an SMS opt-in's number is not a mainland mobile (1[3-9] + 9 digits)
    CONSENT_REQUIRED = "consent_required"  # an SMS opt-in without the citizen's consent
    SMS_DISABLED = "sms_disabled"  # 409: this hall sends no text messages ([sms] enabled = false)
    # issuing rules (409)
    SERVICE_CLOSED = "service_closed"
    ACTIVE_TICKET_EXISTS = "active_ticket_exists"
    PERSON_DAILY_CAP = "person_daily_cap"
    SERVICE_CAP_REACHED = "service_cap_reached"  # 今日号源已发完
    ANONYMOUS_CAP_REACHED = "anonymous_cap_reached"  # tickets without an ID card: their share is taken
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    APPOINTMENT_USED = "appointment_used"
    APPOINTMENT_TOO_EARLY = "appointment_too_early"
    APPOINTMENT_TOO_LATE = "appointment_too_late"
    # counter rules (409)
    NO_CURRENT_TICKET = "no_current_ticket"
    COUNTER_PAUSED = "counter_paused"
    COUNTER_NOT_PAUSED = "counter_not_paused"
    COUNTER_BUSY = "counter_busy"
    TICKET_NOT_WAITING = "ticket_not_waiting"
    SERVICE_NOT_AT_COUNTER = "service_not_at_counter"
    RECALL_LIMIT = "recall_limit"
    SAME_SERVICE = "same_service"
    TICKET_NOT_NO_SHOW = "ticket_not_no_show"
    # ratings (409)
    TICKET_NOT_FINISHED = "ticket_not_finished"
    ALREADY_RATED = "already_rated"
    NOT_A_BAD_RATING = "not_a_bad_rating"
    # receipts (409): a local number already linked to another platform number
    RECEIPT_CONFLICT = "receipt_conflict"
    # 窗口无否决权: 不予受理 is signed off by a supervisor (403)
    SIGN_OFF_REQUIRED = "sign_off_required"
    # complaints (吐槽找茬, queueing/complaints.py): 404, and 409 for one already closed
    COMPLAINT_NOT_FOUND = "complaint_not_found"
    COMPLAINT_CLOSED = "complaint_closed"


class Outcome(StrEnum):
    """How a counter finishes a ticket (``POST …/finish {"outcome"}``)."""

    DONE = "done"  # 办结
    MATERIALS_MISSING = "materials_missing"  # 补齐材料后再办
    ACCEPTED_WITH_COMMITMENT = "accepted_with_commitment"  # 告知承诺
    ACCEPTED_WITH_GAPS = "accepted_with_gaps"  # 容缺受理: non-core materials owed
    REJECTED = "rejected"  # 不予受理
    CONSULTED = "consulted"  # 咨询
    REFERRED = "referred"  # 转其他部门


class EndReason(StrEnum):
    """A ticket's ``outcome`` when the hall, not a finish, ended it."""

    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    DAY_CLOSED = "day_closed"  # still active at local midnight


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    NORMAL = "normal"
    GREEN = "green"  # 绿色通道
    APPOINTMENT = "appointment"  # 预约


def ticket_outcome(value: str | None) -> Outcome | EndReason | None:
    """A stored outcome as its enum (the store keeps the wire string)."""
    if value is None:
        return None
    try:
        return Outcome(value)
    except ValueError:
        return EndReason(value)
