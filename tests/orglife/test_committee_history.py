"""The roles' history (orgs.queries.role_terms) and the attendance rows a year's meetings count
(orglife.queries.counted_attendance), read in a fixed number of queries."""

from datetime import date, timedelta

from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.meetings import create_meeting
from learnapp.orglife.models import Attendance, MeetingKind
from learnapp.orglife.queries import COMMITTEE_ROLES, counted_attendance
from learnapp.orgs.models import Role, RoleAssignment
from learnapp.orgs.queries import RoleTerm, role_terms
from learnapp.orgs.roles import grant_role, revoke_role
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import meeting_fields
from tests.quizzes.helpers import sent_statements
from tests.world import build_world

DAY = timedelta(days=1)


def _assignment(user, unit, role=Role.COMMITTEE_MEMBER):
    return next(a for a in user.roles if a.unit_id == unit.id and a.role == role)


def test_role_terms_read_withdrawn_roles_from_the_audit_log(session, ctx):
    world = build_world(session)
    branch = world.branch_a
    held, withdrawn, unlogged = (make_user(session, unit=branch) for _ in range(3))
    grant_role(session, world.admin, held, branch, Role.COMMITTEE_MEMBER, FIXED_NOW - 9 * DAY)
    grant_role(session, world.admin, withdrawn, branch, Role.COMMITTEE_MEMBER, FIXED_NOW - 8 * DAY)
    revoke_role(session, world.admin, _assignment(withdrawn, branch), FIXED_NOW - 2 * DAY)
    # Granted with no audit entry (as the first roles of an installation can be), then withdrawn.
    session.add(
        RoleAssignment(
            user_id=unlogged.id,
            unit_id=branch.id,
            role=Role.COMMITTEE_MEMBER,
            granted_at=FIXED_NOW - 7 * DAY,
        )
    )
    session.flush()
    session.expire(unlogged, ["roles"])
    revoke_role(session, world.admin, _assignment(unlogged, branch), FIXED_NOW - DAY)
    # Neither another unit's role nor another role counts.
    grant_role(session, world.admin, held, world.general, Role.COMMITTEE_MEMBER, FIXED_NOW)
    grant_role(session, world.admin, withdrawn, branch, Role.BANK_EDITOR, FIXED_NOW)
    terms = role_terms(session, [branch.id], COMMITTEE_ROLES, [held.id, withdrawn.id, unlogged.id])
    role = Role.COMMITTEE_MEMBER
    assert sorted(terms, key=lambda t: t.user_id) == [
        RoleTerm(held.id, branch.id, role, FIXED_NOW - 9 * DAY, None),
        RoleTerm(withdrawn.id, branch.id, role, FIXED_NOW - 8 * DAY, FIXED_NOW - 2 * DAY),
        RoleTerm(unlogged.id, branch.id, role, None, FIXED_NOW - DAY),
    ]


def test_counted_attendance_reads_a_years_meetings_in_a_fixed_number_of_queries(session, ctx):
    world = build_world(session)
    member = make_user(session, unit=world.branch_a)
    grant_role(
        session, world.admin, member, world.branch_a, Role.COMMITTEE_MEMBER, FIXED_NOW - 9 * DAY
    )
    counts = []
    for day in (1, 2, 3):
        for kind in (MeetingKind.COMMITTEE, MeetingKind.THEMED_DAY):
            meeting = create_meeting(
                session,
                world.secretary_a,
                world.branch_a,
                meeting_fields(kind=kind, held_on=date(2026, 3, day)),
                FIXED_NOW,
            )
            marks = [(world.secretary_a.id, Attendance.PRESENT, "")]
            if kind == MeetingKind.COMMITTEE:
                marks.append((member.id, Attendance.PRESENT, ""))
            set_attendance(session, world.secretary_a, meeting, marks, FIXED_NOW)
        session.expire_all()
        with sent_statements(session) as statements:
            rows = counted_attendance(session, world.branch_a, 2026)
        assert sum(1 for row in rows if row.member_id == member.id) == day
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2]
