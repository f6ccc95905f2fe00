"""Coming back to an attempt in progress: the quiz list, the quiz page and the home page flag
it with the time left and a link straight to it; the taking screen keeps the question the member
was at across a reload or the form's save."""

import re
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from learnapp.quizzes import attempts as svc
from learnapp.quizzes.models import FinishedBy, QuizKind
from learnapp.quizzes.presenters import running_attempts
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    return int(re.search(r"/quizzes/attempts/(\d+)$", response.headers["Location"]).group(1))


def _card(page: str, quiz_id: int) -> str:
    """The quiz list's card of one quiz."""
    link = page.index(f'href="/quizzes/{quiz_id}"')
    start = page.rindex('data-testid="quiz-card"', 0, link)
    end = page.find('data-testid="quiz-card"', link)
    return page[start : end if end > 0 else None]


def _home_quizzes(page: str) -> str:
    start = page.index('data-testid="home-quizzes"')
    return page[start : page.index("</section>", start)]


@contextmanager
def _statements(app):
    """The SQL statements the application's engine sends while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = app.extensions["learnapp.db"].engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_running_attempts_are_those_in_progress_with_the_minutes_left(app, session, world):
    with app.test_request_context():
        paper = make_paper(session, types=("judge",))
        timed = make_quiz(session, world.root, paper)
        open_ended = make_quiz(session, world.root, paper, closes_at=None, duration_seconds=None)
        finished = make_quiz(session, world.root, paper)
        running = svc.start_attempt(session, world.member_a, timed, FIXED_NOW)
        untimed = svc.start_attempt(session, world.member_a, open_ended, FIXED_NOW)
        done = svc.start_attempt(session, world.member_a, finished, FIXED_NOW)
        svc.finalize(session, done.id, FIXED_NOW, FinishedBy.MEMBER)
    attempts = [running, untimed, done]
    # 30 minutes allowed; 10 min 30 s gone leaves 19 min 30 s, shown as 20 (rounded up).
    now = FIXED_NOW + timedelta(minutes=10, seconds=30)
    flagged = running_attempts(attempts, now)
    assert set(flagged) == {timed.id, open_ended.id}
    assert flagged[timed.id].attempt is running and flagged[timed.id].minutes_left == 20
    assert flagged[open_ended.id].minutes_left is None
    # In the grace after the deadline there is no time left, but the attempt still takes answers.
    assert (
        running_attempts(attempts, FIXED_NOW + timedelta(minutes=30, seconds=30))[
            timed.id
        ].minutes_left
        == 0
    )
    # Past the deadline and its grace it is over, whatever its state says until it is finished.
    assert timed.id not in running_attempts(attempts, FIXED_NOW + timedelta(minutes=32))


def test_the_quiz_list_flags_an_exam_in_progress_and_links_to_it(app, session, auth, clock, world):
    with app.test_request_context():
        exam = make_quiz(session, world.root, make_paper(session, types=("judge",)))
    session.commit()
    auth.login("mema")
    first = _start(auth, exam)
    auth.post(f"/quizzes/attempts/{first}/submit")
    second = _start(auth, exam)
    clock.advance(minutes=5)
    with app.test_request_context():
        badge = gettext("Attempt in progress")
        left = ngettext("%(num)d minute left", "%(num)d minutes left", 25)
        second_of_two = gettext("Attempt %(n)d of %(allowed)d", n=2, allowed=2)
        used = gettext("%(used)d of %(allowed)d used", used=2, allowed=2)
        used_up = gettext("You have used every attempt allowed for this quiz.")
    card = _card(auth.client.get("/quizzes/").get_data(as_text=True), exam.id)
    assert badge in card and left in card
    assert f'href="/quizzes/attempts/{second}" data-testid="card-resume"' in card
    assert second_of_two in card and used not in card and used_up not in card
    page = auth.client.get(f"/quizzes/{exam.id}").get_data(as_text=True)
    assert badge in page and left in page and second_of_two in page and used not in page
    auth.post(f"/quizzes/attempts/{second}/submit")
    card = _card(auth.client.get("/quizzes/").get_data(as_text=True), exam.id)
    assert badge not in card and "card-resume" not in card
    assert used in card and used_up in card


def test_an_attempt_past_its_deadline_is_not_offered_to_continue(app, session, auth, clock, world):
    with app.test_request_context():
        exam = make_quiz(session, world.root, make_paper(session, types=("judge",)))
    session.commit()
    auth.login("mema")
    _start(auth, exam)
    clock.advance(minutes=40)  # the sweep has not run yet: the attempt is still in progress
    assert "card-resume" not in _card(auth.client.get("/quizzes/").get_data(as_text=True), exam.id)
    assert 'data-testid="home-running"' not in auth.client.get("/").get_data(as_text=True)


def test_home_puts_the_attempt_in_progress_first_with_a_link_to_it(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session, types=("judge",))
        exam = make_quiz(session, world.root, paper, title="较早的考试")
        newer = [
            make_quiz(session, world.root, paper, title=f"较新的练习{n}", kind=QuizKind.PRACTICE)
            for n in range(3)
        ]
        badge = gettext("Attempt in progress")
    session.commit()
    auth.login("mema")
    card = _home_quizzes(auth.client.get("/").get_data(as_text=True))
    assert exam.title not in card  # only the three newest are listed
    assert all(quiz.title in card for quiz in newer)
    attempt_id = _start(auth, exam)
    card = _home_quizzes(auth.client.get("/").get_data(as_text=True))
    running = card[card.index('data-testid="home-running"') :]
    # First, then the two newest others: the home page still lists three.
    assert card.index(exam.title) < card.index(newer[2].title) < card.index(newer[1].title)
    assert newer[0].title not in card and card.count("list-group-item-action") == 3
    assert f'href="/quizzes/attempts/{attempt_id}" data-testid="home-running"' in card
    assert badge in running and exam.title in running


def test_flagging_attempts_costs_one_query_whatever_their_number(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session, types=("judge",))
        quizzes = [
            make_quiz(session, world.root, paper, title=f"测试{n}", kind=QuizKind.PRACTICE)
            for n in range(4)
        ]
    session.commit()
    auth.login("mema")
    auth.client.get("/")  # the first request warms what every later one shares

    def count(path):
        with _statements(app) as sent:
            assert auth.client.get(path).status_code == 200
        return len(sent)

    before = {path: count(path) for path in ("/", "/quizzes/")}
    _start(auth, quizzes[0])
    one = {path: count(path) for path in ("/", "/quizzes/")}
    for quiz in quizzes[1:]:
        _start(auth, quiz)
    many = {path: count(path) for path in ("/", "/quizzes/")}
    assert before == one == many and before["/"] > 0  # the listener saw the requests
    page = auth.client.get("/").get_data(as_text=True)
    assert _home_quizzes(page).count('data-testid="home-running"') == 4


def test_the_form_save_returns_to_the_question_the_member_was_at(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert 'name="at"' in page and 'data-start="1"' in page
    saved = auth.post(f"/quizzes/attempts/{attempt_id}/save", {"at": "4"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}#q4")
    for at in ("", "0", "6", "x", "٣", "99999"):  # the exam has five questions
        saved = auth.post(f"/quizzes/attempts/{attempt_id}/save", {"at": at})
        assert saved.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}"), at


def test_a_refused_token_on_the_form_save_opens_on_the_question_the_member_was_at(
    session, auth, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    refused = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/save",
        data={"csrf_token": "expired", "at": "3", "q5": "我的作答"},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'data-testid="post-refused"' in page
    assert 'data-start="3"' in page and 'name="at" value="3"' in page


def test_a_short_answer_box_is_not_the_target_of_a_question_address(auth, world, exam):
    """#q5 names question 5 for the page's script; no element may take it (the browser would
    scroll to it, past the navigator)."""
    auth.login("mema")
    attempt_id = _start(auth, exam)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert not re.search(r'id="q\d+"', page)
    assert 'id="q5-text"' in page and 'for="q5-text"' in page
