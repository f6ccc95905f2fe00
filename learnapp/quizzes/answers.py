"""Answers during an attempt: the autosave of each answer, the answers that came after the
attempt ended, and the page's visibility signals.

The autosave is the busiest write of an exam: its statements are built once and run as Core on
the request's connection, and the sequence check is the UPDATE's own condition (security.md §3).
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.errors import DomainError
from learnapp.quizzes.attempts import is_overdue
from learnapp.quizzes.models import (
    AnswerLog,
    AnswerOutcome,
    Attempt,
    AttemptQuestion,
    AttemptSignal,
    AttemptState,
)
from learnapp.quizzes.responses import parse_response

MAX_SIGNALS = 500  # per attempt; more are not stored


@dataclass(frozen=True)
class SaveResult:
    outcome: AnswerOutcome
    seq: int  # the stored sequence number after the call

    @property
    def accepted(self) -> bool:
        return self.outcome in (AnswerOutcome.SAVED, AnswerOutcome.REPLAY)


# The autosave runs on every change of every examinee's answer, so its statements are built once
# and run as Core on the request's connection: no ORM objects are loaded or flushed.
_attempts, _slots = Attempt.__table__, AttemptQuestion.__table__
# The member's attempt, locked (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write
# lock) so a save and a submit never interleave, with what the save needs of the one slot.
_SAVE_TARGET = (
    sa.select(
        _attempts.c.state,
        _attempts.c.deadline_at,
        _attempts.c.grace_seconds,
        _slots.c.id,
        _slots.c.question_type,
        _slots.c.option_order,
        _slots.c.option_ids,
    )
    .select_from(_attempts.join(_slots, _slots.c.attempt_id == _attempts.c.id))
    .where(
        _attempts.c.id == sa.bindparam("attempt"),
        _attempts.c.member_id == sa.bindparam("member"),
        _slots.c.position == sa.bindparam("position"),
    )
    .with_for_update(of=_attempts)
)
_OWNED = sa.select(_attempts.c.id).where(
    _attempts.c.id == sa.bindparam("attempt"), _attempts.c.member_id == sa.bindparam("member")
)
# The sequence check is the UPDATE's own condition: of two saves based on the same answer, one
# lands.
_STORE = (
    _slots.update()
    .where(_slots.c.id == sa.bindparam("slot"), _slots.c.seq == sa.bindparam("base_seq"))
    .values(
        response=sa.bindparam("answer", type_=_slots.c.response.type),
        seq=sa.bindparam("next_seq"),
        saved_at=sa.bindparam("at", type_=_slots.c.saved_at.type),
    )
)
_STORED = sa.select(_slots.c.seq, _slots.c.response).where(_slots.c.id == sa.bindparam("slot"))
_log = AnswerLog.__table__
_LOG = sa.insert(_log)
# PostgreSQL runs the UPDATE and the log entry of an accepted save as one statement (a
# data-modifying CTE): one round trip to the server fewer on the busiest write of an exam. The
# log row is inserted only when the UPDATE matched, i.e. exactly when the save is accepted.
_stored_cte = _STORE.returning(_slots.c.id).cte("stored")
_STORE_AND_LOG = (
    _log.insert()
    .from_select(
        ["attempt_id", "position", "base_seq", "response", "outcome", "received_at"],
        sa.select(
            # Names that are no column of the slots table: SQLAlchemy would take a parameter named
            # like one of its columns as a value for the UPDATE to set.
            sa.bindparam("log_attempt", type_=_log.c.attempt_id.type),
            sa.bindparam("log_position", type_=_log.c.position.type),
            sa.bindparam("base_seq", type_=_log.c.base_seq.type),
            sa.bindparam("log_response", type_=_log.c.response.type),
            sa.bindparam("log_outcome", type_=_log.c.outcome.type),
            sa.bindparam("log_at", type_=_log.c.received_at.type),
        ).select_from(_stored_cte),
    )
    .returning(_log.c.id)
)


def _is_count(value) -> bool:
    """A JSON integer that fits the column (bool is an int to Python, not to the page)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def save_answer(
    session: Session, attempt_id: int, position, base_seq, raw, now: datetime, *, member_id: int
) -> SaveResult | None:
    """Autosave one answer of `member_id`'s attempt; None if the attempt is not theirs (the
    caller answers 404 whatever was sent). `base_seq` is the sequence number of the answer the
    page last saw: the save lands only if it is still the stored one (a stale second tab is
    refused with STALE), and moves it on by one. The same save sent again is a REPLAY and
    changes nothing. After the deadline plus grace the answer is refused (LATE) but recorded in
    the answer log; so are saves to a finished attempt (CLOSED).

    An accepted save is three statements: the locked read, the guarded UPDATE, the log INSERT;
    on PostgreSQL two, the UPDATE and the INSERT going as one.
    """
    connection = session.connection()
    target = None
    if _is_count(position) and _is_count(base_seq):
        target = connection.execute(
            _SAVE_TARGET, {"attempt": attempt_id, "member": member_id, "position": position}
        ).first()
    if target is None:
        if connection.execute(_OWNED, {"attempt": attempt_id, "member": member_id}).first() is None:
            return None
        if not _is_count(base_seq):
            raise DomainError(None, _l("The answer could not be understood."))
        # Slots outside the frozen layout are refused (E8).
        raise DomainError(None, _l("That question is not part of this attempt."))
    response = parse_response(target, raw)
    outcome = None
    # Late first: an answer after the deadline and grace is late whether the sweep has already
    # finished the attempt or not, so the record never depends on which came first.
    if is_overdue(target, now):
        outcome = AnswerOutcome.LATE
    elif target.state != AttemptState.IN_PROGRESS:
        outcome = AnswerOutcome.CLOSED
    else:
        store = {
            "slot": target.id,
            "base_seq": base_seq,
            "answer": response,
            "next_seq": base_seq + 1,
            "at": now,
        }
        if connection.dialect.name == "postgresql":
            log = {"log_attempt": attempt_id, "log_position": position, "log_response": response}
            log |= {"log_outcome": AnswerOutcome.SAVED, "log_at": now}
            if connection.execute(_STORE_AND_LOG, {**store, **log}).first() is not None:
                return SaveResult(AnswerOutcome.SAVED, base_seq + 1)
        elif connection.execute(_STORE, store).rowcount == 1:
            outcome = AnswerOutcome.SAVED
    if outcome == AnswerOutcome.SAVED:
        seq = base_seq + 1
    else:
        # Read again rather than trust the locked read: on PostgreSQL that read's snapshot may
        # predate a save that held the lock before this one.
        seq, current = connection.execute(_STORED, {"slot": target.id}).one()
        if outcome is None:
            same = seq == base_seq + 1 and current == response
            outcome = AnswerOutcome.REPLAY if same else AnswerOutcome.STALE
    connection.execute(
        _LOG,
        {
            "attempt_id": attempt_id,
            "position": position,
            "base_seq": base_seq,
            "response": response,
            "outcome": outcome,
            "received_at": now,
        },
    )
    return SaveResult(outcome, seq)


