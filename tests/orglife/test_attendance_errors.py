"""A refused attendance names every member lacking a reason and comes back as it was filled in."""

import re

import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.hours.models import LedgerEntry
from learnapp.orglife.attendance import absent_without_reason, set_attendance
from learnapp.orglife.meetings import create_meeting
from learnapp.orglife.models import Attendance, MeetingAttendance
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import make_secretary_b, meeting_fields, refused
from tests.world import build_world

P, A, L = Attendance.PRESENT, Attendance.ABSENT, Attendance.LEAVE


def _branch(session, app):
    world = build_world(session)
    people = {
        name: make_user(session, username=login, display_name=name, unit=world.branch_a)
        for login, name in (("luo", "罗霞"), ("li", "李晓燕"), ("jiang", "姜建"), ("wu", "吴刚"))
    }
    with app.test_request_context():
        meeting = create_meeting(
            session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
        )
    session.commit()
    return world, people, meeting


def test_absences_without_reason_are_found_in_order():
    marks = [(1, A, " "), (2, L, ""), (3, A, "生病"), (4, P, ""), (5, A, "")]
    assert absent_without_reason(marks) == [1, 5]


def test_every_member_without_a_reason_is_named_and_nothing_is_stored(session, app):
    world, people, meeting = _branch(session, app)
    luo, jiang, wu = people["罗霞"], people["姜建"], people["吴刚"]
    marks = [(luo.id, A, ""), (jiang.id, A, "生病"), (wu.id, A, "  ")]
    with app.test_request_context(), force_locale("en"), refused("attendance") as error:
        set_attendance(session, world.secretary_a, meeting, marks, FIXED_NOW)
    message = str(error.value.message)
    assert "罗霞" in message and "吴刚" in message and "姜建" not in message
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def _post(auth, meeting, people, world, **statuses):
    """Everyone expected is posted, present unless `statuses` says otherwise."""
    members = [world.secretary_a, world.general_secretary, world.member_a, *people.values()]
    data = {"member": [str(m.id) for m in members]}
    for member in members:
        status, reason = statuses.get(member.username, ("present", ""))
        data[f"status-{member.id}"] = status
        data[f"reason-{member.id}"] = reason
    return auth.post(f"/orglife/meetings/{meeting.id}/attendance", data)


def _checked(page: str, member_id: int) -> str:
    found = re.search(rf'name="status-{member_id}" id="[^"]+" value="(\w+)" checked', page)
    return found.group(1) if found else ""


def _reason(page: str, member_id: int) -> str:
    return re.search(rf'name="reason-{member_id}" value="([^"]*)"', page).group(1)


def test_a_refused_attendance_keeps_every_choice_and_marks_the_rows_lacking_a_reason(
    session, auth, app
):
    world, people, meeting = _branch(session, app)
    luo, li, jiang = people["罗霞"], people["李晓燕"], people["姜建"]
    auth.login("seca")
    response = _post(
        auth,
        meeting,
        people,
        world,
        luo=("absent", ""),
        li=("leave", "出差"),
        jiang=("absent", "生病"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="form-error"' in page
    error = re.search(r'data-testid="form-error">([^<]+)<', page).group(1)
    assert "罗霞" in error and "姜建" not in error and "李晓燕" not in error
    assert (_checked(page, luo.id), _reason(page, luo.id)) == ("absent", "")
    assert (_checked(page, li.id), _reason(page, li.id)) == ("leave", "出差")
    assert (_checked(page, jiang.id), _reason(page, jiang.id)) == ("absent", "生病")
    assert _checked(page, people["吴刚"].id) == "present"
    assert f'data-testid="reason-missing-{luo.id}"' in page
    assert f'data-testid="reason-missing-{jiang.id}"' not in page
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0
    # Corrected, the same form saves.
    response = _post(
        auth,
        meeting,
        people,
        world,
        luo=("absent", "外出"),
        li=("leave", "出差"),
        jiang=("absent", "生病"),
    )
    assert response.status_code == 302
    reload(session)
    stored = {
        row.member_id: (row.status, row.reason)
        for row in session.scalars(sa.select(MeetingAttendance))
    }
    assert stored[luo.id] == (A, "外出") and stored[li.id] == (L, "出差")


def test_an_unknown_status_keeps_the_other_choices(session, auth, app):
    world, people, meeting = _branch(session, app)
    auth.login("seca")
    response = _post(auth, meeting, people, world, li=("leave", "出差"), jiang=("maybe", ""))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (_checked(page, people["李晓燕"].id), _reason(page, people["李晓燕"].id)) == (
        "leave",
        "出差",
    )


def test_attendance_is_refused_to_members_and_other_branches(session, auth, app):
    world, people, meeting = _branch(session, app)
    make_secretary_b(session, world)
    session.commit()
    auth.login("luo")
    assert _post(auth, meeting, people, world, luo=("absent", "")).status_code == 403
    auth.logout()
    auth.login("secb")
    assert _post(auth, meeting, people, world, luo=("absent", "")).status_code == 404
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0
