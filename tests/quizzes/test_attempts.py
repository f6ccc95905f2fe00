"""Attempt services: freezing, autosave with sequence checks, finishing, grading, marking."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from learnapp.errors import DomainError
from learnapp.hours.models import LedgerEntry, SourceType
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionVersion
from learnapp.question_bank.services import update_question
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import mark_answer
from learnapp.quizzes.models import (
    AnswerLog,
    AnswerOutcome,
    Attempt,
    AttemptState,
    FinishedBy,
    QuizKind,
    WrongAnswer,
)
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.release import score_shown, withholding
from tests.conftest import DB_KIND
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import (
    EXPLANATION,
    FILL_KEY,
    MULTIPLE_KEYS,
    SHORT_REFERENCE,
    SINGLE_KEY,
    make_paper,
    make_quiz,
    sent_statements,
)

pytestmark = pytest.mark.usefixtures("ctx")


def _answers(slot) -> dict:
    """The right raw answer for a slot, by its opaque ids."""
    spec = slot.version.spec
    if slot.question_type == "single":
        return {"value": slot.option_ids[slot.option_order.index(spec["answer"])]}
    if slot.question_type == "multiple":
        return {"values": [slot.option_ids[slot.option_order.index(i)] for i in spec["answers"]]}
    if slot.question_type == "judge":
        return {"value": "true" if spec["answer"] else "false"}
    if slot.question_type == "fill":
        return {"blanks": [b[0] for b in spec["blanks"]]}
    return {"text": "理论联系实际"}


def _answer_all(session, attempt, now=FIXED_NOW):
    for slot in slots_of(session, attempt):
        result = answers.save_answer(
            session,
            attempt.id,
            slot.position,
            slot.seq,
            _answers(slot),
            now,
            member_id=attempt.member_id,
        )
        assert result.outcome == AnswerOutcome.SAVED


def test_start_freezes_versions_order_and_opaque_option_ids(session, world):
    paper = make_paper(session)
    quiz = make_quiz(session, world.root, paper, shuffle_options=True)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slots = slots_of(session, attempt)
    assert [s.question_id for s in slots] == [q.id for q in paper.questions]
    assert all(
        s.version_id == q.current_version_id for s, q in zip(slots, paper.questions, strict=True)
    )
    single = slots[0]
    assert sorted(single.option_order) == [0, 1, 2, 3]
    assert len(set(single.option_ids)) == 4
    # Opaque: nothing in an id says which option it is or whether it is right.
    assert not any(i in ("0", "1", "2", "3", "A", "correct") for i in single.option_ids)
    assert session.get(QuestionVersion, single.version_id).used_at is not None
    assert attempt.deadline_at == FIXED_NOW + timedelta(seconds=1800)
    assert attempt.max_score == Decimal("10")


def test_editing_a_question_after_start_leaves_the_attempt_on_its_version(session, world):
    paper = make_paper(session, types=("single",))
    quiz = make_quiz(session, world.root, paper)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    question = paper.questions[0]
    frozen = slots_of(session, attempt)[0].version_id
    draft = QuestionDraft(
        type="single",
        stem="改过的题干",
        spec={"options": ["甲", "乙"], "answer": 1},
        knowledge_point=["党章"],
    )
    update_question(session, None, question, draft, FIXED_NOW)
    assert question.current_version_id != frozen
    assert slots_of(session, attempt)[0].version_id == frozen


def test_deadline_is_the_close_when_it_comes_before_the_time_limit(session, world):
    paper = make_paper(session, types=("single",))
    quiz = make_quiz(session, world.root, paper, closes_at=FIXED_NOW + timedelta(minutes=10))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    assert attempt.deadline_at == FIXED_NOW + timedelta(minutes=10)


def test_starting_again_resumes_the_attempt_in_progress(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    first = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    again = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW + timedelta(minutes=1))
    assert again.id == first.id


def test_a_second_attempt_in_progress_is_refused_by_the_database(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    first = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    session.add(
        Attempt(
            quiz_id=quiz.id,
            member_id=world.member_a.id,
            number=first.number + 1,
            state=AttemptState.IN_PROGRESS,
            seed=1,
            started_at=FIXED_NOW,
            pass_percent=Decimal("60"),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_attempt_limit_is_enforced(session, world):
    quiz = make_quiz(
        session, world.root, make_paper(session, types=("single",)), attempts_allowed=1
    )
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    with pytest.raises(DomainError, match="every attempt"):
        svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)


@pytest.mark.parametrize("kind", [QuizKind.PRACTICE, QuizKind.TOPIC])
def test_the_attempt_limit_holds_for_practice_and_topic_sets_too(session, world, kind):
    paper = make_paper(session)  # five questions: a topic set has 5 or 10
    limited = make_quiz(session, world.root, paper, kind=kind, attempts_allowed=2)
    unlimited = make_quiz(session, world.root, paper, kind=kind, attempts_allowed=0, title="不限")
    for quiz in (limited, unlimited):
        for _ in range(2):
            attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
            svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    with pytest.raises(DomainError, match="every attempt"):
        svc.start_attempt(session, world.member_a, limited, FIXED_NOW)
    assert svc.start_attempt(session, world.member_a, unlimited, FIXED_NOW).number == 3


def test_quiz_outside_the_window_or_audience_cannot_be_started(session, world):
    paper = make_paper(session, types=("single",))
    later = make_quiz(session, world.root, paper, opens_at=FIXED_NOW + timedelta(hours=1))
    with pytest.raises(DomainError, match="not opened"):
        svc.start_attempt(session, world.member_a, later, FIXED_NOW)
    closed = make_quiz(
        session,
        world.root,
        paper,
        opens_at=FIXED_NOW - timedelta(days=2),
        closes_at=FIXED_NOW - timedelta(days=1),
        duration_seconds=None,
    )
    with pytest.raises(DomainError, match="closed"):
        svc.start_attempt(session, world.member_a, closed, FIXED_NOW)
    other_branch = make_quiz(session, world.branch_b, paper)
    with pytest.raises(DomainError, match="not open to you"):
        svc.start_attempt(session, world.member_a, other_branch, FIXED_NOW)


def test_save_is_sequence_checked_and_a_stale_tab_cannot_overwrite(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slot = slots_of(session, attempt)[0]
    first, second = slot.option_ids[0], slot.option_ids[1]
    assert (
        answers.save_answer(
            session, attempt.id, 1, 0, {"value": first}, FIXED_NOW, member_id=attempt.member_id
        ).seq
        == 1
    )
    # The same save again (a retry) is a replay and changes nothing.
    replay = answers.save_answer(
        session, attempt.id, 1, 0, {"value": first}, FIXED_NOW, member_id=attempt.member_id
    )
    assert (replay.outcome, replay.seq) == (AnswerOutcome.REPLAY, 1)
    # A second tab still showing sequence 0 tries to overwrite with another answer.
    stale = answers.save_answer(
        session, attempt.id, 1, 0, {"value": second}, FIXED_NOW, member_id=attempt.member_id
    )
    assert stale.outcome == AnswerOutcome.STALE
    session.refresh(slot)
    assert slot.response == {"choice": slot.option_order[0]}
    outcomes = session.scalars(sa.select(AnswerLog.outcome).order_by(AnswerLog.id)).all()
    assert outcomes == [AnswerOutcome.SAVED, AnswerOutcome.REPLAY, AnswerOutcome.STALE]


def test_answers_after_deadline_and_grace_are_refused_and_recorded(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)), grace_seconds=30)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slot = slots_of(session, attempt)[0]
    within_grace = attempt.deadline_at + timedelta(seconds=20)
    ok = answers.save_answer(
        session,
        attempt.id,
        1,
        0,
        {"value": slot.option_ids[0]},
        within_grace,
        member_id=attempt.member_id,
    )
    assert ok.outcome == AnswerOutcome.SAVED
    late = attempt.deadline_at + timedelta(seconds=31)
    refused = answers.save_answer(
        session, attempt.id, 1, 1, {"value": slot.option_ids[1]}, late, member_id=attempt.member_id
    )
    assert refused.outcome == AnswerOutcome.LATE
    logged = session.scalars(
        sa.select(AnswerLog).where(AnswerLog.outcome == AnswerOutcome.LATE)
    ).one()
    assert logged.received_at == late and logged.response is not None
    session.refresh(slot)
    assert slot.response == {"choice": slot.option_order[0]}


def test_answers_for_slots_outside_the_layout_or_malformed_are_refused(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single", "fill")))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    for position, raw in [
        (99, {"value": "x"}),
        ("1", {"value": "x"}),
        (1, {"value": "not-an-option-id"}),
        (1, ["list"]),
        (2, {"blanks": ["x" * 201]}),
        (2, {"blanks": "not a list"}),
    ]:
        with pytest.raises(DomainError):
            answers.save_answer(
                session, attempt.id, position, 0, raw, FIXED_NOW, member_id=attempt.member_id
            )
    with pytest.raises(DomainError):
        answers.save_answer(
            session, attempt.id, 1, -1, {"value": ""}, FIXED_NOW, member_id=attempt.member_id
        )


def test_a_save_to_another_members_attempt_finds_nothing_and_stores_nothing(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slot = slots_of(session, attempt)[0]
    theirs = world.member_b.id
    # Not found whatever is sent, well-formed or not: the attempt's existence never leaks (E6).
    for position, base_seq in ((1, 0), (99, 0), ("1", 0), (1, -1), (1, True)):
        found = answers.save_answer(
            session,
            attempt.id,
            position,
            base_seq,
            {"value": slot.option_ids[0]},
            FIXED_NOW,
            member_id=theirs,
        )
        assert found is None
    session.refresh(slot)
    assert (slot.seq, slot.response) == (0, None)
    assert not session.scalar(sa.select(sa.func.count()).select_from(AnswerLog))


def test_sequence_numbers_must_be_plain_integers_in_the_columns_range(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    for base_seq in (True, 2**31, 1.0, None):
        with pytest.raises(DomainError, match="could not be understood"):
            answers.save_answer(
                session,
                attempt.id,
                1,
                base_seq,
                {"value": ""},
                FIXED_NOW,
                member_id=attempt.member_id,
            )
    with pytest.raises(DomainError, match="not part of this attempt"):
        answers.save_answer(
            session, attempt.id, 2**31, 0, {"value": ""}, FIXED_NOW, member_id=attempt.member_id
        )
    assert not session.scalar(sa.select(sa.func.count()).select_from(AnswerLog))


def test_an_accepted_save_is_three_statements_and_a_refused_one_four(session, world):
    """The autosave hot path: the locked read of attempt and slot, the sequence-checked UPDATE,
    the log INSERT (on PostgreSQL one statement with the UPDATE); a refused save reads the
    stored answer again to tell a replay from a stale tab, and logs the refusal."""
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    value = {"value": slots_of(session, attempt)[0].option_ids[0]}
    with sent_statements(session) as accepted:
        saved = answers.save_answer(
            session, attempt.id, 1, 0, value, FIXED_NOW, member_id=attempt.member_id
        )
    with sent_statements(session) as refused:
        replay = answers.save_answer(
            session, attempt.id, 1, 0, value, FIXED_NOW, member_id=attempt.member_id
        )
    assert saved.outcome == AnswerOutcome.SAVED and replay.outcome == AnswerOutcome.REPLAY
    accepted, refused = ([s.split()[0] for s in sent] for sent in (accepted, refused))
    if DB_KIND == "postgres":
        assert accepted == ["SELECT", "WITH"]  # WITH stored AS (UPDATE …) INSERT …
        assert refused == ["SELECT", "WITH", "SELECT", "INSERT"]
    else:
        assert accepted == ["SELECT", "UPDATE", "INSERT"]
        assert refused == ["SELECT", "UPDATE", "SELECT", "INSERT"]
    logged = session.scalars(
        sa.select(AnswerLog.outcome)
        .where(AnswerLog.attempt_id == attempt.id)
        .order_by(AnswerLog.id)
    ).all()
    assert logged == [AnswerOutcome.SAVED, AnswerOutcome.REPLAY]


def test_finishing_grades_once_and_is_idempotent(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single", "multiple")))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    _answer_all(session, attempt)
    done = svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert done.state == AttemptState.GRADED
    assert (done.score, done.percent, done.passed) == (Decimal("4"), Decimal("100"), True)
    again = svc.finalize(session, attempt.id, FIXED_NOW + timedelta(minutes=5), FinishedBy.JOB)
    assert again.finished_by == FinishedBy.MEMBER and again.submitted_at == FIXED_NOW
    closed = answers.save_answer(
        session, attempt.id, 1, 1, {"value": ""}, FIXED_NOW, member_id=attempt.member_id
    )
    assert closed.outcome == AnswerOutcome.CLOSED


def test_partial_and_wrong_answers_score_and_fill_the_wrong_answer_book(session, world):
    quiz = make_quiz(
        session, world.root, make_paper(session, types=("single", "multiple")), attempts_allowed=1
    )
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    single, multiple = slots_of(session, attempt)
    wrong = single.option_ids[single.option_order.index(1)]
    answers.save_answer(
        session, attempt.id, 1, 0, {"value": wrong}, FIXED_NOW, member_id=attempt.member_id
    )
    subset = [multiple.option_ids[multiple.option_order.index(i)] for i in (0, 1)]
    answers.save_answer(
        session, attempt.id, 2, 0, {"values": subset}, FIXED_NOW, member_id=attempt.member_id
    )
    done = svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert done.score == Decimal("1") and done.percent == Decimal("25") and not done.passed
    book = session.scalars(sa.select(WrongAnswer).order_by(WrongAnswer.question_id)).all()
    assert [w.question_id for w in book] == [single.question_id, multiple.question_id]
    assert book[0].due_on == FIXED_NOW.date() + timedelta(days=1)


def test_short_answer_waits_for_marking_then_grades(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single", "short")))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    _answer_all(session, attempt)
    done = svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert done.state == AttemptState.AWAITING_MARKING
    assert not score_shown(withholding(session, done, FIXED_NOW))
    short = slots_of(session, attempt)[1]
    with pytest.raises(DomainError, match="Points from 0"):
        mark_answer(session, world.admin, short, "5", "", FIXED_NOW)
    with pytest.raises(DomainError):
        mark_answer(session, world.admin, short, "nan", "", FIXED_NOW)
    mark_answer(session, world.admin, short, "3", "要点基本齐全", FIXED_NOW)
    session.refresh(done)
    assert done.state == AttemptState.GRADED and done.score == Decimal("5")
    with pytest.raises(DomainError, match="already been marked"):
        mark_answer(session, world.admin, short, "4", "", FIXED_NOW)


def test_unanswered_short_answer_needs_no_marker(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("short",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    done = svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert done.state == AttemptState.GRADED and done.score == Decimal("0")


def test_overdue_attempts_are_finished_by_the_job_with_their_saved_answers(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    _answer_all(session, attempt)
    assert svc.finalize_overdue(session, FIXED_NOW + timedelta(minutes=10)) == 0
    later = attempt.deadline_at + timedelta(seconds=quiz.grace_seconds + 1)
    assert svc.finalize_overdue(session, later) == 1
    session.refresh(attempt)
    assert attempt.state == AttemptState.GRADED and attempt.finished_by == FinishedBy.JOB
    assert attempt.score == Decimal("2")
    assert svc.finalize_overdue(session, later) == 0


def test_opening_an_overdue_attempt_finishes_it_before_a_new_start(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    later = attempt.deadline_at + timedelta(minutes=5)
    second = svc.start_attempt(session, world.member_a, quiz, later)
    session.refresh(attempt)
    assert attempt.finished_by == FinishedBy.TIMER and second.number == 2


def test_passing_a_course_final_test_credits_half_an_hour_once(session, world):
    from tests.courses.factories import make_course

    course = make_course(session, owner_unit=world.root)
    quiz = make_quiz(
        session, world.root, make_paper(session, types=("single",)), course_id=course.id
    )
    for minutes in (0, 40):
        attempt = svc.start_attempt(
            session, world.member_a, quiz, FIXED_NOW + timedelta(minutes=minutes)
        )
        _answer_all(session, attempt, FIXED_NOW + timedelta(minutes=minutes))
        svc.finalize(session, attempt.id, FIXED_NOW + timedelta(minutes=minutes), FinishedBy.MEMBER)
    entries = session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.source_type == SourceType.COURSE_TEST)
    ).all()
    assert [(e.member_id, e.source_id, e.hours) for e in entries] == [
        (world.member_a.id, str(course.id), Decimal("0.50"))
    ]


def test_release_policy_controls_review(session, world):
    from learnapp.quizzes.models import ReleasePolicy

    paper = make_paper(session, types=("single",))
    closes = FIXED_NOW + timedelta(days=1)
    after = make_quiz(
        session, world.root, paper, release=ReleasePolicy.AFTER_CLOSE, closes_at=closes
    )
    never = make_quiz(session, world.root, paper, release=ReleasePolicy.NEVER)
    for quiz, before_close, after_close in ((after, False, True), (never, False, False)):
        attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
        assert score_shown(withholding(session, attempt, FIXED_NOW)) is before_close
        # Once the close and its grace have passed: no attempt can take an answer any more.
        released = closes + timedelta(seconds=quiz.grace_seconds + 1)
        assert score_shown(withholding(session, attempt, released)) is after_close
    # A closed review keeps the 错题本 (which shows keys) empty.
    assert session.scalar(sa.select(sa.func.count()).select_from(WrongAnswer)) == 0


def test_tab_switch_signals_are_recorded_and_change_nothing(session, world):
    quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    assert answers.record_signal(session, attempt, "hidden", FIXED_NOW)
    assert not answers.record_signal(session, attempt, "<script>", FIXED_NOW)
    _answer_all(session, attempt)
    done = svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    assert done.percent == Decimal("100")


def test_keys_are_sent_nowhere_in_the_taking_questions(session, world):
    from learnapp.quizzes.presenters import taking_questions

    quiz = make_quiz(session, world.root, make_paper(session))
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    shown = repr(taking_questions(slots_of(session, attempt)))
    assert SINGLE_KEY in shown  # option texts are shown …
    for secret in (EXPLANATION, SHORT_REFERENCE, FILL_KEY, "is_correct", "option_order"):
        assert secret not in shown
    assert all(k in shown for k in MULTIPLE_KEYS)
