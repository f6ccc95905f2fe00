"""Arrangements shared by the assessment tests: a branch big enough to vote, and periods."""

from datetime import timedelta
from decimal import Decimal

from learnapp.assessments import grading
from learnapp.assessments.models import Grade, PointKind, Step
from learnapp.assessments.periods import create_period
from learnapp.assessments.points import propose_points
from learnapp.assessments.steps import advance
from learnapp.orgs.models import MemberCategory
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


def assessment_world(session, extra: int = 5):
    """The permission-test world plus `extra` full members in branch A (so ≥ 5 can vote)."""
    world = build_world(session)
    extras = [
        make_user(session, unit=world.branch_a, username=f"ext{n}", display_name=f"成员甲{n}")
        for n in range(extra)
    ]
    session.commit()
    return world, extras


def schedule(start=FIXED_NOW):
    return {
        "self_opens_at": start + timedelta(days=1),
        "peer_opens_at": start + timedelta(days=10),
        "ballot_opens_at": start + timedelta(days=20),
        "ballot_closes_at": start + timedelta(days=30),
    }


def new_period(session, world, *, year: int = 2026, to: Step = Step.DRAFT, now=FIXED_NOW):
    """A period of branch A created by its secretary and advanced to step `to`."""
    period = create_period(
        session, world.secretary_a, world.branch_a, year=year, now=now, **schedule(now)
    )
    while period.step != to:
        advance(session, world.secretary_a, period, now, allow_no_ballots=True)
    session.flush()
    return period


def full_member(session, unit, name):
    return make_user(session, unit=unit, username=name, category=MemberCategory.FULL)


def propose_all(session, world, period, proposals, now=FIXED_NOW):
    """The sheet as branch A makes it: its secretary proposes every grade but their own, which
    the unit above (the general branch's secretary) proposes, branch A having no other
    committee member."""
    own_id = world.secretary_a.id
    others = {member: line for member, line in proposals.items() if member != own_id}
    grading.propose_grades(session, world.secretary_a, period, others, now)
    if own_id in proposals:
        grading.propose_grades(
            session, world.general_secretary, period, {own_id: proposals[own_id]}, now
        )


def assessed_members(world, extras):
    """Everyone branch A's assessment covers in the assessment world."""
    return [world.secretary_a, world.general_secretary, world.member_a, *extras]


def grade_everyone(session, world, period, extras, *, excellent=(), reason="表现良好"):
    """Branch A's sheet: the `excellent` ones excellent, everyone else qualified, each for
    `reason`; returns the members graded."""
    members = assessed_members(world, extras)
    proposals = {
        m.id: (Grade.EXCELLENT if m in excellent else Grade.QUALIFIED, reason) for m in members
    }
    propose_all(session, world, period, proposals)
    return members


def propose_bonus(session, world, period, member, *, points=Decimal(2)):
    """Branch A's secretary proposes a bonus for `member`'s volunteering, a certificate as
    evidence."""
    return propose_points(
        session,
        world.secretary_a,
        period,
        member_id=member.id,
        kind=PointKind.BONUS,
        points=points,
        reason="志愿服务",
        evidence_text="证书",
        now=FIXED_NOW,
    )
