"""Read functions of assessments: scoped periods, dossiers, who may see them (the unit above),
the secretary's to-do items, and which of a member's 学时 entries a frozen dossier holds."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments import ballots, evidence
from learnapp.assessments.models import (
    Approval,
    AssessmentGrade,
    AssessmentPeriod,
    AssessmentRuleSet,
    Dossier,
    PeerReview,
    PointItem,
    PointState,
    SelfAppraisal,
    Step,
)
from learnapp.authz import can_manage_unit, unit_in_scope_clause
from learnapp.db import pinyin_order, tree_order
from learnapp.hours.corrections import Freeze, year_closer
from learnapp.inbox import InboxItem, provider
from learnapp.orgs.models import LEADERSHIP_ROLES, RoleAssignment, Unit


def is_unit_above(user, unit: Unit) -> bool:
    """The user manages a unit strictly above `unit` (the 上级党组织), or is an admin."""
    if user.is_admin:
        return True
    return any(
        unit.path.startswith(managed.path) and managed.path != unit.path
        for managed in user.managed_units
    )


def branch_committee(session: Session, unit: Unit) -> list[User]:
    """The unit's own 书记 and 委员 (roles held in the unit itself, not in a unit above it),
    active accounts only, by name."""
    holders = sa.select(RoleAssignment.user_id).where(
        RoleAssignment.unit_id == unit.id, RoleAssignment.role.in_(LEADERSHIP_ROLES)
    )
    return list(
        session.scalars(
            sa.select(User)
            .where(User.id.in_(holders), User.is_active.is_(True))
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )


def rule_sets(session: Session) -> list[AssessmentRuleSet]:
    return list(
        session.scalars(
            sa.select(AssessmentRuleSet).order_by(
                AssessmentRuleSet.effective_from.desc(), AssessmentRuleSet.id.desc()
            )
        )
    )


def managed_periods(session: Session, user, limit: int = 200) -> list[AssessmentPeriod]:
    """Periods of the units the user manages (their subtree), newest year first."""
    return list(
        session.scalars(
            sa.select(AssessmentPeriod)
            .join(Unit, AssessmentPeriod.unit_id == Unit.id)
            .where(unit_in_scope_clause(user, Unit.path))
            .order_by(AssessmentPeriod.year.desc(), tree_order(Unit.path))
            .limit(limit)
        )
    )


def scoped_period(session: Session, user, period_id: int) -> AssessmentPeriod | None:
    """The period if its branch lies in a subtree the user manages."""
    period = session.get(AssessmentPeriod, period_id)
    if period is None or not can_manage_unit(user, period.unit):
        return None
    return period


def is_assessed_in(session: Session, user, period: AssessmentPeriod) -> bool:
    return evidence.is_assessed(session, period, user)


def own_periods(session: Session, user) -> list[AssessmentPeriod]:
    """Periods the user is assessed in: the open ones of their branch (their unit or one above
    it) if they are a party member (evidence.is_assessed), and the frozen ones that hold a
    dossier of theirs, wherever they are now."""
    ids = []
    if user.unit is not None and user.category.is_party_member:
        ids = [int(part) for part in user.unit.path.strip("/").split("/") if part]
    frozen = sa.select(Dossier.period_id).where(Dossier.member_id == user.id)
    return list(
        session.scalars(
            sa.select(AssessmentPeriod)
            .where(
                sa.or_(
                    sa.and_(
                        AssessmentPeriod.unit_id.in_(ids),
                        AssessmentPeriod.step != Step.DRAFT,
                        AssessmentPeriod.frozen_at.is_(None),
                    ),
                    AssessmentPeriod.id.in_(frozen),
                )
            )
            .order_by(AssessmentPeriod.year.desc())
        )
    )


def own_period(session: Session, user, period_id: int) -> AssessmentPeriod | None:
    period = session.get(AssessmentPeriod, period_id)
    if period is None or period.step == Step.DRAFT or not is_assessed_in(session, user, period):
        return None
    return period


def dossier(session: Session, period: AssessmentPeriod, member_id: int) -> Dossier | None:
    return session.scalar(
        sa.select(Dossier).where(Dossier.period_id == period.id, Dossier.member_id == member_id)
    )


def self_appraisals(session: Session, period: AssessmentPeriod) -> dict[int, SelfAppraisal]:
    return {
        row.member_id: row
        for row in session.scalars(
            sa.select(SelfAppraisal).where(SelfAppraisal.period_id == period.id)
        )
    }


@dataclass(frozen=True)
class Participation:
    """How many took part in each step so far, for the secretary deciding to move on."""

    members: int  # assessed in the period
    self_appraised: int  # 已自评
    peer_reviewers: int  # 已互评: wrote at least one peer appraisal
    voters: int  # full members on the roll (0 before the evaluation opens)
    voted: int  # 已投票


def participation(
    session: Session, period: AssessmentPeriod, members: list[User] | None = None
) -> Participation:
    """Counts of the period's members who wrote a self-appraisal, wrote a peer appraisal, and
    (from the evaluation on) of the voters who voted."""
    if members is None:
        members = evidence.period_members(session, period)
    ids = {m.id for m in members}
    appraised = set(
        session.scalars(
            sa.select(SelfAppraisal.member_id).where(SelfAppraisal.period_id == period.id)
        )
    )
    reviewers = set(
        session.scalars(
            sa.select(PeerReview.author_id).where(PeerReview.period_id == period.id).distinct()
        )
    )
    roll = ballots.turnout(session, period)
    return Participation(
        members=len(ids),
        self_appraised=len(ids & appraised),
        peer_reviewers=len(ids & reviewers),
        voters=roll.voters,
        voted=roll.voted,
    )


def self_appraisal(session: Session, period: AssessmentPeriod, member_id: int):
    return session.scalar(
        sa.select(SelfAppraisal).where(
            SelfAppraisal.period_id == period.id, SelfAppraisal.member_id == member_id
        )
    )


def peer_reviews_about(session: Session, period: AssessmentPeriod, member_id: int):
    return list(
        session.scalars(
            sa.select(PeerReview)
            .where(PeerReview.period_id == period.id, PeerReview.subject_id == member_id)
            .order_by(PeerReview.id)
        )
    )


def peer_reviews_by(session: Session, period: AssessmentPeriod, author_id: int) -> dict:
    return {
        row.subject_id: row
        for row in session.scalars(
            sa.select(PeerReview).where(
                PeerReview.period_id == period.id, PeerReview.author_id == author_id
            )
        )
    }


def point_items(
    session: Session, period: AssessmentPeriod, member_id: int | None = None
) -> list[PointItem]:
    query = sa.select(PointItem).where(PointItem.period_id == period.id)
    if member_id is not None:
        query = query.where(PointItem.member_id == member_id)
    return list(session.scalars(query.order_by(PointItem.id)))


def grade_of(session: Session, period: AssessmentPeriod, member_id: int):
    return session.scalar(
        sa.select(AssessmentGrade).where(
            AssessmentGrade.period_id == period.id, AssessmentGrade.member_id == member_id
        )
    )


def can_see_dossier(user, period: AssessmentPeriod, member: User) -> bool:
    """The member themself, and whoever manages the branch (its secretary, the units above)."""
    return member.id == user.id or can_manage_unit(user, period.unit)


# ---- the to-do inbox ----


def _waiting_only_for_own_grade(session: Session, user, periods) -> set[int]:
    """The periods at the committee step whose one missing grade is the user's own: another
    committee member or the unit above proposes it, so nothing there is the user's to do."""
    at_committee = [p for p in periods if p.step == Step.COMMITTEE]
    waiting = set()
    for period in at_committee:
        members = {m.id for m in evidence.period_members(session, period)}
        if user.id not in members:
            continue
        graded = set(
            session.scalars(
                sa.select(AssessmentGrade.member_id).where(AssessmentGrade.period_id == period.id)
            )
        )
        if members - graded == {user.id}:
            waiting.add(period.id)
    return waiting


