"""Marking 简答 answers: nobody marks their own (the queue, the marking page, the service and the
inbox count agree), answers are known by a code that tells neither their id nor the order they
were given in, and a mark has at most two decimals."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import mark_answer
from learnapp.quizzes.marking_queue import markable_slot, marking_queue, marking_work
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    FinishedBy,
    Quiz,
    QuizOverride,
)
from learnapp.quizzes.presenters import answer_code
from learnapp.quizzes.queries import slots_of
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz


def _short_answer(session, quiz, member, text="坚持理论联系实际") -> AttemptQuestion:
    attempt = svc.start_attempt(session, member, quiz, FIXED_NOW)
    answers.save_answer(
        session, attempt.id, 1, 0, {"text": text}, FIXED_NOW, member_id=attempt.member_id
    )
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return slots_of(session, attempt)[0]


@pytest.fixture
def branch_exam(app, session, world):
    """An exam of 甲支部 over one 简答 and one attempt, taken by its secretary and by a member of
    the branch: both answers wait for a marker."""
    with app.test_request_context():
        quiz = make_quiz(
            session, world.branch_a, make_paper(session, types=("short",)), attempts_allowed=1
        )
        own = _short_answer(session, quiz, world.secretary_a, "我自己的答案")
        other = _short_answer(session, quiz, world.member_a)
    session.commit()
    return own.id, other.id


def test_a_markers_own_answer_is_not_in_their_queue(session, world, branch_exam):
    own, other = branch_exam
    assert [s.id for s in marking_queue(session, world.secretary_a, FIXED_NOW)] == [other]
    assert markable_slot(session, world.secretary_a, own, FIXED_NOW) is None
    assert markable_slot(session, world.secretary_a, other, FIXED_NOW).id == other
    # Another manager of the quiz, outside its audience, sees and marks both.
    assert sorted(s.id for s in marking_queue(session, world.admin, FIXED_NOW)) == [
        own,
        other,
    ]


@pytest.mark.usefixtures("ctx")
def test_marking_ones_own_answer_is_refused_and_changes_nothing(session, world, branch_exam):
    own, _other = branch_exam
    slot = session.get(AttemptQuestion, own)
    with pytest.raises(DomainError, match="your own answer"):
        mark_answer(session, world.secretary_a, slot, "4", "", FIXED_NOW)
    session.refresh(slot)
    assert slot.marked_at is None and slot.awarded is None and slot.marked_by_id is None
    assert session.get(Attempt, slot.attempt_id).state == AttemptState.AWAITING_MARKING
    assert not session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "quiz.answer_marked")
    )
    mark_answer(session, world.general_secretary, slot, "4", "", FIXED_NOW)
    assert session.get(Attempt, slot.attempt_id).state == AttemptState.GRADED


def test_the_marking_routes_never_offer_a_marker_their_own_answer(
    session, auth, world, branch_exam
):
    own, other = branch_exam
    auth.login("seca")
    queue = auth.client.get("/quizzes/marking").get_data(as_text=True)
    assert f"/quizzes/marking/{other}" in queue and f"/quizzes/marking/{own}" not in queue
    assert auth.client.get(f"/quizzes/marking/{own}").status_code == 404
    refused = auth.post(f"/quizzes/marking/{own}", {"points": "4", "comment": "满分"})
    assert refused.status_code == 404
    reload(session)
    slot = session.get(AttemptQuestion, own)
    assert slot.marked_at is None and slot.awarded is None
    assert session.get(Attempt, slot.attempt_id).state == AttemptState.AWAITING_MARKING
    # The inbox and the home page count the one answer the secretary may mark.
    for page in ("/inbox", "/"):
        body = auth.client.get(page).get_data(as_text=True)
        line = re.search(r'data-testid="inbox-quiz-marking".*?</a>', body, re.S).group(0)
        assert re.search(r'rounded-pill[^"]*">1<', line), line


@pytest.fixture
def exam_the_marker_may_retake(app, session, world):
    """An exam of 甲支部 allowing two attempts: its secretary has used one, a member's answer
    waits for a marker."""
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("short",)))
        _short_answer(session, quiz, world.secretary_a, "我自己的答案")
        other = _short_answer(session, quiz, world.member_a)
    session.commit()
    return quiz.id, other.id


def test_a_marker_who_may_still_answer_the_quiz_reads_none_of_its_answers(
    session, world, exam_the_marker_may_retake
):
    quiz_id, other = exam_the_marker_may_retake
    assert marking_queue(session, world.secretary_a, FIXED_NOW) == []
    assert markable_slot(session, world.secretary_a, other, FIXED_NOW) is None
    work = marking_work(session, world.secretary_a, FIXED_NOW)
    assert [(quiz.id, count) for quiz, count in work.held] == [(quiz_id, 1)]
    # A manager outside the audience marks it meanwhile.
    assert other in [s.id for s in marking_queue(session, world.admin, FIXED_NOW)]
    # Once the quiz has closed for the secretary, the answer is his to mark.
    closed = FIXED_NOW + timedelta(days=8)
    assert [s.id for s in marking_queue(session, world.secretary_a, closed)] == [other]
    assert markable_slot(session, world.secretary_a, other, closed).id == other


@pytest.mark.usefixtures("ctx")
def test_an_extension_or_an_attempt_in_progress_keeps_the_answers_from_the_marker(
    session, world, exam_the_marker_may_retake
):
    quiz_id, other = exam_the_marker_may_retake
    session.add(
        QuizOverride(
            quiz_id=quiz_id,
            member_id=world.secretary_a.id,
            closes_at=FIXED_NOW + timedelta(days=30),
            reason="病假",
            granted_by_id=world.general_secretary.id,
            granted_at=FIXED_NOW,
        )
    )
    session.flush()
    # His own close is later than the quiz's: past the quiz's close he may still answer.
    assert marking_queue(session, world.secretary_a, FIXED_NOW + timedelta(days=8)) == []
    after = FIXED_NOW + timedelta(days=31)
    assert [s.id for s in marking_queue(session, world.secretary_a, after)] == [other]
    # His second and last attempt: held while it takes answers, his to mark once it no longer can.
    svc.start_attempt(session, world.secretary_a, session.get(Quiz, quiz_id), FIXED_NOW)
    session.flush()
    assert marking_queue(session, world.secretary_a, FIXED_NOW) == []
    overdue = FIXED_NOW + timedelta(hours=2)
    assert [s.id for s in marking_queue(session, world.secretary_a, overdue)] == [other]


def test_the_marking_page_says_why_answers_wait_and_refuses_them(
    session, auth, world, exam_the_marker_may_retake
):
    _quiz_id, other = exam_the_marker_may_retake
    auth.login("seca")
    page = auth.client.get("/quizzes/marking").get_data(as_text=True)
    assert 'data-testid="marking-item"' not in page
    held = re.search(r'data-testid="marking-held".*?</div>', page, re.S).group(0)
    assert "本人仍可作答" in held and "党章知识测试" in held and "1 份答卷" in held
    assert auth.client.get(f"/quizzes/marking/{other}").status_code == 404
    assert auth.post(f"/quizzes/marking/{other}", {"points": "4", "comment": ""}).status_code == 404
    reload(session)
    assert session.get(AttemptQuestion, other).marked_at is None
    assert 'data-testid="inbox-quiz-marking"' not in auth.client.get("/inbox").get_data(
        as_text=True
    )


def test_a_marker_with_only_their_own_answer_waiting_has_nothing_to_do(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("short",)))
        _short_answer(session, quiz, world.secretary_a)
    session.commit()
    auth.login("seca")
    assert 'data-testid="inbox-quiz-marking"' not in auth.client.get("/inbox").get_data(
        as_text=True
    )
    assert 'data-testid="marking-item"' not in auth.client.get("/quizzes/marking").get_data(
        as_text=True
    )


def test_an_answer_code_holds_no_number_and_depends_on_the_secret():
    codes = {answer_code(slot_id, "secret") for slot_id in range(1, 501)}
    assert len(codes) == 500
    assert all(len(code) == 8 and code.isalpha() and code.isupper() for code in codes)
    assert answer_code(81, "secret") == answer_code(81, b"secret")
    assert answer_code(81, "secret") != answer_code(81, "another secret")


def test_answers_to_mark_are_known_by_codes_in_an_order_that_tells_nothing(
    app, session, auth, world
):
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session, types=("short",)))
        members = (world.member_a, world.member_b, world.secretary_a, world.general_secretary)
        ids = [_short_answer(session, quiz, member).id for member in members]
    session.commit()
    codes = {slot_id: answer_code(slot_id, app.secret_key) for slot_id in ids}
    auth.login("admin")
    queue = auth.client.get("/quizzes/marking").get_data(as_text=True)
    shown = re.findall(r'href="/quizzes/marking/(\d+)"', queue)
    assert [int(slot_id) for slot_id in shown] == sorted(ids, key=codes.get)
    labels = re.findall(r'data-testid="answer-code">([^<]*)<', queue)
    assert labels == [f"答卷 {codes[int(slot_id)]}" for slot_id in shown]
    assert not any(char.isdigit() for label in labels for char in label)
    page = auth.client.get(f"/quizzes/marking/{ids[0]}").get_data(as_text=True)
    label = re.search(r'data-testid="answer-code">([^<]*)<', page).group(1)
    assert label == f"答卷 {codes[ids[0]]}" and f"答卷 {ids[0]}" not in page


@pytest.mark.usefixtures("ctx")
def test_a_mark_with_more_than_two_decimals_is_refused(session, world, branch_exam):
    _own, other = branch_exam
    slot = session.get(AttemptQuestion, other)
    with pytest.raises(DomainError, match="at most two decimal places") as refused:
        mark_answer(session, world.secretary_a, slot, "2.333", "", FIXED_NOW)
    assert refused.value.field == "points"
    session.refresh(slot)
    assert slot.marked_at is None
    mark_answer(session, world.secretary_a, slot, "2.330", "", FIXED_NOW)
    session.refresh(slot)
    assert str(slot.awarded) == "2.33"


def test_the_marking_form_keeps_a_refused_mark_and_steps_by_hundredths(
    session, auth, world, branch_exam
):
    _own, other = branch_exam
    auth.client.set_cookie(LANG_COOKIE, "en")
    auth.login("seca")
    form = auth.client.get(f"/quizzes/marking/{other}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="points"[^>]*>', form).group(0)
    assert 'step="0.01"' in field and 'min="0"' in field and 'max="4"' in field
    refused = auth.post(f"/quizzes/marking/{other}", {"points": "2.333", "comment": "较好"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Points have at most two decimal places." in page
    assert 'value="2.333"' in page and "较好" in page
    reload(session)
    assert session.get(AttemptQuestion, other).marked_at is None
    saved = auth.post(f"/quizzes/marking/{other}", {"points": "2.33", "comment": ""})
    assert saved.status_code == 302
    reload(session)
    assert str(session.get(AttemptQuestion, other).awarded) == "2.33"


@pytest.mark.parametrize(
    ("points", "shown"), [("1", "Marked: 1 point."), ("2.5", "Marked: 2.5 points.")]
)
def test_a_marked_answer_says_point_for_exactly_one(
    session, auth, world, branch_exam, points, shown
):
    _own, other = branch_exam
    auth.client.set_cookie(LANG_COOKIE, "en")
    auth.login("seca")
    assert auth.post(f"/quizzes/marking/{other}", {"points": points}).status_code == 302
    page = auth.client.get(f"/quizzes/marking/{other}").get_data(as_text=True)
    assert shown in page
