"""Who a 支委会 expects, the inbox's overdue and due lines, the kinds a unit is offered, the
calendar's period names, and the forms' own messages."""

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import year_totals
from learnapp.inbox import items_for
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.forms import MeetingForm
from learnapp.orglife.labels import obligation_period
from learnapp.orglife.meetings import create_meeting, meeting_kinds_for
from learnapp.orglife.models import Attendance, MeetingAttendance, MeetingKind
from learnapp.orglife.queries import expected_members, obligation_counts
from learnapp.orgs.models import MemberCategory, Role
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import meeting_fields, refused
from tests.world import build_world

P, A = Attendance.PRESENT, Attendance.ABSENT


def _committee(session, world):
    """branch_a's committee: its secretary and one committee member; two ordinary members."""
    member = make_user(
        session, unit=world.branch_a, roles=((Role.COMMITTEE_MEMBER, world.branch_a),)
    )
    others = [make_user(session, unit=world.branch_a) for _ in range(2)]
    return [world.secretary_a, member], others


def test_a_committee_meeting_expects_the_secretary_and_committee_members_only(session, ctx):
    world = build_world(session)
    committee, others = _committee(session, world)
    expected = {m.id for m in expected_members(session, world.branch_a, MeetingKind.COMMITTEE)}
    assert expected == {m.id for m in committee}
    # The general branch's secretary belongs to branch_a but holds no role in it.
    assert world.general_secretary.id not in expected
    everyone = {m.id for m in expected_members(session, world.branch_a, MeetingKind.GENERAL)}
    assert {m.id for m in others} <= everyone and expected < everyone


def test_marking_an_ordinary_member_at_a_committee_meeting_is_refused(session, ctx):
    world = build_world(session)
    _committee_members, others = _committee(session, world)
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.COMMITTEE, title="三月支委会"),
        FIXED_NOW,
    )
    with refused("attendance"):
        set_attendance(session, world.secretary_a, meeting, [(others[0].id, P, "")], FIXED_NOW)


def test_removing_a_mark_made_in_error_reverses_its_hours(session, ctx):
    world = build_world(session)
    _committee_members, others = _committee(session, world)
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.COMMITTEE, title="三月支委会"),
        FIXED_NOW,
    )
    # A committee meeting recorded with the whole branch before the fix.
    meeting.attendances.append(
        MeetingAttendance(member_id=others[0].id, status=P, category=MemberCategory.FULL)
    )
    session.flush()
    from learnapp.orglife.ledger import sync_credits

    sync_credits(session, world.secretary_a, meeting, FIXED_NOW)
    assert year_totals(session, others[0].id, 2026)[HoursCategory.COLLECTIVE] > 0
    set_attendance(session, world.secretary_a, meeting, [(others[0].id, None, "")], FIXED_NOW)
    assert year_totals(session, others[0].id, 2026)[HoursCategory.COLLECTIVE] == 0
    assert others[0].id not in {row.member_id for row in meeting.attendances}
    # Left unrecorded, a member without a mark gets none.
    set_attendance(
        session, world.secretary_a, meeting, [(world.secretary_a.id, None, "")], FIXED_NOW
    )
    assert meeting.attendances == []
    # Marked again once they join the committee: credited under a fresh key.
    from learnapp.orgs.models import RoleAssignment

    session.add(
        RoleAssignment(
            user_id=others[0].id,
            unit_id=world.branch_a.id,
            role=Role.COMMITTEE_MEMBER,
            granted_at=FIXED_NOW,
        )
    )
    session.flush()
    set_attendance(session, world.secretary_a, meeting, [(others[0].id, P, "")], FIXED_NOW)
    assert year_totals(session, others[0].id, 2026)[HoursCategory.COLLECTIVE] > 0
    keys = session.scalars(
        sa.select(LedgerEntry.source_id).where(LedgerEntry.member_id == others[0].id)
    ).all()
    assert len(keys) == len(set(keys)) == 3  # credit, reversal, new credit


def test_the_committee_meeting_page_lists_the_committee(session, auth, app):
    world = build_world(session)
    committee, others = _committee(session, world)
    with app.test_request_context():
        meeting = create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(kind=MeetingKind.COMMITTEE, title="三月支委会"),
            FIXED_NOW,
        )
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/orglife/meetings/{meeting.id}").get_data(as_text=True)
    assert all(f'data-testid="attendee-{m.id}"' in page for m in committee)
    assert not any(f'data-testid="attendee-{m.id}"' in page for m in others)
    assert 'data-testid="attendee-' in page and page.count('data-testid="attendee-') == 2


