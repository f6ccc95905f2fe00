"""Every assessment route for the roles it allows and the roles it refuses, one validation
error each, and the journeys' key pages."""

import io
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.assessments import grading
from learnapp.assessments.evidence import period_members as period_members_of
from learnapp.assessments.models import (
    Approval,
    AssessmentGrade,
    AssessmentPeriod,
    AssessmentRuleSet,
    Ballot,
    Dossier,
    Grade,
    PointItem,
    PointState,
    SelfAppraisal,
    Step,
    VoterRoll,
)
from learnapp.orgs.models import Role
from tests.assessments.helpers import assessment_world, new_period, propose_all
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user


@pytest.fixture
def world(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        world.extras = extras
        world.secretary_b = make_user(
            session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
        )
        session.commit()
    return world


def _period(app, session, world, to: Step, **kwargs) -> int:
    with app.test_request_context():
        period = new_period(session, world, to=to, **kwargs)
        session.commit()
        return period.id


def _step(session, period_id):
    reload(session)
    return session.get(AssessmentPeriod, period_id).step


def test_index_lists_own_and_managed_periods(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("mema")
    page = auth.client.get("/assessments").get_data(as_text=True)
    assert f"/assessments/periods/{period_id}/me" in page
    assert "managed-periods" not in page
    auth.logout()
    auth.login("seca")
    page = auth.client.get("/assessments").get_data(as_text=True)
    assert f'/assessments/periods/{period_id}"' in page


def test_creating_a_period(app, session, world, auth):
    auth.login("seca")
    form = {
        "year": "2026",
        "self_opens_on": "2026-03-11",
        "peer_opens_on": "2026-03-20",
        "ballot_opens_on": "2026-04-01",
        "ballot_closes_on": "2026-04-10",
    }
    assert auth.client.get(f"/assessments/units/{world.branch_a.id}/periods/new").status_code == 200
    bad = auth.post(
        f"/assessments/units/{world.branch_a.id}/periods/new",
        {**form, "peer_opens_on": "2026-03-01"},
    )
    assert bad.status_code == 400
    assert auth.post(f"/assessments/units/{world.branch_b.id}/periods/new", form).status_code == 404
    response = auth.post(f"/assessments/units/{world.branch_a.id}/periods/new", form)
    assert response.status_code == 302
    reload(session)
    period = session.scalar(sa.select(AssessmentPeriod))
    assert period.step == Step.DRAFT and period.unit_id == world.branch_a.id
    auth.logout()
    auth.login("mema")
    assert auth.post(f"/assessments/units/{world.branch_a.id}/periods/new", form).status_code == 403


@pytest.mark.parametrize(
    ("username", "status"),
    [("seca", 200), ("gsec", 200), ("admin", 200), ("secb", 404), ("mema", 403)],
)
def test_manager_pages_by_role(app, session, world, auth, username, status):
    period_id = _period(app, session, world, Step.DRAFT)
    auth.login(username)
    for path in ("", "/preview", "/grades"):
        assert auth.client.get(f"/assessments/periods/{period_id}{path}").status_code == status


def test_preview_shows_the_branch_and_the_rule_version_can_change_before_opening(
    app, session, world, auth
):
    period_id = _period(app, session, world, Step.DRAFT)
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}/preview").get_data(as_text=True)
    assert page.count('data-testid="preview-row"') == 8
    rule_set_id = session.scalar(sa.select(AssessmentRuleSet.id))
    assert (
        auth.post(f"/assessments/periods/{period_id}/preview", {"rule_set_id": "999"}).status_code
        == 400
    )
    response = auth.post(f"/assessments/periods/{period_id}/preview", {"rule_set_id": rule_set_id})
    assert response.status_code == 302


def test_advance_by_the_secretary_only(app, session, world, auth):
    period_id = _period(app, session, world, Step.DRAFT)
    auth.login("ext0")
    assert auth.post(f"/assessments/periods/{period_id}/advance").status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.post(f"/assessments/periods/{period_id}/advance").status_code == 404
    auth.logout()
    auth.login("seca")
    # Without the confirmation of the participation nothing moves.
    assert auth.post(f"/assessments/periods/{period_id}/advance").status_code == 302
    assert _step(session, period_id) == Step.DRAFT
    response = auth.post(f"/assessments/periods/{period_id}/advance", {"confirm": "y"})
    assert response.status_code == 302
    assert _step(session, period_id) == Step.SELF_APPRAISAL


def test_member_pages_only_for_members_of_the_branch(app, session, world, auth):
    draft_id = _period(app, session, world, Step.DRAFT)
    auth.login("mema")
    assert auth.client.get(f"/assessments/periods/{draft_id}/me").status_code == 404
    reload(session)
    with app.test_request_context():
        from learnapp.assessments.steps import advance

        advance(
            session,
            world.secretary_a,
            session.get(AssessmentPeriod, draft_id),
            FIXED_NOW,
            allow_no_ballots=True,
        )
        session.commit()
    assert auth.client.get(f"/assessments/periods/{draft_id}/me").status_code == 200
    assert auth.client.get(f"/assessments/periods/{draft_id}/self").status_code == 200
    assert auth.client.get(f"/assessments/periods/{draft_id}/peers").status_code == 200
    auth.logout()
    auth.login("memb")
    for path in ("me", "self", "peers", "ballot"):
        assert auth.client.get(f"/assessments/periods/{draft_id}/{path}").status_code == 404


def test_writing_the_self_appraisal(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("mema")
    assert auth.post(f"/assessments/periods/{period_id}/self", {"text": " "}).status_code == 400
    response = auth.post(f"/assessments/periods/{period_id}/self", {"text": "<b>认真学习</b>"})
    assert response.status_code == 302
    reload(session)
    assert session.scalar(sa.select(SelfAppraisal.text)) == "<b>认真学习</b>"
    auth.logout()
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}/dossiers/{world.member_a.id}")
    assert "&lt;b&gt;认真学习&lt;/b&gt;" in page.get_data(as_text=True)


def test_peer_comment(app, session, world, auth):
    period_id = _period(app, session, world, Step.PEER_REVIEW)
    auth.login("ext0")
    other = world.extras[1].id
    bad = auth.post(f"/assessments/periods/{period_id}/peers", {"subject_id": other, "comment": ""})
    assert bad.status_code == 400
    before = _peers_badge(auth, period_id)
    response = auth.post(
        f"/assessments/periods/{period_id}/peers", {"subject_id": other, "comment": "认真负责"}
    )
    assert response.status_code == 302
    # The member's page counts whom they have appraised, out of those they may.
    after = _peers_badge(auth, period_id)
    written, total = (int(n) for n in re.findall(r"\d+", after))
    assert written == 1 and total > 1
    assert re.findall(r"\d+", before) == ["0", str(total)]


def _peers_badge(auth, period_id) -> str:
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    return re.search(r'data-testid="peers-done">([^<]*)<', page).group(1)


def _all_ratings(session, period_id, grade="qualified"):
    reload(session)
    ids = session.get(AssessmentPeriod, period_id).ballot_member_ids
    return {f"rating_{member_id}": grade for member_id in ids}


def test_casting_a_ballot_once(app, session, world, auth):
    period_id = _period(app, session, world, Step.EVALUATION)
    auth.login("mema")  # probationary: no vote
    assert auth.client.get(f"/assessments/periods/{period_id}/ballot").status_code == 404
    auth.logout()
    auth.login("ext0")
    ratings = _all_ratings(session, period_id)
    assert auth.client.get(f"/assessments/periods/{period_id}/ballot").status_code == 200
    partial = dict(list(ratings.items())[1:])
    assert auth.post(f"/assessments/periods/{period_id}/ballot", partial).status_code == 400
    assert auth.post(f"/assessments/periods/{period_id}/ballot", ratings).status_code == 302
    again = auth.post(f"/assessments/periods/{period_id}/ballot", ratings)
    assert again.status_code == 400
    reload(session)
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.ratings.is_not(None))
        )
        == 1
    )
    assert session.get(VoterRoll, (period_id, world.extras[0].id)).has_voted


