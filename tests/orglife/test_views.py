"""The organisational-life pages: who may use them, and what a request stores."""

import io
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from learnapp.audit.models import AuditEntry
from learnapp.hours.models import HoursCategory
from learnapp.hours.queries import year_totals
from learnapp.orglife.claims import submit_claim
from learnapp.orglife.meetings import create_meeting
from learnapp.orglife.models import (
    ClaimState,
    Meeting,
    MeetingAttachment,
    MeetingAttendance,
    StudyClaim,
)
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import PDF, make_secretary_b, meeting_fields, post_new_meeting
from tests.world import build_world


def _meeting(session, world, app):
    with app.test_request_context():
        meeting = create_meeting(
            session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
        )
    session.commit()
    return meeting


def _secretary_b(session, world):
    user = make_secretary_b(session, world)
    session.commit()
    return user


def test_a_secretary_records_a_meeting_in_their_branch(session, auth):
    world = build_world(session)
    auth.login("seca")
    assert auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings/new").status_code == 200
    response = post_new_meeting(auth, world)
    assert response.status_code == 302
    reload(session)
    meeting = session.scalars(sa.select(Meeting)).one()
    assert meeting.title == "三月主题党日" and meeting.study_seconds == 7200
    page = auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings").get_data(as_text=True)
    assert "三月主题党日" in page and 'data-testid="compliance-calendar"' in page


def test_a_meeting_in_the_future_is_refused_and_nothing_is_stored(session, auth):
    world = build_world(session)
    auth.login("seca")
    response = post_new_meeting(auth, world, {"held_on": "2026-03-11"})
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True) or "不能" in (
        response.get_data(as_text=True)
    )
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_meeting_pages_refuse_members_and_other_branches(session, auth, app):
    world = build_world(session)
    meeting = _meeting(session, world, app)
    _secretary_b(session, world)
    auth.login("memb")
    assert auth.client.get(f"/orglife/meetings/{meeting.id}").status_code == 403
    assert auth.client.get(f"/orglife/units/{world.branch_b.id}/meetings").status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.client.get(f"/orglife/meetings/{meeting.id}").status_code == 404
    assert auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings").status_code == 404
    assert auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings/new").status_code == 404
    response = auth.post(
        f"/orglife/meetings/{meeting.id}/attendance",
        {"member": str(world.member_a.id), f"status-{world.member_a.id}": "present"},
    )
    assert response.status_code == 404
    auth.logout()
    auth.login("gsec")  # the general branch's secretary: the unit above
    assert auth.client.get(f"/orglife/meetings/{meeting.id}").status_code == 200


def test_attendance_credits_the_present_and_shows_the_quorum(session, auth, app):
    world = build_world(session)
    meeting = _meeting(session, world, app)
    auth.login("seca")
    data = {"member": [str(world.member_a.id), str(world.secretary_a.id)]}
    data[f"status-{world.member_a.id}"] = "present"
    data[f"status-{world.secretary_a.id}"] = "absent"
    data[f"reason-{world.secretary_a.id}"] = "出差"
    response = auth.post(f"/orglife/meetings/{meeting.id}/attendance", data)
    assert response.status_code == 302
    reload(session)
    assert year_totals(session, world.member_a.id, 2026)[HoursCategory.COLLECTIVE] == Decimal(
        "1.50"
    )
    assert year_totals(session, world.secretary_a.id, 2026)[HoursCategory.COLLECTIVE] == 0
    page = auth.client.get(f"/orglife/meetings/{meeting.id}").get_data(as_text=True)
    assert "1 of 3 present" in page or "3 人中 1 人出席" in page or "attendance-count" in page


def test_the_same_attendee_twice_gives_a_clear_error_and_stores_nothing(session, auth, app):
    world = build_world(session)
    meeting = _meeting(session, world, app)
    auth.login("seca")
    member = str(world.member_a.id)
    response = auth.post(
        f"/orglife/meetings/{meeting.id}/attendance",
        {"member": [member, member], f"status-{member}": "present"},
    )
    assert response.status_code == 400
    assert 'data-testid="form-error"' in response.get_data(as_text=True)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0


def test_an_absence_without_reason_is_refused(session, auth, app):
    world = build_world(session)
    meeting = _meeting(session, world, app)
    auth.login("seca")
    member = str(world.member_a.id)
    response = auth.post(
        f"/orglife/meetings/{meeting.id}/attendance",
        {"member": member, f"status-{member}": "absent", f"reason-{member}": ""},
    )
    assert response.status_code == 400
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttendance)) == 0


