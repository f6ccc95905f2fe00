"""Marking 简答 answers: nobody marks their own (the queue, the marking page, the service and the
inbox count agree), answers are known by a code that tells neither their id nor the order they
were given in, and a mark has at most two decimals."""

import re

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import mark_answer
from learnapp.quizzes.models import Attempt, AttemptQuestion, AttemptState, FinishedBy
from learnapp.quizzes.presenters import answer_code
from learnapp.quizzes.queries import markable_slot, marking_queue, slots_of
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
    """An exam of 甲支部 over one 简答, taken by its secretary and by a member of the branch:
    both answers wait for a marker."""
    with app.test_request_context():
        quiz = make_quiz(session, world.branch_a, make_paper(session, types=("short",)))
        own = _short_answer(session, quiz, world.secretary_a, "我自己的答案")
        other = _short_answer(session, quiz, world.member_a)
    session.commit()
    return own.id, other.id


def test_a_markers_own_answer_is_not_in_their_queue(session, world, branch_exam):
    own, other = branch_exam
    assert [s.id for s in marking_queue(session, world.secretary_a)] == [other]
    assert markable_slot(session, world.secretary_a, own) is None
    assert markable_slot(session, world.secretary_a, other).id == other
    # Another manager of the quiz sees and marks both.
    assert sorted(s.id for s in marking_queue(session, world.general_secretary)) == [own, other]


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
