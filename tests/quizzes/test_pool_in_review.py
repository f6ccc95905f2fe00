"""An edit of an approved question waits for review without taking the question out of
quizzes: random pools and papers keep asking the approved version, never the unreviewed text.
Retiring still takes it out, and a pool that falls short says why."""

import random
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.errors import DomainError
from learnapp.question_bank.models import QuestionStatus, QuestionVersion
from learnapp.question_bank.services import (
    add_question,
    approve_question,
    reject_question,
    reopen_question,
    retire_question,
    submit_for_review,
    update_question,
)
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import publish_quiz
from learnapp.quizzes.composition import RuleInput, add_rule, paper_problems
from learnapp.quizzes.models import Composition
from learnapp.quizzes.papers import compose
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.random_rules import candidate_ids
from tests.factories import FIXED_NOW, make_user
from tests.question_bank.factories import make_bank, single_draft
from tests.quizzes.helpers import Paper, make_quiz, sent_statements

POINT = ["党章", "第一章 党员"]
UNREVIEWED = "尚未审核的新题干：党的最高领导机关是哪一个？"


def _draft(n: int, **overrides):
    fields = {
        "stem": f"第{n}题：党的最高领导机关是什么？",
        "difficulty": 1,
        "knowledge_point": POINT,
    }
    return single_draft(**{**fields, **overrides})


@pytest.fixture
def pool(app, session, world):
    """A bank with exactly six active 单选 of difficulty 1 under 党章 › 第一章 党员 (and two that
    miss the rule), and a published random exam whose one rule draws all six, taken by two
    members."""
    with app.test_request_context():
        return _pool(session, world)


def _pool(session, world):
    bank = make_bank(session, two_person_review=False)
    six = [
        add_question(session, None, bank, _draft(n), FIXED_NOW, QuestionStatus.ACTIVE)
        for n in range(1, 7)
    ]
    add_question(session, None, bank, _draft(7, difficulty=2), FIXED_NOW, QuestionStatus.ACTIVE)
    add_question(
        session, None, bank, _draft(8, knowledge_point=["党史"]), FIXED_NOW, QuestionStatus.ACTIVE
    )
    quiz = make_quiz(
        session, world.root, Paper(bank, []), publish=False, composition=Composition.RANDOM
    )
    point = six[0].knowledge_point
    add_rule(session, None, quiz, RuleInput(bank, point, "single", 1, 6, Decimal("2")), FIXED_NOW)
    publish_quiz(session, None, quiz, FIXED_NOW)
    svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    svc.start_attempt(session, world.member_b, quiz, FIXED_NOW)
    session.commit()
    return {"bank": bank, "six": six, "quiz": quiz}


def _edit(session, question, n=1, **overrides):
    """An editor changes the question's text: a new version, back in review."""
    return update_question(
        session, None, question, _draft(n, **{"stem": UNREVIEWED, **overrides}), FIXED_NOW
    )


def _third_member(session, world):
    return make_user(session, username="memc", unit=world.branch_a)


def test_a_random_exam_still_starts_after_a_pool_question_is_edited(session, world, ctx, pool):
    edited = pool["six"][0]
    approved = edited.current_version_id
    new = _edit(session, edited)
    assert edited.status == QuestionStatus.IN_REVIEW and new.id != approved
    assert paper_problems(session, pool["quiz"]) == []
    attempt = svc.start_attempt(session, _third_member(session, world), pool["quiz"], FIXED_NOW)
    slots = {slot.question_id: slot for slot in slots_of(session, attempt)}
    assert set(slots) == {question.id for question in pool["six"]}
    assert slots[edited.id].version_id == approved
    assert all(slot.version.stem != UNREVIEWED for slot in slots.values())
    session.refresh(new)
    assert new.used_at is None and new.use_count == 0


def test_the_approved_version_is_matched_on_its_own_difficulty(session, world, ctx, pool):
    edited = pool["six"][0]
    approved = edited.current_version_id
    _edit(session, edited, difficulty=3)
    rule = pool["quiz"].rules[0]
    assert (edited.id, approved) in candidate_ids(session, rule)
    rule.difficulty = 3
    assert edited.id not in {question_id for question_id, _ in candidate_ids(session, rule)}


def test_once_approved_the_new_version_is_drawn(session, world, ctx, pool):
    edited = pool["six"][0]
    new = _edit(session, edited)
    approve_question(session, world.admin, edited, FIXED_NOW)
    assert (edited.id, new.id) in candidate_ids(session, pool["quiz"].rules[0])


def test_a_rejected_edit_leaves_the_question_in_the_pool_with_its_approved_text(
    session, world, ctx, pool
):
    edited = pool["six"][0]
    approved = edited.current_version_id
    proposal = _edit(session, edited)
    reject_question(session, world.admin, edited, "题干有误", FIXED_NOW)
    assert edited.status == QuestionStatus.ACTIVE and edited.stem != UNREVIEWED
    assert (edited.id, approved) in candidate_ids(session, pool["quiz"].rules[0])
    assert paper_problems(session, pool["quiz"]) == []
    attempt = svc.start_attempt(session, _third_member(session, world), pool["quiz"], FIXED_NOW)
    slots = {slot.question_id: slot for slot in slots_of(session, attempt)}
    assert set(slots) == {question.id for question in pool["six"]}
    assert slots[edited.id].version_id == approved != proposal.id


