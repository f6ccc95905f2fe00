from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from learnapp.hours.models import EntryStatus, HoursCategory, LedgerEntry
from learnapp.hours.queries import year_totals
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.ledger import session_hours
from learnapp.orglife.meetings import create_meeting, update_meeting
from learnapp.orglife.models import Attendance, MeetingKind
from learnapp.orglife.queries import Quorum, calendar, quorum
from learnapp.orgs.models import MemberCategory
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import meeting_fields, refused
from tests.world import build_world

P, A, L = Attendance.PRESENT, Attendance.ABSENT, Attendance.LEAVE


def test_general_meeting_quorum_counts_only_full_members(session, ctx):
    world = build_world(session)
    # branch_a: secretary_a, general_secretary, member_a (probationary) + 2 more full members.
    extra = [make_user(session, unit=world.branch_a) for _ in range(2)]
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.GENERAL, study_items=()),
        FIXED_NOW,
    )
    # 4 full members vote; 2 present is not more than half, even with the probationary one.
    set_attendance(
        session,
        world.secretary_a,
        meeting,
        [
            (world.secretary_a.id, P, ""),
            (extra[0].id, P, ""),
            (world.member_a.id, P, ""),
            (extra[1].id, L, ""),
            (world.general_secretary.id, A, "出差"),
        ],
        FIXED_NOW,
    )
    result = quorum(session, meeting)
    assert (result.voting_members, result.present_voting, result.reached) == (4, 2, False)
    set_attendance(session, world.secretary_a, meeting, [(extra[1].id, P, "")], FIXED_NOW)
    assert quorum(session, meeting).reached


def test_the_same_attendee_twice_is_refused(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(study_items=()), FIXED_NOW
    )
    with refused("attendance"):
        set_attendance(
            session,
            world.secretary_a,
            meeting,
            [(world.member_a.id, P, ""), (world.member_a.id, L, "")],
            FIXED_NOW,
        )


def test_absence_needs_a_reason_and_outsiders_cannot_be_marked(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(study_items=()), FIXED_NOW
    )
    with refused("attendance"):
        set_attendance(
            session, world.secretary_a, meeting, [(world.member_a.id, A, " ")], FIXED_NOW
        )
    with refused("attendance"):
        set_attendance(session, world.secretary_a, meeting, [(world.member_b.id, P, "")], FIXED_NOW)


def test_meetings_are_refused_outside_scope_in_the_future_and_in_the_wrong_unit(session, ctx):
    world = build_world(session)
    with refused(None):
        create_meeting(session, world.secretary_a, world.branch_b, meeting_fields(), FIXED_NOW)
    with refused("held_on"):
        create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(held_on=date(2026, 3, 11)),
            FIXED_NOW,
        )
    with refused("kind"):
        create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(kind=MeetingKind.GROUP),
            FIXED_NOW,
        )
    with refused("study_items"):
        create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(study_items=(("x", 0),)),
            FIXED_NOW,
        )


def test_meetings_of_this_year_and_last_year_only(session, ctx):
    world = build_world(session)
    with refused("held_on"):
        create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(held_on=date(2024, 12, 31)),
            FIXED_NOW,
        )
    december = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(held_on=date(2025, 1, 1)),
        FIXED_NOW,
    )
    set_attendance(session, world.secretary_a, december, [(world.member_a.id, P, "")], FIXED_NOW)
    assert year_totals(session, world.member_a.id, 2025)[HoursCategory.COLLECTIVE] == Decimal(
        "1.50"
    )


def test_control_characters_are_refused_in_every_text(session, ctx):
    world = build_world(session)
    for name in ("title", "place", "observers", "agenda", "notes", "resolutions", "vote_subject"):
        with refused(name):
            create_meeting(
                session,
                world.secretary_a,
                world.branch_a,
                meeting_fields(**{name: "学习\x00党章"}),
                FIXED_NOW,
            )
    with refused("study_items"):
        create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(study_items=(("党章\x07", 30),)),
            FIXED_NOW,
        )
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(notes="第一项\n第二项\t完成"),  # line breaks and tabs are text
        FIXED_NOW,
    )
    with refused("attendance"):
        set_attendance(
            session, world.secretary_a, meeting, [(world.member_a.id, A, "出差\x00")], FIXED_NOW
        )
    assert meeting.attendances == []


def test_observers_are_recorded_with_the_meeting(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(observers=" 党总支联络员 张三 "),
        FIXED_NOW,
    )
    assert meeting.observers == "党总支联络员 张三"
    update_meeting(session, world.secretary_a, meeting, meeting_fields(), FIXED_NOW)
    assert meeting.observers == ""