REFUSAL_REASONS = {
    AnswerOutcome.LATE: _l("After the time limit"),
    AnswerOutcome.CLOSED: _l("After the attempt was submitted"),
}


@dataclass(frozen=True)
class RefusedAnswer:
    """An answer that reached the server after its attempt had ended: recorded, not counted."""

    attempt_id: int
    position: int
    outcome: AnswerOutcome  # LATE or CLOSED
    received_at: datetime

    @property
    def reason(self):
        return REFUSAL_REASONS[self.outcome]


_REFUSED = (
    sa.select(
        _log.c.attempt_id,
        _log.c.position,
        _log.c.response,
        _log.c.outcome,
        _log.c.received_at,
        _slots.c.response.label("graded"),
        _slots.c.saved_at,
    )
    .join(
        _slots,
        sa.and_(_slots.c.attempt_id == _log.c.attempt_id, _slots.c.position == _log.c.position),
    )
    .where(
        _log.c.attempt_id.in_(sa.bindparam("ids", expanding=True)),
        _log.c.outcome.in_([AnswerOutcome.LATE, AnswerOutcome.CLOSED]),
    )
    .order_by(_log.c.id)
)


def refused_answers(session: Session, attempt_ids: list[int]) -> dict[int, list[RefusedAnswer]]:
    """By attempt, its questions whose last answer reached the server after the attempt had
    ended (LATE: past the deadline and grace; CLOSED: after it was submitted) and differs from
    the answer graded: one per question, the last received, by position. An answer the page
    sent twice (queued autosave, then the form) counts once; a blank (a stale tab's form that
    never had the answer) and one that a later accepted save superseded (the deadline was
    extended meanwhile) are in the log but not listed. Information for the member and for a
    person to look at; it never changes a grade."""
    if not attempt_ids:
        return {}
    last = {}
    for row in session.connection().execute(_REFUSED, {"ids": list(attempt_ids)}):
        last[row.attempt_id, row.position] = row
    refused: dict[int, list[RefusedAnswer]] = {}
    for (attempt_id, position), row in sorted(last.items()):
        superseded = row.saved_at is not None and row.saved_at >= row.received_at
        if row.response is not None and row.response != row.graded and not superseded:
            refused.setdefault(attempt_id, []).append(
                RefusedAnswer(attempt_id, position, row.outcome, row.received_at)
            )
    return refused


def record_signal(session: Session, attempt: Attempt, kind: str, now: datetime) -> bool:
    """Log that the page was hidden or shown again; information only, never a penalty."""
    if kind not in ("hidden", "visible") or attempt.state != AttemptState.IN_PROGRESS:
        return False
    count = session.scalar(sa.select(sa.func.count()).where(AttemptSignal.attempt_id == attempt.id))
    if count >= MAX_SIGNALS:
        return False
    session.add(AttemptSignal(attempt_id=attempt.id, kind=kind, received_at=now))
    session.flush()
    return True
