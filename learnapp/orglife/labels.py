"""Display names of organisational-life kinds and states."""

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from learnapp.orglife.models import Attendance, ClaimState, MeetingKind

MEETING_KIND_LABELS = {
    MeetingKind.GENERAL: _l("Branch general meeting (支部党员大会)"),
    MeetingKind.COMMITTEE: _l("Branch committee meeting (支委会)"),
    MeetingKind.GROUP: _l("Party group meeting (党小组会)"),
    MeetingKind.LECTURE: _l("Party lecture (党课)"),
    MeetingKind.THEMED_DAY: _l("Themed party day (主题党日)"),
    MeetingKind.LIFE_MEETING: _l("Organisational life meeting (组织生活会)"),
}
ATTENDANCE_LABELS = {
    Attendance.PRESENT: _l("Present"),
    Attendance.ABSENT: _l("Absent"),
    Attendance.LEAVE: _l("On leave"),
}
CLAIM_STATE_LABELS = {
    ClaimState.PENDING: _l("Waiting for approval"),
    ClaimState.APPROVED: _l("Approved"),
    ClaimState.REJECTED: _l("Rejected"),
    ClaimState.WITHDRAWN: _l("Claim withdrawn"),
    ClaimState.REVERSED: _l("Reversed"),
}
OBLIGATION_STATE_LABELS = {"done": _l("Meeting held"), "due": _l("Due"), "overdue": _l("Overdue")}
PERIOD_LABELS = {"month": _l("Monthly"), "quarter": _l("Quarterly"), "year": _l("Yearly")}
QUARTER_LABELS = {
    1: _l("First quarter of %(year)d"),
    2: _l("Second quarter of %(year)d"),
    3: _l("Third quarter of %(year)d"),
    4: _l("Fourth quarter of %(year)d"),
}


def meeting_kind_label(kind) -> str:
    return str(MEETING_KIND_LABELS.get(MeetingKind(kind), kind))


def attendance_label(status) -> str:
    return str(ATTENDANCE_LABELS.get(Attendance(status), status))


def claim_state_label(state) -> str:
    return str(CLAIM_STATE_LABELS.get(ClaimState(state), state))


def obligation_label(state: str) -> str:
    return str(OBLIGATION_STATE_LABELS.get(state, state))


def period_label(period: str) -> str:
    return str(PERIOD_LABELS.get(period, period))


def obligation_period(period: str, start) -> str:
    """The calendar period an obligation falls in, as people name it: 2026年11月, 2026年第四季度,
    2026年 (November 2026, Fourth quarter of 2026, 2026)."""
    if period == "quarter":
        return str(QUARTER_LABELS[(start.month - 1) // 3 + 1]) % {"year": start.year}
    skeleton = "yMMMM" if period == "month" else "y"
    return format_skeleton(skeleton, start, locale=get_locale())