def test_attachments_are_checked_by_content_and_served_within_scope(session, auth, app):
    world = build_world(session)
    meeting = _meeting(session, world, app)
    _secretary_b(session, world)
    auth.login("seca")
    url = f"/orglife/meetings/{meeting.id}/attachments"
    bad = auth.post(
        url,
        {"file": (io.BytesIO(b"MZ\x90\x00fake"), "记录.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    good = auth.post(
        url, {"file": (io.BytesIO(PDF), "会议记录.pdf")}, content_type="multipart/form-data"
    )
    assert good.status_code == 302
    reload(session)
    attachment = session.scalars(sa.select(MeetingAttachment)).one()
    page = auth.client.get(f"/orglife/meetings/{meeting.id}").get_data(as_text=True)
    assert f'会议记录.pdf</a> <span class="text-secondary">{len(PDF)} 字节</span>' in page
    with auth.client.get(f"/orglife/attachments/{attachment.id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Cache-Control"] == "no-store"  # personal: never cached
        # The real name in filename*, a name saying what the file is in the ASCII fallback.
        assert download.headers["Content-Disposition"] == (
            f'attachment; filename="attachment-{attachment.id}.pdf"; '
            "filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95.pdf"
        )
    auth.logout()
    auth.login("secb")
    assert auth.client.get(f"/orglife/attachments/{attachment.id}").status_code == 404


def test_the_calendar_of_a_unit_above_lists_its_branches(session, auth):
    world = build_world(session)
    auth.login("gsec")
    page = auth.client.get(f"/orglife/units/{world.general.id}/calendar")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert world.branch_a.name in text and world.branch_b.name in text
    branch = auth.client.get(f"/orglife/units/{world.branch_a.id}/calendar")
    assert branch.status_code == 302
    auth.logout()
    auth.login("seca")
    assert auth.client.get(f"/orglife/units/{world.general.id}/calendar").status_code == 404


CLAIM = {
    "category": "external",
    "hours": "3",
    "studied_on": "2026-03-01",
    "description": "参加区委党校专题培训",
}


def _claim_form(**overrides):
    return {**CLAIM, "evidence": (io.BytesIO(PDF), "结业证书.pdf"), **overrides}


def test_a_member_submits_a_claim_with_evidence(session, auth):
    build_world(session)
    auth.login("mema")
    assert auth.client.get("/orglife/claims").status_code == 200
    response = auth.post("/orglife/claims/new", _claim_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    reload(session)
    claim = session.scalars(sa.select(StudyClaim)).one()
    assert claim.state == ClaimState.PENDING and claim.hours == Decimal("3")
    with auth.client.get(f"/orglife/claims/{claim.id}/evidence") as evidence:
        assert evidence.status_code == 200 and evidence.data == PDF
        assert evidence.headers["Cache-Control"] == "no-store"
        assert evidence.headers["Content-Disposition"] == (
            f'attachment; filename="claim-{claim.id}-evidence.pdf"; '
            "filename*=UTF-8''%E7%BB%93%E4%B8%9A%E8%AF%81%E4%B9%A6.pdf"
        )


def test_bad_claims_are_refused_with_a_message_and_store_nothing(session, auth):
    build_world(session)
    auth.login("mema")
    for overrides in (
        {"hours": "-2"},
        {"hours": "100000"},
        {"studied_on": "2026-03-11"},
        {"studied_on": "2025-06-01"},
        {"evidence": (io.BytesIO(b"GIF89a not allowed"), "证书.pdf")},
    ):
        response = auth.post(
            "/orglife/claims/new", _claim_form(**overrides), content_type="multipart/form-data"
        )
        assert response.status_code == 400, overrides
        assert "invalid-feedback" in response.get_data(as_text=True), overrides
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0


def _pending(session, app, member):
    with app.test_request_context():
        claim = submit_claim(
            session,
            member,
            category=HoursCategory.EXTERNAL,
            hours="3",
            studied_on=FIXED_NOW.date(),
            description="学习强国专题",
            filename="a.pdf",
            data=PDF,
            now=FIXED_NOW,
        )
    session.commit()
    return claim


def test_a_secretary_approves_a_claim_and_the_ledger_has_the_hours(session, auth, app):
    world = build_world(session)
    claim = _pending(session, app, world.member_a)
    auth.login("seca")
    review = auth.client.get("/orglife/claims/review").get_data(as_text=True)
    assert f"/orglife/claims/{claim.id}" in review
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 302
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.APPROVED
    assert year_totals(session, world.member_a.id, 2026)[HoursCategory.EXTERNAL] == Decimal("3")
    assert session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.claim_approved")
    )


def test_a_secretary_cannot_approve_their_own_claim(session, auth, app):
    world = build_world(session)
    claim = _pending(session, app, world.secretary_a)
    auth.login("seca")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    assert 'data-testid="approve-claim"' not in page
    auth.post(f"/orglife/claims/{claim.id}/approve")
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.PENDING


def test_claim_decisions_are_refused_to_members_and_other_branches(session, auth, app):
    world = build_world(session)
    claim = _pending(session, app, world.member_a)
    _secretary_b(session, world)
    auth.login("memb")
    assert auth.client.get(f"/orglife/claims/{claim.id}").status_code == 404
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.client.get(f"/orglife/claims/{claim.id}").status_code == 404
    assert auth.post(f"/orglife/claims/{claim.id}/approve").status_code == 404
    assert auth.post(f"/orglife/claims/{claim.id}/reject", {"reason": "x"}).status_code == 404
    reload(session)
    assert session.get(StudyClaim, claim.id).state == ClaimState.PENDING


def test_a_rejection_needs_a_reason(session, auth, app):
    world = build_world(session)
    claim = _pending(session, app, world.member_a)
    auth.login("seca")
    assert auth.post(f"/orglife/claims/{claim.id}/reject", {"reason": ""}).status_code == 400
    response = auth.post(f"/orglife/claims/{claim.id}/reject", {"reason": "证明不清晰"})
    assert response.status_code == 302
    reload(session)
    rejected = session.get(StudyClaim, claim.id)
    assert rejected.state == ClaimState.REJECTED and rejected.decision_reason == "证明不清晰"
    auth.logout()
    auth.login("mema")
    assert "证明不清晰" in auth.client.get("/orglife/claims").get_data(as_text=True)


def test_study_recorded_on_behalf_is_marked_and_credited(session, auth):
    world = build_world(session)
    elderly = make_user(session, unit=world.branch_a, is_elderly_exempt=True, username="old")
    session.commit()
    auth.login("seca")
    url = f"/orglife/units/{world.branch_a.id}/on-behalf"
    assert auth.client.get(url).status_code == 200
    response = auth.post(
        url,
        {
            "member_id": str(elderly.id),
            "category": "collective",
            "hours": "2",
            "studied_on": "2026-03-09",
            "description": "上门送学",
        },
    )
    assert response.status_code == 302
    reload(session)
    claim = session.scalars(sa.select(StudyClaim)).one()
    assert claim.is_on_behalf and claim.state == ClaimState.APPROVED
    assert year_totals(session, elderly.id, 2026)[HoursCategory.COLLECTIVE] == Decimal("2")
    # Someone not elderly or retired is not a choice.
    refused = auth.post(
        url,
        {
            "member_id": str(world.member_a.id),
            "category": "collective",
            "hours": "2",
            "studied_on": "2026-03-09",
            "description": "x",
        },
    )
    assert refused.status_code == 400
    auth.logout()
    auth.login("mema")
    assert auth.client.get(url).status_code == 403


def test_unreadable_hours_and_control_characters_are_refused_not_a_server_error(session, auth):
    build_world(session)
    auth.login("mema")
    for overrides in (
        {"hours": "sNaN"},
        {"hours": "Infinity"},
        {"description": "参加培训\x00"},
    ):
        response = auth.post(
            "/orglife/claims/new", _claim_form(**overrides), content_type="multipart/form-data"
        )
        assert response.status_code == 400, overrides
        assert "invalid-feedback" in response.get_data(as_text=True), overrides
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0


def _post_large(auth, path, fields, evidence: bytes):
    """A multipart post with the body built in memory: the test client would otherwise spool a
    large body to a temporary file that nothing closes."""
    boundary, body = encode_multipart(
        {
            **fields,
            "csrf_token": auth.csrf("/profile"),
            "evidence": FileStorage(io.BytesIO(evidence), "证书.pdf"),
        }
    )
    return auth.client.post(
        path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_oversized_evidence_is_refused_with_a_message(session, auth, app):
    build_world(session)
    auth.login("mema")
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = _post_large(auth, "/orglife/claims/new", CLAIM, big)
    assert response.status_code == 400
    assert "5 MB" in response.get_data(as_text=True)
    # Beyond the platform's upload limit the request itself is refused, with the error page.
    huge = PDF + b"0" * app.config["MAX_CONTENT_LENGTH"]
    assert _post_large(auth, "/orglife/claims/new", CLAIM, huge).status_code == 413
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0


def test_observers_and_the_vote_check_show_on_a_general_meeting(session, auth):
    world = build_world(session)
    auth.login("seca")
    response = post_new_meeting(
        auth,
        world,
        {
            "kind": "general",
            "observers": "党总支联络员",
            "vote_subject": "接收预备党员",
            "votes_for": "3",
            "votes_against": "0",
            "votes_abstain": "0",
        },
    )
    assert response.status_code == 302
    reload(session)
    meeting = session.scalars(sa.select(Meeting)).one()
    assert meeting.observers == "党总支联络员"
    text = auth.client.get(f"/orglife/meetings/{meeting.id}").get_data(as_text=True)
    assert "党总支联络员" in text
    assert 'data-testid="vote-check"' in text  # no attendance yet: no quorum, the vote fails
    assert "alert-warning" in text


def test_a_meeting_before_last_year_is_refused_and_nothing_is_stored(session, auth):
    world = build_world(session)
    auth.login("seca")
    response = post_new_meeting(auth, world, {"held_on": "2019-03-05"})
    assert response.status_code == 400
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_the_unit_above_reaches_its_branches_calendar_and_records_no_meeting_itself(session, auth):
    world = build_world(session)
    auth.login("gsec")
    home = auth.client.get("/orglife/meetings").get_data(as_text=True)
    assert f'data-testid="calendar-{world.general.id}"' in home
    page = auth.client.get(f"/orglife/units/{world.general.id}/meetings").get_data(as_text=True)
    assert 'data-testid="branch-calendars-link"' in page
    assert 'data-testid="new-meeting"' not in page
    branch = auth.client.get(f"/orglife/units/{world.branch_a.id}/meetings").get_data(as_text=True)
    assert 'data-testid="new-meeting"' in branch
    group = auth.client.get(f"/orglife/units/{world.group_a.id}/meetings/new").get_data(
        as_text=True
    )
    assert 'value="group" selected' in group or 'selected value="group"' in group


def test_a_secretary_deletes_a_meeting_recorded_in_error(session, auth, app):
    world = build_world(session)
    meeting_id = _meeting(session, world, app).id
    _secretary_b(session, world)
    auth.login("seca")
    attached = auth.post(
        f"/orglife/meetings/{meeting_id}/attachments",
        {"file": (io.BytesIO(PDF), "会议记录.pdf")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 302
    reload(session)
    stored = session.scalars(sa.select(MeetingAttachment)).one().stored_name
    from learnapp.orglife.files import path_of

    with app.app_context():
        stored_path = path_of(stored)
    assert stored_path.exists()
    url = f"/orglife/meetings/{meeting_id}/delete"
    page = auth.client.get(f"/orglife/meetings/{meeting_id}").get_data(as_text=True)
    assert 'data-testid="delete-meeting"' in page
    # Without a reason: a clear message, nothing deleted.
    missing = auth.post(url, {"reason": " "})
    assert missing.status_code == 400 and 'data-testid="delete-error"' in missing.get_data(
        as_text=True
    )
    reload(session)
    assert session.get(Meeting, meeting_id) is not None
    # A member, another branch's secretary: refused, nothing deleted.
    auth.logout()
    auth.login("mema")
    assert auth.post(url, {"reason": "x"}).status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.post(url, {"reason": "x"}).status_code == 404
    reload(session)
    assert session.get(Meeting, meeting_id) is not None
    auth.logout()
    auth.login("seca")
    done = auth.post(url, {"reason": "重复登记"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/orglife/units/{world.branch_a.id}/meetings")
    reload(session)
    assert session.get(Meeting, meeting_id) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(MeetingAttachment)) == 0
    assert not stored_path.exists()
    assert session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "orglife.meeting_deleted")
    ).one().after == {"reason": "重复登记"}


def test_a_claim_with_hours_in_words_or_an_impossible_date_says_what_is_wrong(session, auth):
    build_world(session)
    auth.login("mema")
    for overrides, message in (
        ({"hours": "三"}, "请以数字填写学时，如 1.5。"),
        ({"hours": ""}, "请以数字填写学时，如 1.5。"),
        ({"studied_on": "2026-02-30"}, "不是有效的日期值。"),
    ):
        response = auth.post(
            "/orglife/claims/new", _claim_form(**overrides), content_type="multipart/form-data"
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 400, overrides
        assert message in text, overrides
        assert "不是有效的小数" not in text and "该字段是必填字段" not in text, overrides
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(StudyClaim)) == 0
