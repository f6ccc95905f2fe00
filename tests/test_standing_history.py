"""A member's standing (category, 年老体弱, 书记/委员) is kept as a history of changes, written by
the services that change it, and read back for the end of a past year."""

from datetime import UTC, datetime

import sqlalchemy as sa

from learnapp.orgs.models import MemberCategory, Role, StandingChange
from learnapp.orgs.roles import grant_role, revoke_role
from learnapp.orgs.services import update_member
from learnapp.orgs.standing import Standing, standing_at
from tests.factories import make_user
from tests.world import build_world

END_OF_2025 = datetime(2025, 12, 31, 16, tzinfo=UTC)  # 2026-01-01 00:00 in Shanghai
GRANTED = datetime(2026, 12, 7, 2, tzinfo=UTC)


def _changes(session, member) -> list[StandingChange]:
    return list(
        session.scalars(
            sa.select(StandingChange)
            .where(StandingChange.user_id == member.id)
            .order_by(StandingChange.id)
        )
    )


def _edit(session, actor, member, now, **changes):
    fields = {
        "display_name": member.display_name,
        "category": member.category,
        "phone": member.phone,
        "is_mobile": member.is_mobile,
        "is_retired": member.is_retired,
        "is_elderly_exempt": member.is_elderly_exempt,
        **changes,
    }
    update_member(session, actor, member, now=now, **fields)


def test_a_first_leadership_role_is_kept_and_a_year_already_over_keeps_the_standing_before(
    session,
):
    world = build_world(session)
    grant_role(session, world.admin, world.member_b, world.branch_b, Role.COMMITTEE_MEMBER, GRANTED)
    [change] = _changes(session, world.member_b)
    assert (change.is_leader_before, change.is_leader_after) == (False, True)
    assert change.changed_at == GRANTED and change.actor_id == world.admin.id
    assert standing_at(session, world.member_b, END_OF_2025) == Standing(
        MemberCategory.FULL, False, False
    )
    later = standing_at(session, world.member_b, datetime(2026, 12, 31, 16, tzinfo=UTC))
    assert later.is_leader and later.recorded


def test_roles_that_do_not_change_the_standing_leave_no_change(session):
    world = build_world(session)
    grant_role(session, world.admin, world.member_b, world.branch_b, Role.REVIEWER, GRANTED)
    assert _changes(session, world.member_b) == []
    # seca is 书记 already: a second leadership role changes nothing in her standing.
    grant_role(
        session, world.admin, world.secretary_a, world.general, Role.COMMITTEE_MEMBER, GRANTED
    )
    assert _changes(session, world.secretary_a) == []


def test_withdrawing_the_last_leadership_role_is_kept_but_not_one_of_two(session):
    world = build_world(session)
    committee = make_user(
        session,
        unit=world.branch_a,
        roles=((Role.COMMITTEE_MEMBER, world.branch_a), (Role.COMMITTEE_MEMBER, world.general)),
    )
    first, second = committee.roles
    revoke_role(session, world.admin, first, GRANTED)
    assert _changes(session, committee) == []
    revoke_role(session, world.admin, second, GRANTED)
    [change] = _changes(session, committee)
    assert (change.is_leader_before, change.is_leader_after) == (True, False)
    assert standing_at(session, committee, END_OF_2025).is_leader


def test_category_and_exemption_changes_are_kept_and_other_edits_are_not(session):
    world = build_world(session)
    member = make_user(session, unit=world.branch_b, category=MemberCategory.ACTIVIST)
    _edit(session, world.secretary_a, member, GRANTED, display_name="改名")
    assert _changes(session, member) == []
    _edit(session, world.admin, member, GRANTED, category=MemberCategory.PROBATIONARY)
    _edit(session, world.admin, member, GRANTED, is_elderly_exempt=True)
    category, exempt = _changes(session, member)
    assert (category.category_before, category.category_after) == (
        MemberCategory.ACTIVIST,
        MemberCategory.PROBATIONARY,
    )
    assert (exempt.is_elderly_exempt_before, exempt.is_elderly_exempt_after) == (False, True)
    assert exempt.category_before == MemberCategory.PROBATIONARY
    assert standing_at(session, member, END_OF_2025) == Standing(
        MemberCategory.ACTIVIST, False, False
    )


def test_before_the_start_of_the_record_the_standing_is_todays_and_says_so(session):
    world = build_world(session)
    session.add(
        StandingChange(
            user_id=world.secretary_a.id,
            changed_at=datetime(2026, 12, 15, tzinfo=UTC),
            category_after=MemberCategory.FULL,
            is_elderly_exempt_after=False,
            is_leader_after=True,
        )
    )
    session.flush()
    then = standing_at(session, world.secretary_a, END_OF_2025)
    assert then == Standing(MemberCategory.FULL, False, True, recorded=False)
    assert standing_at(session, world.secretary_a, datetime(2026, 12, 31, tzinfo=UTC)).recorded
