"""Verified study time (security.md E14): the server measures, the browser only reports presence.

A heartbeat carries the session id, a sequence number, whether the end was reached, whether the
page stopped counting (hidden, out of focus) and, for video, the segment watched. The credited
time is the server-clock gap since the session's previous accepted heartbeat, when that gap is at
most CREDIT_CAP_SECONDS (a longer gap means the page was away, and nothing of it is credited)
and the previous heartbeat did not say the page stopped counting (the time after it was spent
away, however short). Time a member already got credited through another tab or device is not
credited again (StudyClock). Video time counts only for newly covered, plausible segments. A
video or PDF lesson whose file is not uploaded yet cannot be studied: no session starts on it and
no heartbeat on it is stored. A lesson completes once; completion credits its 学时 once.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.services.sessions import SessionMember
from learnapp.courses.models import LessonKind
from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from learnapp.study.beat_sql import (
    ADVANCE_CLOCK,
    INSERT_BEAT,
    LOCK_CLOCK,
    MOVE_PROGRESS,
    MOVE_SESSION,
    beat_state_query,
)
from learnapp.study.coverage import add_segment, merge
from learnapp.study.models import LessonProgress, StudyClock, StudySession

CREDIT_CAP_SECONDS = 40  # the most one interval can earn: twice the page's default rhythm
SEGMENT_SLACK_SECONDS = 5  # a video segment may exceed the elapsed time by this much
END_SLACK_SECONDS = 3  # a segment ending this close to the video's end reached the end
SILENT_SECONDS = 600  # sessions without a heartbeat for this long are closed by the job
MAX_SEQ = 2**31 - 1


class BeatStatus:
    NOT_FOUND = "not_found"  # unknown, another member's, or its lesson is no longer visible
    ACCEPTED = "accepted"
    REPLAYED = "replayed"  # sequence number not above the last accepted one
    CLOSED = "closed"  # the session was closed; the page starts a new one
    NO_FILE = "no_file"  # a video or PDF lesson whose file is not uploaded (any more)


@dataclass
class ProgressState:
    """The member's progress row on the lesson as the heartbeat read and moved it."""

    id: int
    verified_seconds: int
    reached_end: bool
    coverage: list
    completed_at: datetime | None


@dataclass
class BeatOutcome:
    status: str
    credited_seconds: int = 0
    progress: ProgressState | None = None
    completed_now: bool = False
    lesson: object = None
    # Seconds of the counting interval the member was already credited through another session
    # (another tab or device): the page says that its time is counted there, not lost.
    credited_elsewhere_seconds: int = 0


def _insert(session: Session, model):
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def required_seconds(lesson) -> int:
    """Verified time a lesson needs: its required share of its length, rounded up."""
    return math.ceil(lesson.required_share * lesson.length_seconds)


NO_FILE_MESSAGE = _l(
    "The file of this lesson is not available yet, so no study time is recorded. "
    "Come back once it is."
)


def start_session(session: Session, member, lesson, now: datetime) -> StudySession:
    """Open a study session of `member` on a lesson they may see (the caller checked). A video
    or PDF lesson without its file is refused: there is nothing to study on it."""
    if lesson.kind.needs_media and lesson.media is None:
        raise DomainError(None, NO_FILE_MESSAGE)
    study_session = StudySession(
        id=secrets.token_urlsafe(18)[:24],
        member_id=member.id,
        lesson_id=lesson.id,
        started_at=now,
        last_beat_at=now,
        last_seq=0,
        verified_seconds=0,
        is_paused=False,
    )
    session.add(study_session)
    session.execute(
        _insert(session, StudyClock)
        .values(member_id=member.id, credited_until=now, recent_spans=[])
        .on_conflict_do_nothing()
    )
    session.execute(
        _insert(session, LessonProgress)
        .values(
            member_id=member.id,
            lesson_id=lesson.id,
            verified_seconds=0,
            reached_end=False,
            coverage=[],
            started_at=now,
            last_studied_at=now,
            completed_at=None,
        )
        .on_conflict_do_nothing(index_elements=["member_id", "lesson_id"])
    )
    session.flush()
    return study_session


