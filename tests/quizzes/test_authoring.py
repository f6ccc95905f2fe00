"""Quiz definitions: settings rules, papers, random rules, publishing, composition."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest

from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import QuizSettings, create_quiz, publish_quiz, update_quiz
from learnapp.quizzes.composition import RuleInput, add_questions, add_rule
from learnapp.quizzes.models import Composition, FinishedBy, QuizKind, QuizState, ReleasePolicy
from learnapp.quizzes.papers import compose
from learnapp.quizzes.queries import slots_of
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank
from tests.quizzes.helpers import make_paper, make_quiz, settings_of

pytestmark = pytest.mark.usefixtures("ctx")


def _settings(unit, **overrides) -> QuizSettings:
    fields = {"title": "测试", "kind": QuizKind.EXAM, "owner_unit": unit}
    fields.update(overrides)
    return QuizSettings(**fields)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"closes_at": FIXED_NOW, "opens_at": FIXED_NOW + timedelta(hours=1)}, "closes_at"),
        ({"duration_seconds": 0}, "duration_minutes"),
        ({"duration_seconds": 10**9}, "duration_minutes"),
        (
            {
                "opens_at": FIXED_NOW,
                "closes_at": FIXED_NOW + timedelta(minutes=30),
                "duration_seconds": 3600,
            },
            "duration_minutes",
        ),
        ({"attempts_allowed": 10**9}, "attempts_allowed"),
        ({"attempts_allowed": -1}, "attempts_allowed"),
        ({"pass_percent": Decimal("101")}, "pass_percent"),
        ({"pass_percent": Decimal("NaN")}, "pass_percent"),
        ({"grace_seconds": -5}, "grace_seconds"),
        ({"kind": QuizKind.DAILY, "composition": Composition.FIXED}, "composition"),
        ({"release": ReleasePolicy.AFTER_CLOSE}, "closes_at"),
    ],
)
def test_bad_settings_are_refused_with_the_field(session, world, overrides, field):
    with pytest.raises(DomainError) as caught:
        create_quiz(session, world.admin, _settings(world.root, **overrides), FIXED_NOW)
    assert caught.value.field == field


def test_secretary_authors_only_within_their_unit(session, world):
    with pytest.raises(DomainError) as caught:
        create_quiz(session, world.secretary_a, _settings(world.branch_b), FIXED_NOW)
    assert caught.value.field == "owner_unit_id"
    with pytest.raises(DomainError):
        create_quiz(
            session,
            world.secretary_a,
            _settings(world.branch_a, audience_units=[world.branch_b]),
            FIXED_NOW,
        )
    quiz = create_quiz(session, world.secretary_a, _settings(world.branch_a), FIXED_NOW)
    assert quiz.state == QuizState.DRAFT and quiz.pass_percent == Decimal("60.00")


def test_publishing_needs_a_usable_paper(session, world):
    paper = make_paper(session, types=("single",))
    quiz = create_quiz(session, None, _settings(world.root), FIXED_NOW)
    with pytest.raises(DomainError, match="at least one active question"):
        publish_quiz(session, None, quiz, FIXED_NOW)
    add_questions(session, None, quiz, [paper.questions[0].id], FIXED_NOW)
    publish_quiz(session, None, quiz, FIXED_NOW)
    assert quiz.state == QuizState.PUBLISHED


def test_results_after_the_close_need_a_closing_time_on_every_path(session, world):
    paper = make_paper(session, types=("single",))
    closes = FIXED_NOW + timedelta(days=1)
    quiz = make_quiz(
        session, world.root, paper, release=ReleasePolicy.AFTER_CLOSE, closes_at=closes
    )
    with pytest.raises(DomainError, match="need a closing time") as caught:
        update_quiz(session, world.admin, quiz, settings_of(quiz, closes_at=None), FIXED_NOW)
    assert caught.value.field == "closes_at"
    session.refresh(quiz)
    assert quiz.closes_at == closes
    # A draft stored with results after a close it does not have is not published.
    draft = make_quiz(session, world.root, paper, publish=False, release=ReleasePolicy.AFTER_CLOSE)
    draft.closes_at = None
    with pytest.raises(DomainError, match="need a closing time") as caught:
        publish_quiz(session, world.admin, draft, FIXED_NOW)
    assert caught.value.field == "closes_at" and draft.state == QuizState.DRAFT


def test_a_topic_set_has_five_or_ten_questions(session, world):
    paper = make_paper(session)
    quiz = make_quiz(session, world.root, paper, publish=False, kind=QuizKind.TOPIC)
    assert len(quiz.items) == 5
    publish_quiz(session, None, quiz, FIXED_NOW)
    short = make_quiz(
        session, world.root, paper, publish=False, kind=QuizKind.TOPIC, title="三题专项"
    )
    short.items = short.items[:3]
    with pytest.raises(DomainError, match="5 or 10"):
        publish_quiz(session, None, short, FIXED_NOW)
    assert short.state == QuizState.DRAFT


def test_draft_questions_cannot_be_put_on_a_paper(session, world):
    bank = make_bank(session)
    draft = add_question(
        session,
        None,
        bank,
        QuestionDraft(type="judge", stem="草稿题", spec={"answer": True}),
        FIXED_NOW,
        QuestionStatus.DRAFT,
    )
    quiz = create_quiz(session, None, _settings(world.root), FIXED_NOW)
    with pytest.raises(DomainError):
        add_questions(session, None, quiz, [draft.id], FIXED_NOW)


def test_paper_is_fixed_once_members_have_taken_it(session, world):
    paper = make_paper(session, types=("single", "judge"))
    quiz = make_quiz(session, world.root, paper)
    svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    with pytest.raises(DomainError, match="paper is fixed"):
        add_questions(session, None, quiz, [paper.questions[1].id], FIXED_NOW)
    with pytest.raises(DomainError, match="keep its composition"):
        update_quiz(
            session,
            None,
            quiz,
            _settings(world.root, composition=Composition.RANDOM),
            FIXED_NOW,
        )


def _bank_of_judges(session, count):
    bank = make_bank(session, two_person_review=False)
    questions = [
        add_question(
            session,
            None,
            bank,
            QuestionDraft(
                type="judge",
                stem=f"判断题{n}",
                spec={"answer": n % 2 == 0},
                knowledge_point=["党章", "第一章" if n < count // 2 else "第二章"],
            ),
            FIXED_NOW,
            QuestionStatus.ACTIVE,
        )
        for n in range(count)
    ]
    return bank, questions


def test_a_rule_must_be_satisfiable(session, world):
    bank, _ = _bank_of_judges(session, 4)
    quiz = create_quiz(
        session, None, _settings(world.root, composition=Composition.RANDOM), FIXED_NOW
    )
    rule = RuleInput(bank, None, "single", None, 1, Decimal("1"))
    with pytest.raises(DomainError, match="Only 0 active"):
        add_rule(session, None, quiz, rule, FIXED_NOW)
    for bad in (
        RuleInput(bank, None, None, None, 0, Decimal("1")),
        RuleInput(bank, None, None, 9, 1, Decimal("1")),
        RuleInput(bank, None, None, None, 1, Decimal("0")),
        RuleInput(bank, None, "nonsense", None, 1, Decimal("1")),
    ):
        with pytest.raises(DomainError):
            add_rule(session, None, quiz, bad, FIXED_NOW)
    add_rule(session, None, quiz, RuleInput(bank, None, "judge", None, 4, Decimal("2")), FIXED_NOW)
    publish_quiz(session, None, quiz, FIXED_NOW)


def test_random_papers_never_repeat_and_prefer_least_seen_questions(session, world):
    bank, questions = _bank_of_judges(session, 8)
    quiz = create_quiz(
        session,
        None,
        _settings(world.root, composition=Composition.RANDOM, attempts_allowed=2),
        FIXED_NOW,
    )
    add_rule(session, None, quiz, RuleInput(bank, None, None, None, 3, Decimal("1")), FIXED_NOW)
    add_rule(session, None, quiz, RuleInput(bank, None, "judge", None, 1, Decimal("1")), FIXED_NOW)
    publish_quiz(session, None, quiz, FIXED_NOW)
    seen: list[set] = []
    for n in range(2):
        attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW + timedelta(hours=n))
        ids = [slot.question_id for slot in slots_of(session, attempt)]
        assert len(ids) == len(set(ids)) == 4
        seen.append(set(ids))
        svc.finalize(session, attempt.id, FIXED_NOW + timedelta(hours=n), FinishedBy.MEMBER)
    # Eight questions, two papers of four, least seen first: no question twice.
    assert not seen[0] & seen[1]
    assert seen[0] | seen[1] == {q.id for q in questions}


def test_the_stored_seed_and_history_reproduce_the_draw(session, world):
    bank, questions = _bank_of_judges(session, 12)
    quiz = create_quiz(
        session, None, _settings(world.root, composition=Composition.RANDOM), FIXED_NOW
    )
    add_rule(session, None, quiz, RuleInput(bank, None, None, None, 4, Decimal("1")), FIXED_NOW)
    first, again = (
        compose(session, quiz, world.member_a, random.Random(7), FIXED_NOW) for _ in range(2)
    )
    assert first == again
    assert len(first) == 4 and {p[0] for p in first} <= {q.id for q in questions}
    # Among equally unseen questions the seed decides, so other seeds draw other papers.
    assert any(
        compose(session, quiz, world.member_a, random.Random(seed), FIXED_NOW) != first
        for seed in range(8, 20)
    )


def test_knowledge_point_rule_draws_only_from_its_subtree(session, world):
    bank, questions = _bank_of_judges(session, 6)
    chapter_one = questions[0].knowledge_point
    quiz = create_quiz(
        session, None, _settings(world.root, composition=Composition.RANDOM), FIXED_NOW
    )
    add_rule(
        session, None, quiz, RuleInput(bank, chapter_one, None, None, 3, Decimal("1")), FIXED_NOW
    )
    paper = compose(session, quiz, world.member_a, random.Random(1), FIXED_NOW)
    assert {p[0] for p in paper} == {q.id for q in questions[:3]}


def test_daily_questions_score_once_a_day_and_prefer_the_wrong_answer_book(session, world):
    from learnapp.quizzes.models import WrongAnswer

    bank, questions = _bank_of_judges(session, 10)
    bank.is_default = True
    session.flush()
    quiz = create_quiz(
        session,
        None,
        _settings(world.root, kind=QuizKind.DAILY, composition=Composition.RANDOM),
        FIXED_NOW,
    )
    # The default daily mix needs single and multiple questions this bank lacks.
    assert [r.question_type for r in quiz.rules] == ["single", "multiple", "judge"]
    quiz.rules.clear()
    add_rule(session, None, quiz, RuleInput(bank, None, "judge", None, 5, Decimal("1")), FIXED_NOW)
    publish_quiz(session, None, quiz, FIXED_NOW)
    due = questions[9]
    session.add(
        WrongAnswer(
            member_id=world.member_a.id,
            question_id=due.id,
            version_id=due.current_version_id,
            due_on=FIXED_NOW.date(),
            updated_at=FIXED_NOW,
        )
    )
    session.flush()
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    assert due.id in {slot.question_id for slot in slots_of(session, attempt)}
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    with pytest.raises(DomainError, match="today"):
        svc.start_attempt(session, world.member_a, quiz, FIXED_NOW + timedelta(hours=1))
    # The daily rule replaces the attempt limit (1 by default): a new day, a new attempt.
    assert quiz.attempts_allowed == 1
    tomorrow = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW + timedelta(days=1))
    assert tomorrow.number == 2
