"""A published fixed paper keeps the question versions it was published with: editing or
retiring a question in the bank never changes what later examinees are asked."""

from decimal import Decimal

import pytest

from learnapp.errors import DomainError
from learnapp.question_bank.services.workflow import approve_question, retire_question
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import publish_quiz
from learnapp.quizzes.composition import add_questions, paper_problems
from learnapp.quizzes.marking import mark_answer, regrade_question
from learnapp.quizzes.models import FinishedBy
from learnapp.quizzes.queries import slots_of
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import Paper, make_paper, make_quiz, sent_statements
from tests.quizzes.test_regrade_export import _correct


def test_publishing_pins_each_question_version(session, world, ctx):
    paper = make_paper(session, types=("single", "judge"))
    quiz = make_quiz(session, world.root, paper)
    assert [i.version_id for i in quiz.items] == [q.current_version_id for q in paper.questions]


def test_publishing_reads_every_pinned_version_in_one_statement(session, world, ctx):
    paper = make_paper(session)
    quiz = make_quiz(session, world.root, paper, publish=False)
    session.expire_all()
    with sent_statements(session) as sent:
        publish_quiz(session, None, quiz, FIXED_NOW)
    reads = [s for s in sent if s.lstrip().startswith("SELECT") and "question_versions" in s]
    assert len(reads) == 1
    assert [i.version_id for i in quiz.items] == [q.current_version_id for q in paper.questions]
    assert all(q.current_version.used_at == FIXED_NOW for q in paper.questions)


def test_a_question_added_to_a_published_paper_is_pinned_at_once(session, world, ctx):
    paper = make_paper(session, types=("single", "judge"))
    single, judge = paper.questions
    quiz = make_quiz(session, world.root, Paper(paper.bank, [single]))
    add_questions(session, None, quiz, [judge.id], FIXED_NOW)
    assert [i.version_id for i in quiz.items] == [
        single.current_version_id,
        judge.current_version_id,
    ]
    assert judge.current_version.used_at == FIXED_NOW


def test_edited_and_retired_questions_stay_on_a_published_paper(session, world, ctx):
    paper = make_paper(session, types=("single", "judge"))
    single, judge = paper.questions
    quiz = make_quiz(session, world.root, paper)
    asked = single.current_version_id
    _correct(session, single, 1)  # a new version, back in review
    retire_question(session, None, judge, FIXED_NOW)
    assert single.current_version_id != asked
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slots = slots_of(session, attempt)
    assert [s.question_id for s in slots] == [single.id, judge.id]
    assert slots[0].version_id == asked


def test_a_draft_with_a_question_out_of_the_bank_cannot_be_published(session, world, ctx):
    paper = make_paper(session, types=("single", "judge"))
    quiz = make_quiz(session, world.root, paper, publish=False)
    retire_question(session, None, paper.questions[1], FIXED_NOW)
    assert any(
        "Question 2 of the paper is not in use in the bank" in p
        for p in paper_problems(session, quiz)
    )
    with pytest.raises(DomainError, match="Question 2 of the paper"):
        publish_quiz(session, None, quiz, FIXED_NOW)


def test_an_applied_regrade_moves_the_paper_to_the_corrected_version(session, world, ctx):
    paper = make_paper(session, types=("single", "judge"))
    single = paper.questions[0]
    quiz = make_quiz(session, world.root, paper)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    _correct(session, single, 1)
    with pytest.raises(DomainError):  # still in review
        regrade_question(session, world.admin, quiz, single, FIXED_NOW, apply=True)
    assert quiz.items[0].version_id != single.current_version_id
    approve_question(session, world.admin, single, FIXED_NOW)
    regrade_question(session, world.admin, quiz, single, FIXED_NOW, apply=False)
    assert quiz.items[0].version_id != single.current_version_id  # a dry run changes nothing
    regrade_question(session, world.admin, quiz, single, FIXED_NOW, apply=True)
    assert quiz.items[0].version_id == single.current_version_id


def test_marking_names_the_maximum_in_plain_digits(session, world, ctx):
    paper = make_paper(session, types=("short",))
    quiz = make_quiz(session, world.root, paper)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    slot = slots_of(session, attempt)[0]
    slot.points = Decimal("10.00")
    with pytest.raises(DomainError, match=r"Points from 0 to 10\.$"):
        mark_answer(session, world.admin, slot, "12", "", FIXED_NOW)
