"""A meeting's hours never move into, or out of, a year closed to the secretary: changing its
date, study time or attendance, or deleting it, is refused with nothing changed once the
members' evidence for that year is frozen for their assessment, or the year is older than
meetings can be recorded for. Hours credited after the freeze are not part of the evidence."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from learnapp.assessments.models import Step
from learnapp.assessments.steps import advance
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.hours.queries import year_totals
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.meetings import create_meeting, delete_meeting, update_meeting
from learnapp.orglife.models import Attendance, Meeting
from tests.assessments.helpers import new_period
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.orglife.factories import meeting_fields, refused
from tests.world import build_world

P, A, L = Attendance.PRESENT, Attendance.ABSENT, Attendance.LEAVE


LATER = FIXED_NOW + timedelta(days=1)
DECEMBER = datetime(2025, 12, 20, 2, 0, tzinfo=UTC)


def _freeze(session, world, year: int, now=FIXED_NOW) -> None:
    """Branch A's assessment of `year` reaches the committee at `now`: its dossiers are frozen."""
    period = new_period(session, world, year=year, to=Step.EVALUATION, now=now)
    advance(session, world.secretary_a, period, now, allow_no_ballots=True)
    assert period.step == Step.COMMITTEE


def _collective(session, member, year: int) -> Decimal:
    return year_totals(session, member.id, year)[HoursCategory.COLLECTIVE]


def _recorded(session, world, now=FIXED_NOW, **fields):
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(**fields), now
    )
    set_attendance(
        session,
        world.secretary_a,
        meeting,
        [(world.member_a.id, P, ""), (world.secretary_a.id, P, "")],
        now,
    )
    return meeting


def _entries(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))


