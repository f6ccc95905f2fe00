"""Once a meeting's attendance is recorded, its roster is the recorded rows: members who join
later are not marked or credited, members who move out or leave keep their place, and the
quorum of a past vote follows each member's category when the attendance was recorded."""

import re
from decimal import Decimal

import sqlalchemy as sa

from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import year_totals
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.meetings import create_meeting, update_meeting
from learnapp.orglife.models import Attendance, Meeting, MeetingAttendance, MeetingKind
from learnapp.orglife.queries import meeting_roster, quorum
from learnapp.orgs.models import MemberCategory, Role
from learnapp.orgs.services import move_member, update_member
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import meeting_fields
from tests.world import build_world

P, A, L = Attendance.PRESENT, Attendance.ABSENT, Attendance.LEAVE


def _collective(session, member) -> Decimal:
    return year_totals(session, member.id, 2026)[HoursCategory.COLLECTIVE]


def _recorded(session, world, **fields):
    """A meeting of branch A with everyone expected present: secretary_a, the general
    secretary (full members) and member_a (probationary)."""
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(**fields), FIXED_NOW
    )
    everyone = [world.secretary_a, world.general_secretary, world.member_a]
    set_attendance(
        session, world.secretary_a, meeting, [(m.id, P, "") for m in everyone], FIXED_NOW
    )
    return meeting


def _ids(members) -> list[int]:
    return sorted(m.id for m in members)


# ---- the service ----


def test_a_member_who_joins_later_is_not_on_the_recorded_roster(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    newcomer = make_user(session, unit=world.branch_a, category=MemberCategory.PROBATIONARY)
    roster = meeting_roster(session, meeting)
    assert roster.is_recorded and newcomer.id not in _ids(roster.members)
    assert _ids(roster.newcomers) == [newcomer.id]
    # Saved again as the page sends it, the newcomer left unrecorded: nothing for him.
    marks = [(row.member_id, row.status, row.reason) for row in meeting.attendances]
    set_attendance(
        session, world.secretary_a, meeting, [*marks, (newcomer.id, None, "")], FIXED_NOW
    )
    assert newcomer.id not in {row.member_id for row in meeting.attendances}
    assert _collective(session, newcomer) == 0
    assert len(meeting_roster(session, meeting).members) == 3


def test_a_meeting_not_recorded_yet_expects_the_members_of_the_unit_now(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
    )
    newcomer = make_user(session, unit=world.branch_a)
    roster = meeting_roster(session, meeting)
    assert not roster.is_recorded and roster.newcomers == []
    assert newcomer.id in _ids(roster.members) and len(roster.members) == 4


def test_members_who_left_or_moved_keep_their_place_and_hours(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    before = quorum(session, meeting)
    world.general_secretary.is_active = False
    move_member(session, world.admin, world.member_a, world.branch_b, reason="调动", now=FIXED_NOW)
    session.flush()
    roster = meeting_roster(session, meeting)
    assert _ids(roster.members) == _ids(
        [world.secretary_a, world.general_secretary, world.member_a]
    )
    assert roster.newcomers == []
    assert quorum(session, meeting) == before
    # The branch's secretary corrects the moved member's mark although she is now outside the
    # branch: the meeting is the branch's.
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, L, "出差")], FIXED_NOW)
    assert _collective(session, world.member_a) == 0
    assert _collective(session, world.general_secretary) == Decimal("1.50")


def test_a_later_change_of_category_leaves_a_past_quorum_as_it_was(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world, kind=MeetingKind.GENERAL, study_items=())
    assert (quorum(session, meeting).voting_members, quorum(session, meeting).present_voting) == (
        2,
        2,
    )
    update_member(
        session,
        world.admin,
        world.member_a,
        display_name=world.member_a.display_name,
        category=MemberCategory.FULL,
        phone=None,
        is_mobile=False,
        is_retired=False,
        is_elderly_exempt=False,
        now=FIXED_NOW,
    )
    result = quorum(session, meeting)
    assert (result.voting_members, result.present_voting) == (2, 2)
    # A meeting recorded from now on counts her vote.
    later = _recorded(session, world, kind=MeetingKind.GENERAL, study_items=(), title="二次")
    assert quorum(session, later).voting_members == 3


def test_a_mark_made_in_error_is_removed_and_its_hours_reversed(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, None, "")], FIXED_NOW)
    assert world.member_a.id not in {row.member_id for row in meeting.attendances}
    assert _collective(session, world.member_a) == 0
    assert len(meeting_roster(session, meeting).members) == 2


def test_the_category_is_kept_on_each_attendance(session, ctx):
    world = build_world(session)
    _recorded(session, world)
    stored = dict(
        session.execute(sa.select(MeetingAttendance.member_id, MeetingAttendance.category)).all()
    )
    assert stored == {
        world.secretary_a.id: MemberCategory.FULL,
        world.general_secretary.id: MemberCategory.FULL,
        world.member_a.id: MemberCategory.PROBATIONARY,
    }


# ---- the votes of every kind of meeting ----


