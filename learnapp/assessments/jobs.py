"""The assessment schedule: opens and closes the steps when their time comes, and reminds the
members who have not acted yet. An idempotent sweep over the periods' state."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.assessments import evidence
from learnapp.assessments.models import (
    SCHEDULED,
    AssessmentPeriod,
    PeerReview,
    SelfAppraisal,
    Step,
    VoterRoll,
)
from learnapp.assessments.notices import REMINDER
from learnapp.assessments.steps import advance
from learnapp.jobs import Summary
from learnapp.notifications.services import notify

REMIND_BEFORE = timedelta(hours=48)
REMINDED_STEPS = (Step.SELF_APPRAISAL, Step.PEER_REVIEW, Step.EVALUATION)


def _due_ids(session: Session, now: datetime) -> list[int]:
    conditions = [
        sa.and_(AssessmentPeriod.step == step, getattr(AssessmentPeriod, field) <= now)
        for step, (_next, field) in SCHEDULED.items()
    ]
    return list(
        session.scalars(
            sa.select(AssessmentPeriod.id).where(sa.or_(*conditions)).order_by(AssessmentPeriod.id)
        )
    )


def _not_acted(session: Session, period: AssessmentPeriod) -> list[int]:
    if period.step == Step.EVALUATION:
        return list(
            session.scalars(
                sa.select(VoterRoll.voter_id).where(
                    VoterRoll.period_id == period.id, VoterRoll.has_voted.is_(False)
                )
            )
        )
    model, column = (
        (SelfAppraisal, SelfAppraisal.member_id)
        if period.step == Step.SELF_APPRAISAL
        else (PeerReview, PeerReview.author_id)
    )
    acted = set(session.scalars(sa.select(column).where(model.period_id == period.id)))
    return [m.id for m in evidence.period_members(session, period) if m.id not in acted]


def _claim_reminder(session: Session, period: AssessmentPeriod, step: Step, now: datetime) -> bool:
    """Mark the step's reminder sent, in one conditional UPDATE: only while the period is still
    at the step and the step has not closed. A committee moving the period on meanwhile wins,
    and no reminder goes out for a step that is over."""
    _next, field = SCHEDULED[step]
    claimed = session.execute(
        sa.update(AssessmentPeriod)
        .where(
            AssessmentPeriod.id == period.id,
            AssessmentPeriod.step == step,
            AssessmentPeriod.reminded_step != step.value,
            getattr(AssessmentPeriod, field) > now,
        )
        .values(reminded_step=step.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(period, ["reminded_step"])
    return claimed == 1


def _remind(session: Session, now: datetime) -> int:
    sent = 0
    for step in REMINDED_STEPS:
        _next, field = SCHEDULED[step]
        periods = session.scalars(
            sa.select(AssessmentPeriod).where(
                AssessmentPeriod.step == step,
                AssessmentPeriod.reminded_step != step.value,
                getattr(AssessmentPeriod, field) > now,
                getattr(AssessmentPeriod, field) <= now + REMIND_BEFORE,
            )
        ).all()
        for period in periods:
            if not _claim_reminder(session, period, step, now):
                continue
            notify(
                session,
                _not_acted(session, period),
                REMINDER,
                f"/assessments/periods/{period.id}/me",
                now,
                {"step": step.value, "year": period.year, "period": period.id},
            )
            sent += 1
        session.flush()
    return sent


def run_schedule(session: Session, now: datetime) -> Summary:
    """Move every period whose next step is due (several steps if several are due; a step
    passed through is not announced), then send the "closes soon" reminders once per step
    still open."""
    moved, cache = 0, {}
    while ids := _due_ids(session, now):
        for period_id in ids:
            advance(session, None, session.get(AssessmentPeriod, period_id), now, cache)
            moved += 1
            session.flush()
            # Dossiers of a large organisation: keep memory bounded to one branch at a time.
            session.expunge_all()
    reminded = _remind(session, now)
    return Summary("ran", {"steps": moved, "reminders": reminded})
