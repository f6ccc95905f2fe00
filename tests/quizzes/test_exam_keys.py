"""The keys of a question asked by an exam whose answers the member may not see yet (security.md
E2): between two attempts, and after the last while the results wait or are never shown, no
page of theirs gives them away, whatever quiz asks the question again (a practice's result, the
错题本, a report from them), and the 错题本 does not move for it. Once the exam shows its
answers, they show again."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.quizzes import attempts as svc
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    FinishedBy,
    QuizKind,
    ReleasePolicy,
    WrongAnswer,
)
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.release import Withheld, question_withholdings
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import (
    EXPLANATION,
    SINGLE_KEY,
    Paper,
    make_paper,
    make_quiz,
    sent_statements,
)

CLOSE = FIXED_NOW + timedelta(hours=2)
RELEASED = CLOSE + timedelta(seconds=61)  # past the close and its 60 s grace
NOTICE = "本题出现在您参加的考试中，该考试公布答案前不显示本题答案。"
SHARED_KEYS = (EXPLANATION, SINGLE_KEY, "《中国共产党章程》第十条")  # the 单选's 解析, key, 出处


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    return int(re.search(r"/quizzes/attempts/(\d+)$", response.headers["Location"]).group(1))


def _submitted(auth, quiz) -> int:
    """An attempt submitted unanswered: every question wrong."""
    attempt_id = _start(auth, quiz)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    return attempt_id


def _page(auth, path) -> str:
    response = auth.client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _result(auth, attempt_id) -> str:
    return _page(auth, f"/quizzes/attempts/{attempt_id}/result")


def _reasons(page: str) -> list[str]:
    return re.findall(r'data-testid="key-withheld" data-reason="([a-z_]+)"', page)


def _no_key(page: str) -> bool:
    """No key of the 单选 the exam and the practice share (the practice's own 判断 shows its)."""
    return not any(key in page for key in SHARED_KEYS)


@pytest.fixture
def quizzes(app, session, world):
    """A paper of one question of each type, its 单选 first, for exams, and a practice
    (unlimited attempts) asking that 单选 with a 判断 of its own."""
    with app.test_request_context():
        paper = make_paper(session)
        other = make_paper(session, types=("judge",))
        shared = Paper(paper.bank, [paper.questions[0], other.questions[0]])
        practice = make_quiz(
            session, world.root, shared, kind=QuizKind.PRACTICE, title="练习", attempts_allowed=0
        )
    session.commit()
    return paper, practice


def _exam(app, session, world, paper, **settings):
    """An exam over the paper, closing in two hours."""
    with app.test_request_context():
        quiz = make_quiz(session, world.root, paper, closes_at=CLOSE, **settings)
    session.commit()
    return quiz


def _later(auth, clock, moment) -> None:
    """The member comes back at `moment`, logging in again."""
    auth.logout()
    clock.at = moment
    auth.login("mema")


def _single_right(auth, session, attempt_id) -> None:
    """The attempt submitted with its first question, the shared 单选, answered right."""
    single = slots_of(session, _attempt(session, attempt_id))[0]
    right = single.option_ids[single.option_order.index(single.version.spec["answer"])]
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", {"q1": right, "seq-1": "0"})


def _entry_id(session, question_id) -> int:
    return session.scalar(sa.select(WrongAnswer.id).where(WrongAnswer.question_id == question_id))


def _wrong_counts(session) -> dict[int, int]:
    reload(session)
    return dict(session.execute(sa.select(WrongAnswer.question_id, WrongAnswer.wrong_count)).all())


def test_between_two_attempts_no_page_shows_the_exams_keys_until_it_shows_them(
    app, session, auth, clock, world, quizzes
):
    paper, practice = quizzes
    exam = _exam(app, session, world, paper, release=ReleasePolicy.AFTER_CLOSE, attempts_allowed=2)
    auth.login("mema")
    _submitted(auth, exam)  # one attempt left
    practiced = _submitted(auth, practice)
    page = _result(auth, practiced)
    assert _no_key(page) and NOTICE in page
    assert 'data-testid="result-percent"' in page  # the practice's score still shows
    assert _reasons(page) == ["in_exam"]  # the 单选; the practice's own 判断 shows its key
    assert page.count('data-testid="review-item"') == 1
    assert _no_key(_page(auth, "/quizzes/wrong-book"))
    report = f"/quizzes/attempts/{practiced}/items/%d/report"
    assert auth.post(report % 1, {"text": "答案是什么？"}).status_code == 404
    assert auth.post(report % 2, {"text": "题目有误"}).status_code == 302
    # The 错题本 took the 判断 only: an entry for the 单选 would say the answer was wrong.
    shared, own = (q.question_id for q in slots_of(session, _attempt(session, practiced)))
    assert _wrong_counts(session) == {own: 1}
    _later(auth, clock, RELEASED)
    page = _result(auth, practiced)
    assert EXPLANATION in page and SINGLE_KEY in page and not _reasons(page)
    _submitted(auth, practice)
    assert _wrong_counts(session) == {own: 2, shared: 1}


def test_an_exam_that_never_shows_results_never_shows_its_keys_elsewhere(
    app, session, auth, clock, world, quizzes
):
    paper, practice = quizzes
    exam = _exam(app, session, world, paper, release=ReleasePolicy.NEVER, attempts_allowed=1)
    auth.login("mema")
    _submitted(auth, exam)
    practiced = _submitted(auth, practice)
    page = _result(auth, practiced)
    assert _no_key(page) and NOTICE in page and _reasons(page) == ["in_exam"]
    _later(auth, clock, RELEASED + timedelta(days=30))
    page = _result(auth, practiced)
    assert _no_key(page) and NOTICE in page and _reasons(page) == ["in_exam"]


def test_the_wrong_book_holds_a_practice_key_back_while_the_exam_withholds_it(
    app, session, auth, clock, world, quizzes
):
    """Wrong answers from a practice are in the 错题本 with their keys; an exam asking one of
    them, its results waiting for the close, holds that key back there (its own answer was
    right: the 错题本 goes by the practice's) and the book does not move for it."""
    paper, practice = quizzes
    exam = _exam(app, session, world, paper, release=ReleasePolicy.AFTER_CLOSE, attempts_allowed=1)
    auth.login("mema")
    practiced = _submitted(auth, practice)
    assert EXPLANATION in _page(auth, "/quizzes/wrong-book")
    shared, own = (q.question_id for q in slots_of(session, _attempt(session, practiced)))
    _single_right(auth, session, _start(auth, exam))
    page = _page(auth, "/quizzes/wrong-book")
    assert _no_key(page) and NOTICE in page and _reasons(page) == ["in_exam"]
    assert page.count('data-testid="wrong-entry"') == 2  # still listed
    clock.advance(minutes=30)
    # The 单选 right this time, the 判断 wrong again: the 单选's entry does not move (a
    # review pushed further out would say the answer was right), the 判断's counts.
    _single_right(auth, session, _start(auth, practice))
    reload(session)
    streaks = session.execute(
        sa.select(WrongAnswer.question_id, WrongAnswer.right_streak, WrongAnswer.wrong_count)
    ).all()
    assert sorted(streaks) == sorted([(shared, 0, 1), (own, 0, 2)])
    _later(auth, clock, RELEASED + timedelta(days=1))  # released, and the entry is due
    _single_right(auth, session, _start(auth, practice))
    reload(session)
    assert session.get(WrongAnswer, _entry_id(session, shared)).right_streak == 1
    _later(auth, clock, RELEASED + timedelta(days=1))
    page = _page(auth, "/quizzes/wrong-book")
    assert EXPLANATION in page and not _reasons(page)


def test_an_exam_released_at_once_holds_nothing_back(app, session, auth, world, quizzes):
    paper, practice = quizzes
    exam = _exam(app, session, world, paper, attempts_allowed=1)
    auth.login("mema")
    _submitted(auth, exam)  # its last attempt: its answers show
    page = _result(auth, _submitted(auth, practice))
    assert EXPLANATION in page and SINGLE_KEY in page and not _reasons(page)


def test_another_members_practice_is_not_held_back(app, session, auth, world, quizzes):
    paper, practice = quizzes
    exam = _exam(app, session, world, paper, release=ReleasePolicy.AFTER_CLOSE, attempts_allowed=2)
    auth.login("mema")
    _submitted(auth, exam)
    auth.logout()
    auth.login("memb")
    page = _result(auth, _submitted(auth, practice))
    assert EXPLANATION in page and SINGLE_KEY in page and not _reasons(page)


def _taken(session, member, quiz):
    attempt = svc.start_attempt(session, member, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return attempt.id


@pytest.mark.usefixtures("ctx")
def test_the_rule_takes_as_many_queries_for_one_question_as_for_many(session, world):
    paper = make_paper(session)
    practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE)
    for release in ReleasePolicy:
        exam = make_quiz(session, world.root, paper, release=release, closes_at=CLOSE)
        _taken(session, world.member_a, exam)
    practiced = _taken(session, world.member_a, practice)

    def counted(count):
        session.expire_all()
        slots = session.scalars(
            sa.select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == practiced)
            .order_by(AttemptQuestion.position)
            .limit(count)
        ).all()
        with sent_statements(session) as sent:
            held = question_withholdings(session, world.member_a, slots, FIXED_NOW)
        assert len(held) == count
        assert {reason.reason for reason in held.values()} == {Withheld.IN_EXAM}
        return len(sent)

    assert counted(1) == counted(len(paper.questions))


def _attempt(session, attempt_id):
    reload(session)
    return session.get(Attempt, attempt_id)