def test_a_member_sees_only_their_own_dossier(app, session, world, auth):
    period_id = _period(app, session, world, Step.COMMITTEE)
    auth.login("ext0")
    own = auth.client.get(f"/assessments/periods/{period_id}/dossiers/{world.extras[0].id}")
    assert own.status_code == 200
    page = own.get_data(as_text=True)
    assert 'data-testid="evidence-label"' in page and 'data-testid="reference-score"' in page
    for other in (world.extras[1], world.member_a, world.member_b):
        url = f"/assessments/periods/{period_id}/dossiers/{other.id}"
        assert auth.client.get(url).status_code == 404
    auth.logout()
    for username, status in (("seca", 200), ("gsec", 200), ("admin", 200), ("secb", 404)):
        auth.login(username)
        url = f"/assessments/periods/{period_id}/dossiers/{world.extras[1].id}"
        assert auth.client.get(url).status_code == status, username
        auth.logout()


def test_points_claimed_by_a_member_and_decided_by_the_secretary(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    auth.login("ext0")
    data = {
        "member_id": world.extras[0].id,
        "kind": "bonus",
        "points": "3",
        "reason": "志愿服务",
        "evidence": "",
    }
    assert auth.post(f"/assessments/periods/{period_id}/points", data).status_code == 400
    data["evidence"] = "证书"
    assert auth.post(f"/assessments/periods/{period_id}/points", data).status_code == 302
    data["kind"] = "deduction"
    assert auth.post(f"/assessments/periods/{period_id}/points", data).status_code == 400
    reload(session)
    item_id = session.scalar(sa.select(PointItem.id))
    assert (
        auth.post(f"/assessments/points/{item_id}/decide", {"decision": "approve"}).status_code
        == 403
    )
    auth.logout()
    auth.login("secb")
    assert (
        auth.post(f"/assessments/points/{item_id}/decide", {"decision": "approve"}).status_code
        == 404
    )
    auth.logout()
    auth.login("seca")
    response = auth.post(f"/assessments/points/{item_id}/decide", {"decision": "approve"})
    assert response.status_code == 302
    reload(session)
    assert session.get(PointItem, item_id).state == PointState.APPROVED
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/assessments/periods/{period_id}/points").status_code == 404


def _sheet(session, period_id, excellent_id=None, *, by):
    """The grade sheet as `by` sends it: every row but their own."""
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    data = {}
    for member_id in period.ballot_member_ids:
        if member_id == by.id:
            continue
        data[f"grade_{member_id}"] = "excellent" if member_id == excellent_id else "qualified"
        data[f"reason_{member_id}"] = "表现良好"
    return data


def _secretarys_own_row(auth, world, period_id, grade="qualified"):
    """Branch A's committee is its secretary alone: the unit above sets the secretary's row."""
    auth.logout()
    auth.login("gsec")
    own = world.secretary_a.id
    response = auth.post(
        f"/assessments/periods/{period_id}/grades",
        {f"grade_{own}": grade, f"reason_{own}": "履职尽责"},
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("seca")


def test_a_member_of_the_unit_above_never_decides_their_own_grade(app, session, world, auth):
    """The general branch's secretary is also a member of branch A: the unit above decides
    the grade of everyone else, and theirs is left to another of its members."""
    period_id = _period(app, session, world, Step.COMMITTEE)
    own = world.general_secretary.id
    auth.login("seca")
    sheet = _sheet(session, period_id, own, by=world.secretary_a)
    auth.post(f"/assessments/periods/{period_id}/grades", sheet)
    _secretarys_own_row(auth, world, period_id)
    auth.post(f"/assessments/periods/{period_id}/submit", {})
    assert _step(session, period_id) == Step.APPROVAL
    grade_id = session.scalar(sa.select(AssessmentGrade.id).where(AssessmentGrade.member_id == own))
    auth.logout()
    auth.login("gsec")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert f'data-testid="decide-{own}"' not in page
    for decision in ("approve", "return"):
        response = auth.post(
            f"/assessments/grades/{grade_id}/decide", {"decision": decision, "note": "不服"}
        )
        assert response.status_code == 302
        assert "本人的评定结果由上级党组织的其他成员决定" in auth.client.get(
            response.headers["Location"]
        ).get_data(as_text=True)
    reload(session)
    assert session.get(AssessmentGrade, grade_id).approval == Approval.PENDING
    assert _step(session, period_id) == Step.APPROVAL
    auth.logout()
    auth.login("admin")
    auth.post(f"/assessments/grades/{grade_id}/decide", {"decision": "approve"})
    assert _step(session, period_id) == Step.FEEDBACK


def test_the_committee_journey_from_proposal_to_lock_and_reopen(app, session, world, auth):
    period_id = _period(app, session, world, Step.COMMITTEE)
    star = world.extras[0].id
    auth.login("seca")
    sheet = _sheet(session, period_id, excellent_id=star, by=world.secretary_a)
    bad = dict(sheet, **{f"reason_{star}": ""})
    assert auth.post(f"/assessments/periods/{period_id}/grades", bad).status_code == 400
    assert auth.post(f"/assessments/periods/{period_id}/grades", sheet).status_code == 302
    _secretarys_own_row(auth, world, period_id)
    assert auth.post(f"/assessments/periods/{period_id}/submit", {}).status_code == 302
    assert _step(session, period_id) == Step.APPROVAL
    grade_id = session.scalar(
        sa.select(AssessmentGrade.id).where(AssessmentGrade.member_id == star)
    )
    # the branch's own secretary is not the unit above: nothing changes
    auth.post(f"/assessments/grades/{grade_id}/decide", {"decision": "approve"})
    assert _step(session, period_id) == Step.APPROVAL
    auth.logout()
    auth.login("ext1")
    assert (
        auth.post(f"/assessments/grades/{grade_id}/decide", {"decision": "approve"}).status_code
        == 403
    )
    auth.logout()
    auth.login("gsec")
    assert (
        auth.post(f"/assessments/grades/{grade_id}/decide", {"decision": "approve"}).status_code
        == 302
    )
    assert _step(session, period_id) == Step.FEEDBACK
    auth.logout()
    auth.login("seca")
    response = auth.post(
        f"/assessments/grades/{grade_id}/feedback", {"feedback": "继续发挥带头作用"}
    )
    assert response.status_code == 302
    assert auth.post(f"/assessments/periods/{period_id}/lock").status_code == 302
    assert _step(session, period_id) == Step.LOCKED
    # after lock the sheet is refused and the grade stays
    sheet[f"grade_{star}"] = "basic"
    assert auth.post(f"/assessments/periods/{period_id}/grades", sheet).status_code == 400
    assert session.get(AssessmentGrade, grade_id).grade == Grade.EXCELLENT
    auth.post(f"/assessments/periods/{period_id}/reopen", {"reason": "改"})
    assert _step(session, period_id) == Step.LOCKED
    auth.logout()
    auth.login("ext0")
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    assert 'data-testid="my-grade"' in page and "继续发挥带头作用" in page
    auth.logout()
    auth.login("gsec")
    assert (
        auth.post(f"/assessments/periods/{period_id}/reopen", {"reason": "材料更正"}).status_code
        == 302
    )
    assert _step(session, period_id) == Step.COMMITTEE


def test_a_member_sees_no_grade_before_the_period_is_closed(app, session, world, auth):
    period_id = _period(app, session, world, Step.COMMITTEE)
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        grading.propose_grades(
            session,
            world.secretary_a,
            period,
            {world.extras[0].id: (Grade.BASIC, "待改进")},
            FIXED_NOW,
        )
        session.commit()
    auth.login("ext0")
    page = auth.client.get(f"/assessments/periods/{period_id}/me").get_data(as_text=True)
    assert "待改进" not in page
    dossier = auth.client.get(f"/assessments/periods/{period_id}/dossiers/{world.extras[0].id}")
    assert "待改进" not in dossier.get_data(as_text=True)


def test_results_workbook_is_formula_safe_and_logged(app, session, world, auth):
    world.extras[0].display_name = '=HYPERLINK("http://evil.example","x")'
    session.commit()
    period_id = _period(app, session, world, Step.COMMITTEE)
    auth.login("mema")
    assert auth.client.get(f"/assessments/periods/{period_id}/results.xlsx").status_code == 403
    auth.logout()
    auth.login("seca")
    response = auth.client.get(f"/assessments/periods/{period_id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    evil = [cell for cell in cells if "HYPERLINK" in cell.value]
    assert evil and all(c.value.startswith("'=") and c.data_type == "s" for c in evil)
    from learnapp.audit.models import AuditEntry

    reload(session)
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "assessment.export"))


def test_the_results_workbook_has_a_readable_ascii_name_beside_the_chinese_one(
    app, session, world, auth
):
    period_id = _period(app, session, world, Step.COMMITTEE, year=2025)
    auth.login("seca")
    response = auth.client.get(f"/assessments/periods/{period_id}/results.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert 'filename="assessment-results-2025.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('评议结果表-甲支部-2025.xlsx')}" in disposition


def test_rules_admin(app, session, world, auth):
    auth.login("seca")
    assert auth.client.get("/assessments/rules").status_code == 403
    assert auth.client.get("/assessments/rules/new").status_code == 403
    auth.logout()
    auth.login("admin")
    assert auth.client.get("/assessments/rules").status_code == 200
    form = {
        "version": "2027-1",
        "effective_from": "2027-01-01",
        "source": "修订通知第3条",
        "weight_hours": "50",
        "weight_courses": "20",
        "weight_exams": "10",
        "weight_attendance": "10",
        "weight_contributions": "5",
        "contributions_target": "4",
        "bonus_item_cap": "5",
        "bonus_cap": "10",
        "deduction_item_cap": "10",
        "deduction_cap": "20",
    }
    assert auth.post("/assessments/rules/new", form).status_code == 400  # adds up to 95
    form["weight_contributions"] = "10"
    assert auth.post("/assessments/rules/new", form).status_code == 302
    page = auth.client.get("/assessments/rules").get_data(as_text=True)
    assert len(re.findall('data-testid="rule-version"', page)) == 2


def _day(moment) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_changing_the_schedule(app, session, world, auth):
    period_id = _period(app, session, world, Step.SELF_APPRAISAL)
    url = f"/assessments/periods/{period_id}/schedule"
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    opened_on = _day(period.self_opens_at)
    form = {
        "self_opens_on": "2020-01-01",  # posted for a step that has opened: kept as it was
        "peer_opens_on": "2026-04-01",
        "ballot_opens_on": "2026-04-10",
        "ballot_closes_on": "2026-04-20",
    }
    for username, status in (("mema", 403), ("secb", 404)):
        auth.login(username)
        assert auth.client.get(url).status_code == status
        assert auth.post(url, form).status_code == status
        auth.logout()
    auth.login("seca")
    page = auth.client.get(url).get_data(as_text=True)
    assert f'value="{opened_on}"' in page and "readonly" in page
    assert auth.post(url, {**form, "ballot_opens_on": "2026-03-01"}).status_code == 400
    assert auth.post(url, form).status_code == 302
    reload(session)
    period = session.get(AssessmentPeriod, period_id)
    assert _day(period.self_opens_at) == opened_on
    assert _day(period.peer_opens_at) == "2026-04-01"
    with app.test_request_context():
        from learnapp.assessments.steps import advance

        while period.step != Step.COMMITTEE:
            advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
        session.commit()
    assert auth.client.get(url).status_code == 404


def test_the_grade_sheet_shows_each_members_reference_score(app, session, world, auth):
    period_id = _period(app, session, world, Step.COMMITTEE)
    reload(session)
    star = world.extras[0].id
    score = session.scalar(
        sa.select(Dossier.score).where(Dossier.period_id == period_id, Dossier.member_id == star)
    )
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}/grades").get_data(as_text=True)
    row = page[page.index(f'data-testid="grade-evidence-{star}"') :]
    assert f"{score}" in row[: row.index("</div>")]


