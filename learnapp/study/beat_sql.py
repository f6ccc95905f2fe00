"""The statements of a study heartbeat (study.services.record_heartbeat), built once:
constructing them costs more CPU than running them."""

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql import visitors

from learnapp.courses.models import Course, CourseState, Lesson, LessonVersion, Module
from learnapp.courses.queries import audience_clause
from learnapp.db import UTCDateTime
from learnapp.orgs.models import MemberCategory
from learnapp.study.models import Heartbeat, LessonProgress, StudyClock, StudySession

_sessions = StudySession.__table__
_clocks = StudyClock.__table__
_progress = LessonProgress.__table__
_heartbeats = Heartbeat.__table__
_lessons = Lesson.__table__
_versions = LessonVersion.__table__
_NOW = sa.bindparam("beat_now", type_=UTCDateTime())
LOCK_CLOCK = (
    sa.select(_clocks.c.credited_until)
    .where(_clocks.c.member_id == sa.bindparam("member"))
    .with_for_update()
)
ADVANCE_CLOCK = (
    sa.update(_clocks)
    .where(_clocks.c.member_id == sa.bindparam("member"))
    .values(
        credited_until=sa.bindparam("clock_until", type_=UTCDateTime()),
        recent_spans=sa.bindparam("clock_spans", type_=_clocks.c.recent_spans.type),
    )
)
MOVE_SESSION = (
    sa.update(_sessions)
    .where(
        _sessions.c.id == sa.bindparam("study_session"),
        _sessions.c.last_seq < sa.bindparam("beat_seq"),
        _sessions.c.closed_at.is_(None),
    )
    .values(
        last_seq=sa.bindparam("beat_seq"),
        last_beat_at=_NOW,
        verified_seconds=_sessions.c.verified_seconds + sa.bindparam("beat_credited"),
        is_paused=sa.bindparam("beat_paused", type_=sa.Boolean()),
    )
)
INSERT_BEAT = sa.insert(_heartbeats)
MOVE_PROGRESS = (
    sa.update(_progress)
    .where(_progress.c.id == sa.bindparam("progress"))
    .values(
        verified_seconds=_progress.c.verified_seconds + sa.bindparam("beat_credited"),
        reached_end=sa.bindparam("beat_reached_end", type_=sa.Boolean()),
        coverage=sa.bindparam("beat_coverage", type_=_progress.c.coverage.type),
        last_studied_at=_NOW,
    )
)


@dataclass(frozen=True)
class _Unit:
    path: str


@dataclass(frozen=True)
class _AudienceMember:
    """What courses.audience_clause reads of a member: their unit's path and their category."""

    unit: _Unit | None
    category: MemberCategory


def _fixed_in_list(element):
    """An IN list's values bound one by one, `IN (?, ?, ?)`, instead of SQLAlchemy's expanding
    parameter, which is rewritten into the SQL at every execution (~0.04 ms a heartbeat). The
    values are the member's unit path, part of beat_state_query's cache key."""
    if isinstance(element, sa.BindParameter) and element.expanding:
        return sa.tuple_(*(sa.literal(value, element.type) for value in element.value))
    return None


@functools.lru_cache(maxsize=1024)
def beat_state_query(unit_path: str | None, category: MemberCategory) -> sa.Select:
    """The one read of a heartbeat: the member's session with their study clock, the lesson if
    it is still published and meant for them (courses.audience_clause) with the file of its
    current version, and their progress on it.
    Built once per (unit, category): the audience condition depends on nothing else."""
    audience = visitors.replacement_traverse(
        audience_clause(_AudienceMember(_Unit(unit_path) if unit_path else None, category)),
        {},
        _fixed_in_list,
    )
    return (
        sa.select(
            _sessions.c.last_beat_at,
            _sessions.c.last_seq,
            _sessions.c.closed_at,
            _sessions.c.is_paused,
            _clocks.c.credited_until,
            _clocks.c.recent_spans,
            _lessons.c.id,
            _lessons.c.kind,
            _lessons.c.length_seconds,
            _lessons.c.required_share,
            _lessons.c.nominal_hours,
            _versions.c.media_id,
            _progress.c.id,
            _progress.c.verified_seconds,
            _progress.c.reached_end,
            _progress.c.coverage,
            _progress.c.completed_at,
        )
        .select_from(
            _sessions.join(_clocks, _clocks.c.member_id == _sessions.c.member_id)
            .join(_lessons, _lessons.c.id == _sessions.c.lesson_id)
            .outerjoin(_versions, _versions.c.id == _lessons.c.current_version_id)
            .join(Module.__table__, Module.__table__.c.id == _lessons.c.module_id)
            .join(Course.__table__, Course.__table__.c.id == Module.__table__.c.course_id)
            .join(
                _progress,
                sa.and_(
                    _progress.c.member_id == _sessions.c.member_id,
                    _progress.c.lesson_id == _sessions.c.lesson_id,
                ),
            )
        )
        .where(
            _sessions.c.id == sa.bindparam("study_session"),
            _sessions.c.member_id == sa.bindparam("member"),
            Course.__table__.c.state == CourseState.PUBLISHED,
            audience,
        )
    )
