"""Editing a recorded meeting and moving its people: refusals on the study items are shown, a
host or recorder who moved away stays on the record, a type change cannot swap the roster, and a
member's waiting claims go with them to their new unit."""

import sqlalchemy as sa

from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.claim_queries import pending_claims
from learnapp.orglife.claims import approve_claim, reject_claim
from learnapp.orglife.meetings import create_meeting, update_meeting
from learnapp.orglife.models import Attendance, ClaimState, Meeting, MeetingKind, StudyClaim
from learnapp.orgs.services import move_member
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import (
    MEETING_FORM,
    certified_claim,
    make_secretary_b,
    meeting_fields,
    post_new_meeting,
    refused,
)
from tests.world import build_world


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_study_item_without_a_title_is_refused_with_its_message(session, auth):
    world = build_world(session)
    auth.login("seca")
    response = post_new_meeting(
        auth, world, {"study_items-0-title": "", "study_items-0-minutes": "30"}
    )
    assert response.status_code == 400
    assert "每项学习内容须填写标题" in response.get_data(as_text=True)
    reload(session)
    assert _count(session, Meeting) == 0


def test_minutes_that_are_not_a_whole_number_are_refused_in_chinese(session, auth):
    world = build_world(session)
    auth.login("seca")
    response = post_new_meeting(auth, world, {"study_items-0-minutes": "1.5"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "不是有效的整数" in page and "Not a valid integer value" not in page
    reload(session)
    assert _count(session, Meeting) == 0


def _moved_recorder(session, world, app):
    recorder = make_user(session, username="rec", unit=world.branch_a)
    with app.test_request_context():
        meeting = create_meeting(
            session,
            world.secretary_a,
            world.branch_a,
            meeting_fields(host_id=world.secretary_a.id, recorder_id=recorder.id),
            FIXED_NOW,
        )
        move_member(session, world.admin, recorder, world.branch_b, reason="调动", now=FIXED_NOW)
    session.commit()
    return meeting, recorder


def test_a_recorder_who_moved_away_stays_on_the_record_when_it_is_edited(session, ctx, app):
    world = build_world(session)
    meeting, recorder = _moved_recorder(session, world, app)
    update_meeting(
        session,
        world.secretary_a,
        meeting,
        meeting_fields(host_id=world.secretary_a.id, recorder_id=recorder.id, place="三楼"),
        FIXED_NOW,
    )
    assert meeting.recorder_id == recorder.id and meeting.place == "三楼"
    # A person outside the unit who is not on the record is still refused.
    with refused("host_id"):
        update_meeting(
            session,
            world.secretary_a,
            meeting,
            meeting_fields(host_id=world.member_b.id, recorder_id=recorder.id),
            FIXED_NOW,
        )


def test_the_edit_page_keeps_a_recorder_who_moved_away(session, auth, app):
    world = build_world(session)
    meeting, recorder = _moved_recorder(session, world, app)
    auth.login("seca")
    page = auth.client.get(f"/orglife/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{recorder.id}">' in page
    response = auth.post(
        f"/orglife/meetings/{meeting.id}/edit",
        {
            **MEETING_FORM,
            "host_id": str(world.secretary_a.id),
            "recorder_id": str(recorder.id),
            "notes": "补充记录",
        },
    )
    assert response.status_code == 302
    reload(session)
    meeting = session.get(Meeting, meeting.id)
    assert meeting.recorder_id == recorder.id and meeting.notes == "补充记录"


def _attended(session, world, kind=MeetingKind.THEMED_DAY):
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(kind=kind), FIXED_NOW
    )
    set_attendance(
        session,
        world.secretary_a,
        meeting,
        [(world.member_a.id, Attendance.PRESENT, "")],
        FIXED_NOW,
    )
    return meeting


def test_a_recorded_meeting_of_the_branch_cannot_become_a_committee_meeting(session, ctx):
    world = build_world(session)
    meeting = _attended(session, world)
    with refused("kind"):
        update_meeting(
            session,
            world.secretary_a,
            meeting,
            meeting_fields(kind=MeetingKind.COMMITTEE),
            FIXED_NOW,
        )
    assert meeting.kind == MeetingKind.THEMED_DAY


def test_a_recorded_meeting_changes_type_within_the_whole_branch(session, ctx):
    world = build_world(session)
    meeting = _attended(session, world)
    update_meeting(
        session, world.secretary_a, meeting, meeting_fields(kind=MeetingKind.LECTURE), FIXED_NOW
    )
    assert meeting.kind == MeetingKind.LECTURE


def test_a_meeting_without_attendance_may_become_a_committee_meeting(session, ctx):
    world = build_world(session)
    meeting = create_meeting(
        session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
    )
    update_meeting(
        session, world.secretary_a, meeting, meeting_fields(kind=MeetingKind.COMMITTEE), FIXED_NOW
    )
    assert meeting.kind == MeetingKind.COMMITTEE


def _claim_then_move(session, world, app):
    secretary_b = make_secretary_b(session, world)
    with app.test_request_context():
        claim = certified_claim(session, world.member_a, description="区委党校专题培训")
        move_member(
            session, world.admin, world.member_a, world.branch_b, reason="调动", now=FIXED_NOW
        )
    session.commit()
    return claim, secretary_b


def test_a_waiting_claim_goes_with_its_member_to_the_new_branch(session, ctx, app):
    world = build_world(session)
    claim, secretary_b = _claim_then_move(session, world, app)
    assert pending_claims(session, world.secretary_a) == []
    assert pending_claims(session, secretary_b) == [claim]
    with refused(None):
        approve_claim(session, world.secretary_a, claim, FIXED_NOW)
    with refused(None):
        reject_claim(session, world.secretary_a, claim, "材料不全", FIXED_NOW)
    approve_claim(session, secretary_b, claim, FIXED_NOW)
    assert claim.state == ClaimState.APPROVED
    # Decided, it stays with the branch that decided: its reversal is theirs.
    assert claim.unit_id == world.branch_b.id and claim.deciding_unit == world.branch_b


def test_the_branch_a_member_left_no_longer_opens_their_waiting_claim(session, auth, app):
    world = build_world(session)
    claim, _secretary_b = _claim_then_move(session, world, app)
    auth.login("seca")
    assert auth.client.get(f"/orglife/claims/{claim.id}").status_code == 404
    assert auth.client.get(f"/orglife/claims/{claim.id}/evidence").status_code == 404
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 404
    assert "区委党校" not in auth.client.get("/orglife/claims/review").get_data(as_text=True)
    auth.logout()
    auth.login("secb")
    page = auth.client.get("/orglife/claims/review").get_data(as_text=True)
    assert "区委党校" in page and "乙支部" in page
    assert auth.client.get(f"/orglife/claims/{claim.id}").status_code == 200
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 302
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.APPROVED