def test_overdue_and_due_meetings_are_counted_apart(session, ctx):
    world = build_world(session)
    # 10 March 2026: nothing held. Previous month (Feb) and quarter (Q4 2025) are overdue.
    counts = obligation_counts(session, world.branch_a, date(2026, 3, 10))
    # overdue: 党小组会 (group), 主题党日 in February; 党员大会 and 党课 of Q4.
    assert counts.overdue == 4
    # due: the same four this period, and the year's 组织生活会.
    assert counts.due == 5
    create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.THEMED_DAY, held_on=date(2026, 2, 10)),
        FIXED_NOW,
    )
    assert obligation_counts(session, world.branch_a, date(2026, 3, 10)).overdue == 3


def test_the_inbox_has_an_overdue_line_and_a_due_line(session, app, clock):
    world = build_world(session)
    with app.test_request_context():
        items = {i.kind: i for i in items_for(session, world.secretary_a)}
    overdue = items[f"meetings-overdue-{world.branch_a.id}"]
    due = items[f"meetings-{world.branch_a.id}"]
    assert (overdue.count, overdue.overdue) == (4, True)
    assert (due.count, due.overdue) == (5, False)


def test_the_overdue_line_says_overdue_once(session, auth, clock):
    build_world(session)
    auth.login("seca")
    page = auth.client.get("/inbox").get_data(as_text=True)
    line = page[page.index('data-testid="inbox-meetings-overdue-') :]
    line = line[line.index(">") + 1 :]
    line = " ".join(re.sub(r"<[^>]+>", " ", line[: line.index("</a>")]).split())
    assert line.startswith("逾期未开 甲支部以往周期的会议")
    assert line.count("逾期") == 1


def test_a_unit_is_offered_only_the_meeting_kinds_it_records(session, auth, app):
    world = build_world(session)
    assert meeting_kinds_for(world.group_a) == [MeetingKind.GROUP]
    assert MeetingKind.GROUP not in meeting_kinds_for(world.branch_a)
    assert meeting_kinds_for(world.general) == []
    auth.login("seca")
    branch = auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings/new")
    group = auth.client.get(f"/orglife/units/{world.group_a.id}/meetings/new")
    assert 'value="group"' not in branch.get_data(as_text=True)
    assert 'value="general"' in branch.get_data(as_text=True)
    text = group.get_data(as_text=True)
    assert 'value="group"' in text and 'value="general"' not in text


def test_the_calendar_names_the_month_quarter_and_year(session, app):
    with app.test_request_context(), force_locale("zh_Hans"):
        assert obligation_period("month", date(2026, 11, 1)) == "2026年11月"
        assert obligation_period("year", date(2026, 1, 1)) == "2026年"
    with app.test_request_context(), force_locale("en"):
        assert obligation_period("month", date(2026, 11, 1)) == "November 2026"
        assert obligation_period("quarter", date(2026, 10, 1)) == "Fourth quarter of 2026"


def test_the_meetings_page_shows_periods_not_start_dates(session, auth):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings").get_data(as_text=True)
    assert "2026-03-01" not in page and "2026年3月" in page


def test_form_range_errors_use_the_apps_own_messages(app):
    data = {
        "kind": "themed_day",
        "title": "学习",
        "held_on": "2026-03-05",
        "study_items-0-title": "学习党章",
        "study_items-0-minutes": "900",
        "votes_for": "-1",
        "place": "长" * 201,
    }
    with app.test_request_context(method="POST", data=data), force_locale("en"):
        form = MeetingForm(meta={"csrf": False})
        form.host_id.choices = form.recorder_id.choices = [(0, "—")]
        assert not form.validate()
        messages = [
            *form.study_items[0].form.minutes.errors,
            *form.votes_for.errors,
            *form.place.errors,
        ]
    assert messages == [
        "Each study item needs a title and 1 to 480 minutes.",
        "Not a number of votes.",
        "At most 200 characters.",
    ]
    assert not any("Number must be" in m or "Field must be" in m for m in messages)


def test_absence_at_a_committee_meeting_does_not_count_against_other_members(session, ctx):
    from learnapp.assessments.evidence import _attendance
    from learnapp.assessments.models import AssessmentPeriod

    world = build_world(session)
    committee, others = _committee(session, world)
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(kind=MeetingKind.COMMITTEE, title="三月支委会"),
        FIXED_NOW,
    )
    # An old record: an ordinary member marked absent at the committee meeting.
    meeting.attendances.append(
        MeetingAttendance(
            member_id=others[0].id, status=A, reason="x", category=MemberCategory.FULL
        )
    )
    set_attendance(session, world.secretary_a, meeting, [(committee[0].id, P, "")], FIXED_NOW)
    session.flush()
    period = AssessmentPeriod(unit_id=world.branch_a.id, year=2026)
    period.unit = world.branch_a
    counts = _attendance(session, period)
    assert others[0].id not in counts, dict(counts)
    assert counts[committee[0].id]["expected"] == 1, dict(counts)