def test_a_vote_stands_only_with_a_quorum_and_no_more_votes_than_voters_present():
    assert Quorum(voting_members=5, present_voting=2).vote_issue(2) == "no_quorum"
    assert Quorum(voting_members=5, present_voting=3).vote_issue(4) == "too_many"
    assert Quorum(voting_members=5, present_voting=3).vote_issue(3) is None
    assert Quorum(voting_members=0, present_voting=0).vote_issue(0) == "no_quorum"


def _collective(session, member):
    return year_totals(session, member.id, 2026)[HoursCategory.COLLECTIVE]


def test_attendance_credits_collective_hours_once_and_reverses_on_change(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
    )
    marks = [(world.member_a.id, P, ""), (world.secretary_a.id, L, "")]
    assert set_attendance(session, world.secretary_a, meeting, marks, FIXED_NOW) == 1
    assert _collective(session, world.member_a) == Decimal("1.50")
    # Saving the same attendance again adds nothing.
    assert set_attendance(session, world.secretary_a, meeting, marks, FIXED_NOW) == 0
    assert _collective(session, world.member_a) == Decimal("1.50")
    # Now absent: the credit is reversed by a second entry, the first one is untouched.
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, A, "生病")], FIXED_NOW)
    assert _collective(session, world.member_a) == Decimal("0.00")
    entries = session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.member_id == world.member_a.id)
        .order_by(LedgerEntry.id)
    ).all()
    assert [(e.status, e.hours) for e in entries] == [
        (EntryStatus.CREDITED, Decimal("1.50")),
        (EntryStatus.REVERSAL, Decimal("-1.50")),
    ]
    # Present again: credited anew under a new source id.
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, P, "")], FIXED_NOW)
    assert _collective(session, world.member_a) == Decimal("1.50")
    assert _collective(session, world.secretary_a) == Decimal("0.00")


def test_calendar_shows_due_and_overdue_meetings(session, ctx):
    world = build_world(session)
    create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(held_on=date(2026, 2, 10), study_items=()),
        FIXED_NOW,
    )
    items = calendar(session, world.branch_a, date(2026, 3, 10))
    states = {(i.kind, i.period, i.is_current): i.state for i in items if i.unit == world.branch_a}
    assert states[(MeetingKind.THEMED_DAY, "month", False)] == "done"  # February
    assert states[(MeetingKind.THEMED_DAY, "month", True)] == "due"  # March
    assert states[(MeetingKind.GENERAL, "quarter", False)] == "overdue"  # last quarter of 2025
    group_items = [i for i in items if i.kind == MeetingKind.GROUP]
    assert group_items and all(i.unit == world.group_a for i in group_items)
    # A branch with fewer than 7 full members has no committee meeting to hold.
    assert not any(i.kind == MeetingKind.COMMITTEE for i in items)
    assert world.member_a.category == MemberCategory.PROBATIONARY


def test_session_hours_follow_the_rate_capped_by_half_and_full_day():
    rates = {"per_hour": Decimal("1"), "half_day": Decimal("4"), "full_day": Decimal("8")}
    assert session_hours(90 * 60, rates) == Decimal("1.50")
    assert session_hours(4 * 3600, rates) == Decimal("4.00")
    assert session_hours(10 * 3600, rates) == Decimal("8.00")  # one day earns a full day at most
    generous = {**rates, "per_hour": Decimal("1.5")}
    assert session_hours(3 * 3600, generous) == Decimal("4.00")  # half a day at most
    assert session_hours(5 * 3600, generous) == Decimal("7.50")
    assert session_hours(0, rates) == Decimal("0.00")


def test_a_meeting_recorded_in_error_is_deleted_with_its_hours_reversed(session, ctx):
    from learnapp.audit.models import AuditEntry
    from learnapp.orglife.meetings import delete_meeting
    from learnapp.orglife.models import Meeting, MeetingAttendance

    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
    )
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, P, "")], FIXED_NOW)
    assert _collective(session, world.member_a) == Decimal("1.50")
    with refused("reason"):
        delete_meeting(session, world.secretary_a, meeting, "  ", FIXED_NOW)
    with refused(None):  # a member of the branch, not its manager
        delete_meeting(session, world.member_a, meeting, "录错了", FIXED_NOW)
    meeting_id = meeting.id
    assert delete_meeting(session, world.secretary_a, meeting, "重复登记", FIXED_NOW) == []
    assert session.get(Meeting, meeting_id) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0
    assert _collective(session, world.member_a) == Decimal("0.00")
    entries = session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.member_id == world.member_a.id)
    ).all()
    assert sorted(e.status for e in entries) == [EntryStatus.CREDITED, EntryStatus.REVERSAL]
    audit = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.meeting_deleted")
    ).one()
    assert audit.before["title"] == meeting_fields().title and audit.before["present"] == 1
    assert audit.after == {"reason": "重复登记"}