def test_moving_a_meeting_into_an_assessed_year_is_refused(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    _freeze(session, world, 2025)
    session.commit()
    with refused("held_on") as error:
        update_meeting(
            session,
            world.secretary_a,
            meeting,
            meeting_fields(held_on=date(2025, 12, 20)),
            FIXED_NOW,
        )
    assert "2025" in str(error.value.message)
    assert world.member_a.display_name in str(error.value.message)
    session.rollback()
    assert _collective(session, world.member_a, 2025) == 0
    assert _collective(session, world.member_a, 2026) == Decimal("1.50")


def test_a_frozen_year_keeps_its_hours_from_meetings(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    _freeze(session, world, 2026)
    session.commit()
    entries = _entries(session)
    changes = [
        (
            "attendance",
            lambda: set_attendance(
                session, world.secretary_a, meeting, [(world.member_a.id, L, "出差")], FIXED_NOW
            ),
        ),
        (
            "attendance",
            lambda: set_attendance(
                session, world.secretary_a, meeting, [(world.member_a.id, None, "")], FIXED_NOW
            ),
        ),
        (
            "study_items",
            lambda: update_meeting(
                session,
                world.secretary_a,
                meeting,
                meeting_fields(study_items=(("学习党章第一章", 30),)),
                FIXED_NOW,
            ),
        ),
        (None, lambda: delete_meeting(session, world.secretary_a, meeting, "重复登记", FIXED_NOW)),
    ]
    for field, change in changes:
        with refused(field):
            change()
        session.rollback()
        assert _entries(session) == entries
        assert _collective(session, world.member_a, 2026) == Decimal("1.50")


def test_the_current_year_goes_on_earning_after_the_assessment(session, ctx):
    world = build_world(session)
    meeting = _recorded(session, world)
    _freeze(session, world, 2026)
    # Moved within the year with the same hours: no total changes.
    update_meeting(
        session, world.secretary_a, meeting, meeting_fields(held_on=date(2026, 3, 6)), FIXED_NOW
    )
    # A meeting held after the assessment credits its attendees as online study would.
    later = _recorded(session, world, title="三月第二次主题党日")
    assert later.attendances and _collective(session, world.member_a, 2026) == Decimal("3.00")
    # Details that move no hours are still corrected.
    update_meeting(
        session,
        world.secretary_a,
        meeting,
        meeting_fields(held_on=date(2026, 3, 6), notes="补记"),
        FIXED_NOW,
    )
    assert meeting.notes == "补记"


def test_last_years_meeting_stays_open_until_its_year_is_assessed(session, ctx):
    world = build_world(session)
    december = _recorded(session, world, held_on=date(2025, 12, 20))
    set_attendance(
        session, world.secretary_a, december, [(world.member_a.id, L, "出差")], FIXED_NOW
    )
    assert _collective(session, world.member_a, 2025) == 0
    _freeze(session, world, 2025)
    with refused("attendance"):
        set_attendance(
            session, world.secretary_a, december, [(world.member_a.id, P, "")], FIXED_NOW
        )


def test_hours_credited_after_the_freeze_can_be_corrected(session, ctx):
    world = build_world(session)
    before = _recorded(session, world)
    _freeze(session, world, 2026)
    after = _recorded(session, world, now=LATER, title="三月第二次主题党日")
    assert _collective(session, world.member_a, 2026) == Decimal("3.00")
    set_attendance(session, world.secretary_a, after, [(world.member_a.id, L, "出差")], LATER)
    assert _collective(session, world.member_a, 2026) == Decimal("1.50")
    set_attendance(session, world.secretary_a, after, [(world.member_a.id, P, "")], LATER)
    delete_meeting(session, world.secretary_a, after, "重复登记", LATER)
    assert _collective(session, world.member_a, 2026) == Decimal("1.50")
    # The meeting the committee saw keeps its hours.
    with refused(None):
        delete_meeting(session, world.secretary_a, before, "重复登记", LATER)


def test_a_change_taking_back_frozen_hours_is_refused_whatever_it_also_reverses(session, ctx):
    world = build_world(session)
    before = _recorded(session, world)
    _freeze(session, world, 2026)
    update_meeting(  # credited again after the freeze, under a new entry
        session,
        world.secretary_a,
        before,
        meeting_fields(study_items=(("学习党章第一章", 120),)),
        LATER,
    )
    with refused("study_items"):  # would take back more than it credits
        update_meeting(
            session,
            world.secretary_a,
            before,
            meeting_fields(study_items=(("学习党章第一章", 30),)),
            LATER,
        )
    assert _collective(session, world.member_a, 2026) == Decimal("2.00")


def test_last_years_meeting_recorded_after_its_freeze_can_be_taken_back(session, ctx):
    world = build_world(session)
    _freeze(session, world, 2025, now=DECEMBER)
    late = _recorded(session, world, now=DECEMBER + timedelta(days=8), held_on=date(2025, 12, 27))
    assert _collective(session, world.member_a, 2025) == Decimal("1.50")
    with refused("study_items"):  # a past year, judged as final, gets nothing added
        update_meeting(
            session,
            world.secretary_a,
            late,
            meeting_fields(held_on=date(2025, 12, 27), study_items=(("学习党章第一章", 180),)),
            FIXED_NOW,
        )
    update_meeting(  # moved within its year with the same hours
        session,
        world.secretary_a,
        late,
        meeting_fields(held_on=date(2025, 12, 28)),
        FIXED_NOW,
    )
    delete_meeting(session, world.secretary_a, late, "重复登记", FIXED_NOW)
    assert _collective(session, world.member_a, 2025) == Decimal("0.00")


def test_a_meeting_older_than_last_year_no_longer_changes_hours(session, ctx):
    world = build_world(session)
    then = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    meeting = create_meeting(
        session,
        world.secretary_a,
        world.branch_a,
        meeting_fields(held_on=date(2024, 12, 20)),
        then,
    )
    set_attendance(session, world.secretary_a, meeting, [(world.member_a.id, P, "")], then)
    with refused("attendance"):
        set_attendance(
            session, world.secretary_a, meeting, [(world.secretary_a.id, P, "")], FIXED_NOW
        )
    with refused(None):
        delete_meeting(session, world.secretary_a, meeting, "重复登记", FIXED_NOW)


def test_the_edit_form_says_why_and_keeps_what_was_entered(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = _recorded(session, world)
        _freeze(session, world, 2025)
    session.commit()
    auth.login("seca")
    response = auth.post(
        f"/orglife/meetings/{meeting.id}/edit",
        {
            "kind": "themed_day",
            "title": "改期的主题党日",
            "held_on": "2025-12-20",
            "place": "",
            "host_id": "0",
            "recorder_id": "0",
            "study_items-0-title": "学习党章第一章",
            "study_items-0-minutes": "90",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="2025-12-20"' in page and 'value="改期的主题党日"' in page
    assert "is-invalid" in page and world.member_a.display_name in page
    reload(session)
    stored = session.get(Meeting, meeting.id)
    assert (stored.held_on, stored.title) == (date(2026, 3, 5), "主题党日：学习党章")
    assert _collective(session, world.member_a, 2025) == 0


def test_the_delete_form_says_why_and_keeps_the_record(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        meeting = _recorded(session, world)
        _freeze(session, world, 2026)
    session.commit()
    auth.login("seca")
    response = auth.post(f"/orglife/meetings/{meeting.id}/delete", {"reason": "重复登记"})
    assert response.status_code == 400
    assert 'data-testid="delete-error"' in response.get_data(as_text=True)
    reload(session)
    assert session.get(Meeting, meeting.id) is not None
    assert _collective(session, world.member_a, 2026) == Decimal("1.50")


def test_a_frozen_earlier_year_stays_closed_while_the_later_year_stays_open(session, ctx):
    """Each change meets the freeze of its own year: last year's assessment closes last year's
    hours only, also those of this year recorded before it."""
    world = build_world(session)
    december = _recorded(session, world, held_on=date(2025, 12, 20))
    march = _recorded(session, world, title="三月第二次主题党日")
    _freeze(session, world, 2025, now=LATER)
    with refused("attendance"):
        set_attendance(
            session, world.secretary_a, december, [(world.member_a.id, L, "出差")], LATER
        )
    set_attendance(session, world.secretary_a, march, [(world.member_a.id, L, "出差")], LATER)
    assert _collective(session, world.member_a, 2025) == Decimal("1.50")
    assert _collective(session, world.member_a, 2026) == Decimal("0.00")


def test_a_later_years_freeze_leaves_the_open_earlier_year_open(session, ctx):
    """This year's assessment closes this year's hours only: last year's meeting, its year not
    yet assessed, is still corrected."""
    world = build_world(session)
    december = _recorded(session, world, held_on=date(2025, 12, 20))
    march = _recorded(session, world, title="三月第二次主题党日")
    _freeze(session, world, 2026, now=LATER)
    with refused("attendance"):
        set_attendance(session, world.secretary_a, march, [(world.member_a.id, L, "出差")], LATER)
    set_attendance(session, world.secretary_a, december, [(world.member_a.id, L, "出差")], LATER)
    assert _collective(session, world.member_a, 2025) == Decimal("0.00")
    assert _collective(session, world.member_a, 2026) == Decimal("1.50")
