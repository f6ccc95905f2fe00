"""What a member sees of a finished exam (security.md E2, E13): the score by the release policy;
each question's correctness, key, explanation and source only once the member can no longer
answer the exam (no attempt in progress, none left to start, or the exam closed for them, on
their own terms). Results "after close" wait until nobody can answer the exam any more: every
member's close and the grace (E3). The 错题本 follows the same rule."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import archive_quiz, update_quiz
from learnapp.quizzes.models import (
    AnswerOutcome,
    Composition,
    FinishedBy,
    QuizKind,
    ReleasePolicy,
    WrongAnswer,
)
from learnapp.quizzes.overrides import OverrideInput, remove_override, save_override
from learnapp.quizzes.queries import slots_of, wrong_answer_reviews
from learnapp.quizzes.release import (
    Withheld,
    Withholding,
    answers_open,
    question_withholdings,
    results_release,
    score_shown,
    still_to_answer,
    withholding,
)
from learnapp.quizzes.wrongbook import update_wrong_book
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import EXPLANATION, Paper, make_paper, make_quiz, settings_of

CLOSE = FIXED_NOW + timedelta(days=7)  # make_quiz's close
GRACE = timedelta(seconds=60)  # the quiz's grace (QuizSettings)
SECOND = timedelta(seconds=1)


def _taken(session, member, quiz, at=FIXED_NOW):
    """An attempt started and submitted unanswered at `at`: every question wrong."""
    attempt = svc.start_attempt(session, member, quiz, at)
    svc.finalize(session, attempt.id, at, FinishedBy.MEMBER)
    return attempt


def _grant(session, world, quiz, **terms):
    override = OverrideInput(reason="补考", **terms)
    return save_override(session, world.admin, quiz, world.member_a, override, FIXED_NOW)


def released_wrong_answers(session, member, question_ids, now) -> dict:
    """The wrong answers the 错题本 shows with their keys, by question id."""
    reviews = wrong_answer_reviews(session, member, question_ids, now)
    return {question_id: slot for question_id, (slot, held) in reviews.items() if held is None}


def _wrong_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(WrongAnswer))


@pytest.fixture
def exam_of_two(ctx, session, world):
    """An exam released at once with two attempts, each asking the same questions."""
    return make_quiz(session, world.root, make_paper(session, types=("single", "judge")))


@pytest.mark.usefixtures("ctx")
class TestAnswersOpen:
    def test_the_score_shows_but_not_the_answers_while_an_attempt_is_left(
        self, session, world, exam_of_two
    ):
        first = _taken(session, world.member_a, exam_of_two)
        assert score_shown(withholding(session, first, FIXED_NOW))
        assert not answers_open(session, first, FIXED_NOW)
        assert still_to_answer(session, world.member_a, [exam_of_two], FIXED_NOW) == {
            exam_of_two.id
        }
        # Nor does the 错题本 take the questions in: it would show their keys.
        assert _wrong_count(session) == 0

    def test_an_attempt_in_progress_keeps_the_answers_of_the_earlier_one_back(
        self, session, world, exam_of_two
    ):
        first = _taken(session, world.member_a, exam_of_two)
        second = svc.start_attempt(session, world.member_a, exam_of_two, FIXED_NOW)
        assert not answers_open(session, first, FIXED_NOW)
        svc.finalize(session, second.id, FIXED_NOW, FinishedBy.MEMBER)
        assert answers_open(session, first, FIXED_NOW)
        assert answers_open(session, second, FIXED_NOW)
        # The last attempt's wrong answers enter the 错题本, released.
        assert _wrong_count(session) == 2
        shown = released_wrong_answers(
            session, world.member_a, [q.question_id for q in exam_of_two.items], FIXED_NOW
        )
        assert {slot.attempt_id for slot in shown.values()} == {second.id}

    def test_the_answers_show_once_the_exam_has_closed(self, session, world, exam_of_two):
        first = _taken(session, world.member_a, exam_of_two)
        assert not answers_open(session, first, CLOSE - timedelta(seconds=1))
        assert answers_open(session, first, CLOSE)

    def test_an_extension_keeps_the_answers_back_until_the_members_own_close(
        self, session, world, exam_of_two
    ):
        _grant(session, world, exam_of_two, closes_at=CLOSE + timedelta(days=2))
        first = _taken(session, world.member_a, exam_of_two)
        assert not answers_open(session, first, CLOSE + timedelta(days=1))
        assert answers_open(session, first, CLOSE + timedelta(days=2))
        # Another member's answers follow the quiz's own close.
        other = _taken(session, world.member_b, exam_of_two)
        assert answers_open(session, other, CLOSE)

    def test_a_further_attempt_granted_takes_the_answers_back(self, session, world, exam_of_two):
        first = _taken(session, world.member_a, exam_of_two)
        second = _taken(session, world.member_a, exam_of_two)
        assert answers_open(session, first, FIXED_NOW)
        override = _grant(session, world, exam_of_two, attempts_allowed=3)
        assert not answers_open(session, first, FIXED_NOW)
        assert not answers_open(session, second, FIXED_NOW)
        assert (
            released_wrong_answers(
                session, world.member_a, [q.question_id for q in exam_of_two.items], FIXED_NOW
            )
            == {}
        )
        remove_override(session, world.admin, exam_of_two, override.id, FIXED_NOW)
        session.expire_all()
        assert answers_open(session, first, FIXED_NOW)

    def test_an_archived_exam_cannot_be_answered_again(self, session, world, exam_of_two):
        first = _taken(session, world.member_a, exam_of_two)
        archive_quiz(session, world.admin, exam_of_two, FIXED_NOW)
        assert answers_open(session, first, FIXED_NOW)

    def test_practice_shows_the_answers_at_once_with_attempts_left(self, session, world):
        practice = make_quiz(
            session, world.root, make_paper(session, types=("single",)), kind=QuizKind.PRACTICE
        )
        first = _taken(session, world.member_a, practice)
        assert answers_open(session, first, FIXED_NOW)
        assert _wrong_count(session) == 1

    def test_the_wrong_book_never_shows_an_exams_key_while_it_may_be_answered_again(
        self, session, world, exam_of_two
    ):
        # An entry written before the rule (or by practice of the same questions) is still
        # shown without the exam's key.
        first = _taken(session, world.member_a, exam_of_two)
        slots = slots_of(session, first)
        update_wrong_book(session, first, slots, FIXED_NOW)
        ids = [slot.question_id for slot in slots]
        assert released_wrong_answers(session, world.member_a, ids, FIXED_NOW) == {}
        assert set(released_wrong_answers(session, world.member_a, ids, CLOSE)) == set(ids)


@pytest.fixture
def closing_exam(ctx, session, world):
    """An exam whose results show after it closes: 30 minutes to answer, a 60 s grace, one
    attempt."""
    return make_quiz(
        session,
        world.root,
        make_paper(session, types=("single", "judge")),
        release=ReleasePolicy.AFTER_CLOSE,
        attempts_allowed=1,
    )


def _save_first(session, attempt, seq, at):
    """The member's autosave of the first (single-choice) question at `at`."""
    slot = slots_of(session, attempt)[0]
    raw = {"value": slot.option_ids[seq % len(slot.option_ids)]}
    return answers.save_answer(session, attempt.id, 1, seq, raw, at, member_id=attempt.member_id)