@pytest.mark.parametrize(("username", "status"), [("ext1", 403), ("secb", 404)])
def test_committee_actions_are_refused_outside_the_committee(
    app, session, world, auth, username, status
):
    period_id = _period(app, session, world, Step.COMMITTEE)
    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        members = [m.id for m in period_members_of(session, period)]
        propose_all(session, world, period, dict.fromkeys(members, (Grade.QUALIFIED, "好")))
        session.commit()
        grade_id = grading.grades_of(session, period)[world.extras[0].id].id
    auth.login(username)
    requests = [
        ("post", f"/assessments/periods/{period_id}/submit", {}),
        ("post", f"/assessments/periods/{period_id}/lock", {}),
        ("post", f"/assessments/periods/{period_id}/reopen", {"reason": "改"}),
        ("post", f"/assessments/periods/{period_id}/advance", {"confirm": "y"}),
        ("post", f"/assessments/periods/{period_id}/schedule", {}),
        ("post", f"/assessments/grades/{grade_id}/feedback", {"feedback": "改"}),
        ("post", f"/assessments/grades/{grade_id}/decide", {"decision": "approve"}),
        ("get", f"/assessments/periods/{period_id}/results.xlsx", None),
        ("get", f"/assessments/periods/{period_id}/schedule", None),
    ]
    for method, url, data in requests:
        response = auth.post(url, data) if method == "post" else auth.client.get(url)
        assert response.status_code == status, url
    assert _step(session, period_id) == Step.COMMITTEE
    assert session.get(AssessmentGrade, grade_id).feedback == ""


