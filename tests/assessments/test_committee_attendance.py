"""Attendance at 支委会 in the dossier follows the committee each meeting recorded, not today's:
a member who left the committee later keeps its meetings, one who joined later is not held to
the meetings before."""

from datetime import date, timedelta

import pytest

from learnapp.assessments import evidence
from learnapp.assessments.models import Step
from learnapp.assessments.rules import ScoreRules
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.meetings import create_meeting
from learnapp.orglife.models import Attendance, MeetingAttendance, MeetingKind
from learnapp.orgs.models import MemberCategory, Role, RoleAssignment
from learnapp.orgs.roles import grant_role, revoke_role
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import FIXED_NOW
from tests.orglife.factories import meeting_fields

P, A = Attendance.PRESENT, Attendance.ABSENT
LATER = FIXED_NOW + timedelta(days=20)  # the committee changes after the meeting's record


@pytest.fixture
def world(ctx, session):
    world, extras = assessment_world(session)
    world.leaver, world.joiner, world.ordinary = extras[:3]
    # On the committee since February, when the March meeting is held and recorded.
    grant_role(
        session,
        world.admin,
        world.leaver,
        world.branch_a,
        Role.COMMITTEE_MEMBER,
        FIXED_NOW - timedelta(days=30),
    )
    return world


def _committee_meeting(session, world):
    return create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.COMMITTEE, title="三月支委会", held_on=date(2026, 3, 5)),
        FIXED_NOW,
    )


def _change_committee(session, world):
    """The leaver leaves the committee and the joiner joins it, after the meeting."""
    assignment = next(a for a in world.leaver.roles if a.role == Role.COMMITTEE_MEMBER)
    revoke_role(session, world.admin, assignment, LATER)
    grant_role(session, world.admin, world.joiner, world.branch_a, Role.COMMITTEE_MEMBER, LATER)


def _attendance(session, world) -> dict[int, dict]:
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    rules = ScoreRules.from_json(period.rule_set.rules)
    computed = evidence.compute(session, period, rules, LATER + timedelta(days=1))
    return {member_id: data["attendance"] for member_id, data in computed.items()}


def test_the_committee_a_meeting_recorded_keeps_it_after_the_committee_changes(session, world):
    meeting = _committee_meeting(session, world)
    marks = [(world.secretary_a.id, P, ""), (world.leaver.id, A, "出差")]
    set_attendance(session, world.secretary_a, meeting, marks, FIXED_NOW)
    _change_committee(session, world)
    counts = _attendance(session, world)
    assert counts[world.leaver.id]["expected"] == 1
    assert counts[world.leaver.id]["share"] == 0.0
    assert counts[world.secretary_a.id]["present"] == 1
    assert counts[world.joiner.id]["expected"] == 0


def test_a_meeting_recorded_with_the_whole_branch_counts_for_its_committee_of_the_day(
    session, world
):
    # A former committee member, whose role ended before the meeting.
    former = world.ordinary
    assignment = RoleAssignment(
        user_id=former.id,
        unit_id=world.branch_a.id,
        role=Role.COMMITTEE_MEMBER,
        granted_at=FIXED_NOW - timedelta(days=60),
    )
    session.add(assignment)
    session.flush()
    revoke_role(session, world.admin, assignment, FIXED_NOW - timedelta(days=10))
    meeting = _committee_meeting(session, world)
    # Recorded before a committee meeting expected only the committee: everyone has a row.
    for member, status in (
        (world.secretary_a, P),
        (world.leaver, P),
        (world.joiner, A),
        (former, A),
    ):
        meeting.attendances.append(
            MeetingAttendance(
                member_id=member.id, status=status, reason="", category=MemberCategory.FULL
            )
        )
    session.flush()
    _change_committee(session, world)
    counts = _attendance(session, world)
    assert counts[world.secretary_a.id]["expected"] == 1
    assert (counts[world.leaver.id]["expected"], counts[world.leaver.id]["present"]) == (1, 1)
    assert counts[world.joiner.id]["expected"] == 0
    assert counts[former.id]["expected"] == 0