@pytest.mark.usefixtures("ctx")
class TestAfterClose:
    def test_results_wait_for_the_grace_of_an_attempt_still_answering(
        self, session, world, closing_exam
    ):
        done = _taken(session, world.member_b, closing_exam)
        answering = svc.start_attempt(session, world.member_a, closing_exam, FIXED_NOW)
        # The organisers close the exam early: the attempt in progress ends now, and its grace.
        moved = FIXED_NOW + timedelta(minutes=10)
        update_quiz(
            session, world.admin, closing_exam, settings_of(closing_exam, closes_at=moved), moved
        )
        assert answering.deadline_at == moved
        last = moved + GRACE
        assert withholding(session, done, moved) == Withholding(Withheld.AFTER_CLOSE, last)
        assert withholding(session, done, last) == Withholding(Withheld.AFTER_CLOSE, last)
        assert _save_first(session, answering, 0, last).outcome == AnswerOutcome.SAVED
        assert not answers_open(session, done, last)
        assert withholding(session, done, last + SECOND) is None
        assert _save_first(session, answering, 1, last + SECOND).outcome == AnswerOutcome.LATE

    def test_a_grace_shortened_after_a_start_still_holds_the_results(
        self, session, world, closing_exam
    ):
        done = _taken(session, world.member_b, closing_exam)
        answering = svc.start_attempt(session, world.member_a, closing_exam, FIXED_NOW)
        moved = FIXED_NOW + timedelta(minutes=10)
        shorter = settings_of(closing_exam, closes_at=moved, grace_seconds=0)
        update_quiz(session, world.admin, closing_exam, shorter, moved)
        # The attempt keeps the grace it started with.
        within = moved + timedelta(seconds=30)
        assert _save_first(session, answering, 0, within).outcome == AnswerOutcome.SAVED
        assert not score_shown(withholding(session, done, within))
        assert withholding(session, done, moved + GRACE) == Withholding(
            Withheld.AFTER_CLOSE, moved + GRACE
        )
        assert withholding(session, done, moved + GRACE + SECOND) is None

    def test_a_members_later_close_holds_everyones_results(self, session, world, closing_exam):
        own_close = CLOSE + timedelta(days=2)
        _grant(session, world, closing_exam, closes_at=own_close)
        done = _taken(session, world.member_b, closing_exam)
        held = withholding(session, done, CLOSE + GRACE + SECOND)
        assert held == Withholding(Withheld.AFTER_CLOSE, own_close + GRACE)
        # The extended member may still answer: they start after the quiz's own close.
        late_start = own_close - timedelta(minutes=5)
        answering = svc.start_attempt(session, world.member_a, closing_exam, late_start)
        assert _save_first(session, answering, 0, own_close + GRACE).outcome == (
            AnswerOutcome.SAVED
        )
        assert not answers_open(session, done, own_close + GRACE)
        assert answers_open(session, done, own_close + GRACE + SECOND)

    def test_more_attempts_granted_end_with_the_close_and_its_grace(
        self, session, world, closing_exam
    ):
        _grant(session, world, closing_exam, attempts_allowed=3)
        done = _taken(session, world.member_b, closing_exam)
        _taken(session, world.member_a, closing_exam)
        answering = svc.start_attempt(
            session, world.member_a, closing_exam, CLOSE - timedelta(minutes=1)
        )
        assert answering.deadline_at == CLOSE
        assert _save_first(session, answering, 0, CLOSE + GRACE).outcome == AnswerOutcome.SAVED
        assert not answers_open(session, done, CLOSE + GRACE)
        assert answers_open(session, done, CLOSE + GRACE + SECOND)

    def test_without_a_close_time_the_results_never_show(self, session, world, closing_exam):
        # An exam stored before "after close" needed a close time.
        closing_exam.closes_at = None
        done = _taken(session, world.member_b, closing_exam)
        years_later = FIXED_NOW + timedelta(days=3 * 365)
        assert withholding(session, done, years_later) == Withholding(Withheld.AFTER_CLOSE)
        # Once the organisers set a close, the results follow it and its grace.
        closes = FIXED_NOW + timedelta(days=1)
        update_quiz(
            session, world.admin, closing_exam, settings_of(closing_exam, closes_at=closes), closes
        )
        assert not answers_open(session, done, closes + GRACE)
        assert answers_open(session, done, closes + GRACE + SECOND)

    def test_an_attempt_in_progress_without_a_deadline_holds_the_results(
        self, session, world, closing_exam
    ):
        done = _taken(session, world.member_b, closing_exam)
        answering = svc.start_attempt(session, world.member_a, closing_exam, FIXED_NOW)
        # A deadline lost (the attempt may answer for as long as it lasts).
        answering.deadline_at = None
        session.flush()
        later = CLOSE + timedelta(days=30)
        assert withholding(session, done, later) == Withholding(Withheld.AFTER_CLOSE)
        svc.finalize(session, answering.id, later, FinishedBy.MEMBER)
        assert answers_open(session, done, later)


