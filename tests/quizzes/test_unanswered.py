"""A question left unanswered is shown as 未作答, not as a wrong answer: on the result page and in
the 错题本, where it stays (the member does not know it) with its entry so labelled. It still
earns nothing, in the grade and in the report."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from learnapp.quizzes.analysis import quiz_report
from learnapp.quizzes.models import Attempt, WrongAnswer
from learnapp.quizzes.presenters import Outcome, review_question
from tests.conftest import reload
from tests.quizzes.helpers import SINGLE_KEY


def _slot(question_type, spec, response, *, awarded="0", is_correct=False):
    version = SimpleNamespace(
        stem="题干", spec=spec, explanation="", source_document="", source_version=""
    )
    return SimpleNamespace(
        position=1,
        version_id=1,
        version=version,
        key_version=version,
        graded_version_id=None,
        question_type=question_type,
        response=response,
        option_order=[0, 1, 2],
        awarded=None if awarded is None else Decimal(awarded),
        points=Decimal("2"),
        is_correct=is_correct,
        marker_comment="",
    )


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("question_type", "spec"),
    [
        ("single", {"options": ["甲", "乙", "丙"], "answer": 0}),
        ("multiple", {"options": ["甲", "乙", "丙"], "answers": [0, 1]}),
        ("judge", {"answer": False}),
        ("fill", {"blanks": [["八"]], "any_order": False}),
        ("short", {"reference": "参考答案", "key_points": []}),
    ],
)
def test_no_answer_is_unanswered_not_wrong(question_type, spec):
    item = review_question(_slot(question_type, spec, None))
    assert item.outcome == Outcome.UNANSWERED and not item.answered


@pytest.mark.usefixtures("ctx")
def test_a_wrong_answer_is_still_wrong():
    spec = {"options": ["甲", "乙", "丙"], "answer": 0}
    item = review_question(_slot("single", spec, {"choice": 1}))
    assert item.outcome == Outcome.WRONG and item.answered


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _section(page: str, position: int) -> str:
    return page.split(f'id="item-{position}"')[1].split("</section>")[0]


def test_the_result_and_the_wrong_book_say_unanswered(session, auth, world, final_exam):
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    slots = {s.question_type: s for s in attempt.slots}
    single = slots["single"]
    wrong = single.option_ids[single.option_order.index(1)]  # the key is option 0
    auth.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        {f"q{single.position}": wrong, f"seq-{single.position}": "0"},
    )
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    answered = _section(page, single.position)
    assert 'data-outcome="wrong"' in answered and "未作答" not in answered
    for kind in ("multiple", "judge", "fill", "short"):
        section = _section(page, slots[kind].position)
        assert 'data-outcome="unanswered"' in section, kind
        assert "未作答" in section and "回答错误" not in section, kind
        assert re.search(r'data-testid="review-answer">\s*未作答<', section), kind
        assert 'data-testid="review-answer">—<' not in section, kind

    # The 错题本 keeps every one of them: the member does not know them.
    reload(session)
    entries = session.scalars(sa.select(WrongAnswer)).all()
    assert {e.question_id for e in entries} == {s.question_id for s in slots.values()}
    book = auth.client.get("/quizzes/wrong-book").get_data(as_text=True)
    cards = book.split('data-testid="wrong-entry"')[1:]
    assert len(cards) == 5
    unanswered = [card for card in cards if 'data-testid="wrong-unanswered"' in card]
    assert len(unanswered) == 4
    for card in unanswered:
        assert "未答对 1 次" in card and "答错" not in card
    (got_wrong,) = [card for card in cards if 'data-testid="wrong-unanswered"' not in card]
    assert SINGLE_KEY in got_wrong and "答错 1 次" in got_wrong

    # Nobody else's 错题本 holds them.
    auth.logout()
    auth.login("memb")
    assert 'data-testid="wrong-entry"' not in auth.client.get("/quizzes/wrong-book").get_data(
        as_text=True
    )


def test_an_unanswered_question_earns_nothing_in_the_grade_and_the_report(
    app, session, auth, world, final_exam
):
    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")  # nothing answered
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert (attempt.score, attempt.percent, attempt.passed) == (0, 0, False)
    assert all(s.awarded == 0 and s.is_correct is False for s in attempt.slots)
    with app.test_request_context():
        report = quiz_report(session, world.admin, final_exam)
    assert [r.grade.percent for r in report.results] == [0]
    assert [item.facility for item in report.items] == [0.0] * 5
