"""Values the quiz forms refuse at their field rather than store otherwise: unlimited attempts
for an exam (README: limited for exams), on the quiz and on a member's own terms; and points or a
pass mark finer than hundredths, which would be rounded silently."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.errors import DomainError
from learnapp.quizzes.authoring import QuizSettings, create_quiz, update_quiz
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import Composition, Quiz, QuizKind, QuizOverride, QuizRule
from learnapp.quizzes.overrides import OverrideInput, save_override
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz, settings_of

EXAM_LIMITED = "考试须限定作答次数：1 至 100 次。"
TWO_DECIMALS = "分值最多保留两位小数。"


def _count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _settings(world, **fields) -> QuizSettings:
    return QuizSettings(
        **{"title": "测试", "kind": QuizKind.EXAM, "owner_unit": world.root, **fields}
    )


@pytest.mark.usefixtures("ctx")
class TestService:
    def test_an_exam_with_unlimited_attempts_is_refused(self, session, world):
        with pytest.raises(DomainError, match="limited number of attempts") as refused:
            create_quiz(session, world.admin, _settings(world, attempts_allowed=0), FIXED_NOW)
        assert refused.value.field == "attempts_allowed"
        assert _count(session, Quiz) == 0

    @pytest.mark.parametrize("kind", [QuizKind.PRACTICE, QuizKind.TOPIC])
    def test_practice_keeps_unlimited_attempts(self, session, world, kind):
        quiz = create_quiz(
            session, world.admin, _settings(world, kind=kind, attempts_allowed=0), FIXED_NOW
        )
        assert quiz.attempts_allowed == 0

    def test_an_exam_stored_unlimited_is_refused_when_saved_again(self, session, world):
        quiz = make_quiz(session, world.root, make_paper(session, types=("judge",)))
        quiz.attempts_allowed = 0  # stored before exams were limited
        session.flush()
        with pytest.raises(DomainError, match="limited number of attempts"):
            update_quiz(session, world.admin, quiz, settings_of(quiz, title="改名"), FIXED_NOW)
        update_quiz(session, world.admin, quiz, settings_of(quiz, attempts_allowed=3), FIXED_NOW)
        assert quiz.attempts_allowed == 3

    def test_practice_turned_exam_must_limit_its_attempts(self, session, world):
        quiz = create_quiz(
            session,
            world.admin,
            _settings(world, kind=QuizKind.PRACTICE, attempts_allowed=0),
            FIXED_NOW,
        )
        with pytest.raises(DomainError, match="limited number of attempts"):
            update_quiz(
                session, world.admin, quiz, settings_of(quiz, kind=QuizKind.EXAM), FIXED_NOW
            )

    def test_a_member_is_never_given_unlimited_attempts_at_an_exam(self, session, world):
        exam = make_quiz(session, world.root, make_paper(session, types=("judge",)))
        terms = OverrideInput(attempts_allowed=0, reason="补考")
        with pytest.raises(DomainError, match="limited number of attempts") as refused:
            save_override(session, world.admin, exam, world.member_a, terms, FIXED_NOW)
        assert refused.value.field == "attempts_allowed"
        assert _count(session, QuizOverride) == 0
        with pytest.raises(DomainError, match=r"fewer attempts than the exam allows \(2\)\.$"):
            save_override(
                session,
                world.admin,
                exam,
                world.member_a,
                OverrideInput(attempts_allowed=1, reason="补考"),
                FIXED_NOW,
            )
        practice = make_quiz(
            session, world.root, make_paper(session, types=("judge",)), kind=QuizKind.PRACTICE
        )
        save_override(session, world.admin, practice, world.member_a, terms, FIXED_NOW)
        assert _count(session, QuizOverride) == 1

    def test_rule_points_finer_than_hundredths_are_refused(self, session, world):
        paper = make_paper(session, types=("judge",))
        quiz = make_quiz(session, world.root, paper, publish=False, composition=Composition.RANDOM)
        rule = RuleInput(paper.bank, None, None, None, 1, Decimal("0.333"))
        with pytest.raises(DomainError, match="at most two decimal places") as refused:
            add_rule(session, world.admin, quiz, rule, FIXED_NOW)
        assert refused.value.field == "points"
        assert _count(session, QuizRule) == 0
        rule = RuleInput(paper.bank, None, None, None, 1, Decimal("0.33"))
        assert add_rule(session, world.admin, quiz, rule, FIXED_NOW).points == Decimal("0.33")

    def test_a_pass_mark_finer_than_hundredths_is_refused(self, session, world):
        with pytest.raises(DomainError, match="at most two decimal places") as refused:
            create_quiz(
                session, world.admin, _settings(world, pass_percent=Decimal("60.555")), FIXED_NOW
            )
        assert refused.value.field == "pass_percent"
        assert _count(session, Quiz) == 0
        quiz = create_quiz(
            session, world.admin, _settings(world, pass_percent=Decimal("60.5")), FIXED_NOW
        )
        assert quiz.pass_percent == Decimal("60.50")


def _quiz_form(world, **fields) -> dict:
    return {
        "title": "新考试",
        "kind": "exam",
        "owner_unit_id": str(world.root.id),
        "composition": "fixed",
        "grace_seconds": "60",
        "attempts_allowed": "2",
        "grading_method": "highest",
        "pass_percent": "60",
        "release": "immediately",
        "course_id": "0",
        **fields,
    }


def _field_error(page: str, name: str) -> str:
    """The invalid-feedback text after the field `name`."""
    start = page.index(f'name="{name}"')
    rest = page[start:]
    return rest[rest.index('class="invalid-feedback">') :].split(">", 1)[1].split("<", 1)[0]


def test_the_quiz_form_refuses_unlimited_attempts_for_an_exam(session, auth, world):
    auth.login("admin")
    refused = auth.post("/quizzes/manage/new", _quiz_form(world, attempts_allowed="0"))
    assert refused.status_code == 200
    assert _field_error(refused.get_data(as_text=True), "attempts_allowed") == EXAM_LIMITED
    finer = auth.post("/quizzes/manage/new", _quiz_form(world, pass_percent="60.555"))
    page = finer.get_data(as_text=True)
    assert _field_error(page, "pass_percent") == "及格线最多保留两位小数。"
    assert 'step="0.01"' in page[page.index('name="pass_percent"') - 200 :][:400]
    reload(session)
    assert _count(session, Quiz) == 0
    practice = auth.post(
        "/quizzes/manage/new", _quiz_form(world, kind="practice", attempts_allowed="0")
    )
    assert practice.status_code == 302
    # A member may not author at all.
    auth.logout()
    auth.login("mema")
    assert auth.post("/quizzes/manage/new", _quiz_form(world)).status_code == 403
    reload(session)
    assert _count(session, Quiz) == 1


def test_an_exam_stored_unlimited_is_refused_at_the_field_when_edited(app, session, auth, world):
    with app.test_request_context():
        exam = make_quiz(session, world.root, make_paper(session, types=("judge",)))
        exam.attempts_allowed = 0
    session.commit()
    auth.login("admin")
    shown = auth.client.get(f"/quizzes/manage/{exam.id}/edit").get_data(as_text=True)
    assert 'name="attempts_allowed"' in shown and "考试不可" in shown
    refused = auth.post(
        f"/quizzes/manage/{exam.id}/edit", _quiz_form(world, title="改名", attempts_allowed="0")
    )
    assert refused.status_code == 200
    assert _field_error(refused.get_data(as_text=True), "attempts_allowed") == EXAM_LIMITED
    reload(session)
    assert session.get(Quiz, exam.id).title != "改名"


def test_the_override_form_refuses_unlimited_attempts_for_an_exam(session, auth, world, exam):
    auth.login("admin")
    data = {"username": "mema", "attempts_allowed": "0", "reason": "因公出差补考"}
    refused = auth.post(f"/quizzes/manage/{exam.id}/overrides", data)
    assert refused.status_code == 400
    assert _field_error(refused.get_data(as_text=True), "attempts_allowed") == EXAM_LIMITED
    reload(session)
    assert _count(session, QuizOverride) == 0
    auth.logout()
    auth.login("mema")
    data["attempts_allowed"] = "3"
    assert auth.post(f"/quizzes/manage/{exam.id}/overrides", data).status_code == 403
    reload(session)
    assert _count(session, QuizOverride) == 0


def test_the_rule_form_refuses_points_finer_than_hundredths(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session, types=("judge",))
        drawn = make_quiz(session, world.root, paper, publish=False, composition=Composition.RANDOM)
    session.commit()
    rule = {
        "bank_id": str(paper.bank.id),
        "knowledge_point_id": "0",
        "question_type": "",
        "difficulty": "0",
        "count": "1",
        "points": "0.333",
    }
    auth.login("mema")
    assert auth.post(f"/quizzes/manage/{drawn.id}/rules", rule).status_code == 403
    auth.logout()
    auth.login("admin")
    refused = auth.post(f"/quizzes/manage/{drawn.id}/rules", rule)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert _field_error(page, "points") == TWO_DECIMALS
    points = page[page.index('data-testid="rule-form"') :]
    points = points[points.index('name="points"') - 300 :][:600]
    assert 'step="0.01"' in points and 'value="0.333"' in points
    reload(session)
    assert _count(session, QuizRule) == 0
    assert (
        auth.post(f"/quizzes/manage/{drawn.id}/rules", {**rule, "points": "0.33"}).status_code
        == 302
    )
    reload(session)
    assert session.scalars(sa.select(QuizRule.points)).one() == Decimal("0.33")