@pytest.fixture
def paper(ctx, session):
    """A 单选 and a 判断, asked by several quizzes."""
    return make_paper(session, types=("single", "judge"))


def _by_question(session, attempt, held) -> dict:
    return {slot.question_id: held[slot.id] for slot in slots_of(session, attempt)}


ANSWERING = Withholding(Withheld.ANSWERING)
RANDOM = Composition.RANDOM  # a draft drawn by rules: any kind, no paper needed


@pytest.mark.usefixtures("ctx")
class TestQuestionsBeingAnswered:
    """A question asked again in an attempt the member has in progress shows no key anywhere
    until it is submitted: not in a practice's result, not in an earlier exam's."""

    def test_a_practice_question_waits_while_an_exam_in_progress_asks_it(
        self, session, world, paper
    ):
        single, judge = paper.questions
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE)
        exam = make_quiz(session, world.root, Paper(paper.bank, [single]), attempts_allowed=1)
        practiced = _taken(session, world.member_a, practice)
        answering = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)

        def held(member, attempt):
            slots = slots_of(session, attempt)
            return _by_question(
                session, attempt, question_withholdings(session, member, slots, FIXED_NOW)
            )

        assert held(world.member_a, practiced) == {single.id: ANSWERING, judge.id: None}
        # The attempt in progress itself is not graded: its own reason stands.
        assert set(held(world.member_a, answering).values()) == {Withholding(Withheld.PENDING)}
        # Another member's practice of the same question is theirs to see.
        other = _taken(session, world.member_b, practice)
        assert set(held(world.member_b, other).values()) == {None}
        svc.finalize(session, answering.id, FIXED_NOW, FinishedBy.MEMBER)
        assert held(world.member_a, practiced) == {single.id: None, judge.id: None}

    def test_an_earlier_exams_released_questions_wait_too(self, session, world, paper):
        earlier = make_quiz(session, world.root, paper, attempts_allowed=1)
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE)
        taken = _taken(session, world.member_a, earlier)
        assert answers_open(session, taken, FIXED_NOW)
        svc.start_attempt(session, world.member_a, practice, FIXED_NOW)
        slots = slots_of(session, taken)
        held = question_withholdings(session, world.member_a, slots, FIXED_NOW)
        assert set(held.values()) == {ANSWERING}
        # The attempt itself is open: its score shows, only the questions wait.
        assert withholding(session, taken, FIXED_NOW) is None

    def test_the_attempts_own_reason_comes_first(self, session, world, exam_of_two):
        first = _taken(session, world.member_a, exam_of_two)
        svc.start_attempt(session, world.member_a, exam_of_two, FIXED_NOW)
        slots = slots_of(session, first)
        held = question_withholdings(session, world.member_a, slots, FIXED_NOW)
        assert {h.reason for h in held.values()} == {Withheld.ANSWERABLE}

    def test_the_wrong_book_says_a_key_it_can_show_waits_for_the_attempt(
        self, session, world, paper
    ):
        """A wrong answer the 错题本 could show waits while an attempt in progress asks the
        question again, and says so; once that attempt is submitted it shows."""
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE)
        exam = make_quiz(session, world.root, paper, attempts_allowed=1)
        _taken(session, world.member_a, practice)
        taken = _taken(session, world.member_a, exam)  # released: its last attempt
        ids = [question.id for question in paper.questions]
        reviews = wrong_answer_reviews(session, world.member_a, ids, FIXED_NOW)
        assert {(slot.attempt_id, held) for slot, held in reviews.values()} == {(taken.id, None)}
        answering = svc.start_attempt(session, world.member_a, practice, FIXED_NOW)
        reviews = wrong_answer_reviews(session, world.member_a, ids, FIXED_NOW)
        assert {(slot.attempt_id, held) for slot, held in reviews.values()} == {
            (taken.id, ANSWERING)
        }
        svc.finalize(session, answering.id, FIXED_NOW, FinishedBy.MEMBER)
        reviews = wrong_answer_reviews(session, world.member_a, ids, FIXED_NOW)
        assert {held for _slot, held in reviews.values()} == {None}

    def test_a_wrong_answer_no_attempt_will_show_keeps_its_own_reason(self, session, world, paper):
        exam = make_quiz(session, world.root, paper, release=ReleasePolicy.NEVER)
        _taken(session, world.member_a, exam)
        svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        ids = [question.id for question in paper.questions]
        reviews = wrong_answer_reviews(session, world.member_a, ids, FIXED_NOW)
        assert {held for _slot, held in reviews.values()} == {Withholding(Withheld.NEVER)}


