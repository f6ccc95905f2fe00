"""Changes to a period before it has run its course: moving the dates of the steps not opened
yet, and deleting a period created by mistake before it opens."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments.models import SCHEDULED, AssessmentPeriod, PointItem, Step
from learnapp.assessments.services import check_schedule, check_window
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError

SCHEDULE_FIELDS = ("self_opens_at", "peer_opens_at", "ballot_opens_at", "ballot_closes_at")


def opened_fields(period: AssessmentPeriod) -> set[str]:
    """The schedule's times already used: those of the steps the period has entered."""
    return {
        field
        for step, (_target, field) in SCHEDULED.items()
        if period.step.position > step.position
    }


def reschedule(
    session: Session,
    actor: User,
    period: AssessmentPeriod,
    times: dict[str, datetime],
    now: datetime,
) -> None:
    """Move the times of the steps not opened yet; those already opened stay as they happened.
    The steps keep their order, a moved date stays in the year's window (period_window), and a
    moved close of the current step sends its reminder again."""
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if period.step not in SCHEDULED:
        raise DomainError(None, _l("The schedule is over: the evaluation has closed."))
    before = {field: getattr(period, field) for field in SCHEDULE_FIELDS}
    for field in opened_fields(period):
        if times[field] != before[field]:
            raise DomainError(field, _l("This step has opened: its date cannot change."))
    check_schedule([times[field] for field in SCHEDULE_FIELDS])
    _next, current_close = SCHEDULED[period.step]
    changed = {field for field in SCHEDULE_FIELDS if times[field] != before[field]}
    # Only moved dates are checked: a step opened ahead of time keeps when it really opened.
    check_window(
        period.year, {field: times[field] for field in SCHEDULE_FIELDS if field in changed}
    )
    if not changed:
        return
    for field in changed:
        setattr(period, field, times[field])
    if current_close in changed:
        period.reminded_step = ""
    session.flush()
    record(
        session,
        actor,
        "assessment.period_schedule",
        "assessment_period",
        period.id,
        now=now,
        before={field: before[field].isoformat() for field in sorted(changed)},
        after={field: times[field].isoformat() for field in sorted(changed)},
    )


def delete_draft(session: Session, actor: User, period: AssessmentPeriod, now: datetime) -> None:
    """A period created by mistake goes away before it opens, with any 积分 items proposed on
    it; once open, it is part of the record and stays."""
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if period.step != Step.DRAFT:
        raise DomainError(None, _l("Only a period that has not opened can be deleted."))
    items = session.execute(
        sa.delete(PointItem)
        .where(PointItem.period_id == period.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        session,
        actor,
        "assessment.period_delete",
        "assessment_period",
        period.id,
        now=now,
        before={"unit_id": period.unit_id, "year": period.year, "point_items": items},
    )
    session.delete(period)
    session.flush()
