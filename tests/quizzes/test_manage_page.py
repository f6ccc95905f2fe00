"""The authoring page: the paper's totals, a refused draw rule shown again with its input, the
audit of paper and rule changes, and what publishing and archiving say."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext, ngettext

from learnapp.audit.labels import ACTION_LABELS
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import KnowledgePoint, QuestionStatus
from learnapp.question_bank.services import add_question
from learnapp.quizzes.composition import (
    PaperTotals,
    RuleInput,
    add_questions,
    add_rule,
    paper_problems,
    paper_totals,
    remove_item,
    remove_rule,
)
from learnapp.quizzes.models import Composition, Quiz, QuizRule, QuizState
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank
from tests.quizzes.helpers import make_paper, make_quiz


def _entries(session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _totals_text(questions: int, points: str) -> str:
    return gettext(
        "In all: %(questions)s, %(points)s",
        questions=ngettext("%(num)d question", "%(num)d questions", questions),
        points=ngettext("%(p)s point", "%(p)s points", 2, p=points),
    )


def test_paper_totals_count_questions_and_points_of_either_kind_of_paper(app, session, world):
    with app.test_request_context(), force_locale("en"):
        paper = make_paper(session)  # 2 + 2 + 1 + 1 + 4 points
        fixed = make_quiz(session, world.root, paper, publish=False)
        assert paper_totals(session, fixed) == PaperTotals(5, Decimal("10"))
        fixed.items[0].points = Decimal("5.5")  # the paper's own points for a question
        assert paper_totals(session, fixed) == PaperTotals(5, Decimal("13.5"))
        drawn = make_quiz(session, world.root, paper, publish=False, composition=Composition.RANDOM)
        assert paper_totals(session, drawn) == PaperTotals(0, Decimal("0"))
        for code, count, points in (("single", 1, "2.5"), ("judge", 1, "1")):
            add_rule(
                session,
                None,
                drawn,
                RuleInput(paper.bank, None, code, None, count, Decimal(points)),
                FIXED_NOW,
            )
        assert paper_totals(session, drawn) == PaperTotals(2, Decimal("3.5"))


def test_paper_and_rule_changes_are_audited(app, session, world):
    with app.test_request_context(), force_locale("en"):
        paper = make_paper(session)
        fixed = make_quiz(session, world.root, paper, publish=False)
        drawn = make_quiz(session, world.root, paper, publish=False, composition=Composition.RANDOM)
        first = fixed.items[0]
        removed_question = first.question_id
        remove_item(session, world.admin, fixed, first.id, FIXED_NOW)
        assert add_questions(session, world.admin, fixed, [removed_question], FIXED_NOW) == (1, 0)
        # Adding only questions already on the paper changes nothing and records nothing.
        assert add_questions(session, world.admin, fixed, [removed_question], FIXED_NOW) == (0, 1)
        rule = add_rule(
            session,
            world.admin,
            drawn,
            RuleInput(paper.bank, None, "judge", None, 1, Decimal("2")),
            FIXED_NOW,
        )
        with pytest.raises(DomainError):
            add_rule(
                session,
                world.admin,
                drawn,
                RuleInput(paper.bank, None, "judge", None, 5, Decimal("2")),
                FIXED_NOW,
            )
        remove_rule(session, world.admin, drawn, rule.id, FIXED_NOW)
    (removed,) = _entries(session, "quiz.question_removed")
    assert (removed.target_type, removed.target_id) == ("quiz", str(fixed.id))
    assert removed.actor_id == world.admin.id
    assert removed.before == {"question": removed_question, "position": 1}
    # make_quiz added the paper's five without an actor; the admin added one back.
    added = _entries(session, "quiz.questions_added")
    assert [(e.actor_id, e.after) for e in added if e.target_id == str(fixed.id)][-1] == (
        world.admin.id,
        {"questions": [removed_question]},
    )
    expected = {
        "position": 1,
        "bank": paper.bank.id,
        "knowledge_point": None,
        "type": "judge",
        "difficulty": None,
        "count": 1,
        "points": "2.00",
    }
    (rule_added,) = _entries(session, "quiz.rule_added")
    (rule_removed,) = _entries(session, "quiz.rule_removed")
    assert rule_added.after == expected and rule_removed.before == expected
    assert rule_added.target_id == rule_removed.target_id == str(drawn.id)
    for action in (
        "quiz.questions_added",
        "quiz.question_removed",
        "quiz.rule_added",
        "quiz.rule_removed",
    ):
        assert action in ACTION_LABELS  # the audit log page names it


def test_a_refused_rule_is_shown_again_with_what_was_entered(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session)  # one question of each type
        drawn = make_quiz(
            session, world.branch_a, paper, publish=False, composition=Composition.RANDOM
        )
        # No judge question of difficulty 3 in the bank.
        too_many = gettext("Only %(n)d active questions match this rule.") % {"n": 0}
    session.commit()
    auth.login("seca")
    path = f"/quizzes/manage/{drawn.id}/rules"
    typed = {
        "bank_id": str(paper.bank.id),
        "knowledge_point_id": "0",
        "question_type": "judge",
        "difficulty": "3",
        "count": "5",
        "points": "2.5",
    }
    refused = auth.post(path, typed)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    form = page[page.index('data-testid="rule-form"') :]
    assert re.search(r'<option selected value="judge">|<option value="judge" selected>', form)
    assert re.search(r'<option selected value="3">|<option value="3" selected>', form)
    assert 'name="count"' in form and 'value="5"' in form and 'value="2.5"' in form
    count_field = form[form.index('for="count"') : form.index('for="points"')]
    assert "is-invalid" in count_field
    assert f'<div class="invalid-feedback">{too_many}</div>' in count_field
    assert f'action="/quizzes/manage/{drawn.id}/rules#rule-form"' in page
    # A value the form itself refuses is kept as typed too.
    refused = auth.post(path, {**typed, "count": "0"})
    assert refused.status_code == 400
    assert 'value="0"' in refused.get_data(as_text=True)
    reload(session)
    assert not session.scalars(sa.select(QuizRule).where(QuizRule.quiz_id == drawn.id)).all()
    assert not _entries(session, "quiz.rule_added")
    added = auth.post(path, {**typed, "count": "1", "difficulty": "0"})
    assert added.status_code == 302
    reload(session)
    assert [e.actor_id for e in _entries(session, "quiz.rule_added")] == [world.secretary_a.id]


def test_rules_of_a_quiz_outside_the_secretarys_units_are_not_found(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session)
        higher = make_quiz(
            session, world.root, paper, publish=False, composition=Composition.RANDOM
        )
        add_rule(
            session,
            None,
            higher,
            RuleInput(paper.bank, None, "judge", None, 1, Decimal("1")),
            FIXED_NOW,
        )
    session.commit()
    rule_id = higher.rules[0].id
    auth.login("mema")
    assert auth.post(f"/quizzes/manage/{higher.id}/rules", {"count": "1"}).status_code == 403
    auth.logout()
    auth.login("seca")
    assert auth.post(f"/quizzes/manage/{higher.id}/rules", {"count": "1"}).status_code == 404
    assert auth.post(f"/quizzes/manage/{higher.id}/rules/{rule_id}/delete").status_code == 404
    reload(session)
    assert len(session.scalars(sa.select(QuizRule).where(QuizRule.quiz_id == higher.id)).all())
    assert not _entries(session, "quiz.rule_removed")


def test_the_page_shows_the_papers_totals(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session)
        fixed = make_quiz(session, world.branch_a, paper, publish=False)
        drawn = make_quiz(
            session, world.branch_a, paper, publish=False, composition=Composition.RANDOM
        )
        add_rule(
            session,
            None,
            drawn,
            RuleInput(paper.bank, None, "single", None, 1, Decimal("2.5")),
            FIXED_NOW,
        )
        add_rule(
            session,
            None,
            drawn,
            RuleInput(paper.bank, None, "judge", None, 1, Decimal("1")),
            FIXED_NOW,
        )
        fixed_totals, drawn_totals = _totals_text(5, "10"), _totals_text(2, "3.5")
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{drawn.id}").get_data(as_text=True)
    assert f'data-testid="paper-totals">{drawn_totals}<' in page
    page = auth.client.get(f"/quizzes/manage/{fixed.id}").get_data(as_text=True)
    assert f'data-testid="paper-totals">{fixed_totals}<' in page


def test_publishing_and_archiving_say_what_happened(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session), publish=False)
        published = gettext("Quiz published. Its audience can take it now.")
        archived = gettext("Quiz archived. Members can no longer start it.")
        vague = gettext("Quiz updated.")
    session.commit()
    auth.login("seca")
    path = f"/quizzes/manage/{quiz.id}/state"
    page = auth.post(path, {"target": "published"}, follow_redirects=True)
    assert published in page.get_data(as_text=True) and vague not in page.get_data(as_text=True)
    page = auth.post(path, {"target": "archived"}, follow_redirects=True)
    assert archived in page.get_data(as_text=True)
    assert auth.post(path, {"target": "draft"}).status_code == 400
    reload(session)
    assert [e.action for e in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))][
        -2:
    ] == ["quiz.published", "quiz.archived"]


def test_the_picker_marks_questions_on_the_paper_and_adding_keeps_the_search(
    app, session, auth, world
):
    """Questions already on the paper are marked and cannot be chosen again; adding says how
    many chosen ones were skipped as already there, and comes back to the same search."""
    with app.test_request_context():
        paper = make_paper(session, types=("single", "multiple", "judge"))
        single, multiple, judge = paper.questions
        quiz = make_quiz(session, world.branch_a, paper, publish=False)
        remove_item(session, None, quiz, quiz.items[2].id, FIXED_NOW)  # the judge question
        added = gettext("%(n)d questions added.", n=1)
        skipped = ngettext(
            "%(num)d question chosen was already on the paper and was skipped.",
            "%(num)d questions chosen were already on the paper and were skipped.",
            2,
        )
    session.commit()
    auth.login("seca")
    # q=党 finds the single-choice question (on the paper) and the judge one (not on it).
    search = f"/quizzes/manage/{quiz.id}?bank={paper.bank.id}&q=%E5%85%9A"
    page = auth.client.get(search).get_data(as_text=True)
    picker = page[page.index('data-testid="question-picker"') :]
    assert picker.count('data-testid="picker-on-paper"') == 1
    assert f'name="question_ids" value="{judge.id}"' in picker
    assert f'name="question_ids" value="{single.id}"' not in picker
    assert (
        f'action="/quizzes/manage/{quiz.id}/questions?bank={paper.bank.id}&amp;q=%E5%85%9A"' in page
    )
    response = auth.post(
        f"/quizzes/manage/{quiz.id}/questions?bank={paper.bank.id}&q=%E5%85%9A",
        {"question_ids": [str(single.id), str(multiple.id), str(judge.id)]},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == search
    page = auth.client.get(search).get_data(as_text=True)
    assert added in page and skipped in page
    reload(session)
    assert [e.after for e in _entries(session, "quiz.questions_added")][-1] == {
        "questions": [judge.id]
    }


def _charter_bank(session, singles: int, judges: int = 0):
    """A bank whose 党章 knowledge point holds `singles` single-choice and `judges` true/false
    questions, and that point."""
    bank = make_bank(session, two_person_review=False)
    for n in range(singles):
        draft = QuestionDraft(
            type="single",
            stem=f"党章单选题{n}",
            spec={"options": ["甲", "乙"], "answer": 0},
            knowledge_point=["党章"],
        )
        add_question(session, None, bank, draft, FIXED_NOW, QuestionStatus.ACTIVE)
    for n in range(judges):
        draft = QuestionDraft(
            type="judge", stem=f"党章判断题{n}", spec={"answer": True}, knowledge_point=["党章"]
        )
        add_question(session, None, bank, draft, FIXED_NOW, QuestionStatus.ACTIVE)
    point = session.scalars(sa.select(KnowledgePoint).where(KnowledgePoint.bank_id == bank.id))
    return bank, point.one()


def _drawn(session, world, bank, rules):
    quiz = make_quiz(session, world.branch_a, None, publish=False, composition=Composition.RANDOM)
    for point, question_type, count in rules:
        add_rule(
            session,
            None,
            quiz,
            RuleInput(bank, point, question_type, None, count, Decimal("1")),
            FIXED_NOW,
        )
    return quiz


def test_rules_drawing_from_the_same_questions_are_counted_together(session, world, ctx):
    bank, charter = _charter_bank(session, singles=33, judges=5)
    overlapping = _drawn(session, world, bank, [(charter, "single", 5), (charter, "single", 30)])
    assert paper_problems(session, overlapping) == [
        "Rules 1 and 2 draw from the same questions: together they may need 35 of them,"
        " and only 33 match rule 2."
    ]
    # Any type first may take the single-choice questions the second rule needs.
    nested = _drawn(session, world, bank, [(None, None, 5), (charter, "single", 30)])
    assert [p.startswith("Rules 1 and 2 ") for p in paper_problems(session, nested)] == [True]
    # The other way round the second rule always finds 5 of the 38 left.
    fits = _drawn(session, world, bank, [(charter, "single", 30), (None, None, 5)])
    assert paper_problems(session, fits) == []
    apart = _drawn(session, world, bank, [(charter, "single", 30), (charter, "judge", 5)])
    assert paper_problems(session, apart) == []


def test_a_refused_publish_names_each_problem_once(app, session, auth, world):
    with app.test_request_context():
        bank, charter = _charter_bank(session, singles=33)
        quiz = _drawn(session, world, bank, [(charter, "single", 5), (charter, "single", 30)])
        (problem,) = paper_problems(session, quiz)
    session.commit()
    auth.login("seca")
    page = auth.post(
        f"/quizzes/manage/{quiz.id}/state", {"target": "published"}, follow_redirects=True
    ).get_data(as_text=True)
    assert page.count(problem) == 1
    assert page.count('data-testid="paper-problem"') == 1 and "alert-danger" in page
    reload(session)
    assert session.get(Quiz, quiz.id).state == QuizState.DRAFT
