"""Periods, steps, the member's own steps, 积分 items, grades, approval, lock and reopen."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.assessments import grading
from learnapp.assessments.appraisals import save_peer_review, save_self_appraisal
from learnapp.assessments.models import (
    Approval,
    AssessmentRuleSet,
    Dossier,
    Grade,
    PointKind,
    Step,
)
from learnapp.assessments.periods import choose_rule_set, create_period
from learnapp.assessments.points import decide_points, propose_points
from learnapp.assessments.rule_sets import add_rule_set
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from tests.assessments.helpers import (
    assessment_world,
    grade_everyone,
    new_period,
    propose_bonus,
    schedule,
)
from tests.factories import FIXED_NOW

pytestmark = pytest.mark.usefixtures("ctx")
NOW = FIXED_NOW


def test_a_period_belongs_to_a_branch_and_one_per_year(session):
    world, _ = assessment_world(session)
    with pytest.raises(DomainError):
        create_period(session, world.admin, world.general, year=2026, now=NOW, **schedule())
    new_period(session, world)
    with pytest.raises(DomainError) as error:
        create_period(session, world.secretary_a, world.branch_a, year=2026, now=NOW, **schedule())
    assert error.value.field == "year"


def test_steps_must_be_scheduled_in_order(session):
    world, _ = assessment_world(session)
    times = schedule()
    times["peer_opens_at"] = times["self_opens_at"] - timedelta(days=1)
    with pytest.raises(DomainError):
        create_period(session, world.secretary_a, world.branch_a, year=2026, now=NOW, **times)


def test_a_secretary_cannot_open_a_period_for_another_branch(session):
    world, _ = assessment_world(session)
    with pytest.raises(DomainError):
        create_period(session, world.secretary_a, world.branch_b, year=2026, now=NOW, **schedule())


def test_rules_change_only_before_opening(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    other = add_rule_set(
        session,
        world.admin,
        version="2027-1",
        effective_from=NOW.date(),
        source="测试文件第1条",
        rules={"weights": {"hours": "100"}},
        now=NOW,
    )
    choose_rule_set(session, world.secretary_a, period, other.id, NOW)
    assert period.rule_set_id == other.id
    advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
    with pytest.raises(DomainError):
        choose_rule_set(session, world.secretary_a, period, other.id, NOW)


def test_rule_weights_must_add_up_to_100(session):
    world, _ = assessment_world(session)
    with pytest.raises(DomainError) as error:
        add_rule_set(
            session,
            world.admin,
            version="bad",
            effective_from=NOW.date(),
            source="x",
            rules={"weights": {"hours": "60"}},
            now=NOW,
        )
    assert error.value.field == "weights"


def test_opening_a_step_tells_the_members(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    told = set(
        session.scalars(sa.select(Notification.user_id).where(Notification.kind == "assessment"))
    )
    assert {world.member_a.id, world.secretary_a.id, extras[0].id} <= told
    assert world.member_b.id not in told
    assert period.step == Step.SELF_APPRAISAL


def test_self_appraisal_only_while_its_step_is_open(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    with pytest.raises(DomainError):
        save_self_appraisal(session, world.member_a, period, "我的自评", NOW)
    advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
    row = save_self_appraisal(session, world.member_a, period, "  我的自评  ", NOW)
    assert row.text == "我的自评"
    save_self_appraisal(session, world.member_a, period, "改写", NOW)
    assert row.text == "改写"
    with pytest.raises(DomainError):
        save_self_appraisal(session, world.member_b, period, "别的支部", NOW)
    with pytest.raises(DomainError):
        save_self_appraisal(session, world.member_a, period, "   ", NOW)


def test_peer_appraisal_stays_within_the_group_or_branch(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    save_peer_review(session, world.secretary_a, period, extras[0].id, "工作认真", NOW)
    with pytest.raises(DomainError):
        save_peer_review(session, world.secretary_a, period, world.secretary_a.id, "自己", NOW)
    with pytest.raises(DomainError):
        save_peer_review(session, world.secretary_a, period, world.member_b.id, "外支部", NOW)
    # member A sits alone in a party group: nobody to appraise there
    with pytest.raises(DomainError):
        save_peer_review(session, world.member_a, period, extras[0].id, "组外", NOW)


def test_bonus_needs_evidence_and_another_managers_approval(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    kwargs = {"member_id": extras[0].id, "kind": PointKind.BONUS, "points": Decimal(8)}
    with pytest.raises(DomainError) as error:
        propose_points(
            session, extras[0], period, reason="志愿服务", evidence_text=" ", now=NOW, **kwargs
        )
    assert error.value.field == "evidence"
    item = propose_points(
        session,
        extras[0],
        period,
        reason="志愿服务",
        evidence_text="证书编号123",
        now=NOW,
        **kwargs,
    )
    with pytest.raises(DomainError):  # members cannot propose deductions or for others
        propose_points(
            session,
            extras[0],
            period,
            member_id=extras[1].id,
            kind=PointKind.BONUS,
            points=Decimal(1),
            reason="x",
            evidence_text="y",
            now=NOW,
        )
    with pytest.raises(DomainError):  # the member cannot approve their own item
        decide_points(session, extras[0], item, True, NOW)
    decide_points(session, world.secretary_a, item, True, NOW)
    with pytest.raises(DomainError):  # decided once
        decide_points(session, world.general_secretary, item, False, NOW)
    deduction = propose_points(
        session,
        world.secretary_a,
        period,
        member_id=extras[0].id,
        kind=PointKind.DEDUCTION,
        points=Decimal(2),
        reason="缺席",
        evidence_text="会议记录",
        now=NOW,
    )
    with pytest.raises(DomainError):  # the proposer cannot approve it
        decide_points(session, world.secretary_a, deduction, True, NOW)
    decide_points(session, world.general_secretary, deduction, True, NOW)
    while period.step != Step.COMMITTEE:
        advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
    dossier = session.scalar(sa.select(Dossier).where(Dossier.member_id == extras[0].id))
    # the bonus of 8 is capped at 5 per item; the deduction of 2 counts in full
    assert dossier.evidence["score"]["bonus"] == "5.00"
    assert dossier.evidence["score"]["deduction"] == "2.00"


def test_freezing_stores_each_members_evidence_with_the_rule_version(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    dossiers = {d.member_id: d for d in session.scalars(sa.select(Dossier))}
    assert set(dossiers) == {
        world.secretary_a.id,
        world.general_secretary.id,
        world.member_a.id,
        *(m.id for m in extras),
    }
    one = dossiers[extras[0].id]
    assert one.rule_version == period.rule_set.version
    assert one.evidence["hours"]["target"] == "32.00"
    assert one.evidence["contributions"]["count"] == 0
    assert period.frozen_at == NOW


def test_changing_the_rules_after_close_does_not_change_results(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    before = {d.member_id: (d.score, d.evidence) for d in session.scalars(sa.select(Dossier))}
    # even a rewrite of the stored version itself (which the services never do)
    session.execute(
        sa.update(AssessmentRuleSet)
        .where(AssessmentRuleSet.id == period.rule_set_id)
        .values(rules={"weights": {"contributions": "100"}, "bonus_cap": "0"})
    )
    add_rule_set(
        session,
        world.admin,
        version="2026-2",
        effective_from=NOW.date(),
        source="修订",
        rules={"weights": {"hours": "100"}},
        now=NOW,
    )
    session.expire_all()
    after = {d.member_id: (d.score, d.evidence) for d in session.scalars(sa.select(Dossier))}
    assert after == before


def test_grades_need_a_reason_and_every_member(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    with pytest.raises(DomainError) as error:
        grading.propose_grades(
            session, world.secretary_a, period, {extras[0].id: (Grade.QUALIFIED, " ")}, NOW
        )
    assert error.value.field == f"reason_{extras[0].id}"
    grading.propose_grades(
        session, world.secretary_a, period, {extras[0].id: (Grade.QUALIFIED, "好")}, NOW
    )
    with pytest.raises(DomainError):  # one bad line: the good one is not applied either
        grading.propose_grades(
            session,
            world.secretary_a,
            period,
            {extras[0].id: (Grade.BASIC, "改"), extras[1].id: (Grade.QUALIFIED, "")},
            NOW,
        )
    assert grading.grades_of(session, period)[extras[0].id].grade == Grade.QUALIFIED
    with pytest.raises(DomainError):
        grading.submit(session, world.secretary_a, period, "", NOW)


def test_more_than_a_third_excellent_needs_a_justification(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras, excellent=extras[:3])  # 3 of 8
    with pytest.raises(DomainError) as error:
        grading.submit(session, world.secretary_a, period, "", NOW)
    assert error.value.field == "justification"
    assert grading.submit(session, world.secretary_a, period, "先进集体", NOW) == Step.APPROVAL
    assert period.excellent_justification == "先进集体"


def test_excellent_needs_the_unit_above_and_a_return_goes_back(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras, excellent=[extras[0]])
    grading.submit(session, world.secretary_a, period, "", NOW)
    grade = grading.grades_of(session, period)[extras[0].id]
    assert grade.approval == Approval.PENDING
    with pytest.raises(DomainError):  # the branch's own secretary is not the unit above
        grading.decide(session, world.secretary_a, period, grade, True, "", NOW)
    with pytest.raises(DomainError):  # a return needs a reason
        grading.decide(session, world.general_secretary, period, grade, False, "", NOW)
    assert (
        grading.decide(session, world.general_secretary, period, grade, False, "依据不足", NOW)
        == Step.COMMITTEE
    )
    grading.submit(session, world.secretary_a, period, "", NOW)
    assert grading.decide(session, world.admin, period, grade, True, "", NOW) == Step.FEEDBACK


def test_the_member_graded_never_decides_their_own_grade(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras, excellent=[world.general_secretary])
    grading.submit(session, world.secretary_a, period, "", NOW)
    grade = grading.grades_of(session, period)[world.general_secretary.id]
    for approve in (True, False):
        with pytest.raises(DomainError):  # in the unit above, but the member graded
            grading.decide(session, world.general_secretary, period, grade, approve, "不服", NOW)
    assert grade.approval == Approval.PENDING and period.step == Step.APPROVAL
    assert grading.decide(session, world.admin, period, grade, True, "", NOW) == Step.FEEDBACK


def test_without_excellent_or_unqualified_it_goes_straight_to_feedback(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras)
    assert grading.submit(session, world.secretary_a, period, "", NOW) == Step.FEEDBACK


def _locked_period(session, world, extras):
    period = new_period(session, world, to=Step.COMMITTEE)
    grade_everyone(session, world, period, extras)
    grading.submit(session, world.secretary_a, period, "", NOW)
    grade = grading.grades_of(session, period)[extras[0].id]
    grading.save_feedback(session, world.secretary_a, period, grade, "继续保持")
    grading.lock(session, world.secretary_a, period, NOW)
    return period, grade


def test_locking_tells_members_and_freezes_grades(session):
    world, extras = assessment_world(session)
    period, grade = _locked_period(session, world, extras)
    assert period.step == Step.LOCKED
    assert session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == extras[0].id, Notification.link.endswith("/me"))
    )
    with pytest.raises(DomainError):
        grading.propose_grades(
            session, world.secretary_a, period, {extras[0].id: (Grade.BASIC, "改")}, NOW
        )
    with pytest.raises(DomainError):
        grading.save_feedback(session, world.secretary_a, period, grade, "改")
    assert grade.grade == Grade.QUALIFIED


def test_only_the_unit_above_reopens_and_the_reopening_is_logged(session):
    world, extras = assessment_world(session)
    period, grade = _locked_period(session, world, extras)
    with pytest.raises(DomainError):
        grading.reopen(session, world.secretary_a, period, "改正", NOW)
    with pytest.raises(DomainError):
        grading.reopen(session, world.general_secretary, period, " ", NOW)
    grading.reopen(session, world.general_secretary, period, "材料有误", NOW)
    assert period.step == Step.COMMITTEE
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "assessment.reopen"))
    assert entry.actor_id == world.general_secretary.id
    assert entry.after == {"reason": "材料有误"}
    assert entry.before["grades"][str(extras[0].id)] == "qualified"
    grading.propose_grades(
        session, world.secretary_a, period, {extras[0].id: (Grade.BASIC, "更正")}, NOW
    )
    assert grade.grade == Grade.BASIC
    change = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "assessment.grades_propose")
        .order_by(AuditEntry.id.desc())
    ).first()
    key = str(extras[0].id)
    assert change.before == {key: {"grade": "qualified", "reason": "表现良好"}}
    assert change.after == {key: {"grade": "basic", "reason": "更正"}}


def test_two_callers_cannot_both_make_a_transition(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    session.execute(
        sa.text("UPDATE assessment_periods SET step = 'self_appraisal' WHERE id = :id"),
        {"id": period.id},
    )
    with pytest.raises(DomainError):
        advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)


def test_the_jobs_shared_scope_gives_the_same_evidence_as_one_branch(session):
    from learnapp.assessments import evidence
    from learnapp.assessments.rules import ScoreRules
    from learnapp.hours.services import ensure_default_rule_set

    world, _ = assessment_world(session)
    ensure_default_rule_set(session, NOW)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    rules = ScoreRules.from_json(period.rule_set.rules)
    alone = evidence.compute(session, period, rules, NOW)
    cache: dict = {}
    shared = evidence.compute(session, period, rules, NOW, cache=cache)
    assert cache["hours"][0][0] == world.general.id  # read once for the general branch
    assert shared == alone
    # members of the sibling branch are in the shared table but not in this period's evidence
    assert world.member_b.id in cache["hours"][1] and world.member_b.id not in shared


def test_rescheduling_moves_only_the_steps_not_opened_yet(session):
    from learnapp.assessments.periods import SCHEDULE_FIELDS, reschedule

    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.SELF_APPRAISAL)
    times = {field: getattr(period, field) for field in SCHEDULE_FIELDS}
    with pytest.raises(DomainError) as error:  # the self-appraisal has opened
        reschedule(
            session,
            world.secretary_a,
            period,
            {**times, "self_opens_at": NOW + timedelta(days=3)},
            NOW,
        )
    assert error.value.field == "self_opens_at"
    with pytest.raises(DomainError):  # out of order
        reschedule(
            session,
            world.secretary_a,
            period,
            {**times, "peer_opens_at": NOW + timedelta(days=25)},
            NOW,
        )
    with pytest.raises(DomainError):  # another branch's secretary
        reschedule(session, world.member_b, period, times, NOW)
    period.reminded_step = Step.SELF_APPRAISAL.value
    later = {**times, "peer_opens_at": NOW + timedelta(days=15)}
    reschedule(session, world.secretary_a, period, later, NOW)
    assert period.peer_opens_at == NOW + timedelta(days=15)
    assert period.reminded_step == ""  # the close of the open step moved: remind again
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "assessment.period_schedule")
    )
    assert set(entry.after) == {"peer_opens_at"}


def test_the_schedule_is_over_once_the_evaluation_closed(session):
    from learnapp.assessments.periods import reschedule

    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.COMMITTEE)
    with pytest.raises(DomainError):
        reschedule(session, world.secretary_a, period, schedule(), NOW)


def test_a_step_opened_ahead_of_time_keeps_when_it_really_opened(session):
    world, _ = assessment_world(session)
    period = new_period(session, world)
    planned = schedule()
    advance(session, world.secretary_a, period, NOW, allow_no_ballots=True)
    assert period.self_opens_at == NOW
    assert period.peer_opens_at == planned["peer_opens_at"]
    late = planned["peer_opens_at"] + timedelta(hours=2)
    advance(session, None, period, late)  # the job, after its time: the plan stands
    assert period.peer_opens_at == planned["peer_opens_at"]


def test_only_a_draft_period_can_be_deleted_and_the_deletion_is_logged(session):
    from learnapp.assessments.models import AssessmentPeriod, PointItem
    from learnapp.assessments.periods import delete_draft

    world, extras = assessment_world(session)
    period = new_period(session, world)
    propose_bonus(session, world, period, extras[0], points=Decimal(1))
    with pytest.raises(DomainError):
        delete_draft(session, world.member_b, period, NOW)
    period_id = period.id
    delete_draft(session, world.secretary_a, period, NOW)
    assert session.get(AssessmentPeriod, period_id) is None
    assert session.scalar(sa.select(sa.func.count()).select_from(PointItem)) == 0
    entry = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "assessment.period_delete")
    )
    assert entry.before == {"unit_id": world.branch_a.id, "year": 2026, "point_items": 1}
    opened = new_period(session, world, to=Step.SELF_APPRAISAL)
    with pytest.raises(DomainError):
        delete_draft(session, world.secretary_a, opened, NOW)
