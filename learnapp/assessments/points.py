"""Bonus and deduction items (积分): proposed with evidence, counted once approved by a manager
of the branch other than the proposer and the member, for the period's year only. Items still
undecided when the dossiers are frozen lapse (已失效): nobody can decide them any more."""

from collections import Counter
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments.appraisals import require_member
from learnapp.assessments.models import AssessmentPeriod, PointItem, PointKind, PointState, Step
from learnapp.assessments.notices import POINTS_LAPSED
from learnapp.audit.services import record
from learnapp.authz import can_manage_unit
from learnapp.errors import DomainError
from learnapp.notifications.services import notify

POINT_STEPS = (Step.DRAFT, Step.SELF_APPRAISAL, Step.PEER_REVIEW, Step.EVALUATION)
# Leaving it freezes the dossiers: items still pending then lapse.
LAST_POINT_STEP = POINT_STEPS[-1]
POINTS_STEP = Decimal("0.01")  # the column keeps hundredths
ENTER_POINTS = _l("Enter the points as a number, for example 2 or 0.5.")


def check_points(points: Decimal | None) -> None:
    """An item's points: a number above 0 and at most 100, in hundredths at most."""
    if points is None or not points.is_finite():
        raise DomainError("points", ENTER_POINTS)
    if not Decimal(0) < points <= 100:
        raise DomainError("points", _l("Points must be more than 0 and at most 100."))
    if points % POINTS_STEP:
        raise DomainError("points", _l("Points have at most two decimal places."))


def propose_points(
    session: Session,
    actor: User,
    period: AssessmentPeriod,
    *,
    member_id: int,
    kind: PointKind,
    points: Decimal,
    reason: str,
    evidence_text: str,
    now: datetime,
) -> PointItem:
    """A bonus or deduction with its evidence, waiting for approval. A member may claim a bonus
    for themself; the branch's managers propose either kind for any member."""
    if period.step not in POINT_STEPS:
        raise DomainError(None, _l("Items can only be added before the dossiers are frozen."))
    manager = can_manage_unit(actor, period.unit)
    if not manager and (member_id != actor.id or kind != PointKind.BONUS):
        raise DomainError(None, _l("Members can only claim a bonus for themselves."))
    require_member(session, period, session.get(User, member_id) or actor)
    check_points(points)
    reason, evidence_text = (reason or "").strip(), (evidence_text or "").strip()
    if not reason:
        raise DomainError("reason", _l("Give the reason."))
    if not evidence_text:
        raise DomainError("evidence", _l("Evidence is required (document, certificate, record)."))
    item = PointItem(
        period_id=period.id,
        member_id=member_id,
        kind=kind,
        points=points,
        reason=reason[:300],
        evidence=evidence_text[:2000],
        state=PointState.PENDING,
        proposed_by_id=actor.id,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def decide_points(
    session: Session, actor: User, item: PointItem, approve: bool, now: datetime
) -> PointItem:
    """A manager of the branch other than the proposer and the member approves or rejects."""
    period = session.get(AssessmentPeriod, item.period_id)
    if not can_manage_unit(actor, period.unit):
        raise DomainError(None, _l("The unit is outside your organisation."))
    if actor.id in (item.proposed_by_id, item.member_id):
        raise DomainError(None, _l("Someone other than the proposer and the member decides."))
    if period.step not in POINT_STEPS:
        raise DomainError(None, _l("Items can only be decided before the dossiers are frozen."))
    state = PointState.APPROVED if approve else PointState.REJECTED
    decided = session.execute(
        sa.update(PointItem)
        .where(PointItem.id == item.id, PointItem.state == PointState.PENDING)
        .values(state=state, decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if decided != 1:
        raise DomainError(None, _l("This item was already decided."))
    session.refresh(item)
    record(
        session,
        actor,
        "assessment.points_decide",
        "assessment_point_item",
        item.id,
        now=now,
        after={"state": state.value, "points": str(item.points), "kind": item.kind.value},
    )
    return item


def pending_items(session: Session, period: AssessmentPeriod) -> list[PointItem]:
    """The period's items still waiting for a decision, oldest first."""
    return list(
        session.scalars(
            sa.select(PointItem)
            .where(PointItem.period_id == period.id, PointItem.state == PointState.PENDING)
            .order_by(PointItem.id)
        )
    )


def lapse_pending(
    session: Session, actor: User | None, period: AssessmentPeriod, now: datetime
) -> None:
    """Close the period's pending items as lapsed as its dossiers are frozen: they are never
    counted. Each is logged, and each proposer is told how many of theirs lapsed, except the
    person closing the step, who confirmed it."""
    lapsed = session.execute(
        sa.update(PointItem)
        .where(PointItem.period_id == period.id, PointItem.state == PointState.PENDING)
        .values(state=PointState.LAPSED, decided_at=now)
        .returning(PointItem.id, PointItem.kind, PointItem.points, PointItem.proposed_by_id)
    ).all()
    for item_id, kind, points, _proposer in lapsed:
        record(
            session,
            actor,
            "assessment.points_lapse",
            "assessment_point_item",
            item_id,
            now=now,
            before={"state": PointState.PENDING.value},
            after={"state": PointState.LAPSED.value, "points": str(points), "kind": kind.value},
        )
    proposers = Counter(proposer for *_item, proposer in lapsed)
    proposers.pop(getattr(actor, "id", None), None)
    for proposer_id, count in proposers.items():
        notify(
            session,
            [proposer_id],
            POINTS_LAPSED,
            f"/assessments/periods/{period.id}/points",
            now,
            {"count": count, "year": period.year, "period": period.id},
        )