def test_a_committee_vote_is_checked_against_the_committee(session, ctx):
    world = build_world(session)
    member = make_user(
        session, unit=world.branch_a, roles=((Role.COMMITTEE_MEMBER, world.branch_a),)
    )
    third = make_user(
        session, unit=world.branch_a, roles=((Role.COMMITTEE_MEMBER, world.branch_a),)
    )
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(
            kind=MeetingKind.COMMITTEE, study_items=(), vote_subject="发展对象", votes_for=10
        ),
        FIXED_NOW,
    )
    assert meeting.records_vote
    assert quorum(session, meeting).voting_members == 3  # the committee, before attendance
    set_attendance(
        session,
        world.secretary_a,
        meeting,
        [(world.secretary_a.id, P, ""), (member.id, P, ""), (third.id, A, "出差")],
        FIXED_NOW,
    )
    result = quorum(session, meeting)
    assert (result.voting_members, result.present_voting) == (3, 2)
    assert result.vote_issue(meeting.votes_cast) == "too_many"


# ---- the meeting page ----


def _checked(page: str, member_id: int) -> str:
    found = re.search(rf'name="status-{member_id}" id="[^"]+" value="(\w+)" checked', page)
    return found.group(1) if found else ""


def _page(auth, meeting) -> str:
    response = auth.client.get(f"/orglife/meetings/{meeting.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _form(page: str) -> dict:
    """The attendance form as the browser sends it, every choice as shown."""
    members = re.findall(r'<input type="hidden" name="member" value="(\d+)">', page)
    data = {"member": members}
    for member_id in members:
        data[f"status-{member_id}"] = _checked(page, int(member_id))
        data[f"reason-{member_id}"] = re.search(
            rf'name="reason-{member_id}" value="([^"]*)"', page
        ).group(1)
    return data


def test_the_page_of_a_recorded_meeting_leaves_a_newcomer_unmarked(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = _recorded(session, world)
    newcomer = make_user(
        session, unit=world.branch_a, username="new", category=MemberCategory.PROBATIONARY
    )
    session.commit()
    auth.login("seca")
    page = _page(auth, meeting)
    assert _checked(page, newcomer.id) == "remove"
    assert 'data-testid="newcomers-heading"' in page
    count = re.search(r'data-testid="attendance-count">([^<]+)<', page).group(1)
    assert "3" in count and "4" not in count
    assert auth.post(f"/orglife/meetings/{meeting.id}/attendance", _form(page)).status_code == 302
    reload(session)
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(MeetingAttendance)
            .where(MeetingAttendance.member_id == newcomer.id)
        )
        == 0
    )
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.member_id == newcomer.id)
        )
        == 0
    )


def test_the_page_of_a_meeting_not_recorded_marks_everyone_present(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = create_meeting(
            session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
        )
    session.commit()
    auth.login("seca")
    page = _page(auth, meeting)
    for member in (world.secretary_a, world.general_secretary, world.member_a):
        assert _checked(page, member.id) == "present"
    assert 'value="remove"' not in page and 'data-testid="newcomers-heading"' not in page


def test_the_page_keeps_a_member_who_moved_out_among_the_expected(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = _recorded(session, world)
        move_member(
            session, world.admin, world.member_a, world.branch_b, reason="调动", now=FIXED_NOW
        )
    session.commit()
    auth.login("seca")
    page = _page(auth, meeting)
    assert _checked(page, world.member_a.id) == "present"
    assert f'data-testid="attendee-{world.member_a.id}"' in page
    assert 'data-testid="unexpected-heading"' not in page
    assert auth.post(f"/orglife/meetings/{meeting.id}/attendance", _form(page)).status_code == 302
    reload(session)
    assert _collective(session, world.member_a) == Decimal("1.50")
    assert session.get(Meeting, meeting.id).attendances[0].category is not None


def test_a_committee_page_warns_of_more_votes_than_members_present(session, auth, app):
    world = build_world(session)
    member = make_user(
        session, unit=world.branch_a, roles=((Role.COMMITTEE_MEMBER, world.branch_a),)
    )
    with app.test_request_context():
        meeting = create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(
                kind=MeetingKind.COMMITTEE, study_items=(), vote_subject="发展对象", votes_for=10
            ),
            FIXED_NOW,
        )
        set_attendance(
            session,
            world.secretary_a,
            meeting,
            [(world.secretary_a.id, P, ""), (member.id, P, "")],
            FIXED_NOW,
        )
    session.commit()
    auth.login("seca")
    page = _page(auth, meeting)
    assert 'data-testid="vote-check"' in page and "alert-warning" in page
    check = re.search(r'data-testid="vote-check">\s*([^<]+?)\s*<', page).group(1)
    assert "10" in check and "2" in check


def test_a_themed_day_without_a_vote_shows_no_quorum(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = _recorded(session, world)
    session.commit()
    auth.login("seca")
    assert 'data-testid="quorum"' not in _page(auth, meeting)


def test_updating_a_recorded_meeting_keeps_its_roster(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    newcomer = make_user(session, unit=world.branch_a)
    update_meeting(
        session,
        world.secretary_a,
        meeting,
        meeting_fields(study_items=(("学习党章第一章", 120),)),
        FIXED_NOW,
    )
    assert _collective(session, world.member_a) == Decimal("2.00")
    assert _collective(session, newcomer) == 0
