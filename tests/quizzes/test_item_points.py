"""A fixed paper's own points for its questions: set, cleared, checked as the bank's points,
fixed once members have taken the quiz, audited, and what grading, the preview and the report
count."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.labels import ACTION_LABELS
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Role
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as attempt_services
from learnapp.quizzes.authoring import archive_quiz, publish_quiz
from learnapp.quizzes.composition import (
    PaperTotals,
    bank_points,
    paper_totals,
    set_item_points,
)
from learnapp.quizzes.models import AnswerOutcome, Attempt, Composition, FinishedBy, Quiz, QuizItem
from learnapp.quizzes.queries import slots_of
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz

CHANGED = "quiz.points_changed"


def _entries(session) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == CHANGED).order_by(AuditEntry.id)
        )
    )


def _stored(session, quiz_id: int) -> list:
    reload(session)
    return [
        item.points
        for item in session.scalars(
            sa.select(QuizItem).where(QuizItem.quiz_id == quiz_id).order_by(QuizItem.position)
        )
    ]


@pytest.mark.usefixtures("ctx")
def test_a_question_gets_its_own_points_on_the_paper_and_its_bank_points_back(session, world):
    paper = make_paper(session)  # single 2, multiple 2, judge 1, fill 1, short 4
    quiz = make_quiz(session, world.root, paper, publish=False)
    single, short = quiz.items[0], quiz.items[4]
    assert paper_totals(session, quiz) == PaperTotals(5, Decimal("10"))
    changed = set_item_points(
        session,
        world.admin,
        quiz,
        {short.id: Decimal("10"), single.id: Decimal("1.5"), quiz.items[2].id: None},
        FIXED_NOW,
    )
    assert changed == 2  # the judge question keeps its bank points: nothing to change
    session.commit()
    assert _stored(session, quiz.id) == [Decimal("1.50"), None, None, None, Decimal("10.00")]
    quiz = session.get(Quiz, quiz.id)
    assert paper_totals(session, quiz) == PaperTotals(5, Decimal("15.5"))
    # The bank's points stay what they are: the paper's own only stand beside them.
    assert list(bank_points(session, quiz).values()) == [2, 2, 1, 1, 4]
    (entry,) = _entries(session)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        world.admin.id,
        "quiz",
        str(quiz.id),
    )
    assert entry.before == {
        "items": [
            {"question": single.question_id, "position": 1, "points": None},
            {"question": short.question_id, "position": 5, "points": None},
        ]
    }
    assert entry.after["items"][1] == {
        "question": short.question_id,
        "position": 5,
        "points": "10.00",
    }
    assert CHANGED in ACTION_LABELS  # the audit log page names it

    # Cleared: the bank's points again.
    assert set_item_points(session, world.admin, quiz, {short.id: None}, FIXED_NOW) == 1
    session.commit()
    assert _stored(session, quiz.id)[4] is None
    assert paper_totals(session, session.get(Quiz, quiz.id)) == PaperTotals(5, Decimal("9.5"))
    assert _entries(session)[-1].after["items"][0]["points"] is None
    # Saving the same points again changes and records nothing.
    quiz = session.get(Quiz, quiz.id)
    assert set_item_points(session, world.admin, quiz, {single.id: Decimal("1.50")}, FIXED_NOW) == 0
    assert len(_entries(session)) == 2


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Points must be more than 0 and at most 100."),
        ("-1", "Points must be more than 0 and at most 100."),
        ("100.01", "Points must be more than 0 and at most 100."),
        ("NaN", "Points must be more than 0 and at most 100."),
        ("sNaN", "Points must be more than 0 and at most 100."),
        ("Infinity", "Points must be more than 0 and at most 100."),
        ("1.234", "Points have at most two decimal places."),
    ],
)
def test_bad_points_are_refused_and_none_of_the_paper_is_stored(session, world, value, message):
    quiz = make_quiz(session, world.root, make_paper(session), publish=False)
    session.commit()
    good, bad = quiz.items[0].id, quiz.items[1].id
    with pytest.raises(DomainError) as refused:
        set_item_points(
            session, world.admin, quiz, {good: Decimal("3"), bad: Decimal(value)}, FIXED_NOW
        )
    assert refused.value.message == message
    session.rollback()
    assert _stored(session, quiz.id) == [None] * 5
    assert not _entries(session)


@pytest.mark.usefixtures("ctx")
def test_a_hundred_points_and_a_hundredth_are_the_bounds(session, world):
    quiz = make_quiz(session, world.root, make_paper(session), publish=False)
    first, second = quiz.items[0].id, quiz.items[1].id
    points = {first: Decimal("100"), second: Decimal("0.01")}
    assert set_item_points(session, world.admin, quiz, points, FIXED_NOW) == 2
    session.commit()
    assert _stored(session, quiz.id)[:2] == [Decimal("100"), Decimal("0.01")]


@pytest.mark.usefixtures("ctx")
def test_points_are_fixed_once_members_have_taken_the_quiz(session, world):
    quiz = make_quiz(session, world.root, make_paper(session))  # published
    item_id = quiz.items[0].id
    # Published but not yet taken: the paper may still change.
    assert set_item_points(session, world.admin, quiz, {item_id: Decimal("3")}, FIXED_NOW) == 1
    attempt_services.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    session.commit()
    with pytest.raises(DomainError) as refused:
        set_item_points(session, world.admin, quiz, {item_id: Decimal("5")}, FIXED_NOW)
    assert refused.value.message == "Members have taken this quiz; its paper is fixed now."
    with pytest.raises(DomainError):
        set_item_points(session, world.admin, quiz, {item_id: None}, FIXED_NOW)
    session.rollback()
    assert _stored(session, quiz.id)[0] == Decimal("3")


@pytest.mark.usefixtures("ctx")
def test_an_archived_paper_a_random_quiz_and_another_papers_item_are_refused(session, world):
    paper = make_paper(session)
    quiz = make_quiz(session, world.root, paper, publish=False)
    other = make_quiz(session, world.root, paper, publish=False)
    drawn = make_quiz(session, world.root, paper, publish=False, composition=Composition.RANDOM)
    with pytest.raises(DomainError) as refused:
        set_item_points(session, world.admin, quiz, {other.items[0].id: Decimal("3")}, FIXED_NOW)
    assert refused.value.message == "That question is not on this paper."
    with pytest.raises(DomainError) as refused:
        set_item_points(session, world.admin, drawn, {}, FIXED_NOW)
    assert refused.value.message == "This quiz draws its questions by rules."
    publish_quiz(session, world.admin, quiz, FIXED_NOW)
    archive_quiz(session, world.admin, quiz, FIXED_NOW)
    with pytest.raises(DomainError) as refused:
        set_item_points(session, world.admin, quiz, {quiz.items[0].id: Decimal("3")}, FIXED_NOW)
    assert refused.value.message == "An archived quiz cannot be changed."
    assert not _entries(session)


def _right(slot) -> dict:
    spec = slot.version.spec
    if slot.question_type == "single":
        return {"value": slot.option_ids[slot.option_order.index(spec["answer"])]}
    return {"value": "false" if spec["answer"] else "true"}  # the judge question: wrong


def _exam_with_own_points(app, session, world) -> Quiz:
    """A published exam of one 单选 (2 points in the bank, 5 on this paper) and one 判断 (1)."""
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.branch_a,
            make_paper(session, types=("single", "judge")),
            publish=False,
            attempts_allowed=1,
        )
        set_item_points(session, world.admin, quiz, {quiz.items[0].id: Decimal("5")}, FIXED_NOW)
        publish_quiz(session, world.admin, quiz, FIXED_NOW)
    session.commit()
    return quiz


def test_grading_counts_the_papers_own_points(app, session, world):
    quiz = _exam_with_own_points(app, session, world)
    with app.test_request_context():
        attempt = attempt_services.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        slots = slots_of(session, attempt)
        assert [slot.points for slot in slots] == [Decimal("5"), Decimal("1")]
        assert attempt.max_score == Decimal("6")
        for slot in slots:
            saved = answers.save_answer(
                session,
                attempt.id,
                slot.position,
                slot.seq,
                _right(slot),
                FIXED_NOW,
                member_id=world.member_a.id,
            )
            assert saved.outcome == AnswerOutcome.SAVED
        graded = attempt_services.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert (graded.score, graded.max_score) == (Decimal("5"), Decimal("6"))
    assert graded.percent == Decimal("83.33")  # 2 of 3 with the bank's points


def test_preview_result_and_report_show_the_papers_own_points(app, session, auth, world):
    quiz = _exam_with_own_points(app, session, world)
    auth.login("seca")
    preview = auth.client.get(f"/quizzes/manage/{quiz.id}/preview").get_data(as_text=True)
    assert re.findall(r"(\d+) 分", preview) == ["5", "1"]
    page = auth.client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert re.findall(r'data-testid="item-points">(\d+) 分<', page) == ["5", "1"]
    assert 'data-testid="item-bank-points">（题库中为 2 分）<' in page
    assert "共 2 道试题，6 分" in page
    auth.logout()
    auth.login("mema")
    start = auth.post(f"/quizzes/{quiz.id}/start")
    attempt_id = int(start.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        for slot in slots_of(session, session.get(Attempt, attempt_id)):
            answers.save_answer(
                session,
                attempt_id,
                slot.position,
                slot.seq,
                _right(slot),
                FIXED_NOW,
                member_id=world.member_a.id,
            )
    session.commit()
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    result = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "5 / 6 分" in result
    auth.logout()
    auth.login("seca")
    report = auth.client.get(f"/quizzes/manage/{quiz.id}/report").get_data(as_text=True)
    assert "83.33%" in report


def test_one_point_is_singular_on_the_preview_the_authoring_page_and_the_paper(
    app, session, auth, world
):
    quiz = _exam_with_own_points(app, session, world)
    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    auth.login("seca")
    preview = auth.client.get(f"/quizzes/manage/{quiz.id}/preview").get_data(as_text=True)
    assert re.findall(r"\d · ([\d.]+ points?)</div>", preview) == ["5 points", "1 point"]
    page = auth.client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert re.findall(r'data-testid="item-points">([^<]+)<', page) == ["5 points", "1 point"]
    assert "In all: 2 questions, 6 points" in page
    auth.logout()
    auth.login("mema")
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/preview").status_code == 403
    start = auth.post(f"/quizzes/{quiz.id}/start")
    paper = auth.client.get(start.headers["Location"]).get_data(as_text=True)
    assert re.findall(r"of 2 · ([\d.]+ points?)</div>", paper) == ["5 points", "1 point"]


def test_secretary_sets_a_papers_points_and_a_bad_value_is_shown_again(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session), publish=False)
    session.commit()
    items = [item.id for item in quiz.items]
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert page.count('data-testid="item-type"') == 5 and ">简答题<" in page
    assert 'name="items-4-points"' in page and 'placeholder="4"' in page
    posted = {f"items-{n}-item_id": str(item_id) for n, item_id in enumerate(items)}
    refused = auth.post(
        f"/quizzes/manage/{quiz.id}/points",
        {**posted, "items-0-points": "3", "items-4-points": "1.234"},
    )
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert 'data-testid="points-error">分值最多保留两位小数。<' in text
    assert 'value="1.234"' in text  # what was typed, in its box
    assert _stored(session, quiz.id) == [None] * 5
    saved = auth.post(
        f"/quizzes/manage/{quiz.id}/points", {**posted, "items-0-points": "3", "items-4-points": ""}
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/quizzes/manage/{quiz.id}#paper")
    assert _stored(session, quiz.id) == [Decimal("3"), None, None, None, None]
    page = auth.client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert 'name="items-0-points"' in page and 'value="3"' in page
    assert "共 5 道试题，11 分" in page
    cleared = auth.post(f"/quizzes/manage/{quiz.id}/points", {**posted, "items-0-points": ""})
    assert cleared.status_code == 302
    assert _stored(session, quiz.id) == [None] * 5


def test_who_may_set_a_papers_points(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("single",)))
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    session.commit()
    item_id = quiz.items[0].id
    path = f"/quizzes/manage/{quiz.id}/points"

    def post(points):
        return auth.post(path, {"items-0-item_id": str(item_id), "items-0-points": points})

    auth.login("mema")
    assert post("3").status_code == 403
    auth.logout()
    auth.login("secb")  # a secretary of another branch: the quiz is not theirs to see
    assert post("3").status_code == 404
    assert _stored(session, quiz.id) == [None]
    auth.logout()
    auth.login("seca")
    assert post("3").status_code == 302
    assert _stored(session, quiz.id) == [Decimal("3")]
    auth.logout()
    auth.login("admin")
    assert post("4.5").status_code == 302
    assert _stored(session, quiz.id) == [Decimal("4.5")]


def test_a_taken_paper_shows_its_points_without_boxes_and_refuses_a_change(
    app, session, auth, world
):
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("single", "short")))
        attempt_services.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    session.commit()
    item_id = quiz.items[0].id
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert re.findall(r'data-testid="item-points">(\d+) 分<', page) == ["2", "4"]
    assert 'data-testid="points-form"' not in page and "items-0-points" not in page
    refused = auth.post(
        f"/quizzes/manage/{quiz.id}/points",
        {"items-0-item_id": str(item_id), "items-0-points": "3"},
    )
    assert refused.status_code == 400
    assert "已有人参加本次答题，试卷不能再修改。" in refused.get_data(as_text=True)
    assert _stored(session, quiz.id) == [None, None]