@dataclass(frozen=True)
class StudyLesson:
    """What crediting needs of a lesson, read with the session on every heartbeat."""

    id: int
    kind: LessonKind
    length_seconds: int
    required_share: Decimal
    nominal_hours: Decimal
    media_id: int | None  # the current version's file (video, PDF), None for text

    @property
    def awaits_file(self) -> bool:
        return self.kind.needs_media and self.media_id is None


def record_heartbeat(
    session: Session,
    member: SessionMember,
    session_id: str,
    *,
    seq: int,
    reached_end: bool,
    segment: tuple[float, float] | None,
    paused: bool,
    now: datetime,
) -> BeatOutcome:
    """Credit the interval since the session's last accepted heartbeat, by the server's clock.

    Not found: another member's session, an unknown one, or one whose lesson is no longer
    published or meant for the member. Refused without credit, and not stored: a sequence
    number not above the last accepted one (replays and reordering), a closed session, a video
    or PDF lesson whose current version has no file. The interval earns
    its server-measured length when that is at most CREDIT_CAP_SECONDS and the heartbeat that
    opened it did not say the page was paused (`paused`: hidden, out of focus), minus any part
    already credited to the member through another session (the outcome's
    credited_elsewhere_seconds, so that the page can say why it earns little). A paused
    heartbeat is credited the interval it closes as usual; the interval after it earns nothing,
    whatever the next heartbeat says, and the next one not paused opens a new counting
    interval. For video, only segments no longer than the interval (plus a small slack) count,
    and only their newly covered seconds: seeking ahead earns nothing. Nothing the browser says
    about durations is read. Completion (required share reached and end reached) credits the
    lesson's nominal 学时 as online study, once.

    One read and at most four writes, as Core statements built once: this is the busiest
    endpoint of the platform (bench/RESULTS.md, issue 3). `member` is the light
    accounts.SessionMember the heartbeat route loads instead of the User.
    """
    if not 0 < seq <= MAX_SEQ:
        raise DomainError("seq", _l("Invalid sequence number."))
    connection = session.connection()
    keys = {"member": member.id, "study_session": session_id}
    if connection.dialect.name == "postgresql":
        # Everything of one member's study happens one heartbeat at a time: this row lock orders
        # the read below after any concurrent heartbeat of another tab has committed, so it sees
        # its effects. SQLite needs none: its BEGIN IMMEDIATE serialises writers.
        connection.execute(LOCK_CLOCK, keys)
    state_query = beat_state_query(member.unit_path, member.category)
    row = connection.execute(state_query, keys).first()
    if row is None:
        return BeatOutcome(BeatStatus.NOT_FOUND)
    (previous, last_seq, closed_at, was_paused, credited_until, spans, *lesson_row) = row[:12]
    lesson = StudyLesson(*lesson_row)
    if lesson.awaits_file:
        return BeatOutcome(BeatStatus.NO_FILE, lesson=lesson)
    if closed_at is not None:
        return BeatOutcome(BeatStatus.CLOSED, lesson=lesson)
    if seq <= last_seq:
        return BeatOutcome(BeatStatus.REPLAYED, lesson=lesson)
    progress = ProgressState(*row[12:])

    elapsed = max(int((now - previous).total_seconds()), 0)
    # A paused heartbeat closed the counting window: the page was away since, however briefly.
    counting = elapsed <= CREDIT_CAP_SECONDS and not was_paused
    # Whole seconds of the clock crossed, not the rounded-down gap: consecutive intervals then
    # add up to the time that passed, however short each one is.
    second = math.floor(now.timestamp())
    interval = max(second - math.floor(previous.timestamp()), 0) if counting else 0
    # Only the seconds of the interval no page of the member's was credited yet: also those
    # before another page took over, when that page's report reached the server first.
    spans, time_credit = add_segment(
        _credited_spans(spans, credited_until), second - interval, second
    )
    credited_elsewhere = interval - time_credit

    credited = time_credit
    segment_row = (None, None)
    segment_ok = False
    end_reached = bool(reached_end) if lesson.kind != LessonKind.VIDEO else False
    coverage = progress.coverage or []
    if lesson.kind == LessonKind.VIDEO:
        credited = 0
        if segment is not None:
            start, end = int(segment[0]), math.ceil(segment[1])
            segment_row = (start, end)
            limit = lesson.length_seconds + END_SLACK_SECONDS
            segment_ok = (
                0 <= start < end <= limit and end - start <= elapsed + SEGMENT_SLACK_SECONDS
            )
            if segment_ok and counting:
                end = min(end, lesson.length_seconds)
                coverage, new_seconds = add_segment(coverage, start, end)
                credited = min(time_credit, new_seconds)
                end_reached = end >= lesson.length_seconds - END_SLACK_SECONDS

    values = {
        **keys,
        "beat_now": now,
        "beat_seq": seq,
        "beat_credited": credited,
        "beat_paused": paused,
    }
    if time_credit:
        connection.execute(
            ADVANCE_CLOCK,
            {
                **keys,
                "clock_until": max(credited_until, now),
                "clock_spans": [span for span in spans if span[1] > second - CREDIT_CAP_SECONDS],
            },
        )
    if connection.execute(MOVE_SESSION, values).rowcount != 1:
        return BeatOutcome(BeatStatus.REPLAYED, lesson=lesson)
    connection.execute(
        INSERT_BEAT,
        {
            "session_id": session_id,
            "seq": seq,
            "received_at": now,
            "elapsed_seconds": elapsed,
            "credited_seconds": credited,
            "reached_end": bool(reached_end),
            "is_paused": paused,
            "segment_start": segment_row[0],
            "segment_end": segment_row[1],
            "segment_accepted": segment_ok,
        },
    )
    # The member's row lock is held, so the values read above are current: the new ones are
    # written as computed (the increment stays in SQL all the same).
    progress.verified_seconds += credited
    progress.reached_end = progress.reached_end or end_reached
    progress.coverage = merge(coverage)
    connection.execute(
        MOVE_PROGRESS,
        {
            "progress": progress.id,
            "beat_credited": credited,
            "beat_reached_end": progress.reached_end,
            "beat_coverage": progress.coverage,
            "beat_now": now,
        },
    )
    completed_now = _complete_if_due(session, member, lesson, progress, now)
    if completed_now:
        progress.completed_at = now
    return BeatOutcome(
        BeatStatus.ACCEPTED, credited, progress, completed_now, lesson, credited_elsewhere
    )