def test_a_retired_question_leaves_the_pool_and_the_owner_is_told_the_bank_lacks_it(
    session, world, ctx, pool
):
    retire_question(session, None, pool["six"][0], FIXED_NOW)
    with pytest.raises(DomainError, match="cannot fill this paper"):
        svc.start_attempt(session, _third_member(session, world), pool["quiz"], FIXED_NOW)
    assert paper_problems(session, pool["quiz"]) == [
        "Rule 1 needs more questions than the bank has."
    ]


def test_a_question_in_review_without_an_approved_version_is_named_as_in_review(
    session, world, ctx, pool
):
    """Withdrawn, reopened and submitted again, the question has no version a reviewer approved
    as it stands: it is not drawn, and the owner learns that it waits for review."""
    question = pool["six"][0]
    retire_question(session, None, question, FIXED_NOW)
    reopen_question(session, None, question, FIXED_NOW)
    submit_for_review(session, None, question, FIXED_NOW)
    assert question.status == QuestionStatus.IN_REVIEW and question.version_in_use_id is None
    with pytest.raises(DomainError, match="cannot fill this paper"):
        svc.start_attempt(session, _third_member(session, world), pool["quiz"], FIXED_NOW)
    assert paper_problems(session, pool["quiz"]) == [
        "Rule 1 needs more questions than the bank has in use: 1 more that matches it is in"
        " review and can be drawn once approved."
    ]


def test_the_draw_reads_each_rule_in_one_statement_however_many_edits_wait(
    session, world, ctx, pool
):
    rule = pool["quiz"].rules[0]
    candidate_ids(session, rule)  # the rule and its knowledge point loaded, as a start has them

    def statements():
        with sent_statements(session) as sent:
            candidate_ids(session, rule)
        return len(sent)

    before = statements()
    for n, question in enumerate(pool["six"][:3], start=1):
        _edit(session, question, n)
    session.flush()
    assert statements() == before == 1


def test_a_draft_paper_publishes_and_asks_the_approved_version_of_an_edited_question(
    session, world, ctx
):
    bank = make_bank(session, two_person_review=False)
    questions = [
        add_question(session, None, bank, _draft(n), FIXED_NOW, QuestionStatus.ACTIVE)
        for n in (1, 2)
    ]
    quiz = make_quiz(session, world.root, Paper(bank, questions), publish=False)
    approved = questions[0].current_version_id
    _edit(session, questions[0])
    preview = compose(session, quiz, world.admin, random.Random(0), FIXED_NOW)
    assert [version for _, version, _ in preview] == [approved, questions[1].current_version_id]
    assert paper_problems(session, quiz) == []
    publish_quiz(session, None, quiz, FIXED_NOW)
    assert quiz.items[0].version_id == approved
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    assert slots_of(session, attempt)[0].version_id == approved


def test_a_draft_paper_names_a_question_in_review_apart_from_one_out_of_use(session, world, ctx):
    bank = make_bank(session, two_person_review=False)
    questions = [
        add_question(session, None, bank, _draft(n), FIXED_NOW, QuestionStatus.ACTIVE)
        for n in (1, 2, 3)
    ]
    quiz = make_quiz(session, world.root, Paper(bank, questions), publish=False)
    waiting, withdrawn = questions[1], questions[2]
    retire_question(session, None, waiting, FIXED_NOW)
    reopen_question(session, None, waiting, FIXED_NOW)
    submit_for_review(session, None, waiting, FIXED_NOW)
    retire_question(session, None, withdrawn, FIXED_NOW)
    assert paper_problems(session, quiz) == [
        "Question 2 of the paper is in review and cannot be asked until a reviewer approves it:"
        " remove it, or publish once it is approved.",
        "Question 3 of the paper is not in use in the bank (a draft or withdrawn): remove it,"
        " or publish once it is approved again.",
    ]


def test_a_member_starts_the_exam_after_the_edit_and_never_sees_the_unreviewed_text(
    session, auth, world, pool
):
    edited = pool["six"][0]
    approved_stem = edited.stem
    _edit(session, edited)
    _third_member(session, world)
    session.commit()
    auth.login("memc")
    started = auth.post(f"/quizzes/{pool['quiz'].id}/start")
    assert started.status_code == 302
    assert re.search(r"/quizzes/attempts/\d+$", started.headers["Location"])
    page = auth.client.get(started.headers["Location"]).get_data(as_text=True)
    assert approved_stem in page and UNREVIEWED not in page
    session.expire_all()
    versions = session.scalars(
        sa.select(QuestionVersion.use_count).where(QuestionVersion.stem == UNREVIEWED)
    ).all()
    assert versions == [0]


def test_the_owner_sees_no_shortfall_after_the_edit(session, auth, world, pool):
    _edit(session, pool["six"][0])
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/quizzes/manage/{pool['quiz'].id}").get_data(as_text=True)
    assert "规则 1 所需试题数超过" not in page
    retire_question(session, None, pool["six"][1], FIXED_NOW)
    session.commit()
    page = auth.client.get(f"/quizzes/manage/{pool['quiz'].id}").get_data(as_text=True)
    assert "规则 1 所需试题数超过题库现有数量" in page


def test_the_owner_is_told_a_rule_waits_for_a_reviewer(app, session, auth, world, pool):
    question = pool["six"][0]
    with app.test_request_context():
        retire_question(session, None, question, FIXED_NOW)
        reopen_question(session, None, question, FIXED_NOW)
        submit_for_review(session, None, question, FIXED_NOW)
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/quizzes/manage/{pool['quiz'].id}").get_data(as_text=True)
    assert "另有 1 道符合该规则的试题正在审核" in page
    assert "规则 1 所需试题数超过题库现有数量" not in page