@pytest.mark.usefixtures("ctx")
class TestResultsRelease:
    """What the quiz page says of its results before the member starts."""

    def test_practice_and_an_exam_released_at_once_show_on_submitting(self, session, world, paper):
        for kind in QuizKind:
            quiz = make_quiz(
                session, world.root, paper, publish=False, kind=kind, composition=RANDOM
            )
            assert results_release(session, quiz, FIXED_NOW) is None

    def test_an_exam_that_shows_no_results_says_so(self, session, world, paper):
        quiz = make_quiz(session, world.root, paper, release=ReleasePolicy.NEVER)
        assert results_release(session, quiz, FIXED_NOW) == Withholding(Withheld.NEVER)

    def test_after_close_gives_the_moment_nobody_can_answer_any_more(self, session, world, paper):
        quiz = make_quiz(session, world.root, paper, release=ReleasePolicy.AFTER_CLOSE)
        expected = Withholding(Withheld.AFTER_CLOSE, CLOSE + GRACE)
        assert results_release(session, quiz, FIXED_NOW) == expected
        own_close = CLOSE + timedelta(days=2)
        _grant(session, world, quiz, closes_at=own_close)
        session.expire(quiz)
        expected = Withholding(Withheld.AFTER_CLOSE, own_close + GRACE)
        assert results_release(session, quiz, FIXED_NOW) == expected
        quiz.closes_at = None
        assert results_release(session, quiz, FIXED_NOW) == Withholding(Withheld.AFTER_CLOSE)


def test_the_result_page_says_when_the_answers_will_show(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
    session.commit()
    auth.client.set_cookie(LANG_COOKIE, "en")
    auth.login("mema")
    started = auth.post(f"/quizzes/{quiz.id}/start")
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert 'data-testid="result-percent"' in page and 'data-testid="result-failed"' in page
    assert "The answers are shown when you have no attempts left or the exam closes (" in page
    assert 'data-testid="review-item"' not in page and EXPLANATION not in page
    assert 'data-testid="answers-withheld"' in page
    reload(session)
    assert not session.scalar(sa.select(sa.func.count()).select_from(WrongAnswer))