def test_the_preview_compares_with_another_rule_version(app, session, world, auth):
    period_id = _period(app, session, world, Step.DRAFT)
    with app.test_request_context():
        from learnapp.assessments.rule_sets import add_rule_set

        other = add_rule_set(
            session,
            world.admin,
            version="只看出勤",
            effective_from=FIXED_NOW.date(),
            source="测试文件第2条",
            rules={"weights": {"attendance": "100"}},
            now=FIXED_NOW,
        )
        session.commit()
        other_id = other.id
    auth.login("seca")
    url = f"/assessments/periods/{period_id}/preview"
    page = auth.client.get(f"{url}?compare={other_id}").get_data(as_text=True)
    assert "只看出勤" in page
    # nobody in the test world has a meeting: attendance does not apply, so the full base
    assert page.count('data-testid="compared-score">100.00<') == 8
    unknown = auth.client.get(f"{url}?compare=999").get_data(as_text=True)
    assert 'data-testid="compared-score"' not in unknown
    assert session.get(AssessmentPeriod, period_id).rule_set_id != other_id


def test_deleting_a_draft_period(app, session, world, auth):
    period_id = _period(app, session, world, Step.DRAFT)
    url = f"/assessments/periods/{period_id}/delete"
    for username, status in (("ext0", 403), ("secb", 404)):
        auth.login(username)
        assert auth.post(url).status_code == status
        auth.logout()
    auth.login("seca")
    page = auth.client.get(f"/assessments/periods/{period_id}").get_data(as_text=True)
    assert 'data-testid="delete-period"' in page
    assert auth.post(url).status_code == 302
    reload(session)
    assert session.get(AssessmentPeriod, period_id) is None
    opened_id = _period(app, session, world, Step.SELF_APPRAISAL, year=2025)
    page = auth.client.get(f"/assessments/periods/{opened_id}").get_data(as_text=True)
    assert 'data-testid="delete-period"' not in page
    auth.post(f"/assessments/periods/{opened_id}/delete")
    assert _step(session, opened_id) == Step.SELF_APPRAISAL