@provider
def assessment_todo(session: Session, user) -> list[InboxItem]:
    """Secretaries: periods to check before they open, proposals to make, feedback to publish,
    积分 items to decide; the unit above: 优秀/不合格 grades to approve. Never what the user
    may not do: their own grade, a period waiting only for it, a grade they proposed."""
    if not user.is_manager:
        return []
    periods = managed_periods(session, user)
    waiting_for_own = _waiting_only_for_own_grade(session, user, periods)
    items = []
    for step, kind, label in (
        (Step.DRAFT, "assessment-draft", _("Assessment periods to check before they open")),
        (Step.COMMITTEE, "assessment-committee", _("Assessments waiting for grade proposals")),
        (Step.FEEDBACK, "assessment-feedback", _("Assessment results to send to members")),
    ):
        due = [p for p in periods if p.step == step and p.id not in waiting_for_own]
        if due:
            items.append(
                InboxItem(
                    kind,
                    label,
                    len(due),
                    url_for("assessments.period_detail", period_id=due[0].id),
                )
            )
    approvals = [p for p in periods if p.step == Step.APPROVAL and is_unit_above(user, p.unit)]
    if approvals:
        pending = session.scalar(
            sa.select(sa.func.count())
            .select_from(AssessmentGrade)
            .where(
                AssessmentGrade.period_id.in_([p.id for p in approvals]),
                AssessmentGrade.approval == Approval.PENDING,
                AssessmentGrade.member_id != user.id,
                AssessmentGrade.proposed_by_id != user.id,
            )
        )
        items.append(
            InboxItem(
                "assessment-approval",
                _("Grades waiting for approval by the unit above"),
                pending,
                url_for("assessments.period_detail", period_id=approvals[0].id),
            )
        )
    open_periods = [p.id for p in periods if p.step.position <= Step.EVALUATION.position]
    if open_periods:
        # Per period, so the line opens the 积分 page of a period that has items to decide.
        pending = dict(
            session.execute(
                sa.select(PointItem.period_id, sa.func.count())
                .where(
                    PointItem.period_id.in_(open_periods),
                    PointItem.state == PointState.PENDING,
                    PointItem.proposed_by_id != user.id,
                    PointItem.member_id != user.id,
                )
                .group_by(PointItem.period_id)
            ).all()
        )
        if pending:
            first = next(p.id for p in periods if p.id in pending)
            items.append(
                InboxItem(
                    "assessment-points",
                    _("Bonus and deduction items waiting for a decision"),
                    sum(pending.values()),
                    url_for("assessments.points", period_id=first),
                )
            )
    return items


# ---- the 学时 ledger ----


@year_closer
def dossier_frozen(session: Session, member_id: int, year: int) -> Freeze | None:
    """Once a dossier of the member's for `year` is frozen, the committee judges that evidence:
    the member's own corrections of the entries it holds would contradict it without a trace
    there. The latest of their dossiers for the year (a member who moved branch may have two)
    holds the most."""
    frozen_at = session.scalar(
        sa.select(sa.func.max(Dossier.frozen_at))
        .join(AssessmentPeriod, Dossier.period_id == AssessmentPeriod.id)
        .where(Dossier.member_id == member_id, AssessmentPeriod.year == year)
    )
    if frozen_at is None:
        return None
    return Freeze(
        frozen_at,
        _(
            "This entry is part of the evidence frozen for your %(year)s assessment: it can no "
            "longer be removed.",
            year=year,
        ),
    )