def _credited_spans(spans: list | None, credited_until: datetime) -> list[list[int]]:
    """The clock's credited spans; a clock kept before them has all time up to credited_until
    credited (StudyClock.recent_spans)."""
    if spans is None:
        return [[0, math.floor(credited_until.timestamp())]]
    return spans


def _complete_if_due(session: Session, member, lesson, progress: ProgressState, now) -> bool:
    """Mark the lesson complete and credit it, exactly once (guarded UPDATE, idempotent credit)."""
    if progress.completed_at is not None:
        return False
    if progress.verified_seconds < required_seconds(lesson) or not progress.reached_end:
        return False
    won = session.execute(
        sa.update(LessonProgress)
        .where(LessonProgress.id == progress.id, LessonProgress.completed_at.is_(None))
        .values(completed_at=now)
    ).rowcount
    if won != 1:
        return False
    credit(
        session,
        member,
        HoursCategory.ONLINE,
        SourceType.LESSON,
        lesson.id,
        lesson.nominal_hours,
        progress.verified_seconds,
        now,
    )
    return True


def close_silent_sessions(session: Session, now: datetime) -> int:
    """Close sessions silent for SILENT_SECONDS; a later heartbeat on them earns nothing."""
    return session.execute(
        sa.update(StudySession)
        .where(
            StudySession.closed_at.is_(None),
            StudySession.last_beat_at < now - timedelta(seconds=SILENT_SECONDS),
        )
        .values(closed_at=now)
    ).rowcount
